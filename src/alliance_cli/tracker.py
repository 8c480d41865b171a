"""The tracker: a brief's recommendations and their histories, in TinyDB.

``Tracker`` takes its file path as a parameter (tests and ``--db`` give their
own); ``Tracker.read()`` gives a read-only ``State``; ``Tracker.write()`` holds
the lock for the whole read-change-write and saves once at the end, only if
something changed and only if the block raised nothing. Both read through the
derived index when it is current (``index``), so histories load only when used.
"""

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from alliance_cli import dates, history, index, journal, migrations, store
from alliance_cli.errors import InputError, StoreError
from alliance_cli.migrations import META, RECS, SCHEMA
from alliance_cli.statuses import parse_status

REC_KEYS = ("id", "pillar", "title", "text", "section", "key", "actors", "initiatives", "sources", "due", "quote")


def new_event_id() -> str:
    # Random, not sequential: copies of a tracker merged later must never clash.
    # (os.urandom is what secrets uses, without its import cost on every command.)
    return os.urandom(8).hex()


def seed_tables(brief: dict, now: str) -> dict:
    """The file's content for a new tracker of ``brief`` (a validated brief file).

    A new file starts at the current schema, with no migration to record.
    """
    recs = [{**{k: r[k] for k in REC_KEYS if k in r}, "history": []} for r in brief["recommendations"]]
    return {
        META: {"1": {"schema": SCHEMA, "brief": brief["brief"], "pillars": brief["pillars"],
                     "created_at": now}},
        RECS: {str(i): rec for i, rec in enumerate(recs, start=1)},
        migrations.JOURNAL: {},
    }


class State:
    """One command's view of the tracker, over TinyDB tables held in memory."""

    def __init__(self, data: dict, path: Path):
        self.path = path
        self._meta = migrations.meta_doc(data, path)
        self.storage = store.FileStorage(data)
        self.db = TinyDB(storage=lambda: self.storage)
        self.recs = self.db.table(RECS)
        # Documents read through the index hold only what list and report show
        # until completed (``index.complete``); a save checks none was cut short.
        self.light = index.light_histories(data)
        self.journal = self.db.table(migrations.JOURNAL)
        # What this command changed, as reversible operations for the journal.
        self.changes: list[dict] = []
        self.journal_extra: dict = {}

    @property
    def brief(self) -> dict:
        return self._meta["brief"]

    @property
    def pillars(self) -> list[dict]:
        return self._meta["pillars"]

    def recommendations(self, *, complete: bool = True) -> list[dict]:
        """Every recommendation in the brief's order, as TinyDB's copies of the documents.

        ``complete=False`` is for reading only (list, report, log): the stored
        documents themselves, not copies, possibly with only ``index.LIGHT_KEYS``
        and the history.
        """
        # The file's keys are sorted as text ("10" before "2"); the brief's order is by doc id.
        if not complete:
            stored = self.storage.data.get(RECS, {})
            return [stored[k] for k in sorted(stored, key=int)]
        self._complete_all()
        return sorted(self.recs.all(), key=lambda doc: doc.doc_id)

    def _complete_all(self) -> None:
        if any(not h.complete for h in self.light.values()):
            for doc in self.storage.data.get(RECS, {}).values():
                index.complete(doc)

    def pillar_id(self, text: str) -> str:
        by_upper = {p["id"].upper(): p["id"] for p in self.pillars}
        found = by_upper.get(text.strip().upper())
        if found is None:
            raise InputError(f"unknown pillar {text!r}: use one of {', '.join(by_upper.values())}")
        return found

    def get(self, rec_id: str) -> dict:
        wanted = rec_id.strip().upper()
        found = self._find(lambda ident: ident.upper() == wanted)
        if found is None:
            raise InputError(self._unknown_id_message(rec_id))
        return found

    def _find(self, matches) -> dict | None:
        """The whole document whose id ``matches``, as TinyDB's copy of it."""
        # Over the stored documents: TinyDB would copy every one of them to find one.
        for doc_id, doc in self.storage.data.get(RECS, {}).items():
            if matches(doc["id"]):
                index.complete(doc)
                return self.recs.get(doc_id=int(doc_id))
        return None

    def _unknown_id_message(self, rec_id: str) -> str:
        import difflib

        by_upper = {doc["id"].upper(): doc["id"] for doc in self.recs}
        close = difflib.get_close_matches(rec_id.strip().upper(), list(by_upper), n=3, cutoff=0.5)
        names = [by_upper[c] for c in close]  # closest first
        hint = f"did you mean {', '.join(names)}?" if names else "see `alliance list` for the ids"
        return f"unknown recommendation {rec_id!r}: {hint}"

    def update_status(self, rec_id: str, status: str, *, date: str | None = None,
                      note: str = "", evidence: tuple[str, ...] = ()) -> tuple[dict, dict]:
        """Append a status change; returns (recommendation after, the new event)."""
        rec = self.get(rec_id)
        new = parse_status(status)
        check_text(note, "note")
        when = dates.parse_date(date) if date is not None else dates.today()
        urls = [check_evidence_url(u) for u in evidence]
        event = {
            "id": new_event_id(),
            "date": when.isoformat(),
            "recorded_at": dates.now_stamp(),
            "from": history.status_at(rec["history"], when.isoformat()),
            "to": new,
            "note": note,
            "evidence": urls,
        }
        # A new list, never an append: TinyDB's documents share nested lists
        # with the stored data.
        self.recs.update({"history": history.ordered([*rec["history"], event])}, doc_ids=[rec.doc_id])
        self.changes.append({"op": "add_event", "rec": rec["id"], "event": event["id"]})
        return self.recs.get(doc_id=rec.doc_id), event


    # --- recommendations and pillars ------------------------------------------

    def add_recommendation(self, fields: dict, events: list[dict] = ()) -> dict:
        from alliance_cli.brief import check_recommendation

        if any(doc["id"].upper() == fields["id"].upper() for doc in self.recs):
            raise InputError(f"recommendation {fields['id']!r} already exists: use `alliance edit`")
        check_recommendation(fields, {p["id"] for p in self.pillars}, "recommendation", fields["id"])
        doc = {**{k: fields[k] for k in REC_KEYS if k in fields}, "history": list(events)}
        self.recs.insert(doc)
        self.changes.append({"op": "add_rec", "rec": doc["id"]})
        return doc

    def next_id(self, pillar: str) -> str:
        numbers = [int(m.group(1)) for doc in self.recs
                   if (m := re.fullmatch(re.escape(pillar) + r"-(\d+)", doc["id"], re.IGNORECASE))]
        return f"{pillar}-{max(numbers, default=0) + 1}"

    def edit_recommendation(self, rec_id: str, fields: dict) -> bool:
        """Change fields (a value of None removes an optional one); False if nothing changed."""
        from alliance_cli.brief import check_recommendation

        doc = self.get(rec_id)
        changed = {k: v for k, v in fields.items() if k != "id" and doc.get(k) != v}
        if not changed:
            return False
        merged = {k: v for k, v in {**doc, **changed}.items() if v is not None and k != "history"}
        check_recommendation(merged, {p["id"] for p in self.pillars}, "recommendation", doc["id"])
        before = {k: doc.get(k) for k in changed}
        self._set_fields(doc.doc_id, changed)
        self.changes.append({"op": "set_fields", "rec": doc["id"], "before": before, "after": changed})
        return True

    def _set_fields(self, doc_id: int, fields: dict) -> None:
        def apply(doc):
            for key, value in fields.items():
                if value is None:
                    doc.pop(key, None)
                else:
                    doc[key] = value

        self.recs.update(apply, doc_ids=[doc_id])

    def add_events(self, rec_id: str, events: list[dict]) -> int:
        """Merge events by id: never duplicated, never dropped."""
        doc = self.get(rec_id)
        known = {e["id"] for e in doc["history"]}
        new = [e for e in events if e["id"] not in known]
        if new:
            self.recs.update({"history": history.ordered([*doc["history"], *new])}, doc_ids=[doc.doc_id])
            self.changes.extend({"op": "add_event", "rec": doc["id"], "event": e["id"]} for e in new)
        return len(new)

    def add_pillars(self, pillars: list[dict]) -> int:
        known = {p["id"] for p in self.pillars}
        new = [p for p in pillars if p["id"] not in known]
        if new:
            self._set_meta({"pillars": [*self.pillars, *new]})
        return len(new)

    def _set_meta(self, fields: dict) -> None:
        before = {k: self._meta[k] for k in fields}
        self.db.table(META).update(fields)
        self._meta = migrations.meta_doc(self.storage.data, self.path)
        self.changes.append({"op": "set_meta", "before": before, "after": fields})

    # --- undo ---------------------------------------------------------------

    def find_doc(self, rec_id: str):
        found = self._find(lambda ident: ident == rec_id)
        if found is not None:
            return found
        raise StoreError(f"cannot undo: recommendation {rec_id} is no longer in {self.path} "
                         "(was the file edited by hand?)")

    def revert(self, entry) -> None:
        """Reverse a journal entry's operations, newest first, recording what was removed."""
        self.journal_extra = {"undoes": entry.doc_id, "undid": entry["command"]}
        for change in reversed(entry["changes"]):
            self.changes.append(getattr(self, "_revert_" + change["op"])(change))

    def _revert_add_event(self, change: dict) -> dict:
        doc = self.find_doc(change["rec"])
        kept = [e for e in doc["history"] if e["id"] != change["event"]]
        removed = [e for e in doc["history"] if e["id"] == change["event"]]
        self.recs.update({"history": kept}, doc_ids=[doc.doc_id])
        return {"op": "remove_event", "rec": change["rec"], "event": removed[0] if removed else None}

    def _revert_add_rec(self, change: dict) -> dict:
        doc = self.find_doc(change["rec"])
        self.recs.remove(doc_ids=[doc.doc_id])
        return {"op": "remove_rec", "rec": change["rec"], "content": dict(doc)}

    def _revert_set_fields(self, change: dict) -> dict:
        doc = self.find_doc(change["rec"])
        self._set_fields(doc.doc_id, change["before"])
        return {"op": "set_fields", "rec": change["rec"], "before": change["after"], "after": change["before"]}

    def _revert_set_meta(self, change: dict) -> dict:
        self.db.table(META).update(change["before"])
        self._meta = migrations.meta_doc(self.storage.data, self.path)
        return {"op": "set_meta", "before": change["after"], "after": change["before"]}


def check_text(value: str, what: str) -> str:
    """Text must be storable as UTF-8: a lone surrogate (from invalid bytes) is refused."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{what} is not valid UTF-8 text") from None
    return value


def check_evidence_url(url: str) -> str:
    from urllib.parse import urlsplit

    check_text(url, "evidence URL")
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InputError(f"evidence must be an http(s) URL, not {url!r}")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url.strip()):
        raise InputError(f"evidence URL {url!r} contains spaces or control characters")
    return url.strip()


class TrackerExists(InputError):
    """``replace`` without force found a tracker (perhaps made a moment ago by another command)."""


class Tracker:
    def __init__(self, path: Path, *, lock_timeout: float = 10.0, seed: Path | None = None):
        # Through a symlink to the file it names: a save replaces files, and
        # replacing the link itself would quietly part it from the real tracker.
        self.path = Path(os.path.realpath(path))
        self.lock_timeout = lock_timeout
        self.seed = seed

    def read(self) -> State:
        """A read-only view; a missing file is created from the brief first."""
        if not self.path.exists() and not self.path.is_symlink():
            with self.write("init"):
                pass
        data = self._load(save_index=True)
        migrations.upgrade(data, self.path, now=dates.now_stamp(), keep_backup=False)  # in memory only
        return State(data, self.path)

    def _load(self, *, save_index: bool) -> dict:
        """Through the index when it is current, else rebuilding it from the file (histories
        then load lazily), else parsing the whole file. A writer leaves the index to its
        save: a refused command writes nothing at all."""
        return (index.read_index(self.path, SCHEMA)
                or index.rebuild(self.path, SCHEMA, dates.today(), save=save_index)
                or store.load_file(self.path))

    @contextlib.contextmanager
    def write(self, command: str = "library") -> Iterator[State]:
        """Lock, load, let the caller change the state, journal ``command`` and save once."""
        store.ensure_parent(self.path)
        with store.write_lock(self.path, self.lock_timeout):
            created = not self.path.exists()
            data = self._seed_data() if created else self._load(save_index=False)
            upgraded = migrations.upgrade(data, self.path, now=dates.now_stamp(), keep_backup=True)
            state = State(data, self.path)
            yield state
            if state.changes:
                journal.record(state.journal, command, state.changes, dates.now_stamp(), state.journal_extra)
            if created or upgraded or state.storage.dirty:
                index.check_light(state.storage.data, state.light)
                store.save_file(self.path, state.storage.data)

    def replace(self, tables: dict, *, force: bool) -> Path | None:
        """Start this tracker afresh from ``tables``; the old file is kept aside, never lost."""
        store.ensure_parent(self.path)
        with store.write_lock(self.path, self.lock_timeout):
            kept = None
            if self.path.exists():
                if not force:
                    raise TrackerExists(f"{self.path} already holds a tracker: pass --force to replace it "
                                        "(the old file is kept beside it)")
                kept = self.path.with_name(f"{self.path.name}.replaced-{dates.now_stamp().replace(':', '')}")
                os.link(self.path, kept)
            store.save_file(self.path, tables)
            return kept

    def _seed_data(self) -> dict[str, Any]:
        from alliance_cli.brief import load_brief, shipped_brief_path

        brief = load_brief(self.seed or shipped_brief_path())
        return seed_tables(brief, dates.now_stamp())
