"""Concurrent writers take turns on the lock: none is lost, the file stays valid.

Real processes (8 of them, started together), each running the CLI's ``main``
25 times in a loop: the lock is contended for the whole run.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from filelock import FileLock

from alliance_cli.store import files as store

from bigtracker import make_tracker
from conftest import digest

SRC = Path(__file__).resolve().parents[1] / "src"
PROCESSES = 8
PER_PROCESS = 25

# Waits for "go" on stdin so that every process starts its loop at once.
WORKER = r"""
import sys
from alliance_cli.cli import main

tag, count = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
codes = []
for i in range(count):
    rec = ("SEC", "ECON", "CYBER", "CLIMATE")[i % 4] + "-" + str(i % 5 + 1)
    sys.argv = ["alliance", "update-status", rec, ("partial", "in-progress")[i % 2], "--note", f"{tag}:{i}"]
    try:
        main()
        codes.append(0)
    except SystemExit as exc:
        codes.append(exc.code or 0)
print("codes", *codes, flush=True)
"""


def cli_env(db: Path, **extra: str) -> dict:
    home = db.parent / "home"
    return {**os.environ, "PYTHONPATH": str(SRC), "ALLIANCE_DB": str(db), "HOME": str(home),
            "XDG_DATA_HOME": str(home / "xdg"), "PYTHONDONTWRITEBYTECODE": "1", **extra}


def notes_in(db: Path) -> list[str]:
    data = store.load_file(db)
    return [e["note"] for rec in data["recommendations"].values() for e in rec["history"]]


def run_together(jobs: list[tuple[Path, str]]) -> None:
    """Start one worker per (file, tag), release them at once, check every command exited 0."""
    # A generous lock timeout: on a loaded machine a worker may wait behind many
    # writes, and this test is about lost updates, not about giving up.
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, tag, str(PER_PROCESS)],
                              env=cli_env(db, ALLIANCE_LOCK_TIMEOUT="300"),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for db, tag in jobs]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc, (_db, tag) in zip(procs, jobs, strict=True):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"worker {tag} crashed:\n{err}"
        codes = out.strip().splitlines()[-1].split()
        assert codes[0] == "codes" and codes[1:] == ["0"] * PER_PROCESS, f"worker {tag}: {codes}\n{err}"
        assert err == "", f"worker {tag} wrote to stderr:\n{err}"


def test_concurrent_writers_lose_nothing(db):
    make_tracker(db, 400)
    before = notes_in(db)
    run_together([(db, f"w{k}") for k in range(PROCESSES)])
    after = notes_in(db)  # parses
    new = sorted(set(after) - set(before))
    expected = sorted(f"w{k}:{i}" for k in range(PROCESSES) for i in range(PER_PROCESS))
    assert len(after) - len(before) == PROCESSES * PER_PROCESS
    assert new == expected
    assert not [p for p in db.parent.iterdir() if p.name.startswith(store.TEMP_PREFIX)]


def test_two_trackers_in_one_folder_do_not_disturb_each_other(tmp_path):
    """Each file has its own lock: a writer of one must not touch the other's temp files."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    make_tracker(a, 1500, 1)
    make_tracker(b, 1500, 1)
    before = {a: notes_in(a), b: notes_in(b)}
    half = PROCESSES // 2
    run_together([(a, f"a{k}") for k in range(half)] + [(b, f"b{k}") for k in range(half)])
    for path, prefix in ((a, "a"), (b, "b")):
        new = sorted(set(notes_in(path)) - set(before[path]))
        assert new == sorted(f"{prefix}{k}:{i}" for k in range(half) for i in range(PER_PROCESS))


def test_waiting_longer_than_lock_timeout_fails_busy(seeded):
    before = digest(seeded)
    with FileLock(str(seeded) + ".lock"):
        start = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "alliance_cli", "update-status", "SEC-1", "partial", "--note", "blocked"],
            env=cli_env(seeded, ALLIANCE_LOCK_TIMEOUT="0.5"), capture_output=True, text=True, timeout=30,
            check=False)
        waited = time.monotonic() - start
    assert result.returncode == 1
    assert f"the tracker is busy (file {seeded})" in result.stderr
    assert result.stderr.startswith("alliance: ") and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""
    assert waited >= 0.5
    assert digest(seeded) == before


def test_waiting_less_than_lock_timeout_then_succeeds(seeded):
    lock = FileLock(str(seeded) + ".lock")
    lock.acquire()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "alliance_cli", "update-status", "SEC-1", "partial", "--note", "waited"],
            env=cli_env(seeded, ALLIANCE_LOCK_TIMEOUT="20"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        time.sleep(1.0)
        assert proc.poll() is None, "the command did not wait for the lock"
    finally:
        lock.release()
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "waited" in notes_in(seeded)
