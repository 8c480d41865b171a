"""Who is recording: the name every new event and journal entry keeps as ``recorded_by``."""

import functools
import os
import re
from pathlib import Path


def recorded_by(tracker: Path) -> str:
    """``ALLIANCE_USER``, else git's ``user.name`` for the tracker's folder (its repository's,
    else the user's global one), else the login name; "" if none can be told."""
    name = os.environ.get("ALLIANCE_USER", "").strip() or _git_user(tracker.parent) or _login()
    return " ".join(name.split())[:200]  # one line, as the store keeps it


@functools.lru_cache(maxsize=4)  # a process that writes many times asks once
def _git_user(folder: Path) -> str:
    """git's ``user.name``, read from its config files as git reads them (the repository's, then
    the global ones, then the system's). Every write asks, and starting git (and importing
    subprocess) would cost more than the write itself; so git is asked only when the files hold
    what this reading does not follow (includes, a worktree's or an environment's config)."""
    files = _config_files(folder)
    if files is None:
        return _ask_git(folder)
    for path in files:
        found = _user_name(path)
        if found is None:
            return _ask_git(folder)
        if found:
            return found
    return ""


def _config_files(folder: Path) -> list[Path] | None:
    """git's config files for ``folder``, the one that wins first; None where git must be asked."""
    if any(name.startswith("GIT_CONFIG") and name != "GIT_CONFIG_NOSYSTEM" for name in os.environ):
        return None
    local = []
    for parent in (folder, *folder.parents):
        dot_git = parent / ".git"
        if dot_git.is_dir():
            local = [dot_git / "config"]
            break
        if dot_git.exists():  # a worktree's or a submodule's pointer file
            return None
    home = Path(os.environ.get("HOME", "~")).expanduser()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "git" / "config"
    system = [] if os.environ.get("GIT_CONFIG_NOSYSTEM") else [Path("/etc/gitconfig")]
    return [*local, home / ".gitconfig", xdg, *system]


_SECTION = re.compile(r'\s*\[\s*([A-Za-z0-9.-]+)\s*(?:"((?:[^"\\]|\\.)*)")?\s*\]\s*(.*)')
_NAME = re.compile(r"\s*name\s*=\s*(.*)", re.IGNORECASE)


def _user_name(path: Path) -> str | None:
    """The last ``user.name`` in one config file, "" if it sets none, None if git must read it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError):
        return None
    section, found = "", ""
    for line in text.splitlines():
        header = _SECTION.match(line)
        if header:
            section = header.group(1).lower() if header.group(2) is None else "subsection"
            if section in ("include", "includeif") or header.group(3).strip():
                return None
            continue
        named = _NAME.match(line) if section == "user" else None
        if named:
            value = _value(named.group(1))
            if value is None:
                return None
            found = value
    return found


def _value(raw: str) -> str | None:
    """A plain config value, its comment dropped; None for quoting or escapes git would read."""
    if any(ch in raw for ch in '"\\'):
        return None
    return re.split(r"\s[#;]|^[#;]", raw, maxsplit=1)[0].strip()


def _ask_git(folder: Path) -> str:
    import shutil
    import subprocess

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
