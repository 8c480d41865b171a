"""Dates typed by users, and the clock.

Ambiguous numeric dates are read month first (12/31/2024 and 1/2/2024 is
January 2), as python-dateutil does by default; a date that only makes sense
day first (31/12/2024) is read that way. Write ISO dates (2024-12-31) to avoid
any doubt. A missing year means this year; a missing day means the 1st. A
bare number (``12``, ``2024``) names no month and is refused: dateutil would
read it as a day of January or as January 1st. Dates before 1950 are refused
as typos: the alliance dates from 1953.
"""

import datetime as dt

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


def parse_date(text: str, *, allow_future: bool = False, what: str = "date") -> dt.date:
    """Parse a user's date ('2024-01-11', 'Jan 11 2024', '11 January 2024')."""
    try:
        parsed = dt.date.fromisoformat(text.strip())
    except ValueError:
        parsed = _parse_free_form(text, what)
    if parsed < EARLIEST:
        raise InputError(f"{what} {text!r} is before {EARLIEST.year}: is it a typo?")
    if not allow_future and parsed > today():
        raise InputError(f"{what} {text!r} is in the future (today is {today().isoformat()})")
    return parsed


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

