"""A writer killed at any moment never leaves a broken tracker nor loses an acknowledged change.

Real ``python -m alliance_cli`` processes on a tracker of 2,000 recommendations,
killed with SIGKILL: no handler, no cleanup, like a power cut for the process.
Most kills are aimed: ``ALLIANCE_TEST_CRASH_AT=POINT:N`` makes the command kill
itself the Nth time it reaches a named point of its save, so every one of them
lands where it is meant to, however fast or busy the machine. Every point, at
every N a command reaches it, for five writing commands: ``update-status`` (adds
an event), ``edit --text`` (a new body, then a cleanup write drops the old one),
``undo`` (removes an event), ``add``, and ``import`` of a small export (several
body files in one commit). A few more kills land at random moments; how many
did is printed, never asserted.

After every kill the tracker is read three ways (``bigtracker.load``, which
raises if the head names an entry the bodies lack, and the CLI's ``list --json``
and ``export``, which must exit 0 and agree with it), and: the killed command's
change is wholly there or wholly absent, and which of the two is known from
where it was killed (the head is the commit point); every change that was there
before is still there; ``<file>.bak`` exists for each file once it was saved;
temp files and body entries that no head names, left by the kill, are ignored
by reads and removed by the next write of their file.

Ctrl-C (SIGINT) is checked the same way: a command says in one line whether its
change was saved, and the tracker agrees.
"""

import copy
import gc
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson
import pytest

from alliance_cli.core import dates, history
from alliance_cli.store import files as store
from alliance_cli.store import layout

from bigtracker import load, make_event, make_tracker
from conftest import digest

SRC = Path(__file__).resolve().parents[1] / "src"
N_RECS = 2000
EVENTS_PER_REC = 2  # ~3.8 MB of head and bodies
POINTS = ("before-commit", "body-written", "temp-written", "temp-synced", "backup-linked", "replaced",
          "head-written", "body-cleaned")
LANES = 2  # trackers crashed side by side: a kill and the reads of the other's last kill overlap
AIMED_KILLS_AT_LEAST = 200
RANDOM_KILLS = 30
RANDOM_SIGINTS = 20
# Bytecode of src/ kept outside the worktree (this environment sets PYTHONDONTWRITEBYTECODE):
# hundreds of processes should not each compile the package again.
PYCACHE = Path(tempfile.gettempdir()) / "alliance-tests-pycache"


def cli_env(db: Path, **extra: str) -> dict:
    home = db.parent / "home"
    env = {**os.environ, "PYTHONPATH": str(SRC), "ALLIANCE_DB": str(db), "HOME": str(home),
           "XDG_DATA_HOME": str(home / "xdg"), "ALLIANCE_LOCK_TIMEOUT": "120",
           "PYTHONPYCACHEPREFIX": str(PYCACHE), **extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name in (store.CRASH_VAR, store.SIGNAL_VAR):
        if name not in extra:
            env.pop(name, None)
    return env


def cli(db: Path, *args: str, code: int | None = 0, **extra: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "alliance_cli", *args], env=cli_env(db, **extra),
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=False)
    if code is not None:
        assert result.returncode == code, (f"alliance {' '.join(args)}: exit {result.returncode}\n"
                                           f"{result.stderr.decode(errors='replace')}")
    return result


# --- the files, read raw ------------------------------------------------------------

def bodies_dir(db: Path) -> Path:
    return layout.bodies_dir(db)


def body_path(db: Path, shard: str) -> Path:
    return layout.shard_path(db, shard)


def raw(path: Path) -> dict:
    return orjson.loads(path.read_bytes()) if path.exists() else {}


def journal_of(head: dict) -> list[dict]:
    return [entry for _n, entry in sorted(head["journal"].items(), key=lambda item: int(item[0]))]


def named_by_shard(head: dict) -> dict[str, set[str]]:
    """Per body file, the entries the head names: each recommendation's body and its events."""
    cached = head.get("(named, worked out by the test)")
    if cached is None:  # once per head read
        cached = head["(named, worked out by the test)"] = {}
        for rec in head["recommendations"].values():
            keys = cached.setdefault(layout.shard_of(rec["id"]), set())
            keys.add(rec["body"])
            keys.update(skel.split(" ")[2] for skel in rec["history"])  # "DATE RECORDED_AT ID FROM TO"
    return cached


def undo_target_entry(head: dict) -> str | None:
    """The id of the journal entry `undo` would revert: the latest that is neither an undo nor undone."""
    entries = sorted((int(n), entry) for n, entry in head["journal"].items())
    undone = {entry["undoes"] for _n, entry in entries if "undoes" in entry}
    return next((entry["id"] for _n, entry in reversed(entries)
                 if "undoes" not in entry and entry["id"] not in undone), None)


def orphans(head: dict, db: Path, shard: str) -> set[str]:
    """Entries of a body file that the head does not name (what a killed write leaves)."""
    tables = raw(body_path(db, shard))
    return {key for name in (layout.RECS, layout.EVENTS) for key in tables.get(name, {})} - \
        named_by_shard(head).get(shard, set())


def temp_files(db: Path) -> dict[str, str]:
    """Temp file name -> the file it was for (``tracker.json``, ``07.json``), in both folders."""
    found = {}
    for folder in (db.parent, bodies_dir(db)):
        if folder.is_dir():
            for p in folder.iterdir():
                if p.name.startswith(store.TEMP_PREFIX):
                    target = p.name[len(store.TEMP_PREFIX):].rsplit(".", 1)[0].removesuffix(".bak")
                    found[p.name] = target
    return found


def plant_name(target: str) -> str:
    return f"{store.TEMP_PREFIX}{target}.{os.urandom(6).hex()}"


# --- the readers ------------------------------------------------------------------------

# A process that runs CLI commands as `alliance ARGS` does (launch.run), for each
# line it is sent: `list --json` and `export`, each with its stdout and stderr to
# files; it prints their exit codes. Each command reads the tracker afresh from
# disk; what the process keeps from one line to the next is the imported code, so
# that hundreds of reads do not each pay the CLI's start-up.
READER = r"""
import gc, os, sys, traceback
from alliance_cli import launch


def run(out, err, argv):
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    for fd, name in ((1, out), (2, err)):
        new = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(new, fd)
        os.close(new)
    try:
        code = launch.run(argv)
    except BaseException:
        traceback.print_exc()
        code = 99
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, old in zip((1, 2), saved):
            os.dup2(old, fd)
            os.close(old)
    return code


for count, line in enumerate(sys.stdin):
    if count % 16 == 15:
        gc.collect()  # launch.run turns the collector off: fine for one command, not for hundreds
    requests = [request.split("\t") for request in line.rstrip("\n").split("\0")]
    print(*(run(out, err, argv) for out, err, *argv in requests), flush=True)
"""

READS = (("list", "--json"), ("export",))


class Readers:
    """``list --json`` and ``export`` of one tracker in another process, while the test reads it too."""

    def __init__(self, db: Path):
        self.db = db
        self.outputs = [(db.parent / f"read-{n}.out", db.parent / f"read-{n}.err") for n in range(len(READS))]
        self.proc = subprocess.Popen([sys.executable, "-c", READER], env=cli_env(db), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def start(self) -> None:
        self.proc.stdin.write("\0".join("\t".join([str(out), str(err), "--db", str(self.db), *args])
                                        for (out, err), args in zip(self.outputs, READS, strict=True)) + "\n")
        self.proc.stdin.flush()

    def finish(self) -> list:
        """[list rows, export] once both commands exited 0 and said nothing on stderr."""
        codes = self.proc.stdout.readline().split()
        assert len(codes) == len(READS), f"the reader process of {self.db} died"
        for (_out, err), args, code in zip(self.outputs, READS, codes, strict=True):
            message = err.read_text(errors="replace")
            assert code == "0" and message == "", f"alliance {' '.join(args)}: exit {code}\n{message}"
        return [orjson.loads(out.read_bytes()) for out, _ in self.outputs]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


# --- the changes the commands make --------------------------------------------------

class Change:
    """A writing command and how to tell whether its change is wholly in a tracker.

    ``loaded``: body files the command reads (a write drops their orphans too);
    ``changed``: those it changes; ``dropped``: those it takes entries away from.
    """

    argv: list[str]
    loaded: set[str]
    changed: set[str]
    dropped: set[str] = frozenset()
    undone = False

    def there(self, before: dict, after: dict) -> bool:
        """Whether the change is in ``after`` (looked at by one mark; the rest is checked against it)."""
        raise NotImplementedError

    def expected(self, before: dict, after: dict) -> dict:
        """The recommendations the change made or changed, as they must be (None: removed)."""
        raise NotImplementedError

    def entry_ok(self, entry: dict) -> bool:
        raise NotImplementedError

    def still_there(self, recs: dict) -> bool:
        raise NotImplementedError

    def __str__(self) -> str:
        return " ".join(self.argv[:2])


def new_events(before: dict, after: dict, rec_id: str) -> list[dict]:
    known = {e["id"] for e in before[rec_id]["history"]}
    return [e for e in after[rec_id]["history"] if e["id"] not in known]


class Update(Change):
    def __init__(self, rec_id: str, status: str, note: str):
        self.rec_id, self.status, self.note = rec_id, status, note
        self.argv = ["update-status", rec_id, status, "--note", note]
        self.loaded = self.changed = {layout.shard_of(rec_id)}
        self.event = None

    def there(self, before, after):
        return bool(new_events(before, after, self.rec_id))

    def expected(self, before, after):
        new = new_events(before, after, self.rec_id)
        assert len(new) == 1, f"{self}: {len(new)} new events"
        event = new[0]
        assert (event["note"], event["to"], event["evidence"]) == (self.note, self.status, []), event
        self.event = event
        rec = before[self.rec_id]
        return {self.rec_id: {**rec, "history": history.ordered([*rec["history"], event])}}

    def entry_ok(self, entry):
        return (entry["command"] == f"update-status {self.rec_id} {self.status}"
                and entry["changes"] == [{"op": "add_event", "rec": self.rec_id, "event": self.event["id"]}])

    def still_there(self, recs):
        return self.event in recs[self.rec_id]["history"]


class Edit(Change):
    def __init__(self, rec_id: str, text: str):
        self.rec_id, self.text = rec_id, text
        self.argv = ["edit", rec_id, "--text", text]
        self.loaded = self.changed = self.dropped = {layout.shard_of(rec_id)}

    def there(self, before, after):
        return after[self.rec_id]["text"] == self.text

    def expected(self, before, after):
        self.old = before[self.rec_id]["text"]
        return {self.rec_id: {**before[self.rec_id], "text": self.text}}

    def entry_ok(self, entry):
        return entry["command"] == f"edit {self.rec_id}" and entry["changes"] == [
            {"op": "set_fields", "rec": self.rec_id, "before": {"text": self.old}, "after": {"text": self.text}}]

    def still_there(self, recs):
        return recs[self.rec_id]["text"] == self.text


class Add(Change):
    def __init__(self, rec_id: str, pillar: str, title: str):
        self.rec_id = rec_id
        self.rec = {"id": rec_id, "pillar": pillar, "title": title, "key": False, "text": f"The text of {title}.",
                    "section": "", "actors": [], "initiatives": [], "sources": [], "history": [],
                    "issued": dates.today().isoformat()}
        self.argv = ["add", "--pillar", pillar, "--title", title, "--id", rec_id, "--text", self.rec["text"]]
        self.loaded = self.changed = {layout.shard_of(rec_id)}

    def there(self, before, after):
        return self.rec_id in after

    def expected(self, before, after):
        return {self.rec_id: self.rec}

    def entry_ok(self, entry):
        return entry["command"] == "add" and entry["changes"] == [{"op": "add_rec", "rec": self.rec_id}]

    def still_there(self, recs):
        return recs.get(self.rec_id) == self.rec


class Undo(Change):
    """``undo --yes`` of an update-status that committed (``target``)."""

    def __init__(self, target: Update, target_entry: str):
        self.target, self.target_entry = target, target_entry
        self.argv = ["undo", "--yes"]
        self.loaded = self.changed = self.dropped = {layout.shard_of(target.rec_id)}

    def there(self, before, after):
        return self.target.event not in after[self.target.rec_id]["history"]

    def expected(self, before, after):
        rec = before[self.target.rec_id]
        return {rec["id"]: {**rec, "history": [e for e in rec["history"] if e != self.target.event]}}

    def entry_ok(self, entry):
        # Nothing disappears silently: the journal keeps the whole event it removed.
        return (entry["command"] == "undo" and entry["undoes"] == self.target_entry
                and entry["changes"] == [{"op": "remove_event", "rec": self.target.rec_id,
                                          "event": self.target.event}])

    def still_there(self, recs):
        return self.target.event not in recs[self.target.rec_id]["history"]


class Import(Change):
    """``import`` of an export: new events for some recommendations, new texts for some, a new one."""

    def __init__(self, path: Path, head: dict, recs: dict, parts: list[tuple[str, bool]], new_id: str, tag: str):
        meta = head["meta"]["1"]
        self.events, self.texts, exported = {}, {}, []
        for n, (rec_id, retext) in enumerate(parts):
            rec = copy.deepcopy(recs[rec_id])
            event = make_event(rec["history"], ("partial", "stalled", "implemented")[n % 3], "2025-06-30",
                               f"imported {tag} {n}")
            rec["history"] = history.ordered([*rec["history"], event])
            self.events[rec_id] = event
            if retext:
                rec["text"] = self.texts[rec_id] = f"Imported text {tag} {n}."
            exported.append(rec)
        self.new = {"id": new_id, "pillar": new_id.split("-")[0], "title": f"Imported {tag}", "key": True,
                    "text": f"Imported recommendation {tag}.", "section": "Imported", "actors": ["US"],
                    "initiatives": [], "sources": ["https://example.org/imported"], "issued": "2025-01-01",
                    "history": [make_event([], "in_progress", "2025-07-01", f"imported {tag} new")]}
        exported.append(self.new)
        data = {"format": 1, "exported_at": "2025-07-01T00:00:00Z", "brief": meta["brief"],
                "pillars": meta["pillars"], "recommendations": exported}
        path.write_bytes(orjson.dumps(data))
        self.argv = ["import", str(path)]
        self.loaded = self.changed = {layout.shard_of(r["id"]) for r in exported}
        self.dropped = {layout.shard_of(rec_id) for rec_id in self.texts}

    def there(self, before, after):
        return self.new["id"] in after

    def expected(self, before, after):
        changed = {self.new["id"]: self.new}
        for rec_id, event in self.events.items():
            rec = {**before[rec_id], "history": history.ordered([*before[rec_id]["history"], event])}
            if rec_id in self.texts:
                rec["text"] = self.texts[rec_id]
            changed[rec_id] = rec
        return changed

    def entry_ok(self, entry):
        ops = sorted(c["op"] for c in entry["changes"])
        return entry["command"] == f"import {self.argv[1]}" and ops == sorted(
            ["add_rec"] + ["add_event"] * len(self.events) + ["set_fields"] * len(self.texts))

    def still_there(self, recs):  # later imports give the same recommendations other texts
        return recs.get(self.new["id"]) == self.new and all(
            event in recs[rec_id]["history"] for rec_id, event in self.events.items())


# --- one tracker, crashed again and again --------------------------------------------

def write_plan(db: Path, head: dict, change: Change) -> tuple[list[str], int, int]:
    """The files a commit of ``change`` writes, in order (dirty bodies, the head, cleanups), and
    how many are bodies and cleanups. A body file whose orphans the command sets aside is
    dirty, and cleaned, though the command did not change it."""
    orphaned = {shard for shard in change.loaded if orphans(head, db, shard)}
    dirty = sorted(change.changed | orphaned)
    cleaned = sorted((set(change.dropped) | orphaned) & set(dirty))
    return [f"{s}.json" for s in dirty] + [db.name] + [f"{s}.json" for s in cleaned], len(dirty), len(cleaned)


def reach(point: str, bodies: int, cleanups: int) -> int:
    """How many times a commit of that many body files and cleanups reaches ``point``."""
    writes = bodies + 1 + cleanups
    return {"before-commit": 1, "body-written": bodies, "temp-written": writes, "temp-synced": writes,
            "backup-linked": bodies + 1, "replaced": writes, "head-written": 1, "body-cleaned": cleanups}[point]


def lands_after_commit(point: str, n: int, bodies: int) -> bool:
    """Whether a kill there finds the new head in place: the head is write number ``bodies + 1``."""
    if point in ("head-written", "body-cleaned"):
        return True
    if point in ("temp-written", "temp-synced"):
        return n > bodies + 1
    if point == "replaced":
        return n >= bodies + 1
    return False  # before-commit, body-written, backup-linked (bodies and the head before its replace)


def aimed_at(point: str, n: int, bodies: int) -> str:
    """Which write a kill at ``point:n`` interrupts: a body file's, the head's, or a cleanup's."""
    if point in ("temp-written", "temp-synced", "backup-linked", "replaced"):
        return "body" if n <= bodies else "head" if n == bodies + 1 else "cleanup"
    return {"before-commit": "before the commit", "body-written": "body", "head-written": "head",
            "body-cleaned": "cleanup"}[point]


def files_done(point: str | None, n: int, plan: list[str], bodies: int) -> tuple[list[str], list[str]]:
    """(files replaced with a backup, files whose .bak was linked) by a run killed at ``point:n``
    (None: a run that finished)."""
    done = {None: len(plan), "before-commit": 0, "body-written": n, "temp-written": n - 1, "temp-synced": n - 1,
            "backup-linked": n - 1, "replaced": n, "head-written": bodies + 1,
            "body-cleaned": bodies + 1 + n}[point]
    backed = plan[:min(done, bodies + 1)]
    return backed, backed + ([plan[n - 1]] if point == "backup-linked" else [])


class Lane:
    """A tracker, what is known to be in it, and the runs that crash it."""

    def __init__(self, folder: Path, number: int, stop: threading.Event):
        folder.mkdir()
        self.db = folder / "tracker.json"
        make_tracker(self.db, N_RECS, EVENTS_PER_REC)
        self.number, self.stop = number, stop
        self.env = cli_env(self.db)
        self.readers = Readers(self.db)
        self.recs = load(self.db)
        self.head = raw(self.db)
        self.kept: list[Change] = []  # every change found wholly there (and not undone since)
        self.saved: set[str] = set()  # files saved once: their .bak must be there from then on
        self.counts = {"aimed kills": 0, "finished": 0, "random kills": 0, "kills after the commit": 0,
                       "kills leaving a temp file": 0, "kills leaving orphans": 0, "writes that cleaned orphans": 0}
        self.aimed: dict[str, int] = {}  # aimed kills by the write they interrupted
        self.n = 0
        self.last_run = 0.0  # seconds from the start of the last command to its end
        by_shard: dict[str, list[str]] = {}
        for rec_id in self.recs:
            by_shard.setdefault(layout.shard_of(rec_id), []).append(rec_id)
        self.by_shard = dict(sorted(by_shard.items()))

    def backups(self) -> list[Path]:
        return [store.backup_path(self.db if name == self.db.name else bodies_dir(self.db) / name)
                for name in sorted(self.saved)]

    def tag(self) -> str:
        self.n += 1
        return f"lane{self.number}-{self.n}-{os.urandom(3).hex()}"

    def run(self, change: Change, aim: tuple[str, int] | None = None, *, kill_after: float | None = None) -> bool:
        """Run ``change``'s command, aimed at ``aim`` (point, n), or killed ``kill_after`` seconds
        after it starts, or left to finish; check the tracker; say whether the change is in it.

        An aim the command does not reach n times (more than ``reach`` says) must not kill it."""
        if self.stop.is_set():
            raise RuntimeError("another lane failed")
        plan, bodies, cleanups = write_plan(self.db, self.head, change)
        had_orphans = any(orphans(self.head, self.db, shard) for shard in change.loaded)
        point, n = aim or (None, 0)
        aimed = point is not None and n <= reach(point, bodies, cleanups)
        env = self.env if aim is None else {**self.env, store.CRASH_VAR: f"{point}:{n}"}
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "alliance_cli", *change.argv], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if kill_after is not None:
            time.sleep(kill_after)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
        _out, err = proc.communicate(timeout=120)
        self.last_run = time.perf_counter() - started
        killed = proc.returncode == -signal.SIGKILL
        what = f"lane {self.number}: alliance {change}" + (f" aimed at {point}:{n}" if aim else "")
        if aimed:
            assert killed, f"{what}: exit {proc.returncode}, the kill did not land\n{err.decode(errors='replace')}"
        else:
            assert proc.returncode == 0 or (kill_after is not None and killed), (
                f"{what}: exit {proc.returncode}\n{err.decode(errors='replace')}")

        left = temp_files(self.db)
        if killed:  # the CLI reads it too, in another process, while this one loads it
            self.readers.start()
        try:
            after = load(self.db)  # raises if the head names an entry no body file holds
        finally:
            if killed:
                listed, exported = self.readers.finish()
        head = raw(self.db)
        assert temp_files(self.db) == left, f"{what}: reading the tracker touched its temp files"
        if killed:
            assert sorted(row["id"] for row in listed) == sorted(after), f"{what}: list --json disagrees"
            assert {r["id"]: {k: v for k, v in r.items() if k != "status"} for r in exported["recommendations"]} \
                == after, f"{what}: export disagrees with the tracker as loaded"

        there = change.there(self.recs, after)
        if aimed:
            assert there == lands_after_commit(point, n, bodies), (
                f"{what}: the change is {'there' if there else 'absent'}, though the kill came "
                f"{'before' if there else 'after'} the head was replaced")
        if not killed:
            assert there, f"{what} exited 0, but its change is not in the tracker"
        old_journal, new_journal = journal_of(self.head), journal_of(head)
        if there:
            expected = {**self.recs, **change.expected(self.recs, after)}
            assert after == {k: v for k, v in expected.items() if v is not None}, (
                f"{what}: the change is only partly there, or something else changed")
            assert new_journal[:-1] == old_journal and change.entry_ok(new_journal[-1]), (
                f"{what}: the journal does not hold exactly this change's entry")
        else:
            assert after == self.recs, f"{what}: the change is partly there"
            assert new_journal == old_journal, f"{what}: a journal entry without its change"
        undone = change.target if there and isinstance(change, Undo) else None
        for kept in self.kept:
            assert kept is undone or kept.still_there(after), (
                f"{what}: the earlier {kept} ({' '.join(kept.argv)}) is gone")

        if not killed or aimed:
            backed, linked = files_done(point if killed else None, n, plan, bodies)
            self.saved.update(backed + linked)
        for backup in self.backups():
            assert backup.is_file(), f"{what}: {backup.name} is missing, though its file was saved"

        left_over = {shard: orphans(head, self.db, shard) for shard in change.loaded}
        if killed and aimed:
            where = aimed_at(point, n, bodies)
            self.aimed[where] = self.aimed.get(where, 0) + 1
        if killed:
            self.counts["aimed kills" if aimed else "random kills"] += 1
            self.counts["kills after the commit"] += there
            self.counts["kills leaving a temp file"] += bool(left)
            self.counts["kills leaving orphans"] += any(left_over.values())
        else:
            self.counts["finished"] += 1
            # The write took away what the kills before it left in the files it wrote.
            assert not set(left.values()) & set(plan), f"{what}: temp files of files it wrote: {left}"
            assert not any(left_over.values()), f"{what}: entries no head names are left: {left_over}"
            self.counts["writes that cleaned orphans"] += had_orphans
        if there:
            self.kept.append(change)
            if undone is not None:
                undone.undone = True
                self.kept.remove(undone)
        self.recs, self.head = after, head
        return there

    # --- the commands, each change new ---------------------------------------------

    def shards(self, count: int) -> list[str]:
        """Body files for this lane's commands: different lanes, different files."""
        names = list(self.by_shard)
        return [names[(self.number * 17 + 5 * k) % len(names)] for k in range(count)]

    def free_id(self, shard: str, pillar: str = "SEC") -> str:
        n = 10_000 + self.n * 7
        while layout.shard_of(f"{pillar}-{n}") != shard or f"{pillar}-{n}" in self.recs:
            n += 1
        return f"{pillar}-{n}"

    def series(self):
        """(name, a function giving the next change): one per command, on body files of its own."""
        update_shard, edit_shard, undo_shard, add_shard, *import_shards = self.shards(9)
        update_rec, undo_rec = self.by_shard[update_shard][0], self.by_shard[undo_shard][0]
        edit_recs = iter(self.by_shard[edit_shard])
        statuses = iter(["partial", "implemented", "stalled", "in_progress"] * 100)
        import_recs = [self.by_shard[s][0] for s in import_shards[:4]]

        def update():
            return Update(update_rec, next(statuses), f"update {self.tag()}")

        def edit():
            return Edit(next(edit_recs), f"Edited text {self.tag()}.")

        def add():
            tag = self.tag()
            return Add(self.free_id(add_shard), "SEC", f"Added {tag}")

        undo_target: list = []

        def undo():
            # Its target: an update-status that finished, the last command not undone (made anew
            # unless the last undo was killed before its commit and nothing was run since).
            if not undo_target or undo_target[0][1] != undo_target_entry(self.head):
                target = Update(undo_rec, next(statuses), f"to undo {self.tag()}")
                self.run(target)
                undo_target[:] = [(target, undo_target_entry(self.head))]
            return Undo(*undo_target[0])

        def import_():
            tag = self.tag()
            parts = [(rec_id, k < 2) for k, rec_id in enumerate(import_recs)]  # two new texts, four new events
            return Import(self.db.parent / f"import-{tag}.json", self.head, self.recs, parts,
                          self.free_id(import_shards[4], "ECON"), tag)

        return [("update-status", update), ("edit", edit), ("undo", undo), ("add", add), ("import", import_)]


def run_lanes(tmp_path: Path, drive) -> list[Lane]:
    """``drive(lane)`` on LANES trackers at once (threads: the work is in the processes)."""
    stop = threading.Event()
    lanes = [Lane(tmp_path / f"lane{k}", k, stop) for k in range(LANES)]
    errors: list[BaseException] = []

    def work(lane: Lane) -> None:
        try:
            drive(lane)
        except BaseException as exc:
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=work, args=(lane,)) for lane in lanes]
    gc.disable()  # the test holds every recommendation of both trackers: no need to walk them again and again
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        gc.enable()
        for lane in lanes:
            lane.readers.close()
    real = [e for e in errors if not (isinstance(e, RuntimeError) and str(e) == "another lane failed")]
    if real:
        raise real[0]
    for lane in lanes:
        for backup in lane.backups():  # each a whole tracker file: the version before the last save
            assert raw(backup), backup
    return lanes


def test_kill_at_every_crash_point_of_every_writing_command(tmp_path):
    """For each command, on two trackers at once: a kill at each point, for every N up to the
    number of times the command's commit reaches it (worked out before each run from the body
    files it will write, orphans included); then one run aimed past its last write, which must
    finish. Every kill must land: one that does not means the count was wrong."""
    def drive(lane: Lane) -> None:
        for _name, next_change in lane.series():
            change = None
            for point in POINTS:
                n = 1
                while True:
                    change = change or next_change()  # one not run yet is kept for the next point
                    _plan, bodies, cleanups = write_plan(lane.db, lane.head, change)
                    if n > reach(point, bodies, cleanups):
                        break
                    lane.run(change, (point, n))
                    change, n = None, n + 1
            # Aimed one past the last write it should make: it must finish (the count was not short).
            change = change or next_change()
            _plan, bodies, cleanups = write_plan(lane.db, lane.head, change)
            assert lane.run(change, ("replaced", reach("replaced", bodies, cleanups) + 1))

    lanes = run_lanes(tmp_path, drive)
    totals = {k: sum(lane.counts[k] for lane in lanes) for k in lanes[0].counts}
    where = {k: sum(lane.aimed.get(k, 0) for lane in lanes) for k in ("before the commit", "body", "head", "cleanup")}
    print(f"aimed kills that landed: {totals['aimed kills']}, in writes of {where}; {totals}")
    assert totals["aimed kills"] >= AIMED_KILLS_AT_LEAST
    assert all(where.values()), where


def test_kill_at_random_moments(tmp_path):
    """Kills from outside at random times, as a user's or a machine's would come. How many landed
    (killed the command, rather than finding it done) depends on the machine: printed only."""
    def drive(lane: Lane) -> None:
        rng = random.Random(lane.number)
        series = lane.series()
        durations = []
        for _name, next_change in (series[0], series[-1]):  # the quickest command and the slowest, whole
            lane.run(next_change())
            durations.append(lane.last_run)
        typical = sum(durations) / len(durations)
        for k in range(RANDOM_KILLS // LANES):
            _name, next_change = series[k % len(series)]
            lane.run(next_change(), kill_after=rng.uniform(0.2, 1.2) * typical)

    lanes = run_lanes(tmp_path, drive)
    landed = sum(lane.counts["random kills"] for lane in lanes)
    after_commit = sum(lane.counts["kills after the commit"] for lane in lanes)
    print(f"random kills that landed: {landed} of {RANDOM_KILLS - RANDOM_KILLS % LANES} "
          f"({after_commit} after the head was replaced)")


# --- what a killed run leaves, planted by hand -------------------------------------------

def test_temp_files_and_orphans_are_never_read_and_go_at_the_next_write(db):
    make_tracker(db, N_RECS, EVENTS_PER_REC)
    cli(db, "update-status", "SEC-1", "partial", "--note", "a normal run")
    assert temp_files(db) == {}
    mine, other = layout.shard_of("SEC-1"), layout.shard_of("ECON-1")
    assert mine != other
    pinned = {"SOURCE_DATE_EPOCH": "1700000000"}
    reads = [("list", "--json"), ("show", "SEC-1", "--json"), ("log", "SEC-1", "--json"), ("export",)]
    before = [cli(db, *args, **pinned).stdout for args in reads]

    # What killed writers leave: half a file, a whole one never renamed into place (a decoy that
    # reads would show if they looked), a backup link's temp name, and body entries no head names.
    head = raw(db)
    decoy_head = copy.deepcopy(head)
    decoy_head["recommendations"]["SEC-1"]["title"] = "DECOY never renamed into place"
    bodies = raw(body_path(db, mine))
    decoy_body = copy.deepcopy(bodies)
    sec1 = head["recommendations"]["SEC-1"]
    decoy_body[layout.RECS][sec1["body"]]["text"] = "DECOY body never renamed into place"
    for skel in sec1["history"]:
        decoy_body[layout.EVENTS][skel.split(" ")[2]]["note"] = "DECOY note"
    planted = {
        db.parent / plant_name(db.name): db.read_bytes()[:100_000],
        db.parent / plant_name(db.name): store.canonical(decoy_head),
        db.parent / plant_name(db.name + ".bak"): db.read_bytes(),
        bodies_dir(db) / plant_name(f"{mine}.json"): store.canonical(decoy_body),
        bodies_dir(db) / plant_name(f"{mine}.json"): body_path(db, mine).read_bytes()[:5_000],
        bodies_dir(db) / plant_name(f"{other}.json"): store.canonical(decoy_body),
    }
    for path, data in planted.items():
        path.write_bytes(data)
    for shard, rec_id in ((mine, "SEC-1"), (other, "ECON-1")):
        tables = raw(body_path(db, shard))
        tables[layout.RECS][f"{rec_id}@000000000000"] = {**tables[layout.RECS][head["recommendations"][rec_id]["body"]],
                                                        "text": "DECOY orphan body"}
        tables[layout.EVENTS]["0123456789abcdef"] = {"note": "DECOY orphan note", "evidence": [], "by": "",
                                                            "recorded_by": ""}
        body_path(db, shard).write_bytes(store.canonical(tables))
    assert orphans(head, db, mine) == {"SEC-1@000000000000", "0123456789abcdef"}
    assert orphans(head, db, other) == {"ECON-1@000000000000", "0123456789abcdef"}
    files_now = {p.name: p.read_bytes() for p in planted}, digest(db)

    assert [cli(db, *args, **pinned).stdout for args in reads] == before, "a read saw what it must ignore"
    assert ({p.name: p.read_bytes() for p in planted}, digest(db)) == files_now, "a read changed the files"

    cli(db, "update-status", "SEC-1", "implemented", "--note", "next write")
    left = temp_files(db)
    assert set(left.values()) == {f"{other}.json"}, f"the write left temp files of files it wrote: {left}"
    head = raw(db)
    assert orphans(head, db, mine) == set(), "the write kept entries no head names"
    assert orphans(head, db, other) == {"ECON-1@000000000000", "0123456789abcdef"}, "it wrote a file it had no need to"
    recs = load(db)
    assert recs["SEC-1"]["title"] != "DECOY never renamed into place"
    assert "DECOY" not in recs["SEC-1"]["text"]
    assert [e["note"] for e in recs["SEC-1"]["history"]][-2:] == ["a normal run", "next write"]

    cli(db, "update-status", "ECON-1", "stalled", "--note", "the other file's next write")
    assert temp_files(db) == {}
    assert orphans(raw(db), db, other) == set()
    assert "DECOY" not in orjson.dumps(load(db)).decode()


def test_a_write_after_a_kill_at_backup_linked_leaves_no_temp_file(db):
    """A kill after the backup link and before the replace leaves ``<file>.bak`` a link to the file
    itself. The next write of the file links the file under a temp name and renames that over the
    ``.bak``: a rename between two links to one file does nothing, and the temp file stayed."""
    make_tracker(db, 200)
    mine = layout.shard_of("SEC-1")
    cli(db, "update-status", "SEC-1", "partial", "--note", "first save: every file has a .bak")
    assert layout.shard_of("ECON-1") != mine
    # Killed at SEC-1's body file's link, then (a write of another body file) at the head's.
    for rec_id, n in (("SEC-1", 1), ("ECON-1", 2)):
        cli(db, "update-status", rec_id, "stalled", "--note", "killed", code=-signal.SIGKILL,
            ALLIANCE_TEST_CRASH_AT=f"backup-linked:{n}")
    for path in (db, body_path(db, mine)):
        assert os.path.samefile(path, store.backup_path(path))
    cli(db, "update-status", "SEC-1", "implemented", "--note", "the next write")
    assert temp_files(db) == {}, "a write that finished left a temp file"
    for path in (db, body_path(db, mine)):
        assert store.backup_path(path).is_file() and not os.path.samefile(path, store.backup_path(path))
    assert [e["note"] for e in load(db)["SEC-1"]["history"]][-2:] == [
        "first save: every file has a .bak", "the next write"]


# --- Ctrl-C ------------------------------------------------------------------------------

SAVED = "alliance: interrupted after the change was saved\n"
NOTHING_SAVED = "alliance: interrupted: nothing was saved\n"


def test_ctrl_c_says_in_one_line_whether_the_change_was_saved(db):
    """SIGINT at named points: before the commit nothing is written; once the commit has begun it
    is finished first, and the command says it was saved. Exit 130 (128 + SIGINT) either way."""
    make_tracker(db, N_RECS, EVENTS_PER_REC)
    before = digest(db)
    result = cli(db, "update-status", "SEC-3", "partial", "--note", "interrupted before the commit", code=130,
                 ALLIANCE_TEST_CRASH_AT="before-commit", ALLIANCE_TEST_CRASH_SIGNAL="INT")
    assert result.stderr.decode() == NOTHING_SAVED and result.stdout == b""
    assert digest(db) == before, "an interrupted command wrote to the tracker"

    aims = [("update-status", point) for point in ("temp-written:1", "temp-synced:1", "backup-linked:1",
                                                    "replaced:1", "body-written", "temp-written:2", "replaced:2",
                                                    "head-written")]
    aims.append(("edit", "body-cleaned"))
    for n, (command, point) in enumerate(aims):
        mark = f"interrupted at {point} {n}"
        args = ("update-status", "SEC-3", ("implemented", "stalled")[n % 2], "--note", mark) \
            if command == "update-status" else ("edit", "SEC-3", "--text", mark)
        before = digest(db)
        result = cli(db, *args, code=130, ALLIANCE_TEST_CRASH_AT=point, ALLIANCE_TEST_CRASH_SIGNAL="INT")
        assert result.stderr.decode() == SAVED and result.stdout == b"", (point, result.stderr)
        assert digest(db) != before
        rec = load(db)["SEC-3"]
        assert mark in (rec["text"] if command == "edit" else [e["note"] for e in rec["history"]]), point


def lock_held_by(proc: subprocess.Popen, lock: Path) -> bool:
    """Whether the process has the tracker's lock file open: it has begun its write."""
    try:
        fds = os.listdir(f"/proc/{proc.pid}/fd")
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{proc.pid}/fd/{fd}") == str(lock):
                return True
        except OSError:
            pass
    return False


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="sees when a command takes the lock through /proc")
def test_ctrl_c_at_random_moments_of_a_write(db):
    """SIGINT from outside, at a random moment from when the command takes the lock to a little
    past its usual end: exit 0 or 130, never a traceback, and the update is in the tracker exactly
    when the command finished or said it was saved. How many interrupted the command is printed."""
    make_tracker(db, N_RECS, EVENTS_PER_REC)
    lock = db.with_name(db.name + ".lock")
    env = cli_env(db)
    rng = random.Random(11)

    def start(note: str) -> tuple[subprocess.Popen, float]:
        proc = subprocess.Popen([sys.executable, "-m", "alliance_cli", "update-status", "SEC-4", "partial",
                                 "--note", note], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        while proc.poll() is None and not lock_held_by(proc, lock):
            time.sleep(0.0005)
        return proc, time.perf_counter()

    spans = []
    for n in range(3):  # how long a write takes from the lock to the end
        proc, locked = start(f"uninterrupted {n}")
        proc.communicate(timeout=120)
        spans.append(time.perf_counter() - locked)
        assert proc.returncode == 0
    span = sorted(spans)[1]

    outcomes: dict[str, int] = {}
    wrong = []  # what the CLI must not do: tallied, then reported together
    for n in range(RANDOM_SIGINTS):
        note = f"ctrl-c {n} {os.urandom(3).hex()}"
        proc, _locked = start(note)
        time.sleep(rng.uniform(0, 1.5) * span)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
        there = note in [e["note"] for e in load(db)["SEC-4"]["history"]]  # and the tracker loads
        kind = {(0, ""): "finished", (130, SAVED): "saved", (130, NOTHING_SAVED): "nothing saved",
                (130, ""): "nothing saved"}.get((proc.returncode, err), f"exit {proc.returncode}")
        assert "Traceback" not in err, err
        if kind.startswith("exit"):  # no other exit than 0, 130, or death by the signal, unhandled
            assert proc.returncode == -signal.SIGINT and err == "", f"exit {proc.returncode}: {err}"
            kind = "killed by the SIGINT"
        outcomes[kind] = outcomes.get(kind, 0) + 1
        if kind in ("finished", "saved"):
            assert there, f"{kind}, yet the update is not in the tracker"
        elif kind == "nothing saved":
            if there:
                wrong.append(f"said nothing was saved ({err.strip()!r}), yet the update is there")
        else:
            wrong.append(f"{kind} (the update is {'there' if there else 'absent'})")
    interrupted = RANDOM_SIGINTS - outcomes.get("finished", 0)
    print(f"SIGINTs that interrupted the command: {interrupted} of {RANDOM_SIGINTS}; {outcomes}")
    # A Ctrl-C after the commit, while the command printed its line or the interpreter exited,
    # once killed it silently or was reported as "nothing was saved" though the update was saved.
    assert not wrong, f"{len(wrong)} of {RANDOM_SIGINTS} Ctrl-Cs were misreported: {wrong[:3]}"


def test_ctrl_c_while_the_command_loads_is_one_line_never_a_traceback(tmp_path):
    """A Ctrl-C while alliance is still loading (before Typer, before the tracker is read)."""
    db = tmp_path / "t.json"
    env = cli_env(db)
    subprocess.run([sys.executable, "-m", "alliance_cli", "list"], env=env, capture_output=True, check=True)
    before = digest(db)
    result = subprocess.run([sys.executable, "-m", "alliance_cli", "update-status", "SEC-1", "partial"],
                            env={**env, "ALLIANCE_TEST_CRASH_AT": "launched", "ALLIANCE_TEST_CRASH_SIGNAL": "INT"},
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr, result.stdout) == (130, NOTHING_SAVED, "")
    assert digest(db) == before
