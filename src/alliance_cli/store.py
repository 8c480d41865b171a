"""The tracker's file on disk: atomic, locked, deterministic.

TinyDB's own JSONStorage rewrites the file in place (a kill mid-write leaves
half a file) and has no lock (two writers lose each other's changes). Here:

* ``FileStorage`` gives TinyDB the whole file as one in-memory dict, read once
  per command; TinyDB's table operations change it in memory only.
* ``save_file`` writes it back once, at the end of the command: serialise,
  write a temp file in the same directory, fsync, keep the previous file as
  ``<file>.bak`` (a hard link: no copy), ``os.replace``, fsync the directory.
* ``write_lock`` is held by every writing command around its whole
  read-change-write, so concurrent commands run one after the other.
* The bytes are deterministic (sorted keys, two-space indent, UTF-8): the same
  state always gives the same file, so it diffs well in git.
* A file that does not parse is never overwritten.
"""

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from alliance_cli.errors import BusyError, StoreError

TEMP_PREFIX = ".alliance-tmp-"
FILE_MODE = 0o600
DIR_MODE = 0o700


OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS


def plain(obj: Any) -> Any:
    """Subclasses (TinyDB documents, lazy histories) are stored as plain values.

    orjson would otherwise read a list subclass's storage directly: a lazy
    history not loaded yet would be written as [].
    """
    if isinstance(obj, dict):
        return dict(obj)
    if isinstance(obj, list):
        return list(obj)
    raise TypeError(f"cannot store {type(obj).__name__}")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=plain, option=OPTIONS) + b"\n"


def load_file(path: Path) -> dict:
    """Read and parse the tracker file; every way it can fail names the file."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise StoreError(f"{path} is a directory, not a tracker file: "
                         "point --db or ALLIANCE_DB at a file") from None
    except PermissionError:
        raise StoreError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    if not raw.strip():
        raise StoreError(f"{path} is empty: restore it from {backup_path(path).name} "
                         "or remove it to start a new tracker")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreError(f"{path} is not valid JSON ({exc}): it was left untouched; "
                         f"fix it or restore {backup_path(path).name}") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise StoreError(f"{path} is JSON but not an alliance tracker: "
                         "point --db or ALLIANCE_DB at a tracker file")
    return data


def save_file(path: Path, data: dict) -> None:
    """Replace ``path`` with ``data`` so that a reader or a kill never sees half a file.

    The bytes are those of ``dumps(data)``; the index beside the file is
    rewritten after it (a kill in between leaves it stale, hence unused).
    """
    from alliance_cli import dates, index

    parts, places, copied = index.assemble_parts(data)  # serialise first: a failure leaves nothing
    today = dates.today()
    body = write_atomic(path, parts, keep_backup=True,
                        meanwhile=lambda: index.index_body(data, places, today, copied))
    index.write_index_body(path, body)


def write_atomic(path: Path, payload: bytes | list, *, keep_backup: bool = False, sync: bool = True,
                 meanwhile: Callable[[], Any] | None = None, clean_temps: bool = True) -> Any:
    """Write ``payload`` (bytes, or a list of buffers) as ``path``, all or nothing.

    ``meanwhile`` runs while the kernel syncs the file (and drops the old
    backup) in another thread; its result is returned.
    """
    directory = path.parent
    # os.replace needs only a writable folder: without this a read-only
    # (chmod a-w) tracker would silently be replaced by a writable one.
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(f"cannot write {path}: the file is read-only; make it writable to record changes")
    import tempfile

    if clean_temps:  # only a holder of the lock may: see _clean_stale_temps
        _clean_stale_temps(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_path_prefix(path), suffix=".json", dir=directory)
    except OSError as exc:
        raise StoreError(f"cannot write {path}: cannot create a file in {directory} ({exc.strerror})") from None
    try:
        try:  # mkstemp already made it 0600
            write_parts(fd, [payload] if isinstance(payload, bytes | bytearray) else payload)
            result = _while_syncing(fd if sync else None, path if keep_backup else None, meanwhile)
        finally:
            os.close(fd)
        if keep_backup:
            _link_backup(path)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise StoreError(f"cannot write {path}: {exc.strerror}; it was left as it was") from None
        raise
    if sync:
        _fsync_dir(directory)
    return result


def write_parts(fd: int, parts: list) -> None:
    """Write buffers, and slices of another file (``index.FileSlice``) copied by the kernel:
    the bytes of untouched recommendations never pass through this process."""
    pending: list = []  # small buffers go out together: one system call, not one each
    for part in parts:
        if isinstance(part, bytes | bytearray | memoryview):
            pending.append(part)
            continue
        _write_all(fd, b"".join(pending))
        pending.clear()
        _copy_slice(part, fd)
    _write_all(fd, b"".join(pending))


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _copy_slice(part, fd: int) -> None:
    offset, left = part.offset, part.length
    copy = getattr(os, "copy_file_range", None)  # Linux; elsewhere (and on refusal) read and write
    while left and copy is not None:
        try:
            done = copy(part.source.fd, fd, left, offset)
        except OSError:
            break
        if done == 0:
            break
        offset, left = offset + done, left - done
    if left:
        _write_all(fd, part.source.view(offset, left))


def _while_syncing(fd: int | None, path: Path | None, meanwhile: Callable[[], Any] | None) -> Any:
    """fsync ``fd`` and remove the old backup of ``path`` in a thread, running ``meanwhile`` here.

    Both are kernel work that releases the GIL (tens of milliseconds for a
    large tracker), so the caller's own work costs nothing extra.
    """
    def kernel_work() -> None:
        if fd is not None:
            os.fsync(fd)
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                backup_path(path).unlink()

    if meanwhile is None:
        kernel_work()
        return None
    import threading

    failure: list[BaseException] = []

    def run() -> None:
        try:
            kernel_work()
        except BaseException as exc:  # re-raised in the caller's thread below
            failure.append(exc)

    worker = threading.Thread(target=run, name="alliance-fsync")
    worker.start()
    try:
        result = meanwhile()
    finally:
        worker.join()
    if failure:
        raise failure[0]
    return result


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _link_backup(path: Path) -> None:
    # A hard link costs nothing and keeps the previous state readable.
    # (The old backup was removed while the new file was being synced.)
    with contextlib.suppress(FileNotFoundError, OSError):
        os.link(path, backup_path(path))


def temp_path_prefix(path: Path) -> str:
    """Temp files of ``path`` are named after it: ``.alliance-tmp-<name>.<random>.json``."""
    return f"{TEMP_PREFIX}{path.name}."


def _clean_stale_temps(path: Path) -> None:
    # Only a killed writer leaves a temp file, and we hold the lock of ``path``,
    # so a temp file of ``path`` is stale. Those of another tracker in the same
    # folder are not ours: its writer, holding its own lock, may be mid-save.
    # (mkstemp's random part has no dot, so "a.json" never matches "a.json.x"'s.)
    own = re.compile(re.escape(temp_path_prefix(path)) + r"[^.]+\.json")
    for entry in os.scandir(path.parent):
        if own.fullmatch(entry.name):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_parent(path: Path) -> None:
    """A tracker's folder must exist: only the default data folder is created (by ``paths``)."""
    parent = path.parent
    if parent.is_dir():
        return
    raise StoreError(f"cannot create {path}: the directory {parent} does not exist")


@contextlib.contextmanager
def write_lock(path: Path, timeout: float) -> Iterator[None]:
    """Hold ``<file>.lock`` (an advisory ``flock``, released by the kernel if we die)."""
    fd = _open_lock_file(path)
    try:
        _acquire(fd, path, timeout)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _open_lock_file(path: Path) -> int:
    # fcntl directly, not filelock: the same flock, without 15-50 ms of imports
    # on every write. A lock file left by an earlier command may be locked
    # through a read-only descriptor when we cannot write it.
    lock_file = f"{path}.lock"
    try:
        return os.open(lock_file, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except PermissionError:
        with contextlib.suppress(OSError):
            return os.open(lock_file, os.O_RDONLY)
        raise StoreError(f"cannot write {path}: cannot create or open its lock file {lock_file}") from None
    except OSError as exc:
        raise StoreError(f"cannot write {path}: cannot open its lock file {lock_file} ({exc.strerror})") from None


def _acquire(fd: int, path: Path, timeout: float) -> None:
    import fcntl
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise BusyError(f"the tracker is busy (file {path}): another alliance command "
                                f"has held it for over {timeout:g}s; try again") from None
            time.sleep(0.05)


class FileStorage(Storage):
    """TinyDB storage over data already in memory; ``dirty`` says if it changed."""

    def __init__(self, data: dict):
        self.data = data
        self.dirty = False

    def read(self) -> dict:
        return self.data

    def write(self, data: dict) -> None:
        self.data = data
        self.dirty = True
