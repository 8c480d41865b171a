"""Merging a tracker's files three ways, as git's merge driver (``alliance merge-driver``).

Git merges each file of a tracker's layout on its own, and only those changed on
both sides: the head, and each body file (``layout``). ``merge_files`` reads the
three versions of one of them (the common ancestor, ours, theirs), checks each as a
load would, merges them with ``core.merge`` and writes the result, in the tracker's
canonical bytes, over ours; the conflicts it found are filed in the result's own
``conflicts`` table, where ``State.conflicts`` lists them.
"""

from pathlib import Path

from alliance_cli.core import merge
from alliance_cli.errors import InputError, StoreError
from alliance_cli.store import files, migrations, schema
from alliance_cli.store.layout import CONFLICTS, EVENTS, JOURNAL, META, RECS


def merge_files(base: Path, ours: Path, theirs: Path, name: str) -> list[dict]:
    """Merge the three versions of one tracker file into ``ours``; returns the conflicts found.

    Raises InputError (nothing written) for a file that is not a tracker file of a kind
    this alliance merges, or versions of two kinds.
    """
    tables = [_read(path, name, role) for path, role in ((base, "base"), (ours, "ours"), (theirs, "theirs"))]
    heads = {META in t for t in tables if t}
    if len(heads) > 1:
        raise InputError(f"cannot merge {name}: its versions are not all of one kind (tracker head or body file)")
    if heads == {True} and not (tables[1] and tables[2]):
        raise InputError(f"cannot merge {name}: {'ours' if not tables[1] else 'theirs'} is empty")
    merged, conflicts = (merge_head if heads == {True} else merge_body)(*tables, name)
    if merged != tables[1]:
        files.write_atomic(ours, files.canonical(merged))
    return conflicts


def _read(path: Path, name: str, role: str) -> dict:
    """A version's tables; an empty file is git's ancestor of a file added on both sides, or
    (given by whoever merges a body file one side removed, which git does not pass to a
    driver) a body file that holds nothing."""
    try:
        raw = files.read_file(path, follow=True)
    except StoreError as exc:
        raise InputError(str(exc)) from None
    if raw is None:
        raise InputError(f"cannot merge {name}: {path} ({role}) does not exist")
    if not raw.strip():
        return {}
    try:
        tables = files.parse(path, raw, "an alliance tracker or body file")
        if META in tables:
            version = schema.version_of(tables, path)
            if version < migrations.SPLIT:
                raise StoreError(f"{path} is a single-file tracker (schema {version}): upgrade it first")
            if role != "base" or version == migrations.SCHEMA:
                # An ancestor from before both sides upgraded is merged as it is: what the
                # upgrade changed, it changed alike on both sides.
                schema.check_head(tables, path, version)
                _check_event_ids(tables[RECS], path)
        else:
            _check_bodies(tables, path, role)
    except StoreError as exc:
        raise InputError(f"cannot merge {name} ({role}): {exc}") from None
    return tables


def _check_bodies(tables: dict, path: Path, role: str) -> None:
    """A body file of this schema; an ancestor's may be of the one before (see ``_read``)."""
    try:
        schema.check_bodies(tables, path, migrations.SCHEMA)
    except StoreError:
        if role != "base":
            raise
        schema.check_bodies(tables, path, migrations.SCHEMA - 1)


def _check_event_ids(recs: dict, path: Path) -> None:
    """Each event id once in a history: the merge matches events by id. (A load checks that
    no skeleton is there twice; two skeletons of one id it leaves to this.)"""
    for rec_id, rec in recs.items():
        ids = [skel.split(" ", 3)[2] for skel in rec["history"]]
        if len(set(ids)) != len(ids):
            twice = min(i for i in ids if ids.count(i) > 1)
            raise StoreError(f"{path}: {RECS}.{rec_id}.history: event id {twice} appears twice")


def merge_head(base: dict, ours: dict, theirs: dict, name: str) -> tuple[dict, list[dict]]:
    versions = [t[META]["1"]["schema"] for t in (ours, theirs)]
    if versions[0] != versions[1] or versions[0] != migrations.SCHEMA:
        raise InputError(f"cannot merge {name}: ours is schema {versions[0]} and theirs schema {versions[1]}, "
                         f"this alliance merges schema {migrations.SCHEMA}: run a writing alliance command "
                         "on each side first, with the same alliance")
    if ours == theirs or theirs == base:
        return ours, []
    if ours == base:
        return theirs, []
    b_meta = base.get(META, {}).get("1")
    meta, conflicts = merge.merge_meta(b_meta, ours[META]["1"], theirs[META]["1"])
    recs, found = merge.merge_head_recs(base.get(RECS, {}), ours[RECS], theirs[RECS])
    conflicts += found
    meta = merge.keep_used_pillars(meta, recs, [ours[META]["1"], theirs[META]["1"], b_meta])
    journal = merge.merge_journal(base.get(JOURNAL, {}), ours[JOURNAL], theirs[JOURNAL])
    merged = {META: {"1": meta}, RECS: recs, JOURNAL: journal}
    table = merge.merge_conflict_tables(base.get(CONFLICTS, {}), ours.get(CONFLICTS, {}),
                                        theirs.get(CONFLICTS, {}), conflicts)
    if table:
        merged[CONFLICTS] = table
    try:
        schema.check_head(merged, Path(name), migrations.SCHEMA)
    except StoreError as exc:  # e.g. a hand-edited side that no rule of the merge expects
        raise InputError(f"cannot merge {name}: the merge would not load: {exc}") from None
    return merged, conflicts


def merge_body(base: dict, ours: dict, theirs: dict, name: str) -> tuple[dict, list[dict]]:
    if ours == theirs or theirs == base:
        return ours, []
    if ours == base:
        return theirs, []
    bodies, conflicts = merge.merge_bodies(base.get(RECS, {}), ours.get(RECS, {}), theirs.get(RECS, {}))
    notes, found = merge.merge_notes(base.get(EVENTS, {}), ours.get(EVENTS, {}), theirs.get(EVENTS, {}))
    conflicts += found
    table = merge.merge_conflict_tables(base.get(CONFLICTS, {}), ours.get(CONFLICTS, {}),
                                        theirs.get(CONFLICTS, {}), conflicts)
    merged = {name_: entries for name_, entries in ((RECS, bodies), (EVENTS, notes), (CONFLICTS, table))
              if entries}
    try:
        schema.check_bodies(merged, Path(name), migrations.SCHEMA)
    except StoreError as exc:
        raise InputError(f"cannot merge {name}: the merge would not load: {exc}") from None
    return merged, conflicts


# --- settling a conflict -----------------------------------------------------------------

def find_conflict(state, subject: str, field: str) -> dict:
    """The open conflict on FIELD of ID (a recommendation in any case, ``brief``, ``pillar:ID``…)."""
    open_ = state.conflicts()
    wanted = (subject.strip().upper(), field.strip())
    for record in open_:
        shown_id, shown_field = merge.label(record)
        if wanted in ((shown_id.upper(), shown_field), (record["id"].upper(), record["field"])):
            return record
    if not open_:
        raise InputError("there is no open conflict in this tracker")
    listed = ", ".join(" ".join(merge.label(c)) for c in open_[:5])
    raise InputError(f"no open conflict on {subject} {field}: open ones are {listed}"
                     + (" …" if len(open_) > 5 else ""))


def settle(state, record: dict, value) -> None:
    """Give the conflict's field ``value`` (one side's, or one typed) and close the conflict, as one
    journaled change (so `undo` reopens it)."""
    subject, field = record["id"], record["field"]
    if field == "recommendation":
        if value == "removed" and record["rec"] is not None:
            state.remove_recommendation(record["rec"])
    elif field.startswith("event:"):
        _settle_event(state, _owner(record), field.removeprefix("event:"), value)
    elif field == "note":
        state.set_note(_owner(record), subject, value)
    elif subject == "brief":
        state.set_meta({"brief": _with(state.brief, field, value)})
    elif subject.startswith("pillar:"):
        pillar_id = subject.removeprefix("pillar:")
        state.set_meta({"pillars": [_with(p, field, value) if p["id"] == pillar_id else p for p in state.pillars]})
    elif subject == "tracker":
        state.set_meta({field: value})
    else:
        state.edit_recommendation(_owner(record), {field: value})
    state.close_conflict(record["where"], record["key"])


def _owner(record: dict) -> str:
    if record["rec"] is None:
        raise InputError(f"the conflict on {record['id']} {record['field']} is about a recommendation or event "
                         "no longer in this tracker: settle it with --ours or --theirs of another, or leave it")
    return record["rec"]


def _with(doc: dict, field: str, value) -> dict:
    return {k: v for k, v in {**doc, field: value}.items() if v is not None}


def _settle_event(state, rec_id: str, event_id: str, value) -> None:
    """An event is one of two versions (a skeleton from a head, or a whole event from an export)."""
    from alliance_cli.core import history

    rec = state.get(rec_id)
    current = next((e for e in state.full(rec)["history"] if e["id"] == event_id), None)
    if value is None:
        if current is not None:
            state.remove_event(rec_id, event_id)
        return
    wanted = history.parts(value) if isinstance(value, str) else value
    if isinstance(value, str):  # a head's version: what people wrote about it stays
        wanted = {**wanted, **{k: v for k, v in (current or {}).items() if k not in wanted}}
        wanted.setdefault("note", "")
        wanted.setdefault("evidence", [])
    if current == wanted:
        return
    if current is not None:
        state.remove_event(rec_id, event_id)
    state.add_events(rec_id, [wanted])
