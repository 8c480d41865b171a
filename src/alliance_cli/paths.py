"""Where the tracker file lives: --db, then ALLIANCE_DB, then the user data dir."""

import os
from pathlib import Path

DEFAULT_NAME = "tracker.json"
ENV_VAR = "ALLIANCE_DB"


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("alliance", appauthor=False) / DEFAULT_NAME


def resolve(db: str | None) -> tuple[Path, bool]:
    """The tracker path, and whether it is the default (whose folder we may create)."""
    chosen = db or os.environ.get(ENV_VAR)
    if chosen:
        return Path(chosen).expanduser(), False
    return default_path(), True


def make_default_dir(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
