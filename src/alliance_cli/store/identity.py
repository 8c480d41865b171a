"""Who is recording: the name every new event and journal entry keeps as ``recorded_by``."""

import functools
import os
import shutil
import subprocess
from pathlib import Path


def recorded_by(tracker: Path) -> str:
    """``ALLIANCE_USER``, else git's ``user.name`` for the tracker's folder (its repository's,
    else the user's global one), else the login name; "" if none can be told."""
    name = os.environ.get("ALLIANCE_USER", "").strip() or _git_user(tracker.parent) or _login()
    return " ".join(name.split())[:200]  # one line, as the store keeps it


@functools.lru_cache(maxsize=4)  # a process that writes many times asks git once
def _git_user(folder: Path) -> str:
    git = shutil.which("git")
    if git is None:
        return ""
    try:
        done = subprocess.run([git, "-C", str(folder), "config", "user.name"], capture_output=True, text=True,
                              timeout=5, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return ""
