"""A small real tracker history, recorded through the CLI, shared by the export tests."""

import datetime as dt
from pathlib import Path

from alliance_cli.core import journal, progress, timeline
from alliance_cli.core.progress import recommendation_detail
from alliance_cli.store.tracker import Tracker

AS_OF = dt.date(2024, 6, 30)
SCRIPT_NOTE = "<script>alert(1)</script>"
HOSTILE_URL = 'https://example.com/?q="><script>alert(2)</script>'
# (id, status, date, note, evidence)
EVENTS = [
    ("SEC-1", "implemented", "2024-01-11", 'Signed, "at last": 한국어 🎉', ["https://example.com/a_b"]),
    ("SEC-2", "in-progress", "2024-02-03", "Talks | started *now*", []),
    ("ECON-1", "partial", "2024-03-15", "=HYPERLINK(\"http://x\")", []),
    ("SEC-2", "stalled", "2024-06-01", "Talks paused\nsecond line \x1b[31m", []),
    ("CLIMATE-1", "implemented", "2024-06-15", SCRIPT_NOTE, [HOSTILE_URL]),
]
META = {
    "brief": None,  # filled from the tracker
    "as_of": AS_OF.isoformat(),
    "exported_at": "2024-07-01T09:30:00.000000Z",
    "filters": {"pillar": None, "key": False, "status": "implemented"},
}


def record(run) -> None:
    # The brief was published in 2024-03; these two were under way before it was: say so.
    for rec_id in ("SEC-1", "SEC-2"):
        run("edit", rec_id, "--issued", "2024-01-01")
    for rec_id, status, date, note, evidence in EVENTS:
        args = ["update-status", rec_id, status, "--date", date, "--note", note]
        for url in evidence:
            args += ["--evidence", url]
        run(*args)


def build(db: Path) -> dict:
    """Everything the exports take, from the tracker file: report, timeline, rows, events, detail."""
    state = Tracker(db).read()
    recs = state.recommendations()
    day = AS_OF.isoformat()
    entries = journal.log_entries(recs, state.journal_entries(), state.scale.start)  # the log's own rows
    notes = dict(state.notes(journal.noted(entries)))
    events = list(journal.log_rows(entries, notes))
    return {
        "state": state,
        "meta": {**META, "brief": state.brief},
        "report": progress.build_report(state.brief, state.pillars, recs, AS_OF, state.scale,
                                        notes=state.notes),
        "timeline": timeline.monthly_progress(state.pillars, recs, AS_OF, state.scale),
        "rows": [progress.rec_row(r, day, state.scale.start) for r in recs],
        "events": sorted(events, key=lambda e: (e["date"], e["recorded_at"])),
        "detail": recommendation_detail(state.full(state.get("CLIMATE-1")), state.pillars, day, state.scale.start),
    }
