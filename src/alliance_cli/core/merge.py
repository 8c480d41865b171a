"""The three-way merge of trackers: what each side changed since their common ancestor.

Plain data in, plain data and conflicts out; the store reads and writes the files
(``store.merging``). Every rule is symmetric in the two sides, so a merge gives
the same result whichever side is "ours" (up to which side a conflict calls ours):

* a value changed on one side only takes that side's value (a removal included);
* the same value changed differently on both sides is a *conflict*: it keeps the
  common ancestor's value (or, when there is none, the smaller of the two by their
  JSON text) until someone settles it, and both values go into a conflict record;
* recommendations are matched by id, events by event id, pillars by id, journal
  entries by their content; an item added on both sides is kept once;
* an event removed on one side (an undo) and changed on the other stays removed:
  events are immutable evidence, and an undo is the only way one goes;
* a recommendation removed on one side and changed on the other is kept with the
  changes (its events the removing side undid stay undone), and the choice is a
  conflict (field ``recommendation``: ``removed`` or ``kept``).

A recommendation's head names its body by a key that changes with the body's
content. When both sides changed the body, the head and the body file are merged
by separate calls (git merges each file alone), so both derive the merged body's key
from the three keys alone (``merged_key``): the head names it, the body file holds
the field-by-field merge under it.

A conflict record is ``{"id", "field", "base", "ours", "theirs"}`` (``None`` for a
value that is absent), filed under ``"ID FIELD"``. ``id`` is a recommendation id
(its fields, ``recommendation``, ``event:EVENTID`` for an event's date, time and
statuses), ``pillar:ID`` (a pillar's fields), ``brief`` (the brief's fields),
``tracker`` (other tracker settings), or an event id (field ``note``: the note,
evidence and the rest of what people wrote about it, kept in the body files).
"""

import hashlib
import json

# The parts of a recommendation's head doc the merge handles apart from its fields.
_STRUCTURE = ("seq", "body", "history")


def order_key(value) -> str:
    """A total order on JSON values, for the deterministic choice between two."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def conflict(subject: str, field: str, base, ours, theirs) -> dict:
    return {"id": subject, "field": field, "base": base, "ours": ours, "theirs": theirs}


def key_of(record: dict) -> str:
    return f"{record['id']} {record['field']}"


def pick(base, ours, theirs) -> tuple[object, bool]:
    """(the merged value, whether it is a conflict). ``None`` is an absent value."""
    if ours == theirs:
        return ours, False
    if ours == base:
        return theirs, False
    if theirs == base:
        return ours, False
    return (base if base is not None else min(ours, theirs, key=order_key)), True


def pick_immutable(base, ours, theirs) -> tuple[object, bool]:
    """As ``pick``, for what is never edited (events): a removal on one side wins."""
    value, conflicted = pick(base, ours, theirs)
    if conflicted and (ours is None or theirs is None):
        return None, False
    return value, conflicted


def merge_fields(base: dict | None, ours: dict, theirs: dict, subject: str,
                 skip: tuple = ()) -> tuple[dict, list[dict]]:
    """Field by field; a field whose merged value is None is left out."""
    base = base or {}
    merged, conflicts = {}, []
    for name in sorted({*base, *ours, *theirs} - set(skip)):
        value, conflicted = pick(base.get(name), ours.get(name), theirs.get(name))
        if conflicted:
            conflicts.append(conflict(subject, name, base.get(name), ours.get(name), theirs.get(name)))
        if value is not None:
            merged[name] = value
    return merged, conflicts


def merged_key(rec_id: str, base: str | None, ours: str, theirs: str) -> str:
    """The key of the merge of three bodies of ``rec_id``, from their keys alone (sorted, so
    either side may be ours): what the head names and the body file holds."""
    low, high = sorted((ours, theirs))
    digest = hashlib.sha256(f"merge {base or ''} {low} {high}".encode()).hexdigest()[:12]
    return f"{rec_id}@{digest}"


def merge_keyed(base: dict, ours: dict, theirs: dict, merge_item) -> tuple[dict, list[dict]]:
    """Items matched by key: ``merge_item(key, b, o, t)`` (each possibly None) gives
    (item or None, conflicts) for a key changed on both sides."""
    merged, conflicts = {}, []
    for key in sorted({*base, *ours, *theirs}):
        b, o, t = base.get(key), ours.get(key), theirs.get(key)
        if o == t:
            item = o
        elif o == b:
            item = t
        elif t == b:
            item = o
        else:
            item, found = merge_item(key, b, o, t)
            conflicts += found
        if item is not None:
            merged[key] = item
    return merged, conflicts


# --- events ----------------------------------------------------------------------------

def merge_events(rec_id: str, base: dict, ours: dict, theirs: dict) -> tuple[dict, list[dict]]:
    """Events (or their skeletons) by event id: {event id: event}."""
    merged, conflicts = {}, []
    for event_id in sorted({*base, *ours, *theirs}):
        b, o, t = base.get(event_id), ours.get(event_id), theirs.get(event_id)
        value, conflicted = pick_immutable(b, o, t)
        if conflicted:
            conflicts.append(conflict(rec_id, f"event:{event_id}", b, o, t))
        if value is not None:
            merged[event_id] = value
    return merged, conflicts


def merge_notes(base: dict, ours: dict, theirs: dict) -> tuple[dict, list[dict]]:
    """What people wrote about each event (a body file's events), by event id."""
    merged, conflicts = {}, []
    for event_id in sorted({*base, *ours, *theirs}):
        b, o, t = base.get(event_id), ours.get(event_id), theirs.get(event_id)
        value, conflicted = pick_immutable(b, o, t)
        if conflicted:
            conflicts.append(conflict(event_id, "note", b, o, t))
        if value is not None:
            merged[event_id] = value
    return merged, conflicts


# --- the head: recommendations, meta, journal --------------------------------------------

def _skeleton_id(skel: str) -> str:
    return skel.split(" ", 3)[2]


def _as_removed(base: dict) -> dict:
    """A recommendation the side removed, as the merge sees it: its fields untouched, its events gone."""
    return {**base, "history": []}


def merge_head_rec(rec_id: str, base: dict | None, ours: dict | None,
                   theirs: dict | None) -> tuple[dict | None, list[dict]]:
    """One recommendation's head doc changed on both sides."""
    conflicts = []
    if ours is None or theirs is None:  # removed on one side, changed on the other: kept
        conflicts.append(conflict(rec_id, "recommendation", "kept", "removed" if ours is None else "kept",
                                  "removed" if theirs is None else "kept"))
        ours, theirs = ours or _as_removed(base), theirs or _as_removed(base)
    fields, found = merge_fields(base, ours, theirs, rec_id, skip=_STRUCTURE)
    conflicts += found
    b = base or {}
    body, both_changed = pick(b.get("body"), ours["body"], theirs["body"])
    if both_changed:  # not a conflict here: the body file's merge finds any
        body = merged_key(rec_id, b.get("body"), ours["body"], theirs["body"])
    events, found = merge_events(rec_id, *({_skeleton_id(s): s for s in doc.get("history", [])}
                                           for doc in (b, ours, theirs)))
    conflicts += found
    seq = min(ours["seq"], theirs["seq"]) if b.get("seq") is None else b["seq"]
    return {**fields, "seq": seq, "body": body, "history": sorted(events.values())}, conflicts


def merge_head_recs(base: dict, ours: dict, theirs: dict) -> tuple[dict, list[dict]]:
    recs, conflicts = merge_keyed(base, ours, theirs, merge_head_rec)
    return _renumber_new(recs, base), conflicts


def _renumber_new(recs: dict, base: dict) -> dict:
    """Each recommendation keeps its place (``seq``) in the brief's order; one added on each
    side may have taken the same number: the later one (by number, then id) goes last."""
    used = {rec["seq"] for rec_id, rec in recs.items() if rec_id in base}
    for rec_id in sorted((r for r in recs if r not in base), key=lambda r: (recs[r]["seq"], r)):
        if recs[rec_id]["seq"] in used:
            recs[rec_id] = {**recs[rec_id], "seq": max(used) + 1}
        used.add(recs[rec_id]["seq"])
    return recs


def merge_pillars(base: list | None, ours: list, theirs: list) -> tuple[list, list[dict]]:
    """Pillars by id, field by field; new ones after the common ones, in their sides' order."""
    by_id = [{p["id"]: p for p in side or []} for side in (base, ours, theirs)]

    def merge_pillar(pillar_id, b, o, t):
        if o is None or t is None:  # removed on one side, changed on the other: kept
            return o or t, []
        return merge_fields(b, o, t, f"pillar:{pillar_id}")

    merged, conflicts = merge_keyed(*by_id, merge_pillar)
    position = {}
    for side in (base or [], ours, theirs):
        for i, pillar in enumerate(side):
            position.setdefault(pillar["id"], (side is not base, i))
    return [merged[p] for p in sorted(merged, key=lambda p: (position[p], p))], conflicts


def merge_meta(base: dict | None, ours: dict, theirs: dict) -> tuple[dict, list[dict]]:
    """The tracker's meta document: the brief, the pillars, and the schema's bookkeeping."""
    b = base or {}
    pillars, conflicts = merge_pillars(b.get("pillars"), ours["pillars"], theirs["pillars"])
    brief, found = merge_fields(b.get("brief"), ours["brief"], theirs["brief"], "brief")
    conflicts += found
    meta = {"pillars": pillars, "brief": brief}
    migrations = {}
    for step in [*ours.get("migrations", []), *theirs.get("migrations", [])]:
        if step["to"] not in migrations or order_key(step) < order_key(migrations[step["to"]]):
            migrations[step["to"]] = step  # each side upgraded on its own: the first upgrade
    if migrations:
        meta["migrations"] = [migrations[to] for to in sorted(migrations)]
    meta["created_at"] = min(ours["created_at"], theirs["created_at"])
    rest, found = merge_fields(b, ours, theirs, "tracker", skip=("pillars", "brief", "migrations", "created_at"))
    return {**rest, **meta}, conflicts + found


def keep_used_pillars(meta: dict, recs: dict, sides: list[dict | None]) -> dict:
    """A pillar one side removed (an undone import) that a merged recommendation is in stays."""
    have = {p["id"] for p in meta["pillars"]}
    lacking = {rec["pillar"] for rec in recs.values()} - have
    if not lacking:
        return meta
    pillars = list(meta["pillars"])
    for side in sides:
        for pillar in (side or {}).get("pillars", []):
            if pillar["id"] in lacking:
                pillars.append(pillar)
                lacking.discard(pillar["id"])
    return {**meta, "pillars": pillars}


def _journal_identity(entry: dict) -> str:
    """What an entry is, the same in every copy (numbers and the number of the entry an undo
    undoes differ between copies; the time of the command to the microsecond does not)."""
    return order_key({k: v for k, v in entry.items() if k not in ("id", "undoes")})


def merge_journal(base: dict, ours: dict, theirs: dict) -> dict:
    """Journal entries ({number: entry}) of both sides, each once, renumbered in time order;
    an undo's ``undoes`` follows the entry it undoes to its new number."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    sides = []
    for table in (base, ours, theirs):
        ids = {number: _journal_identity(entry) for number, entry in table.items()}
        sides.append({ids[number]: {**entry, **({"undoes": ids.get(str(entry["undoes"]))}
                                                if "undoes" in entry else {})}
                      for number, entry in table.items()})
    b, o, t = sides

    def either(identity, base_entry, ours_entry, theirs_entry):
        return min(ours_entry or theirs_entry, theirs_entry or ours_entry, key=order_key), []

    merged, _ = merge_keyed(b, o, t, either)
    ordered = sorted(merged, key=lambda identity: (merged[identity]["at"], identity))
    numbers = {identity: i for i, identity in enumerate(ordered, start=1)}
    result = {}
    for identity in ordered:
        entry = dict(merged[identity])
        if "undoes" in entry:
            if entry["undoes"] in numbers:
                entry["undoes"] = numbers[entry["undoes"]]
            else:  # the entry it undid is gone from both copies: keep the undo, as a record
                entry.pop("undoes")
        result[str(numbers[identity])] = entry
    return result


def merge_conflict_tables(base: dict, ours: dict, theirs: dict, new: list[dict]) -> dict:
    """Conflicts still open on either side, and this merge's (which replace an older one on the same field)."""

    def either(key, b, o, t):
        return (min(o, t, key=order_key) if o and t else None), []

    merged, _ = merge_keyed(base, ours, theirs, either)
    merged.update({key_of(record): record for record in new})
    return merged


# --- body files ------------------------------------------------------------------------------

def _rec_of(body_key: str) -> str:
    return body_key.partition("@")[0]


def merge_bodies(base: dict, ours: dict, theirs: dict) -> tuple[dict, list[dict]]:
    """A body file's recommendations table ({body key: body}).

    Bodies are named by their content, so a key is the same body wherever it is: a key
    is kept if both sides have it or one added it. A key one side dropped goes, unless
    that side dropped the whole recommendation (the other side's head may keep it: see
    ``merge_head_rec``); the head then names no such entry, and the next write of the
    file removes it, as it removes what a killed write left. Where both sides replaced
    a recommendation's body, the field-by-field merge goes under ``merged_key``.
    """
    by_rec = [_group(side) for side in (base, ours, theirs)]
    merged, conflicts = {}, []
    for key in sorted({*base, *ours, *theirs}):
        in_base, in_ours, in_theirs = key in base, key in ours, key in theirs
        rec_id = _rec_of(key)
        if in_ours and in_theirs:
            merged[key] = pick(base.get(key), ours[key], theirs[key])[0]
        elif not in_base or (in_ours and rec_id not in by_rec[2]) or (in_theirs and rec_id not in by_rec[1]):
            # added on one side; or dropped by a side that dropped the whole recommendation
            merged[key] = ours.get(key) or theirs[key]
    for rec_id in sorted({*by_rec[1], *by_rec[2]}):
        b_keys, o_keys, t_keys = (group.get(rec_id, set()) for group in by_rec)
        triples = [(b, o, t) for b in (sorted(b_keys) or [None]) for o in sorted(o_keys - {b})
                   for t in sorted(t_keys - {b}) if o != t]
        for b, o, t in triples:
            body, found = merge_fields(base.get(b), ours[o], theirs[t], rec_id)
            merged[merged_key(rec_id, b, o, t)] = body
            conflicts += found
        if len(triples) == 1 and len(b_keys) <= 1 and len(o_keys) == len(t_keys) == 1:
            # the usual case: one body on each side, replaced by the merge
            merged.pop(triples[0][1], None)
            merged.pop(triples[0][2], None)
    return merged, conflicts


def _group(bodies: dict) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = {}
    for key in bodies:
        groups.setdefault(_rec_of(key), set()).add(key)
    return groups


# --- whole recommendations (exports) -------------------------------------------------------

def merge_whole_rec(rec_id: str, base: dict | None, ours: dict | None,
                    theirs: dict | None) -> tuple[dict | None, list[dict]]:
    """One whole recommendation (fields and full events, as an export holds it) changed on both sides."""
    conflicts = []
    if ours is None or theirs is None:
        conflicts.append(conflict(rec_id, "recommendation", "kept", "removed" if ours is None else "kept",
                                  "removed" if theirs is None else "kept"))
        ours, theirs = ours or _as_removed(base), theirs or _as_removed(base)
    fields, found = merge_fields(base, ours, theirs, rec_id, skip=("history", "status"))
    events, more = merge_events(rec_id, *({e["id"]: e for e in (doc or {}).get("history", [])}
                                          for doc in (base, ours, theirs)))
    return {**fields, "history": list(events.values())}, conflicts + found + more


def merge_whole(base: list[dict], ours: list[dict], theirs: list[dict]) -> tuple[dict, list[dict]]:
    """Whole recommendations by id: {id: recommendation} in ours' order then the new ones."""
    sides = [{rec["id"].upper(): {k: v for k, v in rec.items() if k != "status"} for rec in side}
             for side in (base, ours, theirs)]
    merged, conflicts = merge_keyed(*sides, lambda key, b, o, t: merge_whole_rec((o or t)["id"], b, o, t))
    return merged, conflicts


def kept_value(record: dict):
    """What a merge left in force for a conflict until it is settled (see ``pick``)."""
    if record["base"] is not None:
        return record["base"]
    return min(record["ours"], record["theirs"], key=order_key)


def label(record: dict) -> tuple[str, str]:
    """(ID, FIELD) as `alliance conflicts` lists a conflict and `conflicts resolve` takes it:
    a note's conflict under its recommendation (``rec``, when known) as ``note:EVENTID``."""
    if record["field"] == "note":
        return record.get("rec") or record["id"], f"note:{record['id']}"
    return record.get("rec") or record["id"], record["field"]
