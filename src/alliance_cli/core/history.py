"""A recommendation's dated history of status changes.

An event records when a change happened (``date``, given by the user) and when
it was recorded (``recorded_at``). The status in force is that of the latest
event by ``date``, ties broken by ``recorded_at``: a back-dated event falls
into its right place without any event being rewritten. The event id breaks a
full tie, so the order is total: histories are stored in it, and two copies of
a tracker merged in either order give the same file.
"""

from collections.abc import Iterable

from alliance_cli.core.statuses import DEFAULT


def order_key(event: dict) -> tuple[str, str, str]:
    return (event["date"], event["recorded_at"], event["id"])


def ordered(history: Iterable[dict], as_of: str | None = None) -> list[dict]:
    """Events oldest first; with ``as_of`` (ISO date) only those dated up to it."""
    events = history if as_of is None else (e for e in history if e["date"] <= as_of)
    return sorted(events, key=order_key)


def latest(history: list[dict], as_of: str | None = None) -> dict | None:
    """The latest event as of a date."""
    events = history if as_of is None else [e for e in history if e["date"] <= as_of]
    return max(events, key=order_key, default=None)


def last_transition(history: list[dict], as_of: str | None = None) -> tuple[str, dict | None]:
    """(status before, latest event) as of a date; (not_assessed, None) with no event."""
    steps = transitions(history, as_of)
    return steps[-1] if steps else (DEFAULT, None)


def transitions_between(history: list[dict], start: str, end: str) -> list[tuple[str, dict]]:
    """Transitions dated from ``start`` to ``end`` inclusive, in order."""
    return [(before, e) for before, e in transitions(history, end) if e["date"] >= start]


def status_at(history: list[dict], as_of: str | None = None) -> str:
    event = latest(history, as_of)
    return event["to"] if event else DEFAULT


def transitions(history: list[dict], as_of: str | None = None) -> list[tuple[str, dict]]:
    """(status before, event) pairs in order, the 'before' taken from the order itself.

    An event's stored ``from`` is what the user saw when recording it; after a
    back-dated insert the sequence may say otherwise, and the sequence wins.
    """
    before = DEFAULT
    pairs = []
    for event in ordered(history, as_of):
        pairs.append((before, event))
        before = event["to"]
    return pairs

