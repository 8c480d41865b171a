"""Big briefs and trackers for tests that need a file whose write takes real time.

Not a test module: ``from bigtracker import make_brief, make_tracker``. The
tracker is written through the tool's own code (``seed_whole`` and
``Tracker.replace``), so its files are exactly what the CLI would write.
"""

import datetime as dt
import secrets
from pathlib import Path

from alliance_cli.core import brief, dates, history
from alliance_cli.core.statuses import DEFAULT_SCALE
from alliance_cli.store import state, tracker

PILLAR_IDS = ("SEC", "ECON", "CYBER", "CLIMATE", "HEALTH", "SPACE", "EDU", "TRADE")

_WORDS = (
    "alliance", "deterrence", "coordination", "supply", "chain", "resilience", "critical",
    "minerals", "semiconductor", "cooperation", "extended", "trilateral", "dialogue", "exercise",
    "interoperability", "cyber", "threat", "cryptocurrency", "energy", "nuclear",
    "decarbonization", "partnership", "framework", "investment", "technology", "standards",
    "maritime", "security", "regional", "stability", "capacity", "building",
)


def _sentence(seed: int, n_words: int) -> str:
    words = [_WORDS[(seed * 7 + i * 13) % len(_WORDS)] for i in range(n_words)]
    return " ".join(words).capitalize() + "."


def make_brief(n_recs: int, n_pillars: int = 4) -> dict:
    """A valid brief file dict (format 1) with ``n_recs`` recommendations of realistic size."""
    if not 1 <= n_pillars <= len(PILLAR_IDS):
        raise ValueError(f"n_pillars must be 1 to {len(PILLAR_IDS)}")
    pillars = [{"id": pid, "name": f"Pillar {pid.title()}",
                "description": _sentence(i, 14)} for i, pid in enumerate(PILLAR_IDS[:n_pillars])]
    recs = []
    for i in range(n_recs):
        pillar = pillars[i % n_pillars]["id"]
        rec = {
            "id": f"{pillar}-{i // n_pillars + 1}",
            "pillar": pillar,
            # Titles of 40-70 characters, as in the shipped brief (limit 70).
            "title": _sentence(i, 8)[: 40 + i % 31].rstrip(),
            "text": " ".join(_sentence(i + k, 12) for k in range(4)),  # ~350-450 characters
            "section": f"Policy Recommendations — {pillars[i % n_pillars]['name']}",
            "key": i % 9 == 0,
            "actors": ["US", "ROK"] if i % 3 else ["US", "ROK", "Japan"],
            "initiatives": [f"Initiative {i % 17}", "US Indo-Pacific Strategy"],
            "sources": [f"https://example.org/brief/{i}"] if i % 2 else [],
        }
        if i % 5 == 0:
            rec["due"] = "2026-12-31"
        recs.append(rec)
    data = {
        "format": brief.FORMAT,
        "brief": {"id": "big-brief", "title": f"A synthetic brief of {n_recs} recommendations",
                  "author": "Test Author", "publisher": "Test Publisher", "published": "2023-12"},
        "pillars": pillars,
        "recommendations": recs,
    }
    brief.validate_brief(data, "<make_brief>")
    return data


def make_event(earlier: list[dict], to: str, date: str, note: str) -> dict:
    """An event built exactly as ``State.update_status`` builds one."""
    return {
        "id": state.new_event_id(),
        "date": date,
        "recorded_at": dates.timestamp(dates.utc_now()),
        "from": history.status_at(history.skeletons(earlier), date, DEFAULT_SCALE.start),
        "to": to,
        "note": note,
        "evidence": [],
        "by": "",
        "recorded_by": "",
    }


def make_tracker(path: Path, n_recs: int, events_per_rec: int = 0, *, n_pillars: int = 4) -> dict:
    """Write a tracker of ``n_recs`` recommendations to ``path``; returns the brief used.

    With ``events_per_rec`` every recommendation gets that many dated events,
    built like ``update_status`` builds them and saved in one write.
    """
    data_brief = make_brief(n_recs, n_pillars)
    data = tracker.seed_whole(data_brief, dates.timestamp(dates.utc_now()))
    start = dt.date(2024, 1, 1)
    statuses = [s for s in DEFAULT_SCALE.names if s != DEFAULT_SCALE.start]
    for n, rec in enumerate(data["recommendations"]):
        events: list[dict] = []
        for k in range(events_per_rec):
            day = (start + dt.timedelta(days=(n + 11 * k) % 400)).isoformat()
            note = f"Event {k} for {rec['id']}: {_sentence(n + k, 10)} ref {secrets.token_hex(3)}"
            events.append(make_event(events, statuses[(n + k) % len(statuses)], day, note))
        rec["history"] = history.ordered(events)
    tracker.Tracker(Path(path)).replace(data, force=True)
    return data_brief


def load(path: Path) -> dict[str, dict]:
    """Every whole recommendation of the tracker at ``path``, by id, read as the CLI reads it."""
    view = tracker.Tracker(Path(path)).read()
    return {head["id"]: whole for head, whole in view.iter_full()}


def tracker_files(path: Path) -> dict[str, bytes]:
    """The bytes of a tracker's files (head and bodies), by name: to compare two trackers."""
    path = Path(path)
    found = {path.name: path.read_bytes()}
    bodies = path.with_name(path.name + ".bodies")
    if bodies.is_dir():
        found.update({f"{bodies.name}/{p.name}": p.read_bytes() for p in sorted(bodies.glob("*.json"))})
    return found
