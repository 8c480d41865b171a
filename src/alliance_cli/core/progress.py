"""Progress scores and the report, as plain data (rendered by ``render``, dumped as JSON).

Everything is computed "as of" a date from the histories, so the same code
serves today's report and any past one.
"""

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from alliance_cli.core import history
from alliance_cli.core.statuses import Scale

# The report's windows when the tracker and the command say nothing (see the README).
RECENT_DAYS = 30
STALE_DAYS = 180


def summarize(statuses: list[str], scale: Scale) -> dict:
    """Counts per status, and progress: the mean score over every recommendation except those
    in an ``excluded`` status (moot, withdrawn), which leave the denominator."""
    found = Counter(statuses)
    counts = {name: found[name] for name in scale.names}
    excluded = sum(n for s, n in counts.items() if scale.cls(s) == "excluded")
    denominator = len(statuses) - excluded
    scored = sum(n * scale.score(s) for s, n in counts.items() if scale.cls(s) != "excluded")
    return {
        "progress": round(scored / denominator, 4) if denominator else 0.0,
        "implemented": sum(n for s, n in counts.items() if scale.cls(s) == "closed_implemented"),
        "total": len(statuses),
        "denominator": denominator,
        "excluded": excluded,
        "by_status": counts,
    }


def issued_by(recs: list[dict], day: str) -> list[dict]:
    """The recommendations issued by ``day`` (ISO): a report as of a date counts only these."""
    return [rec for rec in recs if rec["issued"] <= day]


def rec_row(rec: dict, as_of: str, start: str) -> dict:
    """The list view of one recommendation as of a date."""
    return _row(rec, history.latest(rec["history"], as_of), start)


def _row(rec: dict, last: str | None, start: str) -> dict:
    """``last``: the skeleton of its latest event, or None (then it is in ``start``)."""
    return {
        "id": rec["id"],
        "pillar": rec["pillar"],
        "title": rec["title"],
        "status": history.status_of(last) if last else start,
        "key": rec["key"],
        "last_updated": history.date_of(last) if last else None,
        "due": rec.get("due"),
        "issued": rec["issued"],
    }


def matching(recs: list[dict], *, pillars: set[str] | None = None, key: bool = False,
             ids: set[str] | None = None) -> list[dict]:
    """The recommendations in any of ``pillars``, key ones only with ``key``, only ``ids`` (a
    search's matches) if given: the filters that need no history."""
    return [rec for rec in recs if (not pillars or rec["pillar"] in pillars) and (not key or rec["key"])
            and (ids is None or rec["id"] in ids)]


class Rows(Sequence):
    """The list view of ``recs`` as of a date, each row made when it is asked for: a terminal
    shows a screenful of thousands. Slicing gives a list."""

    def __init__(self, recs: list[dict], as_of: str, start: str):
        self.recs, self.as_of, self.start = recs, as_of, start

    def __len__(self) -> int:
        return len(self.recs)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [rec_row(rec, self.as_of, self.start) for rec in self.recs[index]]
        return rec_row(self.recs[index], self.as_of, self.start)


def select_rows(recs: list[dict], as_of: str, start: str, statuses: set[str] | None = None):
    """The list view's rows: every one at any of ``statuses``; without them, rows made as asked for."""
    if not statuses:
        return Rows(recs, as_of, start)
    return [row for row in Rows(recs, as_of, start)[:] if row["status"] in statuses]


def recommendation_detail(rec: dict, pillars: list[dict], as_of: str, start: str) -> dict:
    """The show view of a whole recommendation: every field, the pillar's name, the status and
    the ordered history."""
    row = _row(rec, history.latest(history.skeletons(rec["history"]), as_of), start)
    pillar_name = next((p["name"] for p in pillars if p["id"] == rec["pillar"]), rec["pillar"])
    return {**{k: v for k, v in rec.items() if k != "history"}, "due": rec.get("due"),
            "pillar_name": pillar_name, "status": row["status"], "last_updated": row["last_updated"],
            "history": history.ordered(rec["history"])}


def build_report(brief: dict, pillars: list[dict], recs: list[dict], as_of: dt.date, scale: Scale, *,
                 since: dt.date | None = None, compare: dt.date | None = None, notes=None,
                 stale_days: int = STALE_DAYS, recent_days: int = RECENT_DAYS) -> dict:
    """The report as of a date, from the recommendations' history skeletons.

    Only the recommendations issued by the as-of date count. ``notes``: ``(recommendation id,
    event id) pairs -> (event id, {note, evidence, by, recorded_by}) pairs``, asked once for the
    few changes the report lists (their skeletons carry none).
    """
    day = as_of.isoformat()
    recs = issued_by(recs, day)
    # Each history read once for the present: the rows and the attention list share it.
    steps = [history.last_transition(r["history"], day, scale.start) for r in recs]
    rows = [_row(r, last, scale.start) for r, (_, last) in zip(recs, steps, strict=True)]
    recent_start = as_of - dt.timedelta(days=recent_days - 1)
    report = {
        "brief": brief,
        "as_of": as_of.isoformat(),
        "rule": scale.rule(),
        "statuses": scale.as_dicts(),
        "windows": {"recent_days": recent_days, "stale_days": stale_days},
        "overall": summarize([row["status"] for row in rows], scale),
        "pillars": pillar_summaries(pillars, rows, scale),
        "key": [_brief_row(row) for row in rows if row["key"]],
        "recent": changes_between(recs, recent_start, as_of, scale),
        "attention": needs_attention(recs, as_of, scale, stale_days, steps),
    }
    between = changes_between(recs, since, as_of, scale) if since is not None else []
    if notes is not None:
        found = dict(notes([(c["id"], c["event"]) for c in report["recent"] + between]))
        for change in report["recent"] + between:
            change.update(found[change["event"]])
    if since is not None:
        report["changes_since"] = changes_since(between, since)
    if compare is not None:
        report["compare"] = comparison(pillars, recs, compare, as_of, scale)
    return report


def pillar_summaries(pillars: list[dict], rows: list[dict], scale: Scale) -> list[dict]:
    by_pillar: dict[str, list[str]] = {p["id"]: [] for p in pillars}
    for row in rows:
        by_pillar.setdefault(row["pillar"], []).append(row["status"])
    return [{"id": p["id"], "name": p["name"], **summarize(by_pillar[p["id"]], scale)}
            for p in pillars if by_pillar[p["id"]]]


def _brief_row(row: dict) -> dict:
    return {k: row[k] for k in ("id", "pillar", "title", "status", "last_updated")}


def changes_between(recs: list[dict], start: dt.date, end: dt.date, scale: Scale) -> list[dict]:
    """Every status change dated from ``start`` to ``end`` inclusive, newest first."""
    first, last = start.isoformat(), end.isoformat()
    changes = [_change(rec, before, event, scale)
               for rec in recs
               for before, event in history.transitions_between(rec["history"], first, last, scale.start)]
    changes.sort(key=lambda c: (c["date"], c["recorded_at"], c["event"]), reverse=True)
    return changes


# What a change is, by how it moves: leaving the start status is an assessment, keeping the
# status a reassessment, and otherwise the scores say up, down or lateral.
KINDS = ("assessment", "upgrade", "downgrade", "lateral", "reassessment")


def change_kind(before: str, after: str, scale: Scale) -> str:
    if before == after:
        return "reassessment"
    if before == scale.start:
        return "assessment"
    if scale.score(after) > scale.score(before):
        return "upgrade"
    return "downgrade" if scale.is_downgrade(before, after) else "lateral"


def changes_since(changes: list[dict], since: dt.date) -> dict:
    """What moved from ``since`` (inclusive) to the as-of date, by kind, and the new evidence."""
    by_kind = {kind: [c for c in changes if c["kind"] == kind] for kind in KINDS}
    return {
        "since": since.isoformat(),
        "assessments": by_kind["assessment"],
        "upgrades": by_kind["upgrade"],
        "downgrades": by_kind["downgrade"],
        "other": by_kind["lateral"],
        "reassessments": by_kind["reassessment"],
        "new_evidence": [c for c in changes if c["evidence"]],
    }


def comparison(pillars: list[dict], recs: list[dict], then: dt.date, now: dt.date, scale: Scale) -> dict:
    """Progress per pillar at two dates, each over what was issued by then, and what lost its
    closed-implemented status between them."""
    rows_then = [rec_row(r, then.isoformat(), scale.start) for r in issued_by(recs, then.isoformat())]
    rows_now = [rec_row(r, now.isoformat(), scale.start) for r in issued_by(recs, now.isoformat())]
    before = {p["id"]: p for p in pillar_summaries(pillars, rows_then, scale)}
    after = pillar_summaries(pillars, rows_now, scale)
    empty = summarize([], scale)
    now_by_id = {row["id"]: row for row in rows_now}
    done = {s for s in scale.names if scale.cls(s) == "closed_implemented"}
    return {
        "then": then.isoformat(),
        "now": now.isoformat(),
        "overall": _delta(summarize([r["status"] for r in rows_then], scale),
                          summarize([r["status"] for r in rows_now], scale)),
        "pillars": [{"id": p["id"], "name": p["name"], **_delta(before.get(p["id"], empty), p)} for p in after],
        "lost_implemented": [
            {"id": old["id"], "title": old["title"], "status_then": old["status"],
             "status_now": now_by_id[old["id"]]["status"]}
            for old in rows_then
            if old["status"] in done and old["id"] in now_by_id and now_by_id[old["id"]]["status"] not in done],
    }


def _delta(then: dict, now: dict) -> dict:
    return {"then": then["progress"], "now": now["progress"], "change": round(now["progress"] - then["progress"], 4),
            "implemented_then": then["implemented"], "implemented_now": now["implemented"]}


def _change(rec: dict, before: str, skel: str, scale: Scale) -> dict:
    """A change as the report lists it; ``note``, ``evidence`` and who said it are filled in by
    ``build_report``."""
    event = history.parts(skel)
    kind = change_kind(before, event["to"], scale)
    return {
        "date": event["date"], "recorded_at": event["recorded_at"], "id": rec["id"],
        "title": rec["title"], "from": before, "to": event["to"], "kind": kind,
        "downgrade": kind == "downgrade",
        "note": "", "evidence": [], "by": "", "recorded_by": "", "event": event["id"],
    }


def needs_attention(recs: list[dict], as_of: dt.date, scale: Scale, stale_days: int = STALE_DAYS,
                    steps: list[tuple] | None = None) -> list[dict]:
    """Open recommendations that are stalled, downgraded (their latest change lowered the
    score), stale (not updated for ``stale_days``), or overdue. A closed one needs none.

    ``steps``: each recommendation's (status before, latest event), when known.
    """
    day = as_of.isoformat()
    stale_day = stale_before(as_of, stale_days)
    if steps is None:
        steps = [history.last_transition(rec["history"], day, scale.start) for rec in recs]
    needing = []
    for rec, (before, last) in zip(recs, steps, strict=True):
        reasons = attention_reasons(rec, before, last, as_of, stale_day, scale)
        if reasons:
            row = _row(rec, last, scale.start)
            needing.append({"id": rec["id"], "title": rec["title"], "status": row["status"],
                            "last_updated": row["last_updated"], "reasons": reasons})
    return needing


def attention_reasons(rec: dict, before: str, last: str | None, as_of: dt.date, stale_day: str,
                      scale: Scale) -> list[str]:
    """Why an open recommendation needs attention; a closed one needs none."""
    status = history.status_of(last) if last else scale.start
    if status not in scale.open:
        return []
    reasons = [status] if status in scale.marked else []
    if last and scale.is_downgrade(before, status):
        reasons.append(f"downgraded from {before} on {history.date_of(last)}")
    if is_stale(last, stale_day, scale):
        idle = (as_of - dt.date.fromisoformat(history.date_of(last))).days
        reasons.append(f"not updated for {idle} days")
    if rec.get("due") and is_overdue(rec, status, as_of.isoformat(), scale):
        reasons.append(f"overdue (due {rec['due']})")
    return reasons


def stale_before(as_of: dt.date, stale_days: int = STALE_DAYS) -> str:
    """The day before which a latest update makes a recommendation stale (see ``is_stale``)."""
    return (as_of - dt.timedelta(days=stale_days)).isoformat()


def is_stale(last: str | None, before: str, scale: Scale) -> bool:
    """"Not updated for N days": an open recommendation, assessed (out of the start status), whose
    latest event, ``last`` (a skeleton), is dated before ``before`` (from ``stale_before``). The
    report's "Needs attention" and `list --stale` both ask this."""
    if last is None:
        return False
    status = history.status_of(last)
    # ISO dates compare as strings: no parsing for the thousands that need nothing.
    return scale.is_open(status) and status != scale.start and history.date_of(last) < before


def is_overdue(rec: dict, status: str, day: str, scale: Scale) -> bool:
    """Due before ``day`` (ISO) and still open: a closed (or excluded) recommendation is never overdue."""
    due = rec.get("due")
    return bool(due) and due < day and scale.is_open(status)


def flagged(recs: list[dict], as_of: dt.date, scale: Scale, stale_days: int = STALE_DAYS, *,
            stale: bool = False, overdue: bool = False) -> list[dict]:
    """The recommendations that are stale (with ``stale``, after ``stale_days``) and overdue (with
    ``overdue``) as of a date, by the rules of "Needs attention"."""
    if not (stale or overdue):
        return recs
    day, before = as_of.isoformat(), stale_before(as_of, stale_days)
    kept = []
    for rec in recs:
        last = history.latest(rec["history"], day)
        if stale and not is_stale(last, before, scale):
            continue
        if overdue and not is_overdue(rec, history.status_of(last) if last else scale.start, day, scale):
            continue
        kept.append(rec)
    return kept


def every_recommendation(recs: list[dict], as_of: dt.date, notes, scale: Scale) -> list[dict]:
    """Every recommendation as of a date, with its latest note and evidence (the HTML report's table).

    The note is that of the latest change up to ``as_of`` with a note or evidence, ``note_date`` its
    date (it may be older than ``last_updated`` when the latest change came without a word).
    ``notes``: as for ``build_report``, asked once for every change up to ``as_of``; only the
    chosen note of each recommendation is kept.
    """
    day = as_of.isoformat()
    recs = issued_by(recs, day)
    rows, where = [], {}
    for i, rec in enumerate(recs):
        upto = history.up_to(rec["history"], day)
        rows.append({**_row(rec, upto[-1] if upto else None, scale.start),
                     "note": "", "evidence": [], "note_date": None})
        where |= {history.id_of(skel): (i, n, history.date_of(skel)) for n, skel in enumerate(upto)}
    best: dict[int, int] = {}
    for event, body in notes([(recs[i]["id"], event) for event, (i, _, _) in where.items()]):
        i, n, when = where[event]
        if (body["note"] or body["evidence"]) and n >= best.get(i, -1):
            best[i] = n
            rows[i].update(note=body["note"], evidence=body["evidence"], note_date=when)
    return rows
