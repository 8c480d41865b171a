import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from alliance_cli.errors import StoreError
from alliance_cli.store import files as store
from alliance_cli.store.tracker import Tracker

from conftest import digest

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_same_state_gives_same_bytes(tmp_path, seeded):
    data = store.load_file(seeded)
    again = tmp_path / "again.json"
    store.save_file(again, json.loads(json.dumps(data)))
    assert again.read_bytes() == seeded.read_bytes()
    text = seeded.read_text(encoding="utf-8")
    assert text.endswith("\n") and '\n  "meta": {' in text


def test_failed_replace_leaves_the_old_file_and_no_temp(seeded, monkeypatch):
    before = digest(seeded)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StoreError, match="No space left"), Tracker(seeded).write() as state:
        state.update_status("SEC-1", "implemented")
    assert digest(seeded) == before
    assert not list(seeded.parent.glob(store.TEMP_PREFIX + "*"))


def test_a_failed_fsync_leaves_the_old_file_and_no_temp(seeded, monkeypatch):
    """The sync runs in a thread while the index is built: its failure must still stop the save."""
    before = digest(seeded)
    synced = []

    def broken_fsync(fd):
        synced.append(fd)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StoreError, match="Input/output error"), Tracker(seeded).write() as state:
        state.update_status("SEC-1", "implemented")
    assert synced and digest(seeded) == before
    assert not list(seeded.parent.glob(store.TEMP_PREFIX + "*"))


def test_an_exception_inside_a_command_writes_nothing(seeded):
    before = digest(seeded)
    with pytest.raises(RuntimeError), Tracker(seeded).write() as state:
        state.update_status("SEC-1", "implemented")
        raise RuntimeError("boom")
    assert digest(seeded) == before


def test_previous_state_is_kept_as_backup(run, seeded):
    before = seeded.read_bytes()
    run("update-status", "SEC-1", "partial")
    assert store.backup_path(seeded).read_bytes() == before


def test_unparseable_file_is_never_overwritten(run, db):
    db.write_text('{"meta": {"1": {"schema": 1', encoding="utf-8")
    before = digest(db)
    result = run("update-status", "SEC-1", "partial", code=1)
    assert str(db) in result.stderr and "not valid JSON" in result.stderr
    assert digest(db) == before


def test_existing_file_is_never_reseeded(run, seeded):
    run("update-status", "SEC-1", "partial")
    run("list")
    assert json.loads(run("show", "SEC-1", "--json").stdout)["status"] == "partial"


HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from alliance_cli.store.tracker import Tracker
    db, ready = Path(sys.argv[1]), Path(sys.argv[2])
    with Tracker(db).write() as state:
        state.update_status("SEC-1", "in_progress", note="holder")
        ready.write_text("locked")
        time.sleep(1.5)
""")


def test_writer_waits_for_the_lock_and_loses_nothing(seeded, tmp_path):
    """Two real processes: the second writer waits, then writes on top of the first."""
    ready = tmp_path / "ready"
    env = {**os.environ, "PYTHONPATH": SRC}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(seeded), str(ready)], env=env)
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert holder.poll() is None and time.monotonic() < deadline, "holder did not take the lock"
        time.sleep(0.02)
    started = time.monotonic()
    second = subprocess.run([sys.executable, "-m", "alliance_cli", "update-status", "SEC-2", "partial",
                             "--note", "waiter"], env=env, capture_output=True, text=True)
    waited = time.monotonic() - started
    assert holder.wait() == 0 and second.returncode == 0, second.stderr
    assert ready.exists() and waited > 0.3  # it could not have written while the holder slept
    state = Tracker(seeded).read()
    notes = [e["note"] for r in state.recommendations() for e in r["history"]]
    assert sorted(notes) == ["holder", "waiter"]


def test_store_errors_name_the_file(tmp_path):
    folder = tmp_path / "folder.json"
    folder.mkdir()
    with pytest.raises(StoreError, match=re.escape(str(folder)) + " is a directory"):
        store.load_file(folder)


def test_a_symlinked_tracker_is_written_through_the_link(run, tmp_path):
    real = tmp_path / "real" / "tracker.json"
    real.parent.mkdir()
    run("--db", str(real), "list")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    run("--db", str(link), "update-status", "SEC-1", "partial")
    assert link.is_symlink() and link.resolve() == real
    state = Tracker(real).read()
    assert [e["to"] for r in state.recommendations() for e in r["history"]] == ["partial"]
