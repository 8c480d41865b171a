"""The one set of rules: the fast checks agree with the calendar and with the slow ones."""

import datetime as dt
import json
import re

import pytest

from alliance_cli.core import model
from alliance_cli.core.statuses import DEFAULT_SCALE
from alliance_cli.errors import StoreError


def test_the_skeleton_date_pattern_is_the_calendar_from_1950():
    pattern = re.compile(model._DATE)
    day = dt.date(1940, 1, 1)
    while day.year < 2410:  # every day, leap years and centuries included
        assert bool(pattern.fullmatch(day.isoformat())) == (day.year >= 1950), day
        day += dt.timedelta(days=1)
    for year in range(1940, 2410):
        for month, mday in ((2, 29), (2, 30), (4, 31), (6, 31), (9, 31), (11, 31), (13, 1), (0, 1), (1, 0), (1, 32)):
            text = f"{year:04d}-{month:02d}-{mday:02d}"
            try:
                valid = dt.date(year, month, mday).year >= 1950
            except ValueError:
                valid = False
            assert bool(pattern.fullmatch(text)) == valid, text


@pytest.mark.parametrize("skel", [
    "2024-02-29 2024-03-01T00:00:00.000000Z 0123456789abcdef not_assessed partial",
    "2000-02-29 2024-03-01T00:00:00.000000Z 01234567 partial implemented",
])
def test_good_skeletons_pass_both_ways(skel):
    lines = model.skeleton_patterns(DEFAULT_SCALE.names)[1]
    assert lines.fullmatch(skel) and lines.fullmatch(skel + "\n" + skel)
    model.check_skeletons([skel], "h", DEFAULT_SCALE.names)


@pytest.mark.parametrize("skel", [
    "1900-02-29 2024-03-01T00:00:00.000000Z 0123456789abcdef not_assessed partial",
    "2023-02-29 2024-03-01T00:00:00.000000Z 0123456789abcdef not_assessed partial",
    "2024-01-01 2024-03-01T00:00:00Z 0123456789abcdef not_assessed partial",
    "2024-01-01 2024-03-01T00:00:00.000000Z 0123456789ABCDEF not_assessed partial",
    "2024-01-01 2024-03-01T00:00:00.000000Z 0123456789abcdef not_assessed done",
    "2024-01-01  2024-03-01T00:00:00.000000Z 0123456789abcdef not_assessed partial",
])
def test_bad_skeletons_fail_both_ways(skel):
    assert not model.skeleton_patterns(DEFAULT_SCALE.names)[1].fullmatch(skel)
    with pytest.raises(model.FieldError):
        model.check_skeletons([skel], "h", DEFAULT_SCALE.names)


@pytest.mark.parametrize("day", ["2024-02-29", "2023-02-29", "1950-01-01", "1949-12-31", "2024-13-01", "2024-1-01",
                                 "2100-02-29", "2000-02-29", "2024-04-31", "２０２４-01-01", "2024-01-01\n"])
def test_the_fast_date_check_agrees_with_the_slow_one(day):
    try:
        model.check_iso_date(day, "d", allow_future=True)
        valid = True
    except model.FieldError:
        valid = False
    assert bool(model.DATE_LINES.fullmatch(day + "\n")) == valid, day


def test_a_head_with_a_bad_issue_or_due_date_names_it(tmp_path):
    from alliance_cli.store import schema
    from alliance_cli.store.tracker import Tracker

    path = tmp_path / "t.json"
    Tracker(path).read()
    for field, value, problem in (("issued", "2024-02-30", "not an ISO date"), ("issued", "2999-01-01", "future"),
                                  ("due", "1949-12-31", "before 1950")):
        tables = json.loads(path.read_text())
        tables["recommendations"]["SEC-1"][field] = value
        with pytest.raises(StoreError) as refused:
            schema.check_head(tables, path, 5)
        assert f"recommendations.SEC-1.{field}: " in str(refused.value) and problem in str(refused.value)
