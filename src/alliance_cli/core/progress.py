"""Progress scores and the report, as plain data (rendered by ``render``, dumped as JSON).

Everything is computed "as of" a date from the histories, so the same code
serves today's report and any past one.
"""

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from alliance_cli.core import history
from alliance_cli.core.statuses import DEFAULT, NAMES, SCORE_RULE, is_downgrade, score

RECENT_DAYS = 30
STALE_DAYS = 180
# Statuses that say work is under way: only these go stale when left alone.
OPEN_STATUSES = ("no_action", "in_progress", "partial", "stalled")
# Statuses that close a recommendation: past its due date it is not overdue.
CLOSED_STATUSES = ("implemented", "abandoned")


def summarize(statuses: list[str]) -> dict:
    found = Counter(statuses)
    counts = {name: found[name] for name in NAMES}
    total = len(statuses)
    return {
        "progress": round(sum(n * score(s) for s, n in counts.items()) / total, 4) if total else 0.0,
        "implemented": counts["implemented"],
        "total": total,
        "by_status": counts,
    }


def rec_row(rec: dict, as_of: str) -> dict:
    """The list view of one recommendation as of a date."""
    return _row(rec, history.latest(rec["history"], as_of))


def _row(rec: dict, last: str | None) -> dict:
    """``last``: the skeleton of its latest event, or None."""
    return {
        "id": rec["id"],
        "pillar": rec["pillar"],
        "title": rec["title"],
        "status": history.status_of(last) if last else DEFAULT,
        "key": rec["key"],
        "last_updated": history.date_of(last) if last else None,
        "due": rec.get("due"),
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

    def __init__(self, recs: list[dict], as_of: str):
        self.recs, self.as_of = recs, as_of

    def __len__(self) -> int:
        return len(self.recs)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [rec_row(rec, self.as_of) for rec in self.recs[index]]
        return rec_row(self.recs[index], self.as_of)


def select_rows(recs: list[dict], as_of: str, statuses: set[str] | None = None):
    """The list view's rows: every one at any of ``statuses``; without them, rows made as asked for."""
    if not statuses:
        return Rows(recs, as_of)
    return [row for row in Rows(recs, as_of)[:] if row["status"] in statuses]


def recommendation_detail(rec: dict, pillars: list[dict], as_of: str) -> dict:
    """The show view of a whole recommendation: every field, the pillar's name, the status and
    the ordered history."""
    row = _row(rec, history.latest(history.skeletons(rec["history"]), as_of))
    pillar_name = next((p["name"] for p in pillars if p["id"] == rec["pillar"]), rec["pillar"])
    return {**{k: v for k, v in rec.items() if k != "history"}, "due": rec.get("due"),
            "pillar_name": pillar_name, "status": row["status"], "last_updated": row["last_updated"],
            "history": history.ordered(rec["history"])}


def build_report(brief: dict, pillars: list[dict], recs: list[dict], as_of: dt.date,
                 since: dt.date | None = None, compare: dt.date | None = None, notes=None) -> dict:
    """The report as of a date, from the recommendations' history skeletons.

    ``notes``: ``(recommendation id, event id) pairs -> (event id, {note, evidence}) pairs``,
    asked once for the few changes the report lists (their events carry none).
    """
    day = as_of.isoformat()
    # Each history read once for the present: the rows and the attention list share it.
    steps = [history.last_transition(r["history"], day) for r in recs]
    rows = [_row(r, last) for r, (_, last) in zip(recs, steps, strict=True)]
    report = {
        "brief": brief,
        "as_of": as_of.isoformat(),
        "rule": SCORE_RULE,
        "overall": summarize([row["status"] for row in rows]),
        "pillars": pillar_summaries(pillars, rows),
        "key": [_brief_row(row) for row in rows if row["key"]],
        "recent": recent_changes(recs, as_of),
        "attention": needs_attention(recs, as_of, steps),
    }
    between = changes_between(recs, since, as_of) if since is not None else []
    if notes is not None:
        found = dict(notes([(c["id"], c["event"]) for c in report["recent"] + between]))
        for change in report["recent"] + between:
            change.update(found[change["event"]])
    if since is not None:
        report["changes_since"] = changes_since(between, since)
    if compare is not None:
        report["compare"] = comparison(pillars, recs, compare, as_of)
    return report


def pillar_summaries(pillars: list[dict], rows: list[dict]) -> list[dict]:
    by_pillar: dict[str, list[str]] = {p["id"]: [] for p in pillars}
    for row in rows:
        by_pillar.setdefault(row["pillar"], []).append(row["status"])
    return [{"id": p["id"], "name": p["name"], **summarize(by_pillar[p["id"]])}
            for p in pillars if by_pillar[p["id"]]]


def _brief_row(row: dict) -> dict:
    return {k: row[k] for k in ("id", "pillar", "title", "status", "last_updated")}


def recent_changes(recs: list[dict], as_of: dt.date, days: int = RECENT_DAYS) -> list[dict]:
    return changes_between(recs, as_of - dt.timedelta(days=days - 1), as_of)


def changes_between(recs: list[dict], start: dt.date, end: dt.date) -> list[dict]:
    """Every status change dated from ``start`` to ``end`` inclusive, newest first."""
    first, last = start.isoformat(), end.isoformat()
    changes = [_change(rec, before, event)
               for rec in recs
               for before, event in history.transitions_between(rec["history"], first, last)]
    changes.sort(key=lambda c: (c["date"], c["recorded_at"], c["event"]), reverse=True)
    return changes


def changes_since(changes: list[dict], since: dt.date) -> dict:
    """What moved from ``since`` (inclusive) to the as-of date: up, down, and new evidence."""
    return {
        "since": since.isoformat(),
        "upgrades": [c for c in changes if score(c["to"]) > score(c["from"])],
        "downgrades": [c for c in changes if c["downgrade"]],
        "other": [c for c in changes if score(c["to"]) == score(c["from"])],
        "new_evidence": [c for c in changes if c["evidence"]],
    }


def comparison(pillars: list[dict], recs: list[dict], then: dt.date, now: dt.date) -> dict:
    """Progress per pillar at two dates, and what lost `implemented` between them."""
    rows_then = [rec_row(r, then.isoformat()) for r in recs]
    rows_now = [rec_row(r, now.isoformat()) for r in recs]
    before = {p["id"]: p for p in pillar_summaries(pillars, rows_then)}
    after = pillar_summaries(pillars, rows_now)
    return {
        "then": then.isoformat(),
        "now": now.isoformat(),
        "overall": _delta(summarize([r["status"] for r in rows_then]), summarize([r["status"] for r in rows_now])),
        "pillars": [{"id": p["id"], "name": p["name"], **_delta(before[p["id"]], p)} for p in after],
        "lost_implemented": [
            {"id": old["id"], "title": old["title"], "status_then": old["status"], "status_now": new["status"]}
            for old, new in zip(rows_then, rows_now, strict=True)
            if old["status"] == "implemented" and new["status"] != "implemented"],
    }


def _delta(then: dict, now: dict) -> dict:
    return {"then": then["progress"], "now": now["progress"], "change": round(now["progress"] - then["progress"], 4),
            "implemented_then": then["implemented"], "implemented_now": now["implemented"]}


def _change(rec: dict, before: str, skel: str) -> dict:
    """A change as the report lists it; ``note`` and ``evidence`` are filled in by ``build_report``."""
    event = history.parts(skel)
    return {
        "date": event["date"], "recorded_at": event["recorded_at"], "id": rec["id"],
        "title": rec["title"], "from": before, "to": event["to"],
        "downgrade": is_downgrade(before, event["to"]),
        "note": "", "evidence": [], "event": event["id"],
    }


def needs_attention(recs: list[dict], as_of: dt.date, steps: list[tuple] | None = None) -> list[dict]:
    """Stalled, downgraded (its latest change lowered its score), stale, or overdue.

    ``steps``: each recommendation's (status before, latest event), when known.
    """
    day = as_of.isoformat()
    stale_day = stale_before(as_of)
    if steps is None:
        steps = [history.last_transition(rec["history"], day) for rec in recs]
    flagged = []
    for rec, (before, last) in zip(recs, steps, strict=True):
        reasons = _attention_reasons(rec, before, last, as_of, stale_day)
        if reasons:
            row = _row(rec, last)
            flagged.append({"id": rec["id"], "title": rec["title"], "status": row["status"],
                            "last_updated": row["last_updated"], "reasons": reasons})
    return flagged


def _attention_reasons(rec: dict, before: str, last: str | None, as_of: dt.date, stale_before: str) -> list[str]:
    reasons = []
    status = history.status_of(last) if last else DEFAULT
    when = history.date_of(last) if last else None
    if status == "stalled":
        reasons.append("stalled")
    if last and is_downgrade(before, status):
        reasons.append(f"downgraded from {before} on {when}")
    if is_stale(last, stale_before):
        idle = (as_of - dt.date.fromisoformat(when)).days
        reasons.append(f"not updated for {idle} days")
    if is_overdue(rec, status, as_of.isoformat()):
        reasons.append(f"overdue (due {rec['due']})")
    return reasons


def stale_before(as_of: dt.date) -> str:
    """The day before which a latest update makes a recommendation stale (see ``is_stale``)."""
    return (as_of - dt.timedelta(days=STALE_DAYS)).isoformat()


def is_stale(last: str | None, before: str) -> bool:
    """"Not updated for N days": work under way (an open status) whose latest event, ``last`` (a
    skeleton), is dated before ``before`` (from ``stale_before``). The report's "Needs attention"
    and `list --stale` both ask this."""
    # ISO dates compare as strings: no parsing for the thousands that need nothing.
    return last is not None and history.status_of(last) in OPEN_STATUSES and history.date_of(last) < before


def is_overdue(rec: dict, status: str, day: str) -> bool:
    """Due before ``day`` (ISO) and still open: neither implemented nor abandoned."""
    due = rec.get("due")
    return bool(due) and due < day and status not in CLOSED_STATUSES


def flagged(recs: list[dict], as_of: dt.date, *, stale: bool = False, overdue: bool = False) -> list[dict]:
    """The recommendations that are stale (with ``stale``) and overdue (with ``overdue``) as of a date."""
    if not (stale or overdue):
        return recs
    day, before = as_of.isoformat(), stale_before(as_of)
    kept = []
    for rec in recs:
        last = history.latest(rec["history"], day)
        if stale and not is_stale(last, before):
            continue
        if overdue and not is_overdue(rec, history.status_of(last) if last else DEFAULT, day):
            continue
        kept.append(rec)
    return kept


def every_recommendation(recs: list[dict], as_of: dt.date, notes) -> list[dict]:
    """Every recommendation as of a date, with its latest note and evidence (the HTML report's table).

    The note is that of the latest change up to ``as_of`` with a note or evidence, ``note_date`` its
    date (it may be older than ``last_updated`` when the latest change came without a word).
    ``notes``: as for ``build_report``, asked once for every change up to ``as_of``; only the
    chosen note of each recommendation is kept.
    """
    day = as_of.isoformat()
    rows, where = [], {}
    for i, rec in enumerate(recs):
        upto = history.up_to(rec["history"], day)
        rows.append({**_row(rec, upto[-1] if upto else None), "note": "", "evidence": [], "note_date": None})
        where |= {history.id_of(skel): (i, n, history.date_of(skel)) for n, skel in enumerate(upto)}
    best: dict[int, int] = {}
    for event, body in notes([(recs[i]["id"], event) for event, (i, _, _) in where.items()]):
        i, n, when = where[event]
        if (body["note"] or body["evidence"]) and n >= best.get(i, -1):
            best[i] = n
            rows[i].update(note=body["note"], evidence=body["evidence"], note_date=when)
    return rows
