"""Schema versions of a tracker, and the ordered steps between them.

Each migration is a small function that upgrades the tables of a tracker by one
version, in memory; applying it is recorded in the meta document. Before a
writing command commits an upgraded tracker, the original file is kept as
``<file>.bak-v<N>``; a read-only command upgrades in memory only, and a refused
command writes nothing, backups included. A tracker from a newer version is
refused (``schema.version_of``), never "upgraded down".

Versions 1 and 2 were one file; from version 3 on a tracker is a head and its
bodies (``layout``). The steps up to 3 work on that one file's tables; the steps
after it on the whole tracker (META, JOURNAL, and RECS as a list of whole
recommendations in the brief's order). A step may return a notice: what the
user should be told, once, when the upgraded tracker is first saved.
"""

from collections.abc import Callable
from pathlib import Path

from alliance_cli.core.model import REC_FIELDS, FieldError, check_recommendation, with_who
from alliance_cli.errors import StoreError
from alliance_cli.store import schema
from alliance_cli.store.layout import CONFLICTS, JOURNAL, META, RECS

SHIPPED_ID = "us-rok-2024"
PREVIOUS_EDITION = "previous/us-rok-2024-edition-1.json"


def _v2_add_journal(tables: dict) -> None:
    """v2: a journal of every writing command, so that `undo` can revert one."""
    tables.setdefault(JOURNAL, {})


def _v3_recommendations_in_order(tables: dict) -> None:
    """v3: recommendations as a list in the brief's order (the single file numbered them),
    ready to be split into a head and bodies."""
    numbered = tables.get(RECS, {})
    if any(not key.isdigit() for key in numbered):
        raise FieldError(RECS, "documents of a schema 1 or 2 tracker are numbered")
    tables[RECS] = [numbered[key] for key in sorted(numbered, key=int)]


def _v4_second_edition_of_the_shipped_brief(tables: dict) -> str | None:
    """v4: the shipped brief's second edition, for a tracker of the shipped brief.

    Three bundled recommendations were split (ECON-5, ECON-6 and ECON-7 are new,
    not assessed), each recommendation quotes the brief, and sources follow the
    passage the brief footnotes with them. A field the user changed is kept: only
    a value still as the first edition shipped it takes the second edition's.
    """
    if tables[META]["1"]["brief"]["id"] != SHIPPED_ID:
        return None
    from alliance_cli.core.brief import load_brief, shipped_brief_path

    second = load_brief(shipped_brief_path())
    first = {r["id"]: r for r in load_brief(shipped_brief_path().parent / PREVIOUS_EDITION)["recommendations"]}
    recs = tables[RECS]
    held = {rec["id"].upper() for rec in recs}
    for rec in recs:
        old, new = first.get(rec["id"]), next((r for r in second["recommendations"] if r["id"] == rec["id"]), None)
        for field in REC_FIELDS if old and new else ():
            if rec.get(field) == old.get(field) and new.get(field) != old.get(field):
                rec[field] = new[field]
                if field not in new:
                    rec.pop(field)
    added = [r for r in second["recommendations"] if r["id"].upper() not in held]
    for new in added:  # after the last of its pillar, as a new tracker would order them
        place = max((i + 1 for i, rec in enumerate(recs) if rec["pillar"] == new["pillar"]), default=len(recs))
        recs.insert(place, {**new, "history": []})
    if not added:
        return None
    return (f"the shipped brief's second edition splits three bundled recommendations: added "
            f"{', '.join(r['id'] for r in added)} to this tracker, not assessed")


def _v5_scale_issue_dates_and_who(tables: dict) -> None:
    """v5: the tracker's own status scale (here the seven it always had, unchanged in meaning)
    and review cycle; each recommendation's issue date (the brief's publication, or its first
    event if earlier: no history becomes invalid); events' ``by`` and ``recorded_by``, unknown
    for those recorded before; journal entries' ids (made from what they hold, so that copies
    of one tracker upgraded apart agree) and ``undoes`` naming them by id."""
    import hashlib

    from alliance_cli.core.brief import published_day
    from alliance_cli.core.progress import STALE_DAYS
    from alliance_cli.core.statuses import DEFAULT_SCALE

    meta = tables[META]["1"]
    meta["statuses"], meta["review_days"] = DEFAULT_SCALE.as_dicts(), STALE_DAYS
    published = published_day(str(meta["brief"]["published"]))
    # A hand-edited older file may hold anything: what is not as expected is left as it is,
    # for the checks after the last step to refuse with its path.
    for rec in (r for r in tables[RECS] if type(r) is dict and type(r.get("history")) is list):
        events = [e for e in rec["history"] if type(e) is dict]
        rec["history"] = [with_who(e) if type(e) is dict else e for e in rec["history"]]
        rec["issued"] = min([published, *(e["date"] for e in events if _is_day(e.get("date")))])
    ids = {}
    entries = {k: e for k, e in tables[JOURNAL].items() if type(e) is dict} if type(tables[JOURNAL]) is dict else {}
    for key, entry in entries.items():
        made = f"{key} {entry.get('at')} {entry.get('command')}"
        ids[key] = entry["id"] = hashlib.sha256(made.encode()).hexdigest()[:16]
        entry["recorded_by"] = ""
    for entry in entries.values():
        if "undoes" in entry and type(entry["undoes"]) is int:
            entry["undoes"] = ids.get(str(entry["undoes"]), str(entry["undoes"]))


def _is_day(value) -> bool:
    from alliance_cli.core.model import check_iso_date

    try:
        check_iso_date(value, "date", allow_future=True)
    except FieldError:
        return False
    return True


MIGRATIONS: list[tuple[int, Callable[[dict], str | None]]] = [
    (2, _v2_add_journal),
    (3, _v3_recommendations_in_order),
    (4, _v4_second_edition_of_the_shipped_brief),
    (5, _v5_scale_issue_dates_and_who),
]
SCHEMA = MIGRATIONS[-1][0]
SPLIT = 3  # the first schema of a head and its bodies


def backup_path(path: Path, version: int) -> Path:
    return path.with_name(f"{path.name}.bak-v{version}")


def upgrade(tables: dict, path: Path, version: int, *, now: str) -> tuple[dict, list[str]]:
    """An older tracker brought to SCHEMA, every record checked: the whole tracker, and notices.

    ``tables`` is the one file's tables (schema 1 or 2) or a whole tracker (3 on), of ``version``.
    """
    notices = []
    try:
        pillar_ids = schema.check_meta(tables.get(META, {}), META, version)
        meta = tables[META]["1"]
        for target, step in MIGRATIONS:
            if target > meta["schema"]:
                notice = step(tables)
                notices += [notice] if notice else []
                meta.setdefault("migrations", []).append({"to": target, "at": now})
                meta["schema"] = target
        unknown = set(tables) - {META, RECS, JOURNAL, CONFLICTS}
        if unknown or not {META, RECS, JOURNAL} <= set(tables):
            raise FieldError("(top level)", f"unknown table {min(unknown)!r}" if unknown else "a table is missing")
        schema.check_conflicts(tables.get(CONFLICTS, {}), CONFLICTS)
        names = schema.scale_of(meta).names
        for i, rec in enumerate(tables[RECS]):
            check_recommendation(rec, f"{RECS}[{i}]", pillar_ids, names, with_history=True)
        schema.check_journal(tables[JOURNAL], JOURNAL, SCHEMA)
    except FieldError as exc:
        raise StoreError(f"{path}: {exc.path}: {exc.problem}: fix it by hand or restore it from its .bak") from None
    return tables, notices
