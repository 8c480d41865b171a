"""Schema versions of the tracker file, and the ordered steps between them.

Each migration is a small function that upgrades the file's tables by one
version in place; applying it is recorded in the meta document. Before a
writing command saves an upgraded file, the original bytes are kept as
``<file>.bak-v<N>``. A read-only command upgrades in memory only. A file from a
newer version is refused, never "upgraded down".
"""

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from alliance_cli.errors import StoreError

META, RECS, JOURNAL = "meta", "recommendations", "journal"


def _v2_add_journal(tables: dict) -> None:
    """v2: a journal of every writing command, so that `undo` can revert one."""
    tables.setdefault(JOURNAL, {})


MIGRATIONS: list[tuple[int, Callable[[dict], None]]] = [
    (2, _v2_add_journal),
]
SCHEMA = MIGRATIONS[-1][0]


def meta_doc(tables: dict, path: Path) -> dict:
    docs = list(tables.get(META, {}).values())
    if len(docs) != 1 or not isinstance(docs[0], dict) or not isinstance(docs[0].get("schema"), int):
        raise StoreError(f"{path} is JSON but not an alliance tracker (no schema version): "
                         "point --db or ALLIANCE_DB at a tracker file")
    return docs[0]


def upgrade(tables: dict, path: Path, *, now: str, keep_backup: bool) -> bool:
    """Bring ``tables`` to SCHEMA in place; True if anything was applied."""
    meta = meta_doc(tables, path)
    version = meta["schema"]
    if version > SCHEMA:
        raise StoreError(f"{path} was written by a newer alliance (schema {version}; this one reads up to "
                         f"{SCHEMA}): upgrade alliance, or use the newer one")
    if version == SCHEMA:
        return False
    if keep_backup:
        backup_before_migration(path, version)
    for target, step in MIGRATIONS:
        if target > version:
            step(tables)
            meta.setdefault("migrations", []).append({"to": target, "at": now})
            meta["schema"] = target
    return True


def backup_before_migration(path: Path, version: int) -> Path:
    backup = path.with_name(f"{path.name}.bak-v{version}")
    if not backup.exists():  # the first backup of a version is the original: never overwrite it
        tmp = backup.with_name(backup.name + ".tmp")
        shutil.copyfile(path, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, backup)
    return backup
