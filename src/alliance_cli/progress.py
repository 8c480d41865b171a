"""Progress scores and the report, as plain data (rendered by ``render``, dumped as JSON).

Everything is computed "as of" a date from the histories, so the same code
serves today's report and any past one.
"""

import datetime as dt

from alliance_cli import history
from alliance_cli.statuses import NAMES, SCORE_RULE, score

RECENT_DAYS = 30
STALE_DAYS = 180
# Statuses that say work is under way: only these go stale when left alone.
OPEN_STATUSES = ("no_action", "in_progress", "partial", "stalled")


def summarize(statuses: list[str]) -> dict:
    counts = {name: 0 for name in NAMES}
    for status in statuses:
        counts[status] += 1
    total = len(statuses)
    return {
        "progress": round(sum(score(s) for s in statuses) / total, 4) if total else 0.0,
        "implemented": counts["implemented"],
        "total": total,
        "by_status": counts,
    }


def rec_row(rec: dict, as_of: str) -> dict:
    """The list view of one recommendation as of a date."""
    last = history.latest(rec["history"], as_of)
    return {
        "id": rec["id"],
        "pillar": rec["pillar"],
        "title": rec["title"],
        "status": last["to"] if last else "not_assessed",
        "key": rec["key"],
        "last_updated": last["date"] if last else None,
        "due": rec.get("due"),
    }


def build_report(brief: dict, pillars: list[dict], recs: list[dict], as_of: dt.date) -> dict:
    day = as_of.isoformat()
    rows = [rec_row(r, day) for r in recs]
    by_pillar = {p["id"]: [] for p in pillars}
    for row in rows:
        by_pillar.setdefault(row["pillar"], []).append(row["status"])
    return {
        "brief": brief,
        "as_of": day,
        "rule": SCORE_RULE,
        "overall": summarize([row["status"] for row in rows]),
        "pillars": [{"id": p["id"], "name": p["name"], **summarize(by_pillar[p["id"]])}
                    for p in pillars if by_pillar[p["id"]]],
        "key": [_brief_row(row) for row in rows if row["key"]],
        "recent": recent_changes(recs, as_of),
        "attention": needs_attention(recs, as_of),
    }


def _brief_row(row: dict) -> dict:
    return {k: row[k] for k in ("id", "pillar", "title", "status", "last_updated")}


def recent_changes(recs: list[dict], as_of: dt.date, days: int = RECENT_DAYS) -> list[dict]:
    since = (as_of - dt.timedelta(days=days)).isoformat()
    changes = []
    for rec in recs:
        for before, event in history.transitions(rec["history"], as_of.isoformat()):
            if event["date"] > since:
                changes.append(_change(rec, before, event))
    changes.sort(key=lambda c: (c["date"], c["recorded_at"]), reverse=True)
    return changes


def _change(rec: dict, before: str, event: dict) -> dict:
    return {
        "date": event["date"], "recorded_at": event["recorded_at"], "id": rec["id"],
        "title": rec["title"], "from": before, "to": event["to"],
        "downgrade": score(event["to"]) < score(before),
        "note": event["note"], "evidence": event["evidence"], "event": event["id"],
    }


def needs_attention(recs: list[dict], as_of: dt.date) -> list[dict]:
    """Stalled, downgraded (its latest change lowered its score), or stale."""
    day = as_of.isoformat()
    stale_before = (as_of - dt.timedelta(days=STALE_DAYS)).isoformat()
    flagged = []
    for rec in recs:
        steps = history.transitions(rec["history"], day)
        if not steps:
            continue
        before, last = steps[-1]
        reasons = []
        if last["to"] == "stalled":
            reasons.append("stalled")
        if score(last["to"]) < score(before):
            reasons.append(f"downgraded from {before} on {last['date']}")
        if last["to"] in OPEN_STATUSES and last["date"] < stale_before:
            reasons.append(f"not updated for {(as_of - dt.date.fromisoformat(last['date'])).days} days")
        if reasons:
            flagged.append({"id": rec["id"], "title": rec["title"], "status": last["to"],
                            "last_updated": last["date"], "reasons": reasons})
    return flagged
