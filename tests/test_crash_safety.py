"""A writer killed at any moment never leaves a broken file nor loses an acknowledged update.

Real ``python -m alliance_cli`` processes on a big tracker (a write takes real
time), killed with SIGKILL: no handler, no cleanup, like a power cut for the
process. After every kill the file must parse, every command that had exited 0
must be in it, and nothing that was in the file before may be gone.
"""

import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alliance_cli.store import files as store

from bigtracker import make_tracker

SRC = Path(__file__).resolve().parents[1] / "src"
N_RECS = 2000
EVENTS_PER_REC = 2  # ~3.5 MB: saving it takes tens of milliseconds
KILLS = 200
TARGETED_KILLS = 60


@pytest.fixture
def big(db) -> Path:
    make_tracker(db, N_RECS, EVENTS_PER_REC)
    return db


def cli_env(db: Path) -> dict:
    home = db.parent / "home"
    return {**os.environ, "PYTHONPATH": str(SRC), "ALLIANCE_DB": str(db),
            "HOME": str(home), "XDG_DATA_HOME": str(home / "xdg"), "PYTHONDONTWRITEBYTECODE": "1"}


def update_argv(n: int, note: str) -> list[str]:
    rec_id = ("SEC", "ECON", "CYBER", "CLIMATE")[n % 4] + f"-{n % 50 + 1}"
    return [sys.executable, "-m", "alliance_cli", "update-status", rec_id,
            ("in-progress", "partial", "implemented", "stalled")[n % 4], "--note", note]


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(store.TEMP_PREFIX))


def events(db: Path) -> dict[str, str]:
    """Every event in the file, id -> note. ``load_file`` raising fails the test."""
    data = store.load_file(db)
    return {e["id"]: e["note"] for rec in data["recommendations"].values() for e in rec["history"]}


class KillLog:
    """Runs commands, kills them, and checks the file after each one."""

    def __init__(self, db: Path):
        self.db = db
        self.env = cli_env(db)
        self.acked: set[str] = set()
        self.seen = events(db)
        self.counts = {"finished": 0, "killed": 0, "killed_after_commit": 0, "temp_left": 0}

    def start(self, n: int) -> tuple[subprocess.Popen, str]:
        note = f"crash-test {n} {os.urandom(4).hex()}"
        proc = subprocess.Popen(update_argv(n, note), env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return proc, note

    def finish(self, proc: subprocess.Popen, note: str, *, kill: bool) -> None:
        if kill and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, -signal.SIGKILL), (
            f"exit {proc.returncode}: {err.decode(errors='replace')}")
        if proc.returncode == 0:
            self.acked.add(note)
            self.counts["finished"] += 1
        else:
            self.counts["killed"] += 1

        now = events(self.db)  # the file parses
        notes = set(now.values())
        missing = self.acked - notes
        assert not missing, f"acknowledged updates lost: {sorted(missing)[:3]}"
        gone = set(self.seen) - set(now)
        assert not gone, f"{len(gone)} events that were in the file are gone"
        assert len(now) - len(self.seen) <= 1, "one command added more than one event"
        if proc.returncode == 0:
            assert not temp_files(self.db.parent), "a finished command left a temp file"
        elif note in notes:
            self.counts["killed_after_commit"] += 1
        if temp_files(self.db.parent):
            self.counts["temp_left"] += 1
        self.seen = now


def typical_run_time(log: KillLog, runs: int = 3) -> float:
    times = []
    for n in range(runs):
        start = time.perf_counter()
        proc, note = log.start(n)
        log.finish(proc, note, kill=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_kill_at_spread_moments_keeps_file_valid_and_acknowledged_updates(big):
    log = KillLog(big)
    typical = typical_run_time(log)
    # From the instant after start to a little past a normal run, in a shuffled
    # order so that the file's growth does not line up with the delays.
    delays = [1.15 * typical * i / (KILLS - 1) for i in range(KILLS)]
    random.Random(20240311).shuffle(delays)
    for n, delay in enumerate(delays, start=100):
        proc, note = log.start(n)
        time.sleep(delay)
        log.finish(proc, note, kill=True)
    print(f"typical run {typical:.3f}s; {log.counts}")
    # The spread really straddles a run: most are killed, some get through.
    assert log.counts["killed"] >= KILLS // 2, log.counts
    assert log.counts["finished"] >= 1, log.counts


def test_kill_while_saving_keeps_file_valid(big):
    """Kills aimed at the save itself: as soon as it starts, then a few ms in."""
    log = KillLog(big)
    typical_run_time(log, runs=1)
    rng = random.Random(7)
    directory = big.parent
    for n in range(1000, 1000 + TARGETED_KILLS):
        before = big.stat()
        stale = set(temp_files(directory))  # left by the previous kill
        proc, note = log.start(n)
        # The save has started once a new temp file appears or the file itself
        # changes (an in-place writer would truncate it).
        while proc.poll() is None:
            now = big.stat()
            if ((now.st_ino, now.st_size, now.st_mtime_ns) != (before.st_ino, before.st_size, before.st_mtime_ns)
                    or set(temp_files(directory)) - stale):
                break
            time.sleep(0.0002)  # leave the CPU to the writer on a small machine
        time.sleep(rng.uniform(0, 0.02))
        log.finish(proc, note, kill=True)
    print(log.counts)
    # Proof that the kills landed inside saves, not only before or after them.
    assert log.counts["temp_left"] + log.counts["killed_after_commit"] >= 1, log.counts


def test_temp_files_never_read_and_cleaned_by_next_write(big):
    env = cli_env(big)
    directory = big.parent

    def cli(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "alliance_cli", *args], env=env, capture_output=True,
                                check=False)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        return result

    cli("update-status", "SEC-1", "partial", "--note", "a normal run")
    assert temp_files(directory) == []

    before_list = cli("list", "--json").stdout
    before_show = cli("show", "SEC-1", "--json").stdout
    # What a killed writer leaves: half a file, and a whole one never renamed.
    half = store.temp_path_prefix(big) + "killed1.json"
    whole = store.temp_path_prefix(big) + "killed2.json"
    (directory / half).write_bytes(big.read_bytes()[:100_000])
    decoy = store.load_file(big)
    decoy["recommendations"]["1"]["title"] = "DECOY never renamed into place"
    (directory / whole).write_bytes(store.dumps(decoy))
    planted = sorted([half, whole])

    assert cli("list", "--json").stdout == before_list
    assert cli("show", "SEC-1", "--json").stdout == before_show
    assert temp_files(directory) == planted, "a read touched the temp files"

    cli("update-status", "SEC-1", "implemented", "--note", "next write")
    assert temp_files(directory) == []
    data = store.load_file(big)
    assert data["recommendations"]["1"]["title"] != "DECOY never renamed into place"
    assert [e["note"] for e in data["recommendations"]["1"]["history"]][-2:] == ["a normal run", "next write"]
