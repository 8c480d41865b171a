"""Files on disk: read whole, written atomically, under one lock, never through a planted link.

* ``canonical`` is the one serialiser of a tracker file's bytes: sorted keys,
  two-space indent, UTF-8, a final newline. The same state gives the same bytes.
* ``read_file`` opens only regular files, never blocks (a FIFO is refused, not
  waited on) and, for a tracker's companion files, never follows a symlink.
* ``write_atomic``: a temp file created with O_EXCL|O_NOFOLLOW beside the
  target, written, fsynced, the previous version linked as ``<file>.bak``
  (atomically: a ``.bak`` is always there once one was), ``os.replace``, and the
  directory fsynced. A kill at any moment leaves the old file or the new one.
  An existing file keeps its mode and group; a new one is 0600.
* ``write_lock`` holds ``<file>.lock`` (an advisory ``flock``, released by the
  kernel if the process dies) and then the head file itself, checking each time,
  once it has the flock, that the file is still the one at that path. A lock file
  deleted under its holder is not a lock: the next writer makes a new one, and
  only the head, which the holder still has locked, keeps it out.
"""

import contextlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import orjson

from alliance_cli.errors import BusyError, StoreError

TEMP_PREFIX = ".alliance-tmp-"
FILE_MODE = 0o600
DIR_MODE = 0o700
OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


# Tests name a point of a save at which the command signals itself (SIGKILL, or
# SIGINT with ALLIANCE_TEST_CRASH_SIGNAL=INT), so that every kill of the crash test
# lands where it is aimed, however busy the machine. Unset, this costs one lookup.
CRASH_VAR = "ALLIANCE_TEST_CRASH_AT"
SIGNAL_VAR = "ALLIANCE_TEST_CRASH_SIGNAL"
_passed: dict[str, int] = {}


def crash_point(name: str) -> None:
    """``ALLIANCE_TEST_CRASH_AT=NAME`` or ``NAME:N`` (the Nth time it is reached): signal here."""
    wanted = os.environ.get(CRASH_VAR)
    if not wanted or wanted.partition(":")[0] != name:
        return
    _passed[name] = _passed.get(name, 0) + 1
    if wanted in (name, f"{name}:{_passed[name]}"):
        import signal

        os.kill(os.getpid(), getattr(signal, "SIG" + os.environ.get(SIGNAL_VAR, "KILL")))


def canonical(data) -> bytes:
    return orjson.dumps(data, option=OPTIONS) + b"\n"


def read_file(path: Path, *, follow: bool = False) -> bytes | None:
    """The bytes of a regular file, or None if there is none; every failure names the file."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(_open_problem(path, exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise StoreError(f"{path} is {kind}: alliance reads and writes only regular files there")
        chunks = []
        while chunk := os.read(fd, max(info.st_size, 1 << 16)):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def _open_problem(path: Path, exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return f"{path} is a symbolic link: alliance does not follow links beside a tracker; remove it"
    if exc.errno == errno.EACCES:
        return f"cannot read {path}: permission denied"
    if exc.errno == errno.EISDIR:
        return f"{path} is a directory, not a tracker file: point --db or ALLIANCE_DB at a file"
    return f"cannot read {path}: {exc.strerror}"


def parse(path: Path, raw: bytes, what: str = "an alliance tracker file") -> dict:
    """A TinyDB file: a JSON object of tables, each an object of documents."""
    if not raw or raw.isspace():  # (strip() would copy a large file to say no)
        raise StoreError(f"{path} is empty: restore it from {backup_path(path).name} "
                         "or remove the tracker to start a new one")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreError(f"{path} is not valid JSON ({exc}): it was left untouched; "
                         f"fix it or restore {backup_path(path).name}") from None
    if type(data) is not dict or not all(type(t) is dict for t in data.values()):
        raise StoreError(f"{path} is JSON but not {what}: point --db or ALLIANCE_DB at a tracker file")
    return data


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def write_atomic(path: Path, data: bytes | list[bytes], *, backup: bool = False, mode: int | None = None,
                 like: Path | None = None) -> None:
    """Replace ``path`` by ``data`` all at once; ``backup`` keeps the old file as ``<file>.bak``.

    The new file takes the mode and group of the file it replaces (or of
    ``like``), else ``mode``, else 0600.
    """
    directory = path.parent
    current = check_writable(path)
    model = current or (_lstat(like) if like is not None else None)
    tmp = directory / f"{TEMP_PREFIX}{path.name}.{os.urandom(6).hex()}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    except OSError as exc:
        raise StoreError(f"cannot write {path}: cannot create a file in {directory} ({exc.strerror})") from None
    try:
        try:
            _set_owner_and_mode(fd, model, mode)
            _write_all(fd, data)
            crash_point("temp-written")
            os.fsync(fd)
        finally:
            os.close(fd)
        crash_point("temp-synced")
        if backup and current is not None:
            _link_backup(path)
            crash_point("backup-linked")
        os.replace(tmp, path)
        crash_point("replaced")
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise StoreError(f"cannot write {path}: {exc.strerror}; it was left as it was") from None
        raise
    fsync_dir(directory)


def check_writable(path: Path) -> os.stat_result | None:
    """Refuse, before anything is written, a target that a save could not replace as it should."""
    current = _lstat(path)
    if current is not None and stat.S_ISLNK(current.st_mode):
        raise StoreError(f"{path} is a symbolic link: alliance does not write through links it did not make")
    # os.replace needs only a writable folder: without this a read-only (chmod a-w)
    # file would silently be replaced by a writable one.
    if current is not None and not os.access(path, os.W_OK, follow_symlinks=False):
        raise StoreError(f"cannot write {path}: the file is read-only; make it writable to record changes")
    folder = path.parent
    if os.path.isdir(folder) and not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"cannot write {path}: its folder {folder} is read-only")
    return current


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _set_owner_and_mode(fd: int, model: os.stat_result | None, mode: int | None) -> None:
    if model is None:
        os.fchmod(fd, FILE_MODE if mode is None else mode)
        return
    with contextlib.suppress(OSError):  # keeping the group needs to be a member of it
        os.fchown(fd, -1, model.st_gid)
    os.fchmod(fd, stat.S_IMODE(model.st_mode))


def _write_all(fd: int, data: bytes | list[bytes]) -> None:
    for part in [data] if isinstance(data, bytes | bytearray) else data:
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view):]


def _link_backup(path: Path) -> None:
    # A hard link costs nothing. It is made under a temp name and renamed over
    # the old backup, so that some ``.bak`` exists at every moment.
    tmp = path.with_name(f"{TEMP_PREFIX}{path.name}.bak.{os.urandom(6).hex()}")
    try:
        os.link(path, tmp)
    except OSError:
        return  # a file system without hard links: the save goes on without a backup
    with contextlib.suppress(OSError):
        os.replace(tmp, backup_path(path))
    # Gone once renamed; still there if the rename failed, or did nothing: a rename between two
    # links to one file (a .bak linked by a write killed before its replace) is a no-op.
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def clean_stale_temps(directory: Path, names: set[str]) -> None:
    """Remove what a killed writer left: only a holder of the lock may call this.

    Only temp files of ``names`` are ours; another tracker in the same folder has
    its own lock, and its writer may be mid-save.
    """
    own = re.compile(re.escape(TEMP_PREFIX) + r"(.+?)(?:\.bak)?\.[0-9a-f]{12}")
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        found = own.fullmatch(entry.name)
        if found and found.group(1) in names and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dir(path: Path, like: Path | None = None) -> None:
    """A tracker's own folder (its bodies): created private, or checked to be a real folder."""
    info = _lstat(path)
    if info is None:
        mode = DIR_MODE
        model = _lstat(like) if like is not None else None
        if model is not None:  # a team's group-readable tracker keeps its bodies readable too
            mode |= (0o050 if model.st_mode & 0o040 else 0) | (0o005 if model.st_mode & 0o004 else 0)
        try:
            os.mkdir(path, mode)
            os.chmod(path, mode)  # mkdir's mode is cut by the umask
        except OSError as exc:
            raise StoreError(f"cannot create {path}: {exc.strerror}") from None
        fsync_dir(path.parent)
        return
    if not stat.S_ISDIR(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a folder"
        raise StoreError(f"{path} is {kind}: it should be the tracker's folder of bodies; move it away")


def keep_link(source: Path, target: Path) -> bool:
    """Keep ``source`` as ``target`` too (a hard link, else a copy); False if a regular file
    was already kept there (an earlier original, never overwritten). A link is refused."""
    existing = _lstat(target)
    if existing is not None:
        if stat.S_ISREG(existing.st_mode):
            return False
        raise StoreError(f"{target} is in the way (not a regular file): move it away and run the command again")
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        raise StoreError(f"{target} appeared while alliance was writing it: run the command again") from None
    except OSError:  # no hard links here: a copy
        raw = read_file(source, follow=True)
        if raw is None:
            raise StoreError(f"cannot read {source}: it does not exist") from None
        write_atomic(target, raw)
    return True


@contextlib.contextmanager
def write_lock(path: Path, timeout: float) -> Iterator[None]:
    """Hold ``<file>.lock`` and the head ``path`` (if there is one yet) for a whole read-change-write.

    ``<file>.lock`` is what other tools see (any ``flock`` on it waits for us). The
    head is locked too because the lock file can be deleted under its holder: a
    writer that comes next makes a new lock file, gets it at once, and without the
    head's lock would read and commit beside the holder, one update lost. Replacing
    the head (every commit) or deleting it gives it a new inode: a writer that waited
    on the old one opens it again, as it does a lock file.
    """
    import time

    lock_file = path.with_name(path.name + ".lock")
    deadline = time.monotonic() + timeout
    lock_fd = _hold(lock_file, lambda: _open_lock_file(lock_file, path), deadline, path)
    try:
        head_fd = _hold(path, lambda: _open_head(path), deadline, path)
        try:
            yield
        finally:
            if head_fd is not None:
                os.close(head_fd)
    finally:
        os.close(lock_fd)  # closing the descriptor releases the lock


def _hold(target: Path, opener, deadline: float, path: Path) -> int | None:
    """A descriptor of the file now at ``target``, flocked; None if ``opener`` finds none."""
    while True:
        fd = opener()
        if fd is None:
            return None
        try:
            if _acquire(fd, target, deadline, path):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # it was replaced or deleted while we waited: open what is there now


def _open_head(path: Path) -> int | None:
    """The head, to lock; None if there is none yet or it is not a regular file (the load says why)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return fd


def _open_lock_file(lock_file: Path, path: Path) -> int:
    flags = os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(lock_file, os.O_RDWR | flags, FILE_MODE)
    except PermissionError:
        # A lock file left by an earlier command can be locked read-only when we cannot write it.
        try:
            fd = os.open(lock_file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:
            raise StoreError(f"cannot write {path}: cannot create or open its lock file {lock_file}") from None
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {_open_problem(lock_file, exc)}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise StoreError(f"cannot write {path}: its lock file {lock_file} is not a regular file; remove it")
    return fd


def _acquire(fd: int, target: Path, deadline: float, path: Path) -> bool:
    """True once we hold the lock of the file now at ``target``; False to open it again."""
    import fcntl
    import time

    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise BusyError(f"the tracker is busy (file {path}): another alliance command "
                                "is still writing it; try again") from None
            time.sleep(0.02)
    held, now = os.fstat(fd), _lstat(target)
    return now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)
