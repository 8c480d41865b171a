import datetime as dt

from alliance_cli.core import progress
from alliance_cli.core.history import skeleton
from alliance_cli.core.statuses import DEFAULT_SCALE
from alliance_cli.core.timeline import month_ends, monthly_progress
from scenario import AS_OF, build, record

PILLARS = [{"id": "A", "name": "Alpha"}, {"id": "B", "name": "Beta"}, {"id": "C", "name": "Empty"}]


def event(date: str, to: str, recorded_at: str = "2024-07-01T00:00:00.000000Z") -> str:
    """An event's skeleton, as the tracker's head holds it."""
    return skeleton({"id": date.replace("-", "") + "00", "date": date, "recorded_at": recorded_at,
                     "from": "not_assessed", "to": to})


def rec(rec_id: str, pillar: str, *history: str) -> dict:
    return {"id": rec_id, "pillar": pillar, "title": rec_id, "key": False, "history": sorted(history),
            "issued": "2000-01-01"}


def test_no_events_no_points():
    assert monthly_progress(PILLARS, [rec("A-1", "A")], dt.date(2024, 6, 30), DEFAULT_SCALE) == []


def test_events_after_as_of_are_not_history_yet():
    recs = [rec("A-1", "A", event("2024-08-01", "implemented"))]
    assert monthly_progress(PILLARS, recs, dt.date(2024, 6, 30), DEFAULT_SCALE) == []


def test_one_point_a_month_from_first_event_to_as_of():
    recs = [rec("A-1", "A", event("2023-11-20", "in_progress"), event("2024-01-05", "implemented")),
            rec("B-1", "B", event("2024-02-29", "partial"), event("2024-03-10", "stalled"))]
    points = monthly_progress(PILLARS, recs, dt.date(2024, 3, 9), DEFAULT_SCALE)
    assert [p["month"] for p in points] == ["2023-11", "2023-12", "2024-01", "2024-02", "2024-03"]
    assert [p["date"] for p in points] == ["2023-11-30", "2023-12-31", "2024-01-31", "2024-02-29", "2024-03-09"]
    # The empty pillar is left out, as in the report.
    assert [p["pillars"] for p in points] == [
        {"A": 0.25, "B": 0.0}, {"A": 0.25, "B": 0.0}, {"A": 1.0, "B": 0.0}, {"A": 1.0, "B": 0.5},
        {"A": 1.0, "B": 0.5}]  # B stalls on the 10th, after the as-of date
    assert [p["overall"] for p in points] == [0.125, 0.125, 0.5, 0.75, 0.75]


def test_back_dated_event_counts_from_its_own_date():
    recs = [rec("A-1", "A", event("2024-03-01", "implemented", "2024-03-01T00:00:00.000000Z"),
                event("2024-02-01", "partial", "2024-03-02T00:00:00.000000Z"))]
    points = monthly_progress(PILLARS[:1], recs, dt.date(2024, 3, 31), DEFAULT_SCALE)
    assert [(p["month"], p["overall"]) for p in points] == [("2024-02", 0.5), ("2024-03", 1.0)]


def test_month_ends_across_a_year():
    assert month_ends(dt.date(2023, 12, 15), dt.date(2024, 1, 1)) == [dt.date(2023, 12, 31), dt.date(2024, 1, 1)]
    assert month_ends(dt.date(2024, 5, 2), dt.date(2024, 5, 3)) == [dt.date(2024, 5, 3)]


def test_last_point_agrees_with_the_report(run, db):
    record(run)
    data = build(db)
    last, report = data["timeline"][-1], data["report"]
    assert last["date"] == AS_OF.isoformat()
    assert last["overall"] == report["overall"]["progress"]
    assert last["pillars"] == {p["id"]: p["progress"] for p in report["pillars"]}
    assert data["timeline"][0]["month"] == "2024-01"
    assert len(data["timeline"]) == 6
    # And a past point agrees with the report as of that day.
    state = data["state"]
    march = progress.build_report(state.brief, state.pillars, state.recommendations(), dt.date(2024, 3, 31),
                                  state.scale)
    assert data["timeline"][2]["overall"] == march["overall"]["progress"]
