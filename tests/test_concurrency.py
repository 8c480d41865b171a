"""Concurrent writers take turns on the lock: none is lost, and readers never see a broken tracker.

Real processes: 8 writers started together, each running the CLI's ``main`` 25
times in a loop, so that the lock is contended for the whole run, while reader
processes run ``list``, ``report`` and ``show`` in a loop. The lock is also
checked against an independent implementation (``filelock`` on
``<file>.lock``) and against a lock file deleted under its holder.
"""

import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import pytest
from filelock import FileLock

from alliance_cli.store import files as store

from bigtracker import load, make_tracker
from conftest import digest

SRC = Path(__file__).resolve().parents[1] / "src"
PROCESSES = 8
PER_PROCESS = 25
READERS = 2
SHOWN = ("SEC-1", "ECON-2")  # both updated by every writer (see WORKER)
PYCACHE = Path(tempfile.gettempdir()) / "alliance-tests-pycache"  # as in test_crash_safety

# Waits for "go" on stdin so that every process starts its loop at once.
WORKER = r"""
import sys
from alliance_cli.launch import run

tag, count = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
codes = []
for i in range(count):
    rec = ("SEC", "ECON", "CYBER", "CLIMATE")[i % 4] + "-" + str(i % 5 + 1)
    codes.append(run(["update-status", rec, ("partial", "in-progress")[i % 2], "--note", f"{tag}:{i}"]))
print("codes", *codes, flush=True)
"""

# Runs list, report and show (of recommendations the writers are updating) again
# and again until the stop file appears, checking each run: exit 0, nothing on
# stderr, JSON of the right shape, and a history that never goes back in time.
# Says "ready" once its first round is done, and prints a summary at the end.
READER = r"""
import gc, io, json, os, sys
from alliance_cli.launch import run as alliance

stop, n_recs, shown = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
failures, seen, rounds, runs = [], {}, 0, 0


def run(*args):
    global runs
    runs += 1
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = out, err
    try:
        code = alliance(list(args))
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        gc.collect()  # a command turns the collector off; a long loop needs it
    if code != 0 or err.getvalue():
        raise AssertionError(f"exit {code}: {err.getvalue()[-500:]}")
    return json.loads(out.getvalue())


def check(what, ok, detail=""):
    if not ok:
        raise AssertionError(f"{what}: {detail}")


while True:
    for args in (["list", "--json"], ["report", "--json"], *(["show", rec, "--json"] for rec in shown)):
        try:
            data = run(*args)
            if args[0] == "list":
                ids = [row["id"] for row in data]
                check("list", len(ids) == len(set(ids)) == n_recs, f"{len(ids)} rows")
                check("list", all(row["status"] and row["title"] for row in data), "a row lacks its status")
            elif args[0] == "report":
                total = data["overall"]["total"]
                check("report", total == n_recs == sum(data["overall"]["by_status"].values()), str(data["overall"]))
                check("report", sum(p["total"] for p in data["pillars"]) == n_recs, "the pillars do not add up")
            else:
                events = [e["id"] for e in data["history"]]
                check("show", len(events) == len(set(events)), "an event appears twice")
                check("show", all(isinstance(e["note"], str) for e in data["history"]), "an event lacks its note")
                check("show", len(events) >= seen.get(args[1], 0), "the history went back in time")
                seen[args[1]] = len(events)
        except Exception as exc:
            failures.append(f"{' '.join(args)}: {type(exc).__name__}: {exc}")
    rounds += 1
    if rounds == 1:
        print("ready", flush=True)
    if os.path.exists(stop) or len(failures) > 20:
        break
print(json.dumps({"rounds": rounds, "runs": runs, "failures": failures, "seen": seen}), flush=True)
"""


def cli_env(db: Path, **extra: str) -> dict:
    home = db.parent / "home"
    env = {**os.environ, "PYTHONPATH": str(SRC), "ALLIANCE_DB": str(db), "HOME": str(home),
           "XDG_DATA_HOME": str(home / "xdg"), "PYTHONPYCACHEPREFIX": str(PYCACHE), **extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the bytecode goes to PYCACHE, not into the worktree
    for name in (store.CRASH_VAR, store.SIGNAL_VAR):
        if name not in extra:
            env.pop(name, None)
    return env


def notes_in(db: Path) -> list[str]:
    """Every event's note, read as the CLI reads the tracker (head and bodies must agree)."""
    return [e["note"] for rec in load(db).values() for e in rec["history"]]


def temp_files(db: Path) -> list[str]:
    folders = [db.parent, db.with_name(db.name + ".bodies")]
    return sorted(p.name for folder in folders if folder.is_dir() for p in folder.iterdir()
                  if p.name.startswith(store.TEMP_PREFIX))


def start_workers(jobs: list[tuple[Path, str]]) -> list[subprocess.Popen]:
    # A generous lock timeout: on a loaded machine a worker may wait behind many
    # writes, and this test is about lost updates, not about giving up.
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, tag, str(PER_PROCESS)],
                              env=cli_env(db, ALLIANCE_LOCK_TIMEOUT="300"),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for db, tag in jobs]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return procs


def release_and_finish(procs: list[subprocess.Popen], tags: list[str]) -> None:
    """Let every worker go at once; check that every command exited 0 and said nothing on stderr."""
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc, tag in zip(procs, tags, strict=True):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"worker {tag} crashed:\n{err}"
        codes = out.strip().splitlines()[-1].split()
        assert codes[0] == "codes" and codes[1:] == ["0"] * PER_PROCESS, f"worker {tag}: {codes}\n{err}"
        assert err == "", f"worker {tag} wrote to stderr:\n{err}"


def run_together(jobs: list[tuple[Path, str]]) -> None:
    release_and_finish(start_workers(jobs), [tag for _db, tag in jobs])


def test_concurrent_writers_lose_nothing_while_readers_read(db):
    n_recs = 400
    make_tracker(db, n_recs)
    before = notes_in(db)
    stop = db.parent / "stop-readers"
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(stop), str(n_recs), *SHOWN],
                                env=cli_env(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(READERS)]
    try:
        # Every reader has done a whole round, and is looping, before the writers start.
        for reader in readers:
            assert reader.stdout.readline().strip() == "ready", reader.stderr.read()
        tags = [f"w{k}" for k in range(PROCESSES)]
        release_and_finish(start_workers([(db, tag) for tag in tags]), tags)
    finally:
        stop.touch()
    summaries = []
    for reader in readers:
        out, err = reader.communicate(timeout=120)
        assert reader.returncode == 0 and err == "", f"a reader crashed:\n{err}"
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    print("reader rounds (list, report and show each):", [s["rounds"] for s in summaries])
    for summary in summaries:
        assert summary["failures"] == [], "\n".join(summary["failures"])

    after = notes_in(db)
    new = sorted(set(after) - set(before))
    expected = sorted(f"w{k}:{i}" for k in range(PROCESSES) for i in range(PER_PROCESS))
    assert len(after) - len(before) == PROCESSES * PER_PROCESS
    assert new == expected
    assert temp_files(db) == []
    # What the readers saw last is at most what is there now.
    final = load(db)
    for summary in summaries:
        for rec_id, count in summary["seen"].items():
            assert count <= len(final[rec_id]["history"])


def test_two_trackers_in_one_folder_do_not_disturb_each_other(tmp_path):
    """Each file has its own lock: a writer of one must not touch the other's temp files."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    make_tracker(a, 800, 1)
    make_tracker(b, 800, 1)
    before = {a: notes_in(a), b: notes_in(b)}
    half = PROCESSES // 2
    run_together([(a, f"a{k}") for k in range(half)] + [(b, f"b{k}") for k in range(half)])
    for path, prefix in ((a, "a"), (b, "b")):
        new = sorted(set(notes_in(path)) - set(before[path]))
        assert new == sorted(f"{prefix}{k}:{i}" for k in range(half) for i in range(PER_PROCESS))
        assert temp_files(path) == []


def test_waiting_longer_than_lock_timeout_fails_busy(seeded):
    before = digest(seeded)
    with FileLock(str(seeded) + ".lock"):
        start = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "alliance_cli", "update-status", "SEC-1", "partial", "--note", "blocked"],
            env=cli_env(seeded, ALLIANCE_LOCK_TIMEOUT="0.5"), capture_output=True, text=True, timeout=60,
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
            env=cli_env(seeded, ALLIANCE_LOCK_TIMEOUT="60"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        time.sleep(1.0)
        assert proc.poll() is None, "the command did not wait for the lock"
    finally:
        lock.release()
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "waited" in notes_in(seeded)


# --- a lock file deleted under its holder -------------------------------------------

GRACE = 1.0  # how long a writer that must wait is watched: it can only fail a broken lock


def stopping_writer(db: Path, note: str) -> subprocess.Popen:
    """``update-status SEC-1`` that stops itself (SIGSTOP) at ``before-commit``: inside the lock,
    its change made, nothing written. SIGCONT lets it commit."""
    env = cli_env(db, ALLIANCE_LOCK_TIMEOUT="120", ALLIANCE_TEST_CRASH_AT="before-commit",
                  ALLIANCE_TEST_CRASH_SIGNAL="STOP")
    return subprocess.Popen([sys.executable, "-m", "alliance_cli", "update-status", "SEC-1", "partial",
                             "--note", note], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def state(proc: subprocess.Popen) -> str:
    """'stopped', 'exited' or 'running', from /proc (this neither reaps nor waits for the child)."""
    try:
        raw = Path(f"/proc/{proc.pid}/stat").read_text()
    except FileNotFoundError:
        return "exited"
    code = raw.rpartition(")")[2].split()[0]
    return {"T": "stopped", "Z": "exited", "X": "exited"}.get(code, "running")


def wait_until(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.005)


def has_open(proc: subprocess.Popen, path: Path) -> bool:
    fd_dir = Path(f"/proc/{proc.pid}/fd")
    try:
        fds = list(fd_dir.iterdir())
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            if os.readlink(fd) == str(path):
                return True
        except OSError:
            pass
    return False


def held_by_someone(lock: Path) -> bool:
    """True if some process holds a flock on the file now at ``lock`` (never creates it)."""
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also lets go of it if we got it
    return False


def still_outside(procs: list[subprocess.Popen], seconds: float) -> list[str]:
    """Watch ``procs`` for ``seconds``: the states of those that got in (stopped) or ended."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        states = [state(p) for p in procs]
        if any(s != "running" for s in states):
            return states
        time.sleep(0.01)
    return []


def journal_notes(db: Path) -> list[str]:
    """The notes of the tracker's update-status commands, in the order the journal recorded them."""
    head = orjson.loads(db.read_bytes())
    notes = {e["id"]: e["note"] for rec in load(db).values() for e in rec["history"]}
    entries = sorted(head["journal"].items(), key=lambda item: int(item[0]))
    return [notes[c["event"]] for _n, entry in entries for c in entry["changes"] if c["op"] == "add_event"]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="watches other processes through /proc")
def test_a_lock_file_deleted_under_its_holder_still_keeps_writers_apart(db):
    """A holds the lock, stopped before its commit; C is waiting on that lock file; the file is
    deleted, and B starts and makes a new one. Neither may get in while A holds its lock, and
    after A, one at a time: every update is there once, in the order they got in. (With a lock
    that is only a flock on whatever file is at ``<file>.lock``, B got in beside A and both
    exited 0, and one update was lost.)"""
    make_tracker(db, 40)
    lock = db.with_name(db.name + ".lock")
    procs: list[subprocess.Popen] = []
    try:
        a = stopping_writer(db, "A")
        procs.append(a)
        wait_until(lambda: state(a) != "running", "A is inside the lock")
        assert state(a) == "stopped", a.communicate()[1]

        c = stopping_writer(db, "C")
        procs.append(c)
        wait_until(lambda: has_open(c, lock) or state(c) != "running", "C waits on the lock file")
        assert state(c) == "running", "C got in while A held the lock"
        lock.unlink()
        b = stopping_writer(db, "B")
        procs.append(b)
        wait_until(lambda: held_by_someone(lock) or state(b) != "running", "B holds the new lock file")

        got_in = still_outside([b, c], GRACE)
        assert not got_in, f"a writer got in while A held its lock (B, C: {got_in})"
        os.kill(a.pid, signal.SIGCONT)
        _out, err = a.communicate(timeout=120)
        assert a.returncode == 0, err

        order = ["A"]
        waiting = {"B": b, "C": c}
        while waiting:
            wait_until(lambda: any(state(p) != "running" for p in waiting.values()), "the next writer gets in")
            inside = [name for name, p in waiting.items() if state(p) != "running"]
            assert len(inside) == 1, f"{inside} got in together"
            name = inside[0]
            proc = waiting.pop(name)
            assert state(proc) == "stopped", proc.communicate()[1]
            assert journal_notes(db)[-len(order):] == order, "the one before did not commit first"
            got_in = still_outside(list(waiting.values()), GRACE if waiting else 0)
            assert not got_in, f"a writer got in while {name} held the lock"
            os.kill(proc.pid, signal.SIGCONT)
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            order.append(name)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    notes = journal_notes(db)
    assert notes[-3:] == order, notes
    everything = notes_in(db)
    assert all(everything.count(note) == 1 for note in "ABC"), "an update was lost or doubled"
