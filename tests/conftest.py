"""Every test runs against a tracker in its own temp dir, never the user's real data."""

import hashlib
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliance_cli.cli import app

TESTER = "Test Analyst"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCE_DB", str(tmp_path / "tracker.json"))
    # Even a code path that ignores ALLIANCE_DB must not reach the real data dir.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("ALLIANCE_USER", TESTER)  # who records, in every test that does not say
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "tracker.json"


class Run:
    """Invoke the CLI in-process, as `alliance ARGS...`, with stdout and stderr apart."""

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None, code: int = 0):
        result = CliRunner().invoke(app, list(args), input=input, env=env, catch_exceptions=False)
        assert result.exit_code == code, (
            f"alliance {' '.join(args)} exited {result.exit_code}, expected {code}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result


@pytest.fixture
def run() -> Run:
    return Run()


@pytest.fixture
def seeded(run, db) -> Path:
    """A tracker file created from the shipped brief."""
    run("list")
    assert db.exists()
    return db


def digest(path: Path) -> str:
    """A hash of a file; of a tracker's head, a hash of the whole tracker (head and every body file)."""
    if not path.exists():
        return "<missing>"
    whole = hashlib.sha256(path.read_bytes())
    bodies = path.with_name(path.name + ".bodies")
    if bodies.is_dir():
        for body in sorted(bodies.iterdir()):
            whole.update(body.name.encode() + b"\0" + (body.read_bytes() if body.is_file() else b"<not a file>"))
    return whole.hexdigest()


def tree_state(directory: Path) -> dict[str, str]:
    """Every file under a folder with its hash: to prove a refusal wrote nothing."""
    return {str(p.relative_to(directory)): digest(p) for p in sorted(directory.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock") and os.access(p, os.R_OK)}


def copy_tracker(source: Path, target: Path) -> None:
    """Copy a whole tracker (its head file and its folder of bodies), as a user would with `cp -r`."""
    import shutil

    shutil.copyfile(source, target)
    bodies = source.with_name(source.name + ".bodies")
    if bodies.is_dir():
        shutil.copytree(bodies, target.with_name(target.name + ".bodies"))


@pytest.fixture
def backdated(run, db) -> Path:
    """A tracker of the shipped brief whose recommendations count as issued in 2000, for tests
    of histories that begin before the brief's publication (2024-03), which a real tracker
    would refuse (an event cannot predate its recommendation's issue date)."""
    run("list")
    backdate(db)
    return db


def backdate(path: Path) -> None:
    """Every recommendation of the tracker at ``path`` (made if missing) issued in 2000."""
    from alliance_cli.store.tracker import Tracker

    with Tracker(path).write("test: backdate") as state:
        for rec in state.recommendations():
            state.edit_recommendation(rec["id"], {"issued": "2000-01-01"})
        state.changes.clear()  # not a command of the test's: nothing for `undo` or `log` to show
