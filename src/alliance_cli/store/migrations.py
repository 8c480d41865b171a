"""Schema versions of a tracker, and the ordered steps between them.

Each migration is a small function that upgrades the tables of a tracker by one
version, in memory; applying it is recorded in the meta document. Before a
writing command commits an upgraded tracker, the original file is kept as
``<file>.bak-v<N>``; a read-only command upgrades in memory only, and a refused
command writes nothing, backups included. A tracker from a newer version is
refused (``schema.version_of``), never "upgraded down".

Versions 1 and 2 were one file; version 3 is a head and its bodies
(``layout``). The steps up to 3 work on that one file's tables; the split into
files is the first save's.
"""

from collections.abc import Callable
from pathlib import Path

from alliance_cli.core.model import FieldError, check_recommendation
from alliance_cli.errors import StoreError
from alliance_cli.store import schema
from alliance_cli.store.layout import JOURNAL, META, RECS


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


MIGRATIONS: list[tuple[int, Callable[[dict], None]]] = [
    (2, _v2_add_journal),
    (3, _v3_recommendations_in_order),
]
SCHEMA = MIGRATIONS[-1][0]


def backup_path(path: Path, version: int) -> Path:
    return path.with_name(f"{path.name}.bak-v{version}")


def upgrade(tables: dict, path: Path, *, now: str) -> dict:
    """The tables of an older tracker file brought to SCHEMA, with every record checked.

    Returns the whole tracker: META, JOURNAL, and RECS as a list of whole recommendations.
    """
    try:
        pillar_ids = schema.check_meta(tables.get(META, {}), META)
        meta = tables[META]["1"]
        for target, step in MIGRATIONS:
            if target > meta["schema"]:
                step(tables)
                meta.setdefault("migrations", []).append({"to": target, "at": now})
                meta["schema"] = target
        if set(tables) != {META, RECS, JOURNAL}:
            raise FieldError("(top level)", f"unknown table {min(set(tables) - {META, RECS, JOURNAL})!r}")
        for i, rec in enumerate(tables[RECS]):
            check_recommendation(rec, f"{RECS}[{i}]", pillar_ids, with_history=True)
        schema.check_journal(tables[JOURNAL], JOURNAL)
    except FieldError as exc:
        raise StoreError(f"{path}: {exc.path}: {exc.problem}: fix it by hand or restore it from its .bak") from None
    return tables
