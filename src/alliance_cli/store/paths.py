"""Where the tracker file lives: --db, then ALLIANCE_DB, then the user data dir."""

import os
from pathlib import Path

from alliance_cli.errors import InputError

DEFAULT_NAME = "tracker.json"
ENV_VAR = "ALLIANCE_DB"
LOCK_TIMEOUT_VAR = "ALLIANCE_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 10.0


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


def lock_timeout() -> float:
    """Seconds a writing command waits for another one to finish (ALLIANCE_LOCK_TIMEOUT)."""
    raw = os.environ.get(LOCK_TIMEOUT_VAR)
    if raw is None:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise InputError(f"{LOCK_TIMEOUT_VAR}={raw!r}: give a number of seconds from 0 to 3600")
    return value
