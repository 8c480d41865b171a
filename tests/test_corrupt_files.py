"""A tracker file that cannot be used is reported in one line, never overwritten.

Every write is refused with exit 1, one line on stderr naming the file, no
traceback, and every file in the folder untouched. That holds for the head, for
each body file, and for the files alliance keeps beside them (lock, backups,
the bodies folder): a FIFO never blocks, a planted symlink is never followed.
Read-only files and folders are still readable by list, show and report.
"""

import os
import pwd
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from alliance_cli.store import files, layout

from bigtracker import make_tracker
from conftest import digest, tree_state

SRC = Path(__file__).resolve().parents[1] / "src"
WRITE = ("update-status", "SEC-1", "partial", "--note", "must not be written")
READS = (("list",), ("show", "SEC-1"), ("report",), ("list", "--format", "table"), ("show", "SEC-1", "--json"))


def assert_one_line(stderr: str, path: Path) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("alliance: ") and str(path) in lines[0], stderr
    assert "Traceback" not in stderr


def valid_bytes(tmp_path: Path) -> bytes:
    """The head of a valid tracker (a broken head fails before any body is read)."""
    sample = tmp_path / "sample" / "tracker.json"
    sample.parent.mkdir()
    make_tracker(sample, 12, 2)
    data = sample.read_bytes()
    shutil.rmtree(sample.parent)
    return data


def edited(change):
    """A hand edit of the parsed head, saved back in canonical bytes."""
    def apply(raw: bytes) -> bytes:
        data = orjson.loads(raw)
        change(data)
        return files.canonical(data)
    return apply


def _rec(data: dict) -> dict:
    return data["recommendations"]["SEC-1"]


def _event(data: dict, change) -> None:
    """Change the fields (DATE RECORDED_AT ID FROM TO) of SEC-1's first event skeleton."""
    history = _rec(data)["history"]
    history[0] = " ".join(change(history[0].split(" ")))


def _without_meta(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "meta"}


def _schema_99(data: dict) -> dict:
    data["meta"]["1"]["schema"] = 99
    return data


def _no_schema(data: dict) -> dict:
    del data["meta"]["1"]["schema"]
    return data


BROKEN = {
    "empty": lambda raw: b"",
    "whitespace": lambda raw: b" \n\t\n",
    "truncated": lambda raw: raw[: len(raw) // 2],
    "one-byte-short": lambda raw: raw.rstrip()[:-1],
    "nul-bytes": lambda raw: b"\x00" * 4096,
    "invalid-utf8": lambda raw: raw.replace(b'"SEC-1"', b'"SEC-\xff"', 1),
    "list": lambda raw: b"[]\n",
    "list-of-tracker": lambda raw: b"[" + raw + b"]",
    "number": lambda raw: b"42\n",
    "empty-dict": lambda raw: b"{}\n",
    "table-not-dict": lambda raw: b'{"meta": 1, "recommendations": []}\n',
    "no-meta": lambda raw: files.canonical(_without_meta(orjson.loads(raw))),
    "no-schema": lambda raw: files.canonical(_no_schema(orjson.loads(raw))),
    "schema-99": lambda raw: files.canonical(_schema_99(orjson.loads(raw))),
    # Hand edits of the right JSON but the wrong shape (each once gave a traceback).
    "meta-without-brief": edited(lambda d: d["meta"]["1"].pop("brief")),
    "meta-without-pillars": edited(lambda d: d["meta"]["1"].pop("pillars")),
    "pillars-not-a-list": edited(lambda d: d["meta"]["1"].update(pillars={"SEC": "x"})),
    "brief-title-a-number": edited(lambda d: d["meta"]["1"]["brief"].update(title=7)),
    "rec-without-history": edited(lambda d: _rec(d).pop("history")),
    "rec-without-body": edited(lambda d: _rec(d).pop("body")),
    "history-not-a-list": edited(lambda d: _rec(d).update(history="none")),
    "event-missing-a-field": edited(lambda d: _event(d, lambda f: f[:4])),
    "event-a-number": edited(lambda d: _rec(d)["history"].__setitem__(0, 20240101)),
    "event-date-not-a-date": edited(lambda d: _event(d, lambda f: ["2024-02-30", *f[1:]])),
    "event-unknown-status": edited(lambda d: _event(d, lambda f: [*f[:4], "done"])),
    "event-id-not-hex": edited(lambda d: _event(d, lambda f: [f[0], f[1], "deadbeefzz", *f[3:]])),
    "event-id-with-newline": edited(lambda d: _event(d, lambda f: [f[0], f[1], "deadbeef\n", *f[3:]])),
    "event-twice": edited(lambda d: _rec(d)["history"].append(_rec(d)["history"][0])),
    "events-out-of-order": edited(lambda d: _rec(d)["history"].reverse()),
    "title-a-list": edited(lambda d: _rec(d).update(title=["x"])),
    "key-a-string": edited(lambda d: _rec(d).update(key="yes")),
    "unknown-pillar": edited(lambda d: _rec(d).update(pillar="MOON")),
    "id-filed-elsewhere": edited(lambda d: _rec(d).update(id="SEC-99")),
    "seq-a-string": edited(lambda d: _rec(d).update(seq="1")),
    "journal-not-numbered": edited(lambda d: d["journal"].update({"x": {"command": "c", "at": "t", "changes": []}})),
    "journal-change-unknown-op": edited(lambda d: d["journal"].update(
        {"1": {"command": "c", "at": "t", "changes": [{"op": "explode"}]}})),
    "journal-changes-not-a-list": edited(lambda d: d["journal"].update(
        {"1": {"command": "c", "at": "t", "changes": 3}})),
    "unknown-table": edited(lambda d: d.update(extra={})),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_broken_file_is_never_overwritten(run, db, tmp_path, kind):
    db.write_bytes(BROKEN[kind](valid_bytes(tmp_path)))
    before = tree_state(tmp_path)
    result = run(*WRITE, code=1)
    assert_one_line(result.stderr, db)
    assert result.stdout == ""
    assert tree_state(tmp_path) == before
    # Reading it fails the same clean way.
    for args in READS:
        assert_one_line(run(*args, code=1).stderr, db)
    assert tree_state(tmp_path) == before


def test_a_wrong_shape_names_the_field(run, db, tmp_path):
    db.write_bytes(BROKEN["event-date-not-a-date"](valid_bytes(tmp_path)))
    stderr = run("list", code=1).stderr
    assert f"{db}: recommendations.SEC-1.history[0].date: not an ISO date" in stderr, stderr


@pytest.mark.parametrize(("kind", "words"), [
    ("empty", ("is empty", "tracker.json.bak")),
    ("whitespace", ("is empty",)),
    ("truncated", ("not valid JSON", "untouched", "tracker.json.bak")),
    ("list", ("not an alliance tracker",)),
    ("no-meta", ("not an alliance tracker",)),
    ("schema-99", ("newer", "schema 99", "upgrade")),
])
def test_message_says_what_is_wrong(run, db, tmp_path, kind, words):
    db.write_bytes(BROKEN[kind](valid_bytes(tmp_path)))
    stderr = run(*WRITE, code=1).stderr
    assert all(word in stderr for word in words), stderr


def test_broken_file_real_process_has_no_traceback(db, tmp_path):
    db.write_bytes(BROKEN["truncated"](valid_bytes(tmp_path)))
    before = digest(db)
    result = subprocess.run([sys.executable, "-m", "alliance_cli", *WRITE], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(SRC), "ALLIANCE_DB": str(db)}, check=False)
    assert result.returncode == 1
    assert_one_line(result.stderr, db)
    assert digest(db) == before


def test_directory_where_the_file_should_be(run, db, tmp_path):
    db.mkdir()
    (db / "inside.txt").write_text("keep me")
    before = tree_state(tmp_path)
    assert_one_line(run(*WRITE, code=1).stderr, db)
    for args in READS:
        assert_one_line(run(*args, code=1).stderr, db)
    assert db.is_dir() and tree_state(tmp_path) == before


def test_missing_parent_directory(run, tmp_path):
    missing = tmp_path / "x" / "nope" / "tracker.json"
    before = tree_state(tmp_path)
    for args in (WRITE, *READS):
        result = run("--db", str(missing), *args, code=1)
        assert_one_line(result.stderr, missing)
    assert not (tmp_path / "x").exists(), "a --db folder must not be created"
    assert tree_state(tmp_path) == before


# --- body files and the files beside the head ----------------------------------

def _body_of(db: Path, rec_id: str) -> Path:
    return layout.shard_path(db, layout.shard_of(rec_id))


BROKEN_BODY = {
    "empty": lambda raw: b"",
    "truncated": lambda raw: raw[: len(raw) // 2],
    "list": lambda raw: b"[]\n",
    "text-a-number": lambda raw: _edit_body(raw, lambda b: b.update(text=3)),
    "source-not-a-url": lambda raw: _edit_body(raw, lambda b: b.update(sources=["javascript:alert(1)"])),
    "unknown-field": lambda raw: _edit_body(raw, lambda b: b.update(colour="red")),
    "body-missing": lambda raw: files.canonical({k: {} if k == "recommendations" else v
                                                 for k, v in orjson.loads(raw).items()}),
    "note-missing": lambda raw: files.canonical({k: {} if k == "events" else v
                                                 for k, v in orjson.loads(raw).items()}),
}


def _edit_body(raw: bytes, change) -> bytes:
    data = orjson.loads(raw)
    for body in data["recommendations"].values():
        change(body)
    return files.canonical(data)


@pytest.mark.parametrize("kind", list(BROKEN_BODY))
def test_a_broken_body_file_is_named_and_never_overwritten(run, db, kind):
    make_tracker(db, 12, 1)
    body = _body_of(db, "SEC-1")
    body.write_bytes(BROKEN_BODY[kind](body.read_bytes()))
    before = tree_state(db.parent)
    for args in (WRITE, ("show", "SEC-1"), ("export",), ("list", "--search", "x"),
                 ("edit", "SEC-1", "--title", "must not be written")):
        result = run(*args, code=1)
        assert_one_line(result.stderr, body)
    assert tree_state(db.parent) == before
    # What needs only the head still works: list and report read no body.
    assert "SEC-1" in run("list").stdout
    run("report")


def test_a_fifo_never_blocks(run, db):
    """A FIFO in place of a body file or the lock file is refused at once, not waited on."""
    make_tracker(db, 12)
    body = _body_of(db, "SEC-1")
    body.unlink()
    os.mkfifo(body)
    assert_one_line(run("show", "SEC-1", code=1).stderr, body)
    body.unlink()
    make_tracker(db, 12)
    lock = db.with_name(db.name + ".lock")
    lock.unlink(missing_ok=True)
    os.mkfifo(lock)
    result = run(*WRITE, code=1)
    assert_one_line(result.stderr, db)
    assert "lock" in result.stderr


@pytest.mark.parametrize("name", ["lock", "bodies", "body"])
def test_a_planted_symlink_is_never_followed(run, db, tmp_path, name):
    make_tracker(db, 12)
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    planted = {"lock": db.with_name(db.name + ".lock"), "bodies": layout.bodies_dir(db),
               "body": _body_of(db, "SEC-1")}[name]
    if planted.is_dir():
        shutil.rmtree(planted)
    else:
        planted.unlink(missing_ok=True)
    planted.symlink_to(target)
    before = tree_state(tmp_path)
    result = run(*WRITE, code=1)
    assert_one_line(result.stderr, planted if name != "lock" else db)
    assert "link" in result.stderr
    assert target.read_text() == "keep me" and tree_state(tmp_path) == before


def test_a_planted_backup_symlink_is_replaced_not_followed(run, db, tmp_path):
    make_tracker(db, 12)
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    backup = files.backup_path(db)
    backup.unlink(missing_ok=True)
    backup.symlink_to(target)
    run(*WRITE)
    assert target.read_text() == "keep me"
    assert not backup.is_symlink() and backup.is_file()


def test_a_temp_name_is_never_reused(run, db, monkeypatch):
    """Temp files are created with O_EXCL | O_NOFOLLOW: a link planted at the very name is refused."""
    make_tracker(db, 12)
    victim = db.parent / "victim.txt"
    victim.write_text("keep me")
    monkeypatch.setattr(os, "urandom", lambda n: b"\x01" * n)  # the temp name becomes predictable
    (db.parent / f"{files.TEMP_PREFIX}{db.name}.{'01' * 6}").symlink_to(victim)
    (layout.bodies_dir(db) / f"{files.TEMP_PREFIX}{_body_of(db, 'SEC-1').name}.{'01' * 6}").symlink_to(victim)
    result = run(*WRITE, code=1)
    assert "cannot create a file" in result.stderr
    assert victim.read_text() == "keep me"


# --- read-only files and folders -------------------------------------------------
#
# Root ignores permissions, so as root these run the CLI as an unprivileged user.

def _unprivileged_user() -> pwd.struct_passwd | None:
    for name in ("nobody", "daemon"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    return None


def _candidate_prefixes(user: pwd.struct_passwd) -> Iterator[tuple[str, list[str] | None]]:
    uid, gid = str(user.pw_uid), str(user.pw_gid)
    if shutil.which("setpriv"):
        base = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
        yield "setpriv", [*base, "--"]
        # This Python may live where the user cannot read (/root/.pyenv): keep
        # only the right to read and search; write permissions still apply.
        yield "setpriv+dac_read_search", [*base, "--inh-caps=+dac_read_search",
                                          "--ambient-caps=+dac_read_search", "--"]
    if shutil.which("runuser"):
        yield "runuser", ["runuser", "-u", user.pw_name, "--"]
    if shutil.which("su"):
        yield "su", None  # built per command: su needs one shell string


def _wrap(prefix: list[str] | None, argv: list[str], user: pwd.struct_passwd) -> list[str]:
    if prefix is None:
        return ["su", user.pw_name, "-s", "/bin/sh", "-c", shlex.join(argv)]
    return [*prefix, *argv]


class AsUser:
    """Runs the CLI as this user, or (when root) as an unprivileged one."""

    def __init__(self, home: Path):
        self.home = home
        self.user = None
        self.prefix: list[str] | None = []
        if os.geteuid() != 0:
            return
        self.user = _unprivileged_user()
        if self.user is None:
            pytest.skip("running as root and there is no unprivileged user to drop to")
        tools = list(_candidate_prefixes(self.user))
        if not tools:
            pytest.skip("running as root, where permissions do not apply, and no setpriv, runuser or su")
        os.chown(home, self.user.pw_uid, self.user.pw_gid)
        for _name, prefix in tools:
            self.prefix = prefix
            probe = self.cli_argv(["-c", "import os, alliance_cli; print(os.geteuid())"], module=False)
            result = subprocess.run(probe, capture_output=True, text=True, check=False, timeout=60)
            if result.returncode == 0 and result.stdout.strip() == str(self.user.pw_uid):
                return
        pytest.skip(f"running as root; none of {[n for n, _ in tools]} could run this Python as "
                    f"{self.user.pw_name}")

    def cli_argv(self, args: list[str], *, module: bool = True) -> list[str]:
        env = [f"PYTHONPATH={SRC}", f"HOME={self.home}", f"XDG_DATA_HOME={self.home / 'xdg'}",
               "PYTHONDONTWRITEBYTECODE=1", "COLUMNS=80"]
        argv = ["env", *env, sys.executable, *(["-m", "alliance_cli"] if module else []), *args]
        return argv if self.user is None else _wrap(self.prefix, argv, self.user)

    def own(self, *paths: Path) -> None:
        if self.user is not None:
            for path in paths:
                os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def run(self, db: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess:
        result = subprocess.run(self.cli_argv(["--db", str(db), *args]), capture_output=True, text=True,
                                check=False, timeout=60)
        assert result.returncode == code, f"{args} exited {result.returncode}: {result.stderr}"
        return result


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder an unprivileged user can reach (pytest's tmp_path is root-only when root)."""
    top = Path(tempfile.mkdtemp(prefix="alliance-perm-"))
    os.chmod(top, 0o755)
    try:
        yield top
    finally:
        for path in (top, *top.rglob("*")):
            if path.is_dir():
                os.chmod(path, 0o700)
        shutil.rmtree(top)


@pytest.fixture
def as_user(shared_dir) -> AsUser:
    home = shared_dir / "home"
    home.mkdir()
    return AsUser(home)


def _make(shared_dir: Path, as_user: AsUser, *, lock_file: bool) -> tuple[Path, Path]:
    folder = shared_dir / "data"
    folder.mkdir(mode=0o700)
    db = folder / "tracker.json"
    make_tracker(db, 12)
    bodies = layout.bodies_dir(db)
    paths = [folder, db, bodies, *bodies.iterdir()]
    if lock_file:  # as left by an earlier command, when the folder was writable
        (folder / "tracker.json.lock").touch(mode=0o600)
        paths.append(folder / "tracker.json.lock")
    as_user.own(*paths)
    return folder, db


def _check_refused_then_readable(as_user: AsUser, folder: Path, db: Path) -> None:
    before = tree_state(folder)
    mode = stat.S_IMODE(db.stat().st_mode)
    result = as_user.run(db, *WRITE, code=1)
    assert_one_line(result.stderr, db)
    assert result.stdout == ""
    assert tree_state(folder) == before
    assert stat.S_IMODE(db.stat().st_mode) == mode
    for args in READS:
        result = as_user.run(db, *args)
        assert result.stdout and result.stderr == ""
    assert "SEC-1" in as_user.run(db, "list").stdout


@pytest.mark.parametrize("lock_file", [False, True], ids=["no-lock-file", "lock-file-exists"])
def test_read_only_file(shared_dir, as_user, lock_file):
    folder, db = _make(shared_dir, as_user, lock_file=lock_file)
    db.chmod(0o400)
    _check_refused_then_readable(as_user, folder, db)


@pytest.mark.parametrize("lock_file", [False, True], ids=["no-lock-file", "lock-file-exists"])
def test_read_only_folder(shared_dir, as_user, lock_file):
    folder, db = _make(shared_dir, as_user, lock_file=lock_file)
    folder.chmod(0o500)
    _check_refused_then_readable(as_user, folder, db)


def test_read_only_file_in_read_only_folder(shared_dir, as_user):
    folder, db = _make(shared_dir, as_user, lock_file=True)
    db.chmod(0o400)
    folder.chmod(0o500)
    _check_refused_then_readable(as_user, folder, db)
