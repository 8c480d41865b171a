"""TinyDB over one tracker file, read once and written once, as CachingMiddleware does.

TinyDB's own JSONStorage rewrites its file in place on every change (a kill
leaves half a file) and has no lock. Here a ``Storage`` holds the file's tables
in memory: TinyDB's table operations change them there, and ``write`` (which
TinyDB calls exactly when an operation changed something) marks the file as
changed. The repository then writes each marked file once, atomically, at the
end of the command. A read-only storage refuses every write: read-only is a
property of the object, not a comment.
"""

from tinydb.storages import Storage
from tinydb.table import Table


class ReadOnlyError(RuntimeError):
    """A read-only view was asked to change: a bug in the caller, never the user's fault."""


class MemoryStorage(Storage):
    def __init__(self, tables: dict, *, writable: bool):
        self.tables = tables
        self.writable = writable
        self.changed = False

    def read(self) -> dict:
        return self.tables

    def write(self, data: dict) -> None:
        if not self.writable:
            raise ReadOnlyError("this view of the tracker is read-only")
        self.tables = data
        self.changed = True


class KeyedTable(Table):
    """A table whose documents are keyed by a string: a recommendation's id, an event's id.

    Copies of a tracker then name the same document the same way, so they diff
    and merge by what they hold, not by insertion order.
    """

    document_id_class = str


def table(storage: MemoryStorage, name: str, *, keyed: bool = False) -> Table:
    """A TinyDB table of this file: keyed by string, or numbered as TinyDB numbers documents."""
    return (KeyedTable if keyed else Table)(storage, name)
