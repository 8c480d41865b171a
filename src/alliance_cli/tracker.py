"""The tracker: a brief's recommendations and their histories, in TinyDB.

``Tracker`` takes its file path as a parameter (tests and ``--db`` give their
own); ``Tracker.read()`` gives a read-only ``State``; ``Tracker.write()`` holds
the lock for the whole read-change-write and saves once at the end, only if
something changed and only if the block raised nothing.
"""

import contextlib
import difflib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tinydb import TinyDB

from alliance_cli import dates, history, store
from alliance_cli.brief import load_brief, shipped_brief_path
from alliance_cli.errors import InputError, StoreError
from alliance_cli.statuses import parse_status

SCHEMA = 1
META, RECS = "meta", "recommendations"
REC_KEYS = ("id", "pillar", "title", "text", "section", "key", "actors", "initiatives", "sources", "due")


def new_event_id() -> str:
    # Random, not sequential: copies of a tracker merged later must never clash.
    return secrets.token_hex(8)


def seed_tables(brief: dict, now: str) -> dict:
    """The file's content for a new tracker of ``brief`` (a validated brief file)."""
    recs = [{**{k: r[k] for k in REC_KEYS if k in r}, "history": []} for r in brief["recommendations"]]
    return {
        META: {"1": {"schema": SCHEMA, "brief": brief["brief"], "pillars": brief["pillars"],
                     "created_at": now}},
        RECS: {str(i): rec for i, rec in enumerate(recs, start=1)},
    }


class State:
    """One command's view of the tracker, over TinyDB tables held in memory."""

    def __init__(self, data: dict, path: Path):
        self.path = path
        self.storage = store.FileStorage(data)
        self.db = TinyDB(storage=lambda: self.storage)
        self.recs = self.db.table(RECS)
        self._meta = self._read_meta()

    def _read_meta(self) -> dict:
        docs = self.db.table(META).all()
        if len(docs) != 1 or not isinstance(docs[0].get("schema"), int):
            raise StoreError(f"{self.path} is JSON but not an alliance tracker (no schema version): "
                             "point --db or ALLIANCE_DB at a tracker file")
        if docs[0]["schema"] > SCHEMA:
            raise StoreError(f"{self.path} was written by a newer alliance (schema "
                             f"{docs[0]['schema']}, this one reads up to {SCHEMA}): upgrade alliance")
        return docs[0]

    @property
    def brief(self) -> dict:
        return self._meta["brief"]

    @property
    def pillars(self) -> list[dict]:
        return self._meta["pillars"]

    def recommendations(self) -> list[dict]:
        # The file's keys are sorted as text ("10" before "2"); the brief's order is by doc id.
        return sorted(self.recs.all(), key=lambda doc: doc.doc_id)

    def pillar_id(self, text: str) -> str:
        by_upper = {p["id"].upper(): p["id"] for p in self.pillars}
        found = by_upper.get(text.strip().upper())
        if found is None:
            raise InputError(f"unknown pillar {text!r}: use one of {', '.join(by_upper.values())}")
        return found

    def get(self, rec_id: str) -> dict:
        wanted = rec_id.strip().upper()
        for doc in self.recommendations():
            if doc["id"].upper() == wanted:
                return doc
        raise InputError(self._unknown_id_message(rec_id))

    def _unknown_id_message(self, rec_id: str) -> str:
        ids = [doc["id"] for doc in self.recs]
        close = difflib.get_close_matches(rec_id.strip().upper(), [i.upper() for i in ids], n=3, cutoff=0.5)
        names = [i for i in ids if i.upper() in close]
        hint = f"did you mean {', '.join(names)}?" if names else "see `alliance list` for the ids"
        return f"unknown recommendation {rec_id!r}: {hint}"

    def update_status(self, rec_id: str, status: str, *, date: str | None = None,
                      note: str = "", evidence: tuple[str, ...] = ()) -> tuple[dict, dict]:
        """Append a status change; returns (recommendation after, the new event)."""
        rec = self.get(rec_id)
        new = parse_status(status)
        when = dates.parse_date(date) if date is not None else dates.today()
        urls = [check_evidence_url(u) for u in evidence]
        event = {
            "id": new_event_id(),
            "date": when.isoformat(),
            "recorded_at": dates.timestamp(dates.utc_now()),
            "from": history.status_at(rec["history"], when.isoformat()),
            "to": new,
            "note": note,
            "evidence": urls,
        }
        # A new list, never an append: TinyDB's documents share nested lists
        # with the stored data.
        self.recs.update({"history": [*rec["history"], event]}, doc_ids=[rec.doc_id])
        return self.recs.get(doc_id=rec.doc_id), event


def check_evidence_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InputError(f"evidence must be an http(s) URL, not {url!r}")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url.strip()):
        raise InputError(f"evidence URL {url!r} contains spaces or control characters")
    return url.strip()


class Tracker:
    def __init__(self, path: Path, *, lock_timeout: float = 10.0, seed: Path | None = None):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.seed = seed

    def read(self) -> State:
        """A read-only view; a missing file is created from the brief first."""
        if not self.path.exists() and not self.path.is_symlink():
            with self.write():
                pass
        return State(store.load_file(self.path), self.path)

    @contextlib.contextmanager
    def write(self) -> Iterator[State]:
        store.ensure_parent(self.path)
        with store.write_lock(self.path, self.lock_timeout):
            created = not self.path.exists()
            data = self._seed_data() if created else store.load_file(self.path)
            state = State(data, self.path)
            yield state
            if created or state.storage.dirty:
                store.save_file(self.path, state.storage.data)

    def _seed_data(self) -> dict[str, Any]:
        brief = load_brief(self.seed or shipped_brief_path())
        return seed_tables(brief, dates.timestamp(dates.utc_now()))
