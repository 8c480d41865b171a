"""One command's view of a tracker: the head in memory, bodies loaded when asked for.

A ``State`` holds the head's TinyDB tables and loads a body file only when a
command asks for what is in it (``full``, ``iter_full``, ``notes``). Its
mutators go through TinyDB tables, and TinyDB marks each file it changed
(``MemoryStorage.changed``); ``commit`` writes exactly the marked files, the
bodies first and the head last. ``Tracker`` (in ``tracker``) makes states and
holds the lock around them.
"""

import contextlib
import os
from collections.abc import Iterable, Iterator
from operator import itemgetter
from pathlib import Path

from tinydb.table import Document

from alliance_cli.core import dates, history, journal
from alliance_cli.core.model import (
    BODY_FIELDS,
    HEAD_FIELDS,
    FieldError,
    check_note,
    check_recommendation,
    check_text,
    check_url,
)
from alliance_cli.core.statuses import Scale
from alliance_cli.errors import InputError, StoreError
from alliance_cli.store import files, layout, schema
from alliance_cli.store.layout import CONFLICTS, EVENTS, JOURNAL, META, RECS
from alliance_cli.store.storage import MemoryStorage, table


def new_event_id() -> str:
    # Random, not sequential: copies of a tracker merged later must never clash.
    return os.urandom(8).hex()


HEAD = "head"  # where a conflict is filed: the head, or a body file's number


class StaleRead(StoreError):
    """A writer committed between this command's reads of the head and of a body."""


class State:
    """One command's view of a tracker: the head in memory, bodies loaded when asked for."""

    def __init__(self, path: Path, head: dict, *, writable: bool, identity=None,
                 bodies: dict[str, dict] | None = None):
        self.path = path
        self.writable = writable
        self._identity = identity
        self.head = MemoryStorage(head, writable=writable)
        self.meta_table = table(self.head, META)
        self.recs = table(self.head, RECS, keyed=True)
        self.journal = table(self.head, JOURNAL)
        self.version = self.meta["schema"]
        self.scale: Scale = schema.scale_of(self.meta)
        self.conflicts_table = table(self.head, CONFLICTS, keyed=True)
        self._bodies: dict[str, MemoryStorage] = {}
        for shard, tables in (bodies or {}).items():  # a new or migrated tracker: every body in memory
            self._bodies[shard] = MemoryStorage(tables, writable=writable)
            self._bodies[shard].changed = True
        # Body entries this command took away: the first write of their file keeps
        # them, because the head on disk still names them until the new head is in.
        self._removed: dict[str, dict[str, dict]] = {}
        # What this command changed, as reversible operations for the journal.
        self.changes: list[dict] = []
        self.journal_extra: dict = {}
        self.user = ""  # who is recording (``identity.recorded_by``), set by ``Tracker.write``
        self._last_stamp = ""  # the recorded_at of this command's latest event

    # --- reading ------------------------------------------------------------------

    @property
    def meta(self) -> dict:
        return self.meta_table.get(doc_id=1)

    @property
    def brief(self) -> dict:
        return self.meta["brief"]

    @property
    def pillars(self) -> list[dict]:
        return self.meta["pillars"]

    @property
    def review_days(self) -> int:
        """After how many days without an update an open recommendation needs attention."""
        return self.meta["review_days"]

    def recommendations(self) -> list[dict]:
        """Every recommendation's head (id, pillar, title, key, due, history skeleton), in the brief's order."""
        return sorted(self.recs.all(), key=itemgetter("seq"))

    def journal_entries(self) -> list[Document]:
        return journal.entries(self.journal.all())

    def pillar_id(self, text: str) -> str:
        by_upper = {p["id"].upper(): p["id"] for p in self.pillars}
        found = by_upper.get(text.strip().upper())
        if found is None:
            from alliance_cli.core.suggest import close_matches

            # By id or by name ('security' finds SEC, "Security and Defense").
            close = close_matches(text, {p["id"]: [p["id"], p["name"]] for p in self.pillars})
            names = {p["id"]: p["name"] for p in self.pillars}
            hint = f"did you mean {', '.join(f'{c} ({names[c]})' for c in close)}? " if close else ""
            raise InputError(f"unknown pillar {text!r}: {hint}use one of {', '.join(by_upper.values())}")
        return found

    def get(self, rec_id: str) -> Document:
        """A recommendation's head by id, in any case; an unknown id says what was meant."""
        found = self.recs.get(doc_id=rec_id) if rec_id in self.head.tables.get(RECS, {}) else None
        if found is None:
            wanted = rec_id.strip().upper()
            found = next((doc for doc in self.recs.all() if doc["id"].upper() == wanted), None)
        if found is None:
            raise InputError(self._unknown_id_message(rec_id))
        return found

    def _unknown_id_message(self, rec_id: str) -> str:
        from alliance_cli.core.suggest import close_matches

        close = close_matches(rec_id, {doc["id"]: [doc["id"]] for doc in self.recs.all()}, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "see `alliance list` for the ids"
        return f"unknown recommendation {rec_id!r}: {hint}"

    def full(self, rec: dict) -> dict:
        """The whole recommendation: its head joined with its body and its events' notes."""
        bodies = self._body_file(layout.shard_of(rec["id"]))
        return layout.join(rec, self._entry(bodies, RECS, rec["body"], rec),
                           {event: self._entry(bodies, EVENTS, event, rec) for event in layout.event_ids(rec)})

    def iter_full(self, recs: Iterable[dict] | None = None) -> Iterator[tuple[dict, dict]]:
        """(head, whole recommendation) pairs, one body file at a time (not in the brief's
        order): a large tracker is never all in memory at once."""
        by_shard: dict[str, list[dict]] = {}
        for rec in self.recommendations() if recs is None else recs:
            by_shard.setdefault(layout.shard_of(rec["id"]), []).append(rec)
        for shard in sorted(by_shard):
            for rec in by_shard[shard]:
                yield rec, self.full(rec)
            if not self.writable:
                self._bodies.pop(shard, None)  # let it go

    def notes(self, wanted: Iterable[tuple[str, str]]) -> Iterator[tuple[str, dict]]:
        """(event id, {note, evidence}) for (recommendation id, event id) pairs, a body file at a time."""
        by_shard: dict[str, list[str]] = {}
        for rec_id, event_id in wanted:
            by_shard.setdefault(layout.shard_of(rec_id), []).append(event_id)
        for shard in sorted(by_shard):
            bodies = self._body_file(shard)
            for event_id in by_shard[shard]:
                yield event_id, self._entry(bodies, EVENTS, event_id, None)
            if not self.writable:
                self._bodies.pop(shard, None)

    def _body_file(self, shard: str) -> MemoryStorage:
        if shard not in self._bodies:
            path = layout.shard_path(self.path, shard)
            raw = files.read_file(path)
            tables = {} if raw is None else files.parse(path, raw, "an alliance body file")
            schema.check_bodies(tables, path, self.version)
            self._bodies[shard] = MemoryStorage(tables, writable=self.writable)
            if self.writable:
                self._set_aside_unused(shard)
        return self._bodies[shard]

    def _entry(self, bodies: MemoryStorage, name: str, key: str, rec: dict | None) -> dict:
        found = bodies.tables.get(name, {}).get(key)
        if found is not None:
            return found
        if self._identity is not None and self._identity != files_identity(self.path):
            raise StaleRead(f"{self.path} changed while this command was reading it: run it again")
        path = layout.shard_path(self.path, layout.shard_of(rec["id"] if rec else key))
        what = "the body of " + rec["id"] if name == RECS and rec else "the note of event " + key
        raise StoreError(f"{path} lacks {what}, which {self.path.name} names: restore the bodies "
                         f"from their .bak files or from a copy of the tracker")

    def whole(self) -> dict:
        """The whole tracker in memory, as migrations from schema 3 on take it."""
        recs = sorted(self.iter_full(), key=lambda pair: pair[0]["seq"])
        whole = {META: {"1": dict(self.meta)}, RECS: [rec for _, rec in recs],
                 JOURNAL: {str(doc.doc_id): dict(doc) for doc in self.journal.all()}}
        # Open conflicts go through an upgrade too, all in the head (settled from there alike).
        conflicts = {c["key"]: {k: c[k] for k in schema.CONFLICT_FIELDS} for c in self.conflicts()}
        return {**whole, CONFLICTS: conflicts} if conflicts else whole

    def conflicts(self) -> list[dict]:
        """Every open conflict a merge recorded, in the head and in each body file (all are
        read), in order; each record (``core.merge``) with ``where`` (``head`` or the body
        file's number), ``key`` (its key there) and ``rec`` (the recommendation it is about,
        or ``None`` for the brief and pillars)."""
        found = [(HEAD, key, record) for key, record in self.head.tables.get(CONFLICTS, {}).items()]
        for shard in (f"{n:02d}" for n in range(layout.SHARDS)):
            if shard in self._bodies or os.path.lexists(layout.shard_path(self.path, shard)):
                found += [(shard, key, record) for key, record in
                          self._body_file(shard).tables.get(CONFLICTS, {}).items()]
        owners = {}
        if any(record["field"] == "note" for _, _, record in found):
            owners = {history.id_of(skel): rec["id"] for rec in self.recs.all() for skel in rec["history"]}
        ids = {doc["id"] for doc in self.recs.all()}
        listed = []
        for where, key, record in found:
            rec = owners.get(record["id"]) if record["field"] == "note" else (
                record["id"] if record["id"] in ids else None)
            listed.append({**record, "where": where, "key": key, "rec": rec})
        return sorted(listed, key=lambda c: (c["rec"] or "", c["id"], c["field"]))

    def next_id(self, pillar: str) -> str:
        import re

        numbers = [int(m.group(1)) for doc in self.recs.all()
                   if (m := re.fullmatch(re.escape(pillar) + r"-(\d+)", doc["id"], re.IGNORECASE))]
        return f"{pillar}-{max(numbers, default=0) + 1}"

    # --- changing -----------------------------------------------------------------

    def update_status(self, rec_id: str, status: str, *, date: str | None = None, note: str = "",
                      evidence: tuple[str, ...] = (), by: str = "") -> tuple[dict, dict]:
        """Append a status change; returns (recommendation after, the new event).

        Refused: a date before the recommendation was issued, and an exact repeat of an event
        it has (same date, status, note and evidence), so a script run twice adds nothing."""
        rec = self.get(rec_id)
        new = self.scale.parse(status)
        _as_input(check_text, note, "--note")
        when = (dates.parse_date(date) if date is not None else dates.today()).isoformat()
        if when < rec["issued"]:
            raise InputError(f"{rec['id']} was issued on {rec['issued']}: a status on {when} cannot predate it "
                             f"(change the issue date with `alliance edit {rec['id']} --issued DATE`)")
        urls = [_as_input(check_url, url.strip(), "--evidence") for url in evidence]
        event = {"date": when, "from": history.status_at(rec["history"], when, self.scale.start), "to": new,
                 "note": note, "evidence": urls, "by": by.strip(), "recorded_by": self.user}
        _as_input(check_note, event, "--by")
        self._refuse_repeat(rec, event)
        event = {"id": new_event_id(), "recorded_at": self._recorded_at(), **event}  # only once it is taken
        self._add_events(rec, [event])
        self.changes.append({"op": "add_event", "rec": rec["id"], "event": event["id"]})
        return self.recs.get(doc_id=rec.doc_id), event

    def update_many(self, updates: list, source: str, advance=lambda: None) -> None:
        """Apply checked updates (``core.updates.Update``) in date order, the file's order within a
        date: each one's ``from`` is the status in force at its date, so one recommendation's rows
        chain. A rule only the tracker can check refuses the whole batch, naming the row."""
        from alliance_cli.core.tabular import RowError
        from alliance_cli.core.updates import in_date_order

        for update in in_date_order(updates):
            try:
                self.update_status(update.rec_id, update.status, date=update.date, note=update.note,
                                   evidence=update.evidence, by=update.by)
            except InputError as exc:
                raise RowError(source, update.row, None, str(exc)) from None
            advance()

    def _recorded_at(self) -> str:
        """Now, later than this command's previous event: the updates of one batch on one date
        stay in the order they were given (the order of events is by date, then recorded_at)."""
        import datetime as dt

        stamp = dates.now_stamp()
        if stamp <= self._last_stamp:
            later = dt.datetime.strptime(self._last_stamp, "%Y-%m-%dT%H:%M:%S.%fZ") + dt.timedelta(microseconds=1)
            stamp = dates.timestamp(later.replace(tzinfo=dt.UTC))
        self._last_stamp = stamp
        return stamp

    def _refuse_repeat(self, rec: Document, event: dict) -> None:
        """An event the same as one the recommendation has, but for its ids and times."""
        same_day = [history.id_of(s) for s in rec["history"]
                    if history.date_of(s) == event["date"] and history.status_of(s) == event["to"]]
        for event_id, body in self.notes((rec["id"], e) for e in same_day):
            if body["note"] == event["note"] and body["evidence"] == event["evidence"]:
                raise InputError(f"{rec['id']} already has this update ({event['to']} on {event['date']}, "
                                 f"same note and evidence: event {event_id}): nothing recorded")

    def add_recommendation(self, fields: dict, events: list[dict] = ()) -> dict:
        """A new recommendation (checked as a brief file's are), at the end of the brief's order;
        issued today unless ``fields`` say when."""
        rec = {"issued": dates.today().isoformat(), **fields, "history": history.ordered(events)}
        try:
            check_recommendation(rec, "recommendation", {p["id"] for p in self.pillars}, self.scale.names,
                                 with_history=True)
        except FieldError as exc:
            raise InputError(f"{exc.path.replace('recommendation.', '--')}: {exc.problem}") from None
        if any(doc["id"].upper() == rec["id"].upper() for doc in self.recs.all()):
            raise InputError(f"recommendation {rec['id']!r} already exists: use `alliance edit`")
        seq = max((doc["seq"] for doc in self.recs.all()), default=0) + 1
        self._insert(rec, seq)
        self.changes.append({"op": "add_rec", "rec": rec["id"]})
        return rec

    def edit_recommendation(self, rec_id: str, fields: dict) -> bool:
        """Change fields (a value of None removes an optional one); False if nothing changed."""
        whole = self.full(self.get(rec_id))
        changed = {k: v for k, v in fields.items() if k != "id" and whole.get(k) != v}
        if not changed:
            return False
        merged = {k: v for k, v in {**whole, **changed}.items() if v is not None}
        try:
            check_recommendation(merged, "recommendation", {p["id"] for p in self.pillars}, self.scale.names,
                                 with_history=True)
        except FieldError as exc:
            raise InputError(f"{exc.path.replace('recommendation.', '--')}: {exc.problem}") from None
        self._set_fields(whole["id"], changed)
        self.changes.append({"op": "set_fields", "rec": whole["id"],
                             "before": {k: whole.get(k) for k in changed}, "after": changed})
        return True

    def add_events(self, rec_id: str, events: list[dict]) -> int:
        """Merge events by id: never duplicated, never dropped."""
        rec = self.get(rec_id)
        known = set(layout.event_ids(rec))
        new = [e for e in events if e["id"] not in known]
        if new:
            self._add_events(rec, new)
            self.changes.extend({"op": "add_event", "rec": rec["id"], "event": e["id"]} for e in new)
        return len(new)

    def remove_recommendation(self, rec_id: str) -> None:
        """Take a recommendation out (settling a merge conflict); undo puts it back."""
        self.changes.append(self._revert_add_rec({"rec": self.get(rec_id)["id"]}))

    def remove_event(self, rec_id: str, event_id: str) -> None:
        """Take one event out (settling a merge conflict); undo puts it back."""
        change = self._revert_add_event({"rec": self.get(rec_id)["id"], "event": event_id})
        if change["event"] is not None:
            self.changes.append(change)

    def set_note(self, rec_id: str, event_id: str, note: dict) -> None:
        """Replace what an event's note holds (settling a merge conflict)."""
        rec = self.get(rec_id)
        shard = layout.shard_of(rec["id"])
        before = dict(self._entry(self._body_file(shard), EVENTS, event_id, rec))
        if before == note:
            return
        self._replace_note(shard, event_id, note)
        self.changes.append({"op": "set_note", "rec": rec["id"], "event": event_id, "before": before, "after": note})

    def _replace_note(self, shard: str, event_id: str, note: dict) -> None:
        self._drop(shard, EVENTS, event_id)
        self._put(shard, EVENTS, event_id, note)

    def open_conflict(self, where: str, record: dict) -> None:
        """File a conflict (an `import --base` found it) in the head or in body file ``where``."""
        key = f"{record['id']} {record['field']}"
        self._conflicts_in(where).upsert(Document(record, doc_id=key))
        self.changes.append({"op": "open_conflict", "where": where, "key": key, "conflict": record})

    def close_conflict(self, where: str, key: str) -> None:
        conflicts = self._conflicts_in(where)
        record = conflicts.get(doc_id=key)
        if record is None:
            raise InputError(f"no open conflict {key!r}: see `alliance conflicts`")
        conflicts.remove(doc_ids=[key])
        self.changes.append({"op": "close_conflict", "where": where, "key": key, "conflict": dict(record)})

    def _conflicts_in(self, where: str):
        return self.conflicts_table if where == HEAD else table(self._body_file(where), CONFLICTS, keyed=True)

    def add_pillars(self, pillars: list[dict]) -> int:
        known = {p["id"] for p in self.pillars}
        new = [p for p in pillars if p["id"] not in known]
        if new:
            self._set_meta({"pillars": [*self.pillars, *new]})
        return len(new)

    def set_meta(self, fields: dict) -> None:
        """Change tracker-wide fields (the brief, the pillars); undone as one."""
        if any(self.meta.get(k) != v for k, v in fields.items()):
            self._set_meta(fields)

    def _set_meta(self, fields: dict) -> None:
        before = {k: self.meta[k] for k in fields}
        self.meta_table.update(fields, doc_ids=[1])
        self.changes.append({"op": "set_meta", "before": before, "after": fields})

    # --- undo ----------------------------------------------------------------------

    def revert(self, entry: Document) -> None:
        """Reverse a journal entry's operations, newest first, recording what was removed."""
        self.journal_extra = {"undoes": entry["id"], "undid": entry["command"]}
        for change in reversed(entry["changes"]):
            self.changes.append(getattr(self, "_revert_" + change["op"])(change))

    def _journaled(self, rec_id: str) -> Document:
        if rec_id in self.head.tables.get(RECS, {}):
            return self.recs.get(doc_id=rec_id)
        raise StoreError(f"cannot undo: recommendation {rec_id} is no longer in {self.path} "
                         "(was the file edited by hand?)")

    def _revert_add_event(self, change: dict) -> dict:
        rec = self._journaled(change["rec"])
        removed = next((e for e in self.full(rec)["history"] if e["id"] == change["event"]), None)
        if removed is not None:
            self.recs.update({"history": [s for s in rec["history"] if history.id_of(s) != change["event"]]},
                             doc_ids=[rec.doc_id])
            self._drop(layout.shard_of(rec["id"]), EVENTS, change["event"])
        return {"op": "remove_event", "rec": change["rec"], "event": removed}

    def _revert_add_rec(self, change: dict) -> dict:
        rec = self._journaled(change["rec"])
        content = self.full(rec)
        shard = layout.shard_of(rec["id"])
        self.recs.remove(doc_ids=[rec.doc_id])
        self._drop(shard, RECS, rec["body"])
        for event in layout.event_ids(rec):
            self._drop(shard, EVENTS, event)
        return {"op": "remove_rec", "rec": change["rec"], "content": content}

    def _revert_set_fields(self, change: dict) -> dict:
        self._set_fields(self._journaled(change["rec"])["id"], change["before"])
        return {"op": "set_fields", "rec": change["rec"], "before": change["after"], "after": change["before"]}

    def _revert_remove_event(self, change: dict) -> dict:
        rec = self._journaled(change["rec"])
        self._add_events(rec, [change["event"]])
        return {"op": "add_event", "rec": change["rec"], "event": change["event"]["id"]}

    def _revert_remove_rec(self, change: dict) -> dict:
        content = change["content"]
        seq = max((doc["seq"] for doc in self.recs.all()), default=0) + 1
        self._insert(content, seq)
        return {"op": "add_rec", "rec": change["rec"]}

    def _revert_set_note(self, change: dict) -> dict:
        rec = self._journaled(change["rec"])
        self._replace_note(layout.shard_of(rec["id"]), change["event"], change["before"])
        return {**change, "before": change["after"], "after": change["before"]}

    def _revert_open_conflict(self, change: dict) -> dict:
        self._conflicts_in(change["where"]).remove(doc_ids=[change["key"]])
        return {**change, "op": "close_conflict"}

    def _revert_close_conflict(self, change: dict) -> dict:
        self._conflicts_in(change["where"]).upsert(Document(change["conflict"], doc_id=change["key"]))
        return {**change, "op": "open_conflict"}

    def _revert_set_meta(self, change: dict) -> dict:
        self.meta_table.update(change["before"], doc_ids=[1])
        return {"op": "set_meta", "before": change["after"], "after": change["before"]}

    # --- the tables underneath -------------------------------------------------------

    # Each of these loads its body file before it changes the head: a body file is
    # checked on loading against the head, and must be checked against the head as it was.

    def _insert(self, rec: dict, seq: int) -> None:
        head, body, notes = layout.split(rec, seq)
        shard = layout.shard_of(rec["id"])
        self._body_file(shard)
        self.recs.insert(Document(head, doc_id=rec["id"]))
        self._put(shard, RECS, head["body"], body)
        for event_id, note in notes.items():
            self._put(shard, EVENTS, event_id, note)

    def _add_events(self, rec: Document, events: list[dict]) -> None:
        head, _, notes = layout.split({**rec, "history": events}, rec["seq"])
        self._body_file(layout.shard_of(rec["id"]))
        self.recs.update({"history": sorted([*rec["history"], *head["history"]])}, doc_ids=[rec.doc_id])
        for event_id, note in notes.items():
            self._put(layout.shard_of(rec["id"]), EVENTS, event_id, note)

    def _set_fields(self, rec_id: str, fields: dict) -> None:
        """Set (or, with None, remove) fields: head fields in the head, the rest as a new body."""
        rec = self.recs.get(doc_id=rec_id)
        head_fields = {k: v for k, v in fields.items() if k in HEAD_FIELDS}
        if any(k in BODY_FIELDS for k in fields):
            shard = layout.shard_of(rec_id)
            old = self._entry(self._body_file(shard), RECS, rec["body"], rec)
            body = {k: v for k, v in {**old, **fields}.items() if k in BODY_FIELDS and v is not None}
            key = layout.body_key(rec_id, body)
            if key != rec["body"]:
                self._put(shard, RECS, key, body)
                self._drop(shard, RECS, rec["body"])
                head_fields["body"] = key

        def apply(doc: dict) -> None:
            for name, value in head_fields.items():
                if value is None:
                    doc.pop(name, None)
                else:
                    doc[name] = value

        self.recs.update(apply, doc_ids=[rec_id])

    def _put(self, shard: str, name: str, key: str, value: dict) -> None:
        entries = table(self._body_file(shard), name, keyed=True)
        if not entries.contains(doc_id=key):
            entries.insert(Document(value, doc_id=key))

    def _drop(self, shard: str, name: str, key: str) -> None:
        storage = self._body_file(shard)
        value = storage.tables.get(name, {}).get(key)
        if value is not None:
            self._removed.setdefault(shard, {}).setdefault(name, {})[key] = value
            table(storage, name, keyed=True).remove(doc_ids=[key])

    def adopt_leftovers(self) -> None:
        """Before replacing a tracker: the old head stays the committed one until the new head
        is in, so the first write of each body file keeps what the old one held, and the
        body files only the old tracker used go once the new head is in."""
        folder = layout.bodies_dir(self.path)
        if not os.path.isdir(folder) or os.path.islink(folder):
            return
        for entry in os.scandir(folder):
            shard = entry.name.removesuffix(".json")
            if entry.name == shard + ".json" and len(shard) == 2 and shard.isdigit():
                with contextlib.suppress(StoreError):  # a broken old body is not worth keeping
                    old = files.parse(Path(entry.path), files.read_file(Path(entry.path)) or b"")
                    self._removed[shard] = {name: t for name, t in old.items() if type(t) is dict}
                if shard not in self._bodies:
                    self._bodies[shard] = MemoryStorage({}, writable=True)
                    self._bodies[shard].changed = True

    def _set_aside_unused(self, shard: str) -> None:
        """A body file about to be written must hold all the head names in it; the
        entries no head names (left by a killed write) go at this write."""
        used = {RECS: set(), EVENTS: set()}
        for rec in self.head.tables.get(RECS, {}).values():
            if layout.shard_of(rec["id"]) == shard:
                used[RECS].add(rec["body"])
                used[EVENTS].update(layout.event_ids(rec))
        storage = self._bodies[shard]
        for name, keys in used.items():
            lacking = keys - set(storage.tables.get(name, {}))
            if lacking:
                raise StoreError(f"{layout.shard_path(self.path, shard)} lacks {len(lacking)} of the entries "
                                 f"{self.path.name} names ({name}: {min(lacking)}…): restore the bodies from "
                                 "their .bak files or from a copy of the tracker")
            unused = set(storage.tables.get(name, {})) - keys
            for key in unused:
                self._removed.setdefault(shard, {}).setdefault(name, {})[key] = storage.tables[name].pop(key)
            storage.changed |= bool(unused)

    # --- committing ------------------------------------------------------------------

    def commit(self, *, head_changed: bool) -> None:
        """Write the changed body files, then the head (the commit point), then drop what
        only the old head named. A kill at any moment leaves one head or the other, each
        with every body entry it names."""
        dirty = {shard: s for shard, s in self._bodies.items() if s.changed}
        for path in (self.path, *(layout.shard_path(self.path, shard) for shard in dirty)):
            files.check_writable(path)  # all refusals before the first byte is written
        if dirty:
            files.make_dir(layout.bodies_dir(self.path), like=self.path)
        names = {self.path.name}
        for shard, storage in sorted(dirty.items()):
            path = layout.shard_path(self.path, shard)
            names.add(path.name)
            files.clean_stale_temps(path.parent, {path.name})
            kept = _merged(storage.tables, self._removed.get(shard, {}))
            self._write_body(path, kept, backup=True)
            files.crash_point("body-written")
        files.clean_stale_temps(self.path.parent, {self.path.name})
        if head_changed or self.head.changed or dirty:
            if not self.head.tables.get(CONFLICTS, True):  # the last conflict settled: no empty table left
                del self.head.tables[CONFLICTS]
            files.write_atomic(self.path, files.canonical(self.head.tables), backup=True)
            files.crash_point("head-written")
        for shard in sorted(self._removed):
            if shard in dirty:
                self._write_body(layout.shard_path(self.path, shard), dirty[shard].tables, backup=False)
                files.crash_point("body-cleaned")

    def _write_body(self, path: Path, tables: dict, *, backup: bool) -> None:
        tables = {name: entries for name, entries in tables.items() if entries}
        if tables:
            files.write_atomic(path, files.canonical(tables), backup=backup, like=self.path)
        elif not backup:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def _merged(tables: dict, removed: dict) -> dict:
    if not removed:
        return tables
    return {name: {**removed.get(name, {}), **tables.get(name, {})} for name in {*tables, *removed}}


def _as_input(check, value, option: str):
    try:
        return check(value, option)
    except FieldError as exc:
        raise InputError(f"{option}: {exc.problem}") from None


def files_identity(path: Path):
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def whole_state(path: Path, whole: dict, *, writable: bool) -> State:
    """A state holding a whole tracker (a new one, or one migrated from a single file):
    ``whole`` has META, JOURNAL and RECS as a list of whole recommendations in order."""
    head_recs, bodies = {}, {}
    for seq, rec in enumerate(whole[RECS], start=1):
        head, body, notes = layout.split(rec, seq)
        head_recs[rec["id"]] = head
        shard = bodies.setdefault(layout.shard_of(rec["id"]), {RECS: {}, EVENTS: {}})
        shard[RECS][head["body"]] = body
        shard[EVENTS].update(notes)
    head = {META: whole[META], RECS: head_recs, JOURNAL: whole[JOURNAL],
            **({CONFLICTS: whole[CONFLICTS]} if whole.get(CONFLICTS) else {})}
    return State(path, head, writable=writable, bodies=bodies)
