"""A recommendation's dated history of status changes.

An event records when a change happened (``date``, given by the user) and when
it was recorded (``recorded_at``). The status in force is that of the latest
event by ``date``, ties broken by ``recorded_at``: a back-dated event falls
into its right place without any event being rewritten.
"""

from collections.abc import Iterable

from alliance_cli.statuses import DEFAULT, is_downgrade


def order_key(event: dict) -> tuple[str, str]:
    return (event["date"], event["recorded_at"])


def ordered(history: Iterable[dict], as_of: str | None = None) -> list[dict]:
    """Events oldest first; with ``as_of`` (ISO date) only those dated up to it."""
    events = history if as_of is None else (e for e in history if e["date"] <= as_of)
    return sorted(events, key=order_key)


def latest(history: list[dict], as_of: str | None = None) -> dict | None:
    # The last of ``ordered`` rather than max(): on a full tie the sort is
    # stable, so the event recorded later in the list wins in both.
    events = ordered(history, as_of)
    return events[-1] if events else None


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


def downgrades(history: list[dict], as_of: str | None = None) -> list[tuple[str, dict]]:
    return [(before, e) for before, e in transitions(history, as_of) if is_downgrade(before, e["to"])]
