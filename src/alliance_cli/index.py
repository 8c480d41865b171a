"""A derived index beside the tracker file, so that reads need not parse every event.

The tracker file stays the one record, in the same canonical bytes. Beside it,
``<file>.index`` (safe to delete; never shared) holds the tables other than
the recommendations, and for each recommendation only what `list` and
`report` show (``LIGHT_KEYS``), a summary of its history (enough for the
present), and where the document and its history sit in the tracker file. It
is keyed by the file's identity (inode, size, mtime, ctime): any change made
outside alliance (an editor, git, a copy) makes it stale, and a stale index is
ignored.

Documents read through it are *light*: histories load lazily, one at a time
(``LazyHistory``), and the other fields are read from the tracker file when
a command asks for the whole document (``complete``). A save copies the bytes
of every untouched document from the old file instead of re-serialising it
(``assemble``); a light document that was changed is refused, never written
short of its fields.
"""

import contextlib
import datetime as dt
import mmap
import os
from pathlib import Path

import orjson

from alliance_cli import store
from alliance_cli.progress import RECENT_DAYS
from alliance_cli.store import OPTIONS, plain, write_atomic

VERSION = 4
# What list and report read of a recommendation: the index holds these, the file the rest.
LIGHT_KEYS = ("id", "pillar", "title", "key", "due")
SLIM_KEYS = ("id", "date", "recorded_at", "to")
RECS = "recommendations"
# Unique per process: stands in for a history while its document is serialised.
_PLACEHOLDER = f"@@alliance-history-{os.urandom(16).hex()}@@"
_QUOTED = orjson.dumps(_PLACEHOLDER)
TAIL_DAYS = RECENT_DAYS  # the tail must hold every event today's report lists as recent


class Source:
    """The tracker file as the index was checked against it: mapped once, read by slices.

    It keeps its own descriptor too, so that a save can have the kernel copy
    untouched bytes to the new file (``FileSlice``) without reading them.
    """

    __slots__ = ("data", "fd")

    def __init__(self, fd: int):
        size = os.fstat(fd).st_size
        self.data = mmap.mmap(fd, size, access=mmap.ACCESS_READ) if size else b""
        self.fd = os.dup(fd)

    def __del__(self):
        with contextlib.suppress(OSError, AttributeError, TypeError):
            os.close(self.fd)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset:offset + length]

    def view(self, offset: int, length: int) -> memoryview:
        return memoryview(self.data)[offset:offset + length]


class FileSlice:
    """``length`` bytes of a tracker file at ``offset``: a part of a save that
    ``store.write_parts`` copies file to file."""

    __slots__ = ("source", "offset", "length")

    def __init__(self, source: Source, offset: int, length: int):
        self.source, self.offset, self.length = source, offset, length

    def __bytes__(self) -> bytes:
        return self.source.read(self.offset, self.length)


class LazyHistory(list):
    """A history parsed on first use; until then ``summary`` answers for the present.

    It also remembers its recommendation as the index had it (``origin``: the
    fields, and where the whole document and its history sit in the file), so
    that a save can copy an untouched document's bytes instead of serialising
    it, and ``complete`` can read the fields the index left out.
    """

    __slots__ = ("file", "summary", "origin", "loaded", "complete")

    def __init__(self, source: Source, summary: dict, origin: list):
        super().__init__()
        self.file, self.summary, self.origin = source, summary, origin
        self.loaded = self.complete = False

    def raw_place(self) -> tuple["Source", int, int] | None:
        """Where the history's bytes are in the file, while it is not loaded."""
        if self.loaded:
            return None
        _, hist_off, hist_len, _, _ = self.origin
        return self.file, hist_off, hist_len

    def parse(self) -> list[dict]:
        """The events as the file has them, parsed in place from the map (not copied)."""
        _, hist_off, hist_len, _, _ = self.origin
        return orjson.loads(self.file.view(hist_off, hist_len))

    def untouched(self, doc: dict) -> bool:
        """True if neither the document's fields nor its history changed since it was read."""
        return not self.loaded and self.same_fields(doc)

    def same_fields(self, doc: dict) -> bool:
        fields = self.origin[0]
        # A subset test of items() compares every field at C speed.
        return len(doc) == len(fields) + 1 and doc.items() >= fields.items()

    def read_fields(self) -> dict:
        """The document's fields as the file has them, without parsing its history."""
        _, hist_off, hist_len, doc_off, doc_len = self.origin
        head = self.file.read(doc_off, hist_off - doc_off)
        tail = self.file.read(hist_off + hist_len, doc_off + doc_len - hist_off - hist_len)
        fields = orjson.loads(head + b"[]" + tail)
        del fields["history"]
        return fields

    def _load(self) -> None:
        if not self.loaded:
            self.loaded = True
            super().extend(self.parse())

    def __iter__(self):
        self._load()
        return super().__iter__()

    def __len__(self):
        self._load()
        return super().__len__()

    def __getitem__(self, item):
        self._load()
        return super().__getitem__(item)

    def __bool__(self):
        self._load()
        return super().__len__() > 0

    def __eq__(self, other):
        self._load()
        return list.__eq__(self, other)

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        self._load()
        return super().__repr__()

    __hash__ = None


def events(history: list[dict]) -> list[dict]:
    """A history's events; a lazy one not loaded yet is parsed for the caller and stays unloaded."""
    if isinstance(history, LazyHistory) and not history.loaded:
        return history.parse()
    return list(history)


def complete(doc: dict) -> dict:
    """Give a light document (in place) the fields the index left out; its history stays lazy."""
    history = doc.get("history")
    if isinstance(history, LazyHistory) and not history.complete:
        if not history.same_fields(doc):
            raise RuntimeError(f"internal error: light document {doc.get('id')!r} changed before it was completed")
        fields = history.read_fields()
        doc.update(fields)
        history.origin[0] = fields
        history.complete = True
    return doc


def light_histories(tables: dict) -> dict:
    """The lazy histories of light documents, by doc id: ``check_light`` needs them at save time."""
    return {doc_id: h for doc_id, doc in tables.get(RECS, {}).items()
            if isinstance(h := doc.get("history"), LazyHistory) and not h.complete}


def check_light(tables: dict, light: dict) -> None:
    """Refuse a save in which a light document lost its lazy history before it was completed.

    ``assemble`` copies an untouched light document's bytes and completes one
    whose history was read; one whose history was replaced could only be
    written short of the fields the index left out. (Removing one is fine.)
    """
    recs = tables.get(RECS, {})
    for doc_id, history in light.items():
        doc = recs.get(doc_id)
        if not history.complete and doc is not None and doc.get("history") is not history:
            raise RuntimeError(f"internal error: light document {doc_id} was changed without being completed")


# --- writing: the canonical bytes, and where each history is -------------------

def assemble(tables: dict) -> tuple[bytes, dict[str, tuple[int, int, int, int]]]:
    """Exactly ``dumps(tables)``, and where each recommendation sits in it."""
    parts, places, _ = assemble_parts(tables)
    return b"".join(map(bytes, parts)), places


def assemble_parts(tables: dict) -> tuple[list, dict[str, tuple[int, int, int, int]], set[str]]:
    """``assemble`` as a list of buffers (slices of the old file are not copied).

    ``places`` maps a doc id to (history offset, history length, document
    offset, document length); the set holds the documents copied untouched.
    Built table by table and document by document, as orjson lays them out,
    so that an untouched document is copied from the old file as bytes, never
    parsed or serialised.
    """
    out = _Pieces()
    places: dict[str, tuple[int, int, int, int]] = {}
    copied: set[str] = set()
    out.add(b"{\n")
    for t_i, name in enumerate(sorted(tables)):
        table = tables[name]
        out.add(b"  " + orjson.dumps(name) + b": ")
        if name == RECS and table:
            out.add(b"{\n")
            _append_recs(out, table, places, copied)
            out.add(b"  }")
        else:  # the small tables (meta, journal) in one call, as orjson lays them out
            out.add(reindent(orjson.dumps(table, default=plain, option=OPTIONS), 2))
        out.add(b",\n" if t_i < len(tables) - 1 else b"\n")
    out.add(b"}\n")
    return out.parts(), places, copied


def _append_recs(out: "_Pieces", table: dict, places: dict, copied: set) -> None:
    last = len(table) - 1
    for d_i, doc_id in enumerate(sorted(table)):
        doc = table[doc_id]
        out.add(b"    " + orjson.dumps(doc_id) + b": ")
        history = doc.get("history")
        if type(history) is LazyHistory and history.untouched(doc):
            _, hist_off, hist_len, doc_off, doc_len = history.origin
            start = out.size
            out.copy(history.file, doc_off, doc_len)
            places[doc_id] = (start + hist_off - doc_off, hist_len, start, doc_len)
            copied.add(doc_id)
        else:
            places[doc_id] = _append_rec(out, doc)
        out.add(b",\n" if d_i < last else b"\n")


class _Pieces:
    """Output as new bytes and slices of the old file, in order.

    A copy that continues the previous one in the old file, with exactly the
    old file's bytes written between them (keys and separators), extends that
    slice. Compared byte for byte, not by length: a field edited to a value of
    the same length ("2027-01-01" to "2028-01-01") must not be read back from
    the old file.
    """

    __slots__ = ("out", "size", "run", "between", "gap")

    def __init__(self):
        self.out: list = []
        self.size = 0
        self.run: list | None = None  # [source, start, end] of the slice being extended
        self.between: list[bytes] = []
        self.gap = 0

    def add(self, data: bytes) -> None:
        self.between.append(data)
        self.gap += len(data)
        self.size += len(data)

    def copy(self, source: Source, offset: int, length: int) -> None:
        run = self.run
        if (run is not None and run[0] is source and run[2] + self.gap == offset
                and source.view(run[2], self.gap) == b"".join(self.between)):
            run[2] = offset + length
        else:
            self._flush()
            self.run = [source, offset, offset + length]
        self.between, self.gap = [], 0
        self.size += length

    def _flush(self) -> None:
        if self.run:
            source, start, end = self.run
            self.out.append(FileSlice(source, start, end - start))
        self.out.extend(self.between)

    def parts(self) -> list:
        self._flush()
        self.run, self.between, self.gap = None, [], 0
        return self.out


def _append_rec(out: _Pieces, doc: dict) -> tuple[int, int, int, int]:
    doc_start = out.size
    history = doc.get("history", [])
    if isinstance(history, LazyHistory):
        complete(doc)  # its history was read: the fields the index left out come from the file
    body = reindent(orjson.dumps({**doc, "history": _PLACEHOLDER}, default=plain, option=OPTIONS), 4)
    before, after = body.split(_QUOTED)
    out.add(before)
    hist_start = out.size
    place = history.raw_place() if isinstance(history, LazyHistory) else None
    if place is not None:
        out.copy(*place)
    else:
        out.add(reindent(orjson.dumps(history, default=plain, option=OPTIONS), 6))
    hist_len = out.size - hist_start
    out.add(after)
    return hist_start, hist_len, doc_start, out.size - doc_start


def reindent(fragment: bytes, spaces: int) -> bytes:
    # orjson never writes a raw newline inside a string, so every newline is layout.
    return fragment.replace(b"\n", b"\n" + b" " * spaces)


# --- the index file ---------------------------------------------------------------

def index_path(path: Path) -> Path:
    return path.with_name(path.name + ".index")


def file_key(st: os.stat_result) -> list[int]:
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def index_body(tables: dict, places: dict[str, tuple[int, int, int, int]], today: dt.date,
               copied: set[str] = frozenset()) -> bytes:
    """The index but its key, serialised: it does not need the new file, so a save builds
    it while the file is being synced. ``copied``: documents copied untouched by ``assemble``."""
    tail_from = (today - dt.timedelta(days=TAIL_DAYS)).isoformat()
    return orjson.dumps({
        "version": VERSION,
        "built": today.isoformat(),
        "tables": {name: table for name, table in tables.items() if name != RECS},
        "recs": [[doc_id, _light(doc, doc_id in copied), summarize(doc["history"], tail_from), *places[doc_id]]
                 for doc_id, doc in tables.get(RECS, {}).items()],
    }, default=plain)


def write_index_body(path: Path, body: bytes, key: list[int] | None = None) -> None:
    """Best effort: ``body`` keyed by the file's identity (``key``: as it was when read).

    An index that cannot be written only means slower reads.
    """
    from alliance_cli.errors import StoreError

    with contextlib.suppress(OSError, StoreError):
        key_bytes = orjson.dumps(key or file_key(path.stat()))
        # No fsync: after a crash a lost or stale index is only ignored. A reader
        # holds no lock, so it leaves other commands' temp files alone.
        write_atomic(index_path(path), b'{"key":' + key_bytes + b"," + body[1:], sync=False,
                     clean_temps=key is None)


def _light(doc: dict, copied: bool) -> dict:
    if copied and not doc["history"].complete:
        return doc["history"].origin[0]  # read light, unchanged
    return {k: doc[k] for k in LIGHT_KEYS if k in doc}


def summarize(history: list[dict], tail_from: str) -> dict:
    """What the present needs of a history: the latest change and those from ``tail_from`` on."""
    if isinstance(history, LazyHistory) and not history.loaded:
        return _carry_forward(history.summary, tail_from)
    return _summary_of(history, tail_from)


def _summary_of(history: list[dict], tail_from: str) -> dict:
    from alliance_cli import history as hist

    steps = hist.transitions(history)
    before, last = steps[-1] if steps else ("not_assessed", None)
    # Of the latest event only what places it and its status: a recent one is in the tail whole.
    slim = {k: last[k] for k in SLIM_KEYS} if last else None
    return {"last": slim, "before": before, "tail_from": tail_from,
            "tail": [[b, e] for b, e in steps if e["date"] >= tail_from]}


def _carry_forward(summary: dict, tail_from: str) -> dict:
    # An untouched history keeps its summary; the tail only ever shrinks with time.
    if tail_from <= summary["tail_from"]:
        return summary
    return {**summary, "tail_from": tail_from, "tail": [s for s in summary["tail"] if s[1]["date"] >= tail_from]}


def _schema_of(tables: dict):
    """The schema version the meta table states, if any (the index never raises: it gives way)."""
    return next(iter(tables.get("meta", {}).values()), {}).get("schema")


def read_index(path: Path, schema: int) -> dict | None:
    """The tables with light documents, or None when there is no usable index."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        raw = index_path(path).read_bytes()
        entry = orjson.loads(raw)
        if entry.get("version") != VERSION or entry.get("key") != file_key(os.fstat(fd)):
            raise ValueError("stale")
        tables = entry["tables"]
        if _schema_of(tables) != schema:
            raise ValueError("another schema")
        source = Source(fd)  # it maps the file and keeps its own descriptor: ours is closed below
        tables[RECS] = {doc_id: {**fields, "history": LazyHistory(source, summary, [fields, *where])}
                        for doc_id, fields, summary, *where in entry["recs"]}
    except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None
    finally:
        os.close(fd)
    return tables


# --- rebuilding: from the tracker file itself, one document at a time ----------

_RECS_OPEN = b'\n  "recommendations": {\n'
_RECS_CLOSE = b"\n  }\n}\n"
_DOC_END = b"\n    }"
_HISTORY = b'\n      "history": '
_HISTORY_END = b"\n      ]"


def rebuild(path: Path, schema: int, today: dt.date, *, save: bool) -> dict | None:
    """The tables with light documents, read from the tracker file one document at a time.

    For a file changed outside alliance (git pull, a copy): it needs a fraction
    of the memory of a full parse, and with ``save`` the index is written again
    (keyed by the file as it was read), so the next command is fast. Only a
    file in exactly the bytes alliance writes is read this way: anything else
    gives None, and the caller parses it whole.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        key = file_key(os.fstat(fd))
        tail_from = (today - dt.timedelta(days=TAIL_DAYS)).isoformat()
        scanned = _scan(Source(fd), schema, tail_from)
    except (OSError, ValueError, KeyError, TypeError, IndexError, orjson.JSONDecodeError):
        return None
    finally:
        os.close(fd)
    if scanned is None:
        return None
    tables, places = scanned
    if save:
        write_index_body(path, index_body(tables, places, today, set(places)), key)
    return tables


def _scan(source: Source, schema: int, tail_from: str) -> tuple[dict, dict] | None:
    data = source.data
    start = data.find(_RECS_OPEN)
    if start < 0 or data[-len(_RECS_CLOSE):] != _RECS_CLOSE:
        return None
    others = _other_tables(data[:start])
    if others is None or _schema_of(others) != schema:
        return None
    recs: dict[str, dict] = {}
    places: dict[str, tuple[int, int, int, int]] = {}
    pos, last = start + len(_RECS_OPEN), len(data) - len(_RECS_CLOSE)
    while True:
        found = _scan_doc(data, pos, tail_from)
        if found is None or (recs and found[0] <= next(reversed(recs))):  # keys sorted, unique
            return None
        doc_id, light, summary, place = found
        places[doc_id] = place
        recs[doc_id] = {**light, "history": LazyHistory(source, summary, [light, *place])}
        end = place[2] + place[3]
        if end == last:
            return {**others, RECS: recs}, places
        if data[end:end + 2] != b",\n":
            return None
        pos = end + 2


def _other_tables(head: bytes) -> dict | None:
    """The tables before the recommendations, if written exactly as alliance writes them."""
    if not head.endswith(b","):
        return None
    others = orjson.loads(head[:-1] + b"\n}")
    canonical = store.dumps({**others, RECS: {}})
    return others if canonical == head + b'\n  "recommendations": {}\n}\n' else None


def _scan_doc(data, pos: int, tail_from: str):
    """One ``    "<id>": {...}`` at ``pos``: (id, light fields, summary, place), or None."""
    colon = data.find(b": ", pos)
    if data[pos:pos + 4] != b"    " or colon < 0:
        return None
    doc_id = orjson.loads(data[pos + 4:colon])
    doc_off = colon + 2
    doc_end = data.find(_DOC_END, doc_off)
    if not isinstance(doc_id, str) or doc_end < 0:
        return None
    doc = data[doc_off:doc_end + len(_DOC_END)]
    hist = doc.index(_HISTORY) + len(_HISTORY)
    hist_end = hist + 2 if doc[hist:hist + 2] == b"[]" else doc.index(_HISTORY_END, hist) + len(_HISTORY_END)
    # Parsed in two parts, so that a range that is not the history array fails here.
    fields = orjson.loads(doc[:hist] + b"[]" + doc[hist_end:])
    history = orjson.loads(doc[hist:hist_end])
    fields["history"] = history
    if reindent(orjson.dumps(fields, option=OPTIONS), 4) != doc:  # not alliance's bytes
        return None
    light = {k: fields[k] for k in LIGHT_KEYS if k in fields}
    return doc_id, light, _summary_of(history, tail_from), (doc_off + hist, hist_end - hist, doc_off, len(doc))
