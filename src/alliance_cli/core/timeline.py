"""Progress over time: one point a month, from the first recorded change to the as-of date.

Each point is the report's own score (``progress.summarize``) over the status
every recommendation had on that day, so a chart can never disagree with the
report for the same date.
"""

import calendar
import datetime as dt

from alliance_cli.core import history
from alliance_cli.core.progress import issued_by, summarize
from alliance_cli.core.statuses import Scale


def monthly_progress(pillars: list[dict], recs: list[dict], as_of: dt.date, scale: Scale) -> list[dict]:
    """``[{"month": "YYYY-MM", "date": ISO, "overall": float, "pillars": {id: float}}]``.

    A month's point is taken on its last day, the final month's on ``as_of``.
    Events dated after ``as_of`` are ignored; no event up to it gives ``[]``.
    Like the report, pillars without recommendations are left out, and each point counts only
    the recommendations issued by its day.
    """
    day = as_of.isoformat()
    dates = [skel[:10] for rec in recs for skel in rec["history"] if skel[:10] <= day]
    if not dates:
        return []
    by_pillar = {p["id"]: [r for r in recs if r["pillar"] == p["id"]] for p in pillars}
    by_pillar = {pid: members for pid, members in by_pillar.items() if members}
    return [_point(when, recs, by_pillar, scale) for when in month_ends(dt.date.fromisoformat(min(dates)), as_of)]


def month_ends(first: dt.date, as_of: dt.date) -> list[dt.date]:
    """The last day of each month from ``first``'s month to ``as_of``'s, the last one being ``as_of``."""
    ends = []
    year, month = first.year, first.month
    while (year, month) < (as_of.year, as_of.month):
        ends.append(dt.date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return [*ends, as_of]


def _point(when: dt.date, recs: list[dict], by_pillar: dict[str, list[dict]], scale: Scale) -> dict:
    day = when.isoformat()

    def progress_of(members: list[dict]) -> float:
        issued = issued_by(members, day)
        return summarize([history.status_at(r["history"], day, scale.start) for r in issued], scale)["progress"]

    return {"month": day[:7], "date": day, "overall": progress_of(recs),
            "pillars": {pid: progress_of(members) for pid, members in by_pillar.items()}}
