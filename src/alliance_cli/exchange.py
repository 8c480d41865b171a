"""Moving whole trackers: export, import (merge), and starting from a brief file.

An export is a brief file (``brief.validate_brief`` accepts it) whose
recommendations also carry their ``history`` and, for readers, their current
``status``. Import merges one into a tracker: recommendations are matched by
id (new ones added, changed fields updated), events by event id (never
duplicated, never dropped), so two analysts' copies combine in either order.
"""

import datetime as dt
import re

from alliance_cli import history
from alliance_cli.brief import BriefError, validate_brief
from alliance_cli.errors import InputError
from alliance_cli.statuses import NAMES
from alliance_cli.tracker import REC_KEYS, State, check_evidence_url

EVENT_KEYS = ("id", "date", "recorded_at", "from", "to", "note", "evidence")
EVENT_ID = re.compile(r"^[0-9a-f]{8,32}$")


def export_data(state: State, exported_at: str, *, recs: list[dict] | None = None) -> dict:
    return {
        "format": 1,
        "exported_at": exported_at,
        "brief": state.brief,
        "pillars": state.pillars,
        "recommendations": [_export_rec(rec) for rec in (state.recommendations() if recs is None else recs)],
    }


def export_parts(state: State, exported_at: str) -> list[bytes]:
    """Exactly ``store.dumps(export_data(...))``, as buffers made one recommendation at a time.

    Each history is parsed, written and let go: the export never holds every
    event of a large tracker as objects at once (issue #5: peak memory).
    """
    from alliance_cli import index, store

    recs = state.recommendations()
    placeholder = "@@alliance-recommendations@@"
    head = store.dumps({**export_data(state, exported_at, recs=[]), "recommendations": placeholder})
    before, after = head.split(b'"' + placeholder.encode() + b'"')
    if not recs:
        return [before, b"[]", after]
    parts = [before, b"[\n"]
    for i, rec in enumerate(recs):
        body = store.dumps(_export_rec(rec, index.events(rec["history"])))[:-1]  # without its newline
        parts += [b"    ", index.reindent(body, 4), b",\n" if i < len(recs) - 1 else b"\n"]
    parts += [b"  ]", after]
    return parts


def _export_rec(rec: dict, events: list[dict] | None = None) -> dict:
    out = {k: rec[k] for k in REC_KEYS if k in rec}
    out["status"] = history.status_at(rec["history"])
    out["history"] = history.ordered(rec["history"] if events is None else events)
    return out


def validate_export(data, source: str) -> None:
    """A brief file whose recommendations may carry ``status`` and ``history``."""
    if not isinstance(data, dict) or not isinstance(data.get("recommendations"), list):
        validate_brief(data, source)  # reports the shape problem with its path
    bare = {**data, "recommendations": [_strip(r) for r in data["recommendations"]]}
    bare.pop("exported_at", None)
    validate_brief(bare, source)
    for i, rec in enumerate(data["recommendations"]):
        events = rec.get("history", [])
        if not isinstance(events, list):
            raise BriefError(source, f"recommendations[{i}].history", "must be a list")
        for j, event in enumerate(events):
            _check_event(event, source, f"recommendations[{i}].history[{j}]")


def _strip(rec):
    return {k: v for k, v in rec.items() if k not in ("status", "history")} if isinstance(rec, dict) else rec


def _check_event(event, source: str, where: str) -> None:
    if not isinstance(event, dict) or set(event) != set(EVENT_KEYS):
        raise BriefError(source, where, f"an event has exactly the fields {', '.join(EVENT_KEYS)}")
    problems = {
        "id": isinstance(event["id"], str) and EVENT_ID.match(event["id"]),
        "date": isinstance(event["date"], str) and _is_iso_date(event["date"]),
        "recorded_at": isinstance(event["recorded_at"], str) and event["recorded_at"].endswith("Z"),
        "from": event["from"] in NAMES,
        "to": event["to"] in NAMES,
        "note": isinstance(event["note"], str),
        "evidence": isinstance(event["evidence"], list) and all(_is_url(u) for u in event["evidence"]),
    }
    for field, ok in problems.items():
        if not ok:
            raise BriefError(source, f"{where}.{field}", f"invalid value {event[field]!r}")


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _is_url(value) -> bool:
    try:
        return isinstance(value, str) and check_evidence_url(value) == value
    except InputError:
        return False


def seed_from_export(data: dict, now: str) -> dict:
    """The tables of a new tracker holding exactly what an export holds."""
    from alliance_cli.tracker import seed_tables

    tables = seed_tables(data, now)
    for doc, rec in zip(tables["recommendations"].values(), data["recommendations"], strict=True):
        doc["history"] = history.ordered(rec.get("history", []))
    return tables


def merge(state: State, data: dict) -> dict:
    """Merge an export into ``state``; returns counts of what changed."""
    counts = {"added": 0, "updated": 0, "events": 0, "pillars": 0}
    counts["pillars"] = state.add_pillars(data["pillars"])
    existing = {rec["id"]: rec for rec in state.recommendations()}
    for rec in data["recommendations"]:
        fields = {k: rec[k] for k in REC_KEYS if k in rec}
        current = existing.get(rec["id"])
        if current is None:
            state.add_recommendation(fields, history.ordered(rec.get("history", [])))
            counts["added"] += 1
            continue
        if state.edit_recommendation(current["id"], fields):
            counts["updated"] += 1
        counts["events"] += state.add_events(current["id"], rec.get("history", []))
    return counts


def load_json(raw: bytes, source: str) -> dict:
    import orjson

    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BriefError(source, "(file)", f"not valid UTF-8 JSON ({exc})") from None
