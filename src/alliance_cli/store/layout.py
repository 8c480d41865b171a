"""What a tracker is on disk: a small head that every command reads, and the bodies.

``tracker.json`` (the name given by ``--db`` or ``ALLIANCE_DB``) is the *head*, a
TinyDB file: the brief, the pillars, the journal and, per recommendation, what
`list` and `report` show (id, pillar, title, key, due, its place in the brief)
and the skeleton of each event (``core.history``: one string holding its date,
recorded_at, id, from and to, so that each event is one line in a diff).

``tracker.json.bodies/NN.json`` are the *bodies*, TinyDB files too: the texts,
sections, actors, initiatives and sources of recommendations, and the notes and
evidence of events. A recommendation and its events live in body file
``shard_of(id)``, one of ``SHARDS``, so that each file stays small however
large the tracker grows.

The head names what it uses: each recommendation's ``body`` key (its id and a
hash of its body's content) and its event ids. A body entry that the head does
not name is ignored: it is what a killed write left, or what a write replaced.
The head is written last, so it is the single commit point of every write.
"""

import hashlib
import zlib
from pathlib import Path

from alliance_cli.core.history import id_of, parts, skeletons
from alliance_cli.core.model import BODY_FIELDS, HEAD_FIELDS, NOTE_FIELDS, with_who

SHARDS = 64
BODIES_SUFFIX = ".bodies"
# Table names, in the head and in each body file.
META, RECS, JOURNAL = "meta", "recommendations", "journal"
EVENTS = "events"
# Conflicts a three-way merge found, in the file it merged (``core.merge``, ``store.merging``).
CONFLICTS = "conflicts"


def bodies_dir(head: Path) -> Path:
    return head.with_name(head.name + BODIES_SUFFIX)


def shard_of(rec_id: str) -> str:
    """The body file of a recommendation: stable, whatever else the tracker holds."""
    return f"{zlib.crc32(rec_id.upper().encode()) % SHARDS:02d}"


def shard_path(head: Path, shard: str) -> Path:
    return bodies_dir(head) / f"{shard}.json"


def body_key(rec_id: str, body: dict) -> str:
    """``SEC-1@<hash>``: a new key whenever the body changes, so a write never overwrites
    the body the committed head still names."""
    import orjson

    digest = hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]
    return f"{rec_id}@{digest}"


def split(rec: dict, seq: int) -> tuple[dict, dict, dict[str, dict]]:
    """A whole recommendation (with full events) as (head doc, body, {event id: note}).

    ``history`` comes in ordered; the head keeps that order.
    """
    body = {k: rec[k] for k in BODY_FIELDS if k in rec}
    head = {k: rec[k] for k in HEAD_FIELDS if rec.get(k) is not None}
    head["seq"] = seq
    head["body"] = body_key(rec["id"], body)
    head["history"] = skeletons(rec["history"])
    notes = {e["id"]: {k: e[k] for k in NOTE_FIELDS} for e in map(with_who, rec["history"])}
    return head, body, notes


def event_ids(head: dict) -> list[str]:
    return [id_of(skel) for skel in head["history"]]


def join(head: dict, body: dict, notes: dict[str, dict]) -> dict:
    """The whole recommendation again, as `show` and `export` give it."""
    rec = {k: head[k] for k in HEAD_FIELDS if k in head}
    rec.update(body)
    rec["history"] = [with_who({**(fields := parts(skel)), **notes[fields["id"]]}) for skel in head["history"]]
    return rec
