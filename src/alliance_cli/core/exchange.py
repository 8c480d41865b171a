"""Moving whole trackers: export, import (merge), and starting from a brief file.

An export is a brief file (``brief.validate_brief`` accepts it) whose
recommendations also carry their ``history`` and, for readers, their current
``status``. Import merges one into a tracker: recommendations are matched by
id (new ones added, changed fields updated), events by event id (never
duplicated, never dropped), so two analysts' copies combine in either order.
"""

from collections.abc import Iterable

from alliance_cli.core import history
from alliance_cli.core.brief import BriefError, issued_of, scale_of, validate_brief
from alliance_cli.core.model import REC_FIELDS
from alliance_cli.core.statuses import Scale
from alliance_cli.errors import InputError


def export_rec(rec: dict, start: str) -> dict:
    """A whole recommendation as an export holds it: its fields, its status and its history."""
    out = {k: rec[k] for k in REC_FIELDS if rec.get(k) is not None}
    out["status"] = history.status_at(history.skeletons(rec["history"]), None, start)
    out["history"] = history.ordered(rec["history"])
    return out


def export_data(brief: dict, pillars: list[dict], exported_at: str, recs: list[dict], scale: Scale,
                review_days: int) -> dict:
    return {"format": 1, "exported_at": exported_at, "brief": brief, "pillars": pillars,
            "statuses": scale.as_dicts(), "review_days": review_days,
            "recommendations": [export_rec(rec, scale.start) for rec in recs]}


def export_parts(brief: dict, pillars: list[dict], exported_at: str,
                 recs: Iterable[tuple[int, dict]], scale: Scale, review_days: int) -> list[bytes]:
    """Exactly the bytes of ``export_data`` (sorted keys, two-space indent), built one
    recommendation at a time from (position, whole recommendation) pairs in any order:
    only the serialised recommendations are held, never every event as objects."""
    import orjson

    options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
    placeholder = "@@alliance-recommendations@@"
    head = orjson.dumps({**export_data(brief, pillars, exported_at, [], scale, review_days),
                         "recommendations": placeholder}, option=options) + b"\n"
    before, after = head.split(b'"' + placeholder.encode() + b'"')
    # Inside the array each line gains four spaces; JSON strings hold no raw newline.
    serialised = sorted((position, orjson.dumps(export_rec(rec, scale.start), option=options)
                         .replace(b"\n", b"\n    "))
                        for position, rec in recs)
    if not serialised:
        return [before, b"[]", after]
    parts = [before, b"[\n    "]
    for _, body in serialised:  # as parts, never joined: a large export is held once, not twice
        parts += [body, b",\n    "]
    parts[-1] = b"\n  ]"
    return [*parts, after]


def validate_export(data, source: str) -> None:
    """A brief file whose recommendations may carry ``status`` and ``history``, by the same
    rules as every other way in (event ids, dates from 1950 to today, http(s) evidence)."""
    validate_brief(data, source, export=True)


def merge(state, data: dict) -> dict:
    """Merge an export into a tracker's writable state; returns counts of what changed.

    Both must speak the same status scale: a status means what its tracker's scale says."""
    if scale_of(data).names != state.scale.names:
        raise InputError(f"the file's status scale ({', '.join(scale_of(data).names)}) is not the tracker's "
                         f"({', '.join(state.scale.names)}): import needs the same statuses")
    counts = {"added": 0, "updated": 0, "events": 0, "pillars": 0}
    counts["pillars"] = state.add_pillars(data["pillars"])
    # Ids are the same whatever their case, here as everywhere: the tracker's spelling is kept.
    existing = {rec["id"].upper(): rec for rec in state.recommendations()}
    for rec in data["recommendations"]:
        fields = {k: rec[k] for k in REC_FIELDS if k in rec}
        current = existing.get(rec["id"].upper())
        if current is None:
            fields["issued"] = issued_of(rec, data["brief"]["published"])
            state.add_recommendation(fields, rec.get("history", []))
            counts["added"] += 1
            continue
        if state.edit_recommendation(current["id"], fields):
            counts["updated"] += 1
        counts["events"] += state.add_events(current["id"], rec.get("history", []))
    return counts


def merge_three_way(state, base: dict, data: dict) -> dict:
    """Merge an export into a tracker three ways, ``base`` being the export both started from
    (``core.merge``): what only the export changed is taken, what only the tracker changed
    stays, an event or recommendation one side removed stays removed, and a field both
    changed differently keeps ``base``'s value and is filed as a conflict. Returns counts."""
    from alliance_cli.core import merge

    counts = {"added": 0, "updated": 0, "removed": 0, "events": 0, "undone": 0, "pillars": 0, "conflicts": 0}
    ours = [whole for _, whole in state.iter_full()]
    merged, conflicts = merge.merge_whole(base["recommendations"], ours, data["recommendations"])
    meta, found = merge.merge_meta({"pillars": base["pillars"], "brief": base["brief"], "created_at": ""},
                                   {"pillars": state.pillars, "brief": state.brief, "created_at": ""},
                                   {"pillars": data["pillars"], "brief": data["brief"], "created_at": ""})
    conflicts += found
    meta = merge.keep_used_pillars(meta, merged, [state.meta, data, base])
    counts["pillars"] = len({p["id"] for p in meta["pillars"]} - {p["id"] for p in state.pillars})
    state.set_meta({"pillars": meta["pillars"], "brief": meta["brief"]})
    held = {rec["id"].upper(): rec for rec in ours}
    for key, rec in merged.items():
        if key not in held:
            state.add_recommendation({k: v for k, v in rec.items() if k != "history"}, rec["history"])
            counts["added"] += 1
            continue
        mine = held[key]
        fields = {k: rec.get(k) for k in {*rec, *mine} - {"id", "history"} if rec.get(k) != mine.get(k)}
        if fields and state.edit_recommendation(mine["id"], fields):
            counts["updated"] += 1
        wanted = {e["id"]: e for e in rec["history"]}
        for event in mine["history"]:
            if wanted.get(event["id"]) != event:
                state.remove_event(mine["id"], event["id"])
                counts["undone"] += event["id"] not in wanted
        have = {e["id"]: e for e in mine["history"]}
        counts["events"] += state.add_events(mine["id"], [e for e in rec["history"] if have.get(e["id"]) != e])
    for key, mine in held.items():
        if key not in merged:
            state.remove_recommendation(mine["id"])
            counts["removed"] += 1
    for record in conflicts:
        state.open_conflict("head", record)
    counts["conflicts"] = len(conflicts)
    return counts


def load_json(raw: bytes, source: str) -> dict:
    import orjson

    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BriefError(source, "(file)", f"not valid UTF-8 JSON ({exc})") from None
