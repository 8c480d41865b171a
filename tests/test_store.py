import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest

from alliance_cli.errors import StoreError
from alliance_cli.store import files, layout
from alliance_cli.store.tracker import Tracker

from bigtracker import tracker_files
from conftest import digest

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_every_file_is_in_its_canonical_bytes(backdated, run, seeded):
    """Sorted keys, two-space indent, UTF-8, a final newline: the same state gives the same bytes."""
    run("update-status", "SEC-1", "partial", "--note", "한국어 note", "--date", "2024-01-02")
    written = tracker_files(seeded)
    assert len(written) > 2  # the head and more than one body file
    for name, raw in written.items():
        assert files.canonical(orjson.loads(raw)) == raw, name
    head = seeded.read_text(encoding="utf-8")
    assert head.endswith("\n") and '\n  "meta": {' in head and "한국어" not in head
    assert "한국어 note" in "".join(raw.decode() for name, raw in written.items() if name != seeded.name)


def test_a_tracker_is_its_head_and_its_bodies(run, seeded):
    head = orjson.loads(seeded.read_bytes())
    assert set(head) == {"meta", "recommendations", "journal"}
    sec1 = head["recommendations"]["SEC-1"]
    assert set(sec1) >= {"id", "pillar", "title", "key", "seq", "body", "history"} and "text" not in sec1
    body = seeded.with_name(seeded.name + ".bodies") / f"{layout.shard_of('SEC-1')}.json"
    assert sec1["body"] in orjson.loads(body.read_bytes())["recommendations"]
    assert run("path").stdout.splitlines() == [str(seeded), str(seeded) + ".bodies"]


def _temps(db: Path) -> list[Path]:
    return [*db.parent.glob(files.TEMP_PREFIX + "*"),
            *db.with_name(db.name + ".bodies").glob(files.TEMP_PREFIX + "*")]


def test_failed_replace_leaves_the_old_file_and_no_temp(seeded, monkeypatch):
    before = digest(seeded)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StoreError, match="No space left"), Tracker(seeded).write() as state:
        state.update_status("SEC-1", "implemented")
    assert digest(seeded) == before
    assert not _temps(seeded)


def test_a_failed_fsync_leaves_the_old_file_and_no_temp(seeded, monkeypatch):
    """A failed sync stops the save before anything is replaced."""
    before = digest(seeded)
    synced = []

    def broken_fsync(fd):
        synced.append(fd)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StoreError, match="Input/output error"), Tracker(seeded).write() as state:
        state.update_status("SEC-1", "implemented")
    assert synced and digest(seeded) == before
    assert not _temps(seeded)


def test_an_exception_inside_a_command_writes_nothing(seeded):
    before = digest(seeded)
    with pytest.raises(RuntimeError), Tracker(seeded).write() as state:
        state.update_status("SEC-1", "implemented")
        raise RuntimeError("boom")
    assert digest(seeded) == before


def test_previous_state_is_kept_as_backup(run, seeded):
    before = seeded.read_bytes()
    body = seeded.with_name(seeded.name + ".bodies") / f"{layout.shard_of('SEC-1')}.json"
    body_before = body.read_bytes()
    run("update-status", "SEC-1", "partial")
    assert files.backup_path(seeded).read_bytes() == before
    assert files.backup_path(body).read_bytes() == body_before


def test_a_failed_save_keeps_the_backup(run, seeded, monkeypatch):
    """A save that fails after writing its temp file leaves the previous .bak as it was."""
    run("update-status", "SEC-1", "partial")
    backup = files.backup_path(seeded)
    kept = backup.read_bytes()
    real_replace = os.replace

    def failing_head_replace(src, dst):
        if Path(dst) == seeded:
            raise OSError(5, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_head_replace)
    run("update-status", "SEC-1", "implemented", code=1)
    assert backup.exists() and backup.read_bytes() in (kept, seeded.read_bytes())
    assert json.loads(run("show", "SEC-1", "--json").stdout)["status"] == "partial"


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
    notes = [e["note"] for r in map(state.full, state.recommendations()) for e in r["history"]]
    assert sorted(notes) == ["holder", "waiter"]


def test_store_errors_name_the_file(tmp_path):
    folder = tmp_path / "folder.json"
    folder.mkdir()
    with pytest.raises(StoreError, match=re.escape(str(folder)) + " is a directory"):
        files.read_file(folder)


def test_a_symlinked_tracker_is_written_through_the_link(run, tmp_path):
    real = tmp_path / "real" / "tracker.json"
    real.parent.mkdir()
    run("--db", str(real), "list")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    run("--db", str(link), "update-status", "SEC-1", "partial")
    assert link.is_symlink() and link.resolve() == real
    state = Tracker(real).read()
    assert [e["to"] for r in map(state.full, state.recommendations()) for e in r["history"]] == ["partial"]
    assert not link.with_name("link.json.bodies").exists()  # the bodies live beside the real file
