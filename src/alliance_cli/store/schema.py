"""The shape of a tracker's files, checked whole on every load.

A hand-edited, truncated or foreign file gives one line naming the file and
the path of the field (``tracker.json: recommendations.SEC-1.history[2].date:
…``), never a traceback later on. The rules are those of ``core.model``, so
what the store accepts is what the commands accept.
"""

from operator import itemgetter
from pathlib import Path

from alliance_cli.core.model import (
    DATE_LINES,
    ID_LINES,
    ID_MAX,
    NOTE_FIELDS,
    TITLE_MAX,
    FieldError,
    check_body_fields,
    check_fields,
    check_head_fields,
    check_id,
    check_list,
    check_note,
    check_review_days,
    check_scale,
    check_skeletons,
    check_text,
    skeleton_patterns,
)
from alliance_cli.core.statuses import DEFAULT_SCALE, Scale
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


# Schema 5 gave the tracker its own scale and review cycle, recommendations their issue
# date, events who said and who recorded them, journal entries an id and who recorded them.
SCALED = 5


def check_head(tables: dict, path: Path, version: int) -> None:
    """A head of ``version`` (3 on; older ones are upgraded after this check)."""
    try:
        check_fields(tables, "(top level)", (META, RECS, JOURNAL), (CONFLICTS,))
        pillar_ids = check_meta(tables[META], META, version)
        names = scale_of(tables[META]["1"]).names
        if not _all_look_right(tables[RECS], pillar_ids, names, version):
            _explain(tables[RECS], pillar_ids, names, version)
        check_journal(tables[JOURNAL], JOURNAL, version)
        check_conflicts(tables.get(CONFLICTS, {}), CONFLICTS)
    except FieldError as exc:
        raise _refuse(path, exc) from None


def scale_of(meta: dict) -> Scale:
    """The tracker's status scale (before schema 5, always the default one)."""
    return Scale.from_dicts(meta["statuses"]) if "statuses" in meta else DEFAULT_SCALE


def head_keys(version: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The required and optional fields of a recommendation in a head of ``version``."""
    required = ("id", "pillar", "title", "key", "seq", "body", "history") + (("issued",) if version >= SCALED else ())
    return required, ("due",)


def _all_look_right(recs: dict, pillar_ids: set[str], names: tuple[str, ...], version: int) -> bool:
    """Yes or no for every recommendation at once, the common case (every command pays for
    it), column by column at C speed: no Python step per recommendation. The rules are
    ``_explain``'s, which says which field is wrong when this says no."""
    keys, docs = list(recs), list(recs.values())
    required, optional = head_keys(version)
    shapes = {frozenset(required), frozenset(required + optional)}
    lines = skeleton_patterns(names)[1]
    try:
        if not ID_LINES.fullmatch("".join([key + "\n" for key in keys])) or max(map(len, keys), default=0) > ID_MAX:
            return False
        if not {type(doc) for doc in docs} <= {dict} or not set(map(frozenset, docs)) <= shapes:
            return False
        issued = [doc["issued"] for doc in docs] if version >= SCALED else []
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
                and all(map(lines.fullmatch, map("\n".join, histories)))
                and all(map(list.__eq__, map(sorted, map(set, histories)), histories))  # in order, each event once
                and _all_days(set(dues), future=True)
                and _all_days(set(issued), future=False)
                and (version < SCALED  # no event before its recommendation was issued
                     or all(not h or h[0] >= day for h, day in zip(histories, issued, strict=True))))
    except (TypeError, AttributeError):  # an unhashable pillar, a body or skeleton that is not a string
        return False


def _all_days(values: set[str], *, future: bool) -> bool:
    """Every one a calendar day from 1950 on (and not after today unless ``future``), at C speed."""
    import datetime as dt

    return bool(DATE_LINES.fullmatch("".join([value + "\n" for value in values]))
                and (future or max(values, default="") <= dt.date.today().isoformat()))


def _explain(recs: dict, pillar_ids: set[str], names: tuple[str, ...], version: int) -> None:
    """Raise for the first field that breaks a rule."""
    for key, rec in recs.items():
            where = f"{RECS}.{key}"
            check_fields(rec, where, *head_keys(version))
            check_head_fields(rec, where, pillar_ids)
            if rec["id"] != key:
                raise FieldError(f"{where}.id", f"{rec['id']!r} is filed under {key!r}")
            if type(rec["seq"]) is not int:
                raise FieldError(f"{where}.seq", "must be a whole number")
            if type(rec["body"]) is not str or not rec["body"].startswith(key + "@"):
                raise FieldError(f"{where}.body", f"must name a body of {key} ({key}@…)")
            check_skeletons(rec["history"], f"{where}.history", names)
            if rec["history"] and "issued" in rec and rec["history"][0] < rec["issued"]:
                raise FieldError(f"{where}.history[0]", f"dated before {key} was issued ({rec['issued']})")


def check_meta(table: dict, where: str, version: int) -> set[str]:
    """The meta table's one document; returns the pillar ids."""
    if list(table) != ["1"]:
        raise FieldError(where, "must hold exactly one document, numbered 1")
    scaled = ("statuses", "review_days") if version >= SCALED else ()
    meta = check_fields(table["1"], f"{where}.1", ("schema", "brief", "pillars", "created_at", *scaled),
                        ("migrations",))
    if scaled:
        check_scale(meta["statuses"], f"{where}.1.statuses")
        check_review_days(meta["review_days"], f"{where}.1.review_days")
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


def check_journal(table: dict, where: str, version: int) -> None:
    scaled = version >= SCALED
    ids = set()
    for key, entry in table.items():
        at = f"{where}.{key}"
        if not key.isdigit():
            raise FieldError(at, "journal entries are numbered")
        check_fields(entry, at, ("command", "at", "changes", *(("id", "recorded_by") if scaled else ())),
                     ("undoes", "undid"))
        check_text(entry["command"], f"{at}.command")
        check_text(entry["at"], f"{at}.at")
        if scaled:
            check_text(entry["recorded_by"], f"{at}.recorded_by")
            if type(entry["id"]) is not str or not entry["id"] or entry["id"] in ids:
                raise FieldError(f"{at}.id", "must be an id no other journal entry has")
            ids.add(entry["id"])
        if "undoes" in entry and type(entry["undoes"]) is not (str if scaled else int):
            raise FieldError(f"{at}.undoes", "must name a journal entry")
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


def check_bodies(tables: dict, path: Path, version: int) -> None:
    note_fields = NOTE_FIELDS if version >= SCALED else ("note", "evidence")
    try:
        check_fields(tables, "(top level)", (), (RECS, EVENTS, CONFLICTS))
        check_conflicts(tables.get(CONFLICTS, {}), CONFLICTS)
        for key, body in tables.get(RECS, {}).items():
            check_fields(body, f"{RECS}.{key}", ("text", "section", "actors", "initiatives", "sources"), ("quote",))
            check_body_fields(body, f"{RECS}.{key}")
        for key, note in tables.get(EVENTS, {}).items():
            check_fields(note, f"{EVENTS}.{key}", note_fields)
            check_note({"by": "", "recorded_by": "", **note}, f"{EVENTS}.{key}")
    except FieldError as exc:
        raise _refuse(path, exc) from None
