"""The one set of rules: the fast checks agree with the calendar and with the slow ones."""

import datetime as dt
import re

import pytest

from alliance_cli.core import model
from alliance_cli.core.statuses import DEFAULT_SCALE


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
