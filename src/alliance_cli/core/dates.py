"""Dates typed by users, and the clock.

Ambiguous numeric dates are read month first (12/31/2024 and 1/2/2024 is
January 2), as python-dateutil does by default; a date that only makes sense
day first (31/12/2024) is read that way. Write ISO dates (2024-12-31) to avoid
any doubt. A missing year means this year; a missing day means the 1st. A
bare number (``12``, ``2024``) names no month and is refused: dateutil would
read it as a day of January or as January 1st. Dates before 1950 are refused
as typos: the alliance dates from 1953.

Relative dates count back from today, in any case: ``today``, ``yesterday``,
``N days ago`` and ``N weeks ago`` (``1 day ago``, ``0 days ago`` is today). A
negative count is refused (that would be the future: give the date), and so is a
count that reaches back before 1950.
"""

import datetime as dt
import re

from alliance_cli.errors import InputError


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def export_time() -> str:
    """When an export was made; SOURCE_DATE_EPOCH pins it, for reproducible exports."""
    import os

    pinned = os.environ.get("SOURCE_DATE_EPOCH")
    if pinned and pinned.strip().isdigit():
        return timestamp(dt.datetime.fromtimestamp(int(pinned), dt.UTC))
    return now_stamp()


def now_stamp() -> str:
    """This moment as a UTC timestamp: when a change was recorded."""
    return timestamp(utc_now())


def today() -> dt.date:
    return dt.date.today()


def timestamp(moment: dt.datetime) -> str:
    """UTC timestamp with microseconds, so two commands in one second still order."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


EARLIEST = dt.date(1950, 1, 1)


_RELATIVE = re.compile(r"(?:(today)|(yesterday)|([+-]?[0-9]+) +(day|week)s? +ago)", re.IGNORECASE)


def parse_date(text: str, *, allow_future: bool = False, what: str = "date") -> dt.date:
    """Parse a user's date ('2024-01-11', 'Jan 11 2024', '11 January 2024', 'yesterday', '3 days ago')."""
    try:
        parsed = dt.date.fromisoformat(text.strip())
    except ValueError:
        relative = _RELATIVE.fullmatch(" ".join(text.split()))
        parsed = _parse_relative(relative, text, what) if relative else _parse_free_form(text, what)
    if parsed < EARLIEST:
        raise InputError(f"{what} {text!r} is before {EARLIEST.year}: is it a typo?")
    if not allow_future and parsed > today():
        raise InputError(f"{what} {text!r} is in the future (today is {today().isoformat()})")
    return parsed


def _parse_relative(match: re.Match, text: str, what: str) -> dt.date:
    if match[1]:
        return today()
    if match[2]:
        return today() - dt.timedelta(days=1)
    if len(match[3].lstrip("+-")) > 6:  # a million days is already before 1950; int() of more is slow or refused
        raise InputError(f"{what} {text!r} is before {EARLIEST.year}: is it a typo?")
    count = int(match[3])
    if count < 0:
        raise InputError(f"{what} {text!r} counts back a negative number of {match[4]}s: give the date itself")
    days = count * (7 if match[4].lower() == "week" else 1)
    if days > (today() - EARLIEST).days:  # also keeps timedelta from overflowing on 10**20 days
        raise InputError(f"{what} {text!r} is before {EARLIEST.year}: is it a typo?")
    return today() - dt.timedelta(days=days)


def _parse_free_form(text: str, what: str) -> dt.date:
    bare = text.strip()
    if bare.isdigit() and len(bare) != 8:  # 20240111 is a whole date; 12 or 2024 is not
        raise InputError(f"{what} {text!r} names no month: use YYYY-MM-DD, e.g. 2024-01-11")
    from dateutil import parser  # heavy import: only when a free-form date is given

    # Without a default dateutil borrows today's day for a missing day, so
    # "March 2024" would depend on when you typed it.
    default = dt.datetime(today().year, 1, 1)
    try:
        return parser.parse(text, default=default).date()
    except (ValueError, OverflowError, parser.ParserError) as exc:
        raise InputError(f"cannot read {what} {text!r}: use YYYY-MM-DD, e.g. 2024-01-11") from exc

