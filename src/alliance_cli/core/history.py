"""A recommendation's dated history of status changes.

An event records when a change happened (``date``, given by the user) and when
it was recorded (``recorded_at``). The status in force is that of the latest
event by ``date``, ties broken by ``recorded_at``, then by the event id: a
back-dated event falls into its right place without any event being rewritten,
and two copies of a tracker merged in either order give the same history.

An event comes in two forms:

* whole, a dict (``id``, ``date``, ``recorded_at``, ``from``, ``to``, ``note``,
  ``evidence``), as `show` and `export` give it;
* its *skeleton*, one string ``"DATE RECORDED_AT ID FROM TO"``
  (``2024-01-30 2024-01-30T09:15:02.123456Z 04c63717c85f9580 not_assessed
  implemented``), as the tracker's head keeps it. Scores, order and every view
  over time need only the skeleton. Date and recorded_at have fixed widths, so
  the order of skeletons as strings *is* the order of events.

A ``history`` below is a list of skeletons in order, as the head keeps it (its
shape check refuses one out of order); so the latest event is the last one, and
an as-of date is found by bisection, not by a scan. ``start`` is the status
before any event: the tracker's scale says which (``Scale.start``).
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

SKELETON_FIELDS = ("date", "recorded_at", "id", "from", "to")
_AFTER_ANY_DAY = " \x7f"  # sorts after every skeleton of that date


def skeleton(event: dict) -> str:
    return f"{event['date']} {event['recorded_at']} {event['id']} {event['from']} {event['to']}"


def skeletons(events: Iterable[dict]) -> list[str]:
    """Whole events as a history (in order)."""
    return sorted(map(skeleton, events))


def parts(skel: str) -> dict:
    """A skeleton's fields, by name."""
    return dict(zip(SKELETON_FIELDS, skel.split(" "), strict=True))


def date_of(skel: str) -> str:
    return skel[:10]


def status_of(skel: str) -> str:
    return skel[skel.rindex(" ") + 1:]


def id_of(skel: str) -> str:
    return skel.split(" ", 3)[2]


def ordered(events: Iterable[dict]) -> list[dict]:
    """Whole events, oldest first."""
    return sorted(events, key=skeleton)


def _end(history: list[str], as_of: str | None) -> int:
    """How many events are dated up to ``as_of`` (all of them without one)."""
    return len(history) if as_of is None else bisect_right(history, as_of + _AFTER_ANY_DAY)


def up_to(history: list[str], as_of: str | None) -> list[str]:
    """The events dated up to ``as_of`` (all of them without one), in order."""
    return history[:_end(history, as_of)]


def latest(history: list[str], as_of: str | None = None) -> str | None:
    """The latest event's skeleton as of a date (ISO), or None."""
    end = _end(history, as_of)
    return history[end - 1] if end else None


def status_at(history: list[str], as_of: str | None, start: str) -> str:
    last = latest(history, as_of)
    return status_of(last) if last else start


def last_transition(history: list[str], as_of: str | None, start: str) -> tuple[str, str | None]:
    """(status before, latest skeleton) as of a date; (start, None) with no event."""
    end = _end(history, as_of)
    if not end:
        return start, None
    return (status_of(history[end - 2]) if end > 1 else start), history[end - 1]


def transitions(history: list[str], as_of: str | None, start: str) -> list[tuple[str, str]]:
    """(status before, skeleton) pairs in order, the 'before' taken from the order itself.

    An event's stored ``from`` is what the user saw when recording it; after a
    back-dated insert the sequence may say otherwise, and the sequence wins.
    """
    return transitions_between(history, "", as_of, start)


def transitions_between(history: list[str], first_day: str, end: str | None, start: str) -> list[tuple[str, str]]:
    """Transitions dated from ``first_day`` to ``end`` inclusive, in order."""
    first, stop = bisect_left(history, first_day), _end(history, end)
    before = status_of(history[first - 1]) if first else start
    pairs = []
    for skel in history[first:stop]:
        pairs.append((before, skel))
        before = status_of(skel)
    return pairs
