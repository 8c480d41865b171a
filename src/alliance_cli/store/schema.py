"""The shape of a tracker's files, checked whole on every load.

A hand-edited, truncated or foreign file gives one line naming the file and
the path of the field (``tracker.json: recommendations.SEC-1.history[2].date:
…``), never a traceback later on. The rules are those of ``core.model``, so
what the store accepts is what the commands accept.
"""

from operator import itemgetter
from pathlib import Path

from alliance_cli.core.model import (
    ID_LINES,
    ID_MAX,
    SKELETON_LINES,
    TITLE_MAX,
    FieldError,
    check_body_fields,
    check_fields,
    check_head_fields,
    check_id,
    check_iso_date,
    check_list,
    check_note,
    check_skeletons,
    check_text,
)
from alliance_cli.errors import StoreError
from alliance_cli.store.layout import CONFLICTS, EVENTS, JOURNAL, META, RECS

BRIEF_FIELDS = ("id", "title", "author", "publisher", "published")
PILLAR_FIELDS = ("id", "name", "description")
# What each journal operation holds (besides "op"), as the code reads it.
OPERATIONS = {
    "add_event": ("rec", "event"), "add_rec": ("rec",), "set_fields": ("rec", "before", "after"),
    "set_meta": ("before", "after"), "remove_event": ("rec", "event"), "remove_rec": ("rec", "content"),
    "set_note": ("rec", "event", "before", "after"),
    "open_conflict": ("where", "key", "conflict"), "close_conflict": ("where", "key", "conflict"),
}
CONFLICT_FIELDS = ("id", "field", "base", "ours", "theirs")


def version_of(tables: dict, path: Path) -> int:
    """The schema version of a parsed tracker file; a newer one is refused here."""
    from alliance_cli.store.migrations import SCHEMA

    docs = list(tables.get(META, {}).values())
    version = docs[0].get("schema") if len(docs) == 1 and type(docs[0]) is dict else None
    if type(version) is not int or version < 1:
        raise StoreError(f"{path} is JSON but not an alliance tracker (no schema version): "
                         "point --db or ALLIANCE_DB at a tracker file")
    if version > SCHEMA:
        raise StoreError(f"{path} was written by a newer alliance (schema {version}; this one reads up to "
                         f"{SCHEMA}): upgrade alliance, or use the newer one")
    return version


def _refuse(path: Path, exc: FieldError):
    return StoreError(f"{path}: {exc.path}: {exc.problem}: fix it by hand or restore it from its .bak")


def check_head(tables: dict, path: Path) -> None:
    try:
        check_fields(tables, "(top level)", (META, RECS, JOURNAL), (CONFLICTS,))
        pillar_ids = check_meta(tables[META], META)
        if not _all_look_right(tables[RECS], pillar_ids):
            _explain(tables[RECS], pillar_ids)
        check_journal(tables[JOURNAL], JOURNAL)
        check_conflicts(tables.get(CONFLICTS, {}), CONFLICTS)
    except FieldError as exc:
        raise _refuse(path, exc) from None


_HEAD_KEYS = frozenset(("id", "pillar", "title", "key", "seq", "body", "history"))
_HEAD_KEYS_DUE = _HEAD_KEYS | {"due"}


def _all_look_right(recs: dict, pillar_ids: set[str]) -> bool:
    """Yes or no for every recommendation at once, the common case (every command pays for
    it), column by column at C speed: no Python step per recommendation. The rules are
    ``_explain``'s, which says which field is wrong when this says no."""
    keys, docs = list(recs), list(recs.values())
    try:
        if not ID_LINES.fullmatch("".join([key + "\n" for key in keys])) or max(map(len, keys), default=0) > ID_MAX:
            return False
        if not {type(doc) for doc in docs} <= {dict} or not set(map(frozenset, docs)) <= {_HEAD_KEYS, _HEAD_KEYS_DUE}:
            return False
        titles, histories = list(map(itemgetter("title"), docs)), list(map(itemgetter("history"), docs))
        dues = [doc["due"] for doc in docs if "due" in doc]
        return (list(map(itemgetter("id"), docs)) == keys
                and set(map(itemgetter("pillar"), docs)) <= pillar_ids
                and {type(v) for v in map(itemgetter("key"), docs)} <= {bool}
                and {type(v) for v in map(itemgetter("seq"), docs)} <= {int}
                and {type(t) for t in titles} <= {str}
                and max(map(len, titles), default=1) <= TITLE_MAX and min(map(len, map(str.strip, titles)), default=1)
                and all(map(str.startswith, map(itemgetter("body"), docs), map("{}@".format, keys)))
                and {type(h) for h in histories} <= {list}
                and all(map(SKELETON_LINES.fullmatch, map("\n".join, histories)))
                and all(map(list.__eq__, map(sorted, map(set, histories)), histories))  # in order, each event once
                and all(map(_is_due, dues)))
    except (TypeError, AttributeError):  # an unhashable pillar, a body or skeleton that is not a string
        return False


def _is_due(value) -> bool:
    try:
        check_iso_date(value, "due", allow_future=True)
    except FieldError:
        return False
    return True


def _explain(recs: dict, pillar_ids: set[str]) -> None:
    """Raise for the first field that breaks a rule."""
    for key, rec in recs.items():
            where = f"{RECS}.{key}"
            check_fields(rec, where, ("id", "pillar", "title", "key", "seq", "body", "history"), ("due",))
            check_head_fields(rec, where, pillar_ids)
            if rec["id"] != key:
                raise FieldError(f"{where}.id", f"{rec['id']!r} is filed under {key!r}")
            if type(rec["seq"]) is not int:
                raise FieldError(f"{where}.seq", "must be a whole number")
            if type(rec["body"]) is not str or not rec["body"].startswith(key + "@"):
                raise FieldError(f"{where}.body", f"must name a body of {key} ({key}@…)")
            check_skeletons(rec["history"], f"{where}.history")


def check_meta(table: dict, where: str) -> set[str]:
    """The meta table's one document; returns the pillar ids."""
    if list(table) != ["1"]:
        raise FieldError(where, "must hold exactly one document, numbered 1")
    meta = check_fields(table["1"], f"{where}.1", ("schema", "brief", "pillars", "created_at"), ("migrations",))
    brief = check_fields(meta["brief"], f"{where}.1.brief", BRIEF_FIELDS, ("url",))
    for name in brief:
        check_text(brief[name], f"{where}.1.brief.{name}")
    check_list(meta["pillars"], f"{where}.1.pillars", _check_pillar)
    check_text(meta["created_at"], f"{where}.1.created_at")
    check_list(meta.get("migrations", []), f"{where}.1.migrations",
               lambda m, w: check_fields(m, w, ("to", "at")))
    return {p["id"] for p in meta["pillars"]}


def _check_pillar(pillar, where: str) -> None:
    check_fields(pillar, where, PILLAR_FIELDS)
    check_id(pillar["id"], f"{where}.id")
    check_text(pillar["name"], f"{where}.name")
    check_text(pillar["description"], f"{where}.description")


def check_journal(table: dict, where: str) -> None:
    for key, entry in table.items():
        at = f"{where}.{key}"
        if not key.isdigit():
            raise FieldError(at, "journal entries are numbered")
        check_fields(entry, at, ("command", "at", "changes"), ("undoes", "undid"))
        check_text(entry["command"], f"{at}.command")
        check_text(entry["at"], f"{at}.at")
        if "undoes" in entry and type(entry["undoes"]) is not int:
            raise FieldError(f"{at}.undoes", "must be a journal entry's number")
        check_list(entry["changes"], f"{at}.changes", _check_change)


def _check_change(change, where: str) -> None:
    if type(change) is not dict or change.get("op") not in OPERATIONS:
        raise FieldError(f"{where}.op", f"must be one of {', '.join(OPERATIONS)}")
    check_fields(change, where, ("op", *OPERATIONS[change["op"]]))
    if change["op"] in ("open_conflict", "close_conflict"):
        check_text(change["where"], f"{where}.where")
        check_text(change["key"], f"{where}.key")
        _check_conflict(change["conflict"], f"{where}.conflict")
    for name in ("before", "after", "content"):
        if name in change and type(change[name]) is not dict:
            raise FieldError(f"{where}.{name}", "must be an object")
    for name in ("rec",):
        if name in change:
            check_text(change[name], f"{where}.{name}")
    if change["op"] == "add_event":
        check_text(change["event"], f"{where}.event")


def check_conflicts(table: dict, where: str) -> None:
    """Conflicts a merge recorded (``core.merge``): each filed under "ID FIELD"."""
    for key, record in table.items():
        _check_conflict(record, f"{where}.{key}")
        if key != f"{record['id']} {record['field']}":
            raise FieldError(f"{where}.{key}", f"a conflict on {record['id']} {record['field']} is filed under {key!r}")


def _check_conflict(record, where: str) -> None:
    check_fields(record, where, CONFLICT_FIELDS)
    check_text(record["id"], f"{where}.id", required=True)
    check_text(record["field"], f"{where}.field", required=True)


def check_bodies(tables: dict, path: Path) -> None:
    try:
        check_fields(tables, "(top level)", (), (RECS, EVENTS, CONFLICTS))
        check_conflicts(tables.get(CONFLICTS, {}), CONFLICTS)
        for key, body in tables.get(RECS, {}).items():
            check_fields(body, f"{RECS}.{key}", ("text", "section", "actors", "initiatives", "sources"), ("quote",))
            check_body_fields(body, f"{RECS}.{key}")
        for key, note in tables.get(EVENTS, {}).items():
            check_fields(note, f"{EVENTS}.{key}", ("note", "evidence"))
            check_note(note, f"{EVENTS}.{key}")
    except FieldError as exc:
        raise _refuse(path, exc) from None
