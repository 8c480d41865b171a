"""The journal: one entry per writing command, as reversible operations.

Operations are compact (``add_event`` names the event; it does not copy it),
so the journal stays small next to the histories. Undo reverts the latest
command not yet undone and is itself an entry (``undoes``), holding the full
content of whatever it removed: nothing disappears silently, and repeated
undos walk back one command at a time.
"""

from collections import Counter
from collections.abc import Iterator
from operator import itemgetter

from alliance_cli.core import history


def entry(command: str, changes: list[dict], now: str, recorded_by: str, extra: dict | None = None) -> dict:
    """A journal entry; its random id stays the same in every copy of the tracker (``undoes``
    names it), unlike its number, which a merge may change."""
    import os

    return {"id": os.urandom(8).hex(), "command": command, "at": now, "recorded_by": recorded_by,
            "changes": changes, **(extra or {})}


def entries(docs: list) -> list:
    """Journal documents (each with its number as ``doc_id``) in the order they were made."""
    return sorted(docs, key=lambda doc: doc.doc_id)


def undo_target(all_entries: list, user: str | None = None):
    """The latest entry that is neither an undo nor already undone (``all_entries`` in order).

    With ``user``, the latest of that user's own (or of nobody known: entries from before
    names were kept), so that in a shared tracker an undo never reverts a colleague's work."""
    undone = {e["undoes"] for e in all_entries if "undoes" in e}
    for entry in reversed(all_entries):
        mine = user is None or entry.get("recorded_by", "") in (user, "")
        if "undoes" not in entry and entry["id"] not in undone and mine:
            return entry
    return None


def overtaken_by(all_entries: list, target):
    """A later command, not undone, that changed what reverting ``target`` would change back
    (the same field of a recommendation, the same tracker setting, or anything of a
    recommendation ``target`` added), or None. Events stand alone: removing one never
    overtakes another's."""
    undone = {e["undoes"] for e in all_entries if "undoes" in e}
    touched = set().union(*map(_touches, target["changes"]))
    later = all_entries[next(i for i, e in enumerate(all_entries) if e["id"] == target["id"]) + 1:]
    for entry in later:
        if "undoes" in entry or entry["id"] in undone:
            continue
        theirs = set().union(*map(_touches, entry["changes"]))
        if touched & theirs or any((rec, "*") in touched for rec, _ in theirs):
            return entry
    return None


def _touches(change: dict) -> set[tuple[str, str]]:
    op = change["op"]
    if op == "set_fields":
        return {(change["rec"], field) for field in change["before"]}
    if op == "set_meta":
        return {("", field) for field in change["before"]}
    if op == "add_rec":
        return {(change["rec"], "*")}
    if op == "add_event":
        return {(change["rec"], "event")}
    return set()


def describe(change: dict) -> str:
    """One line per operation, for the undo prompt."""
    op, rec = change["op"], change.get("rec", "?")
    if op == "add_event":
        return f"remove status change {change['event']} from {rec}"
    if op == "add_rec":
        return f"remove recommendation {rec}"
    if op == "set_fields":
        return f"restore {', '.join(sorted(change['before']))} of {rec}"
    if op == "set_meta":
        return f"restore the tracker's {', '.join(sorted(change['before']))}"
    if op == "close_conflict":
        return f"reopen the conflict on {change['key']}"
    if op == "open_conflict":
        return f"drop the conflict on {change['key']}"
    if op == "set_note":
        return f"restore the note of status change {change['event']} of {rec}"
    if op == "remove_event":
        return f"put back status change {change['event']['id']} of {rec}"
    if op == "remove_rec":
        return f"put back recommendation {rec}"
    return f"{op} {rec}"


# What `log --kind` filters on: a status change, or the writing command of a journal entry.
# An `update-status` shows as the status changes it made; any other command as one row.
LOG_KINDS = ("status", "add", "edit", "import", "undo", "resolve", "init")


def kind_of(entry) -> str | None:
    """A journal entry's kind in the log: its command's name (``undo`` for an undo, ``resolve`` for
    `conflicts resolve`), or None for an `update-status`, whose rows are the status changes it made."""
    if "undoes" in entry:
        return "undo"
    words = entry["command"].split(" ", 2)
    if words[0] == "conflicts" and len(words) > 1:
        return words[1]
    return None if words[0] == "update-status" else words[0]


def touched(entry) -> list[str]:
    """The recommendations a journal entry changed, each once, in the order it changed them."""
    return list(dict.fromkeys(change["rec"] for change in entry["changes"] if "rec" in change))


def log_entries(recs: list[dict], all_entries: list, start: str, rec_id: str | None = None,
                since: str | None = None, kinds: set[str] | None = None) -> list[tuple]:
    """What `log` shows, newest first, as light entries: (key, recommendation, status before,
    skeleton) for a status change, (key, None, None, row) for a writing command. ``log_rows``
    makes the rows one at a time, so a log of every event is never in memory as rows all at
    once. ``kinds``: only these (``LOG_KINDS``), all without."""
    entries = []
    if not kinds or "status" in kinds:
        wanted = [r for r in recs if rec_id is None or r["id"] == rec_id]
        # "from" as the ordered history says: after a back-dated event, the stored
        # "from" of a later one is out of date, and the log must agree with the report.
        entries = [(skel, rec, before, skel) for rec in wanted
                   for before, skel in history.transitions_between(rec["history"], since or "", None, start)]
    titles = {r["id"]: r["title"] for r in recs}
    by_id = {e["id"]: e for e in all_entries}
    for done in all_entries:
        kind = kind_of(done)
        if kind is None or (kinds and kind not in kinds) or (since is not None and done["at"][:10] < since):
            continue
        ids = touched(done)
        if rec_id is not None and rec_id not in ids:
            continue
        row = _command_row(done, kind, ids, titles, by_id)
        entries.append((f"{row['date']} {row['recorded_at']}", None, None, row))
    entries.sort(key=itemgetter(0), reverse=True)  # a skeleton begins with its date and recorded_at
    return entries


def said_by(body: dict, who: str) -> bool:
    """Whether an event's ``by`` names ``who`` ("board" finds "Board of Audit"), in any case
    and with or without accents, as a search does."""
    from alliance_cli.core.search import fold

    return fold(who.strip()) in fold(body.get("by", ""))


def event_of(entry: tuple) -> str:
    """The event id of a status entry of ``log_entries``."""
    return history.id_of(entry[3])


def noted(entries: list[tuple]) -> list[tuple[str, str]]:
    """The (recommendation, event) pairs whose notes the log's status rows need."""
    return [(rec["id"], history.id_of(skel)) for _, rec, _, skel in entries if rec is not None]


def log_rows(entries: list[tuple], notes: dict[str, dict]) -> Iterator[dict]:
    """The `log` command's rows, from ``log_entries`` and ``{event id: {note, evidence, by,
    recorded_by}}``."""
    for _, rec, before, item in entries:
        if rec is None:
            yield item
            continue
        event = history.parts(item)
        body = notes[event["id"]]
        yield {"kind": "status", "date": event["date"], "recorded_at": event["recorded_at"], "id": rec["id"],
               "title": rec["title"], "from": before, "to": event["to"], "note": body["note"],
               "evidence": body["evidence"], "by": body.get("by", ""), "recorded_by": body.get("recorded_by", ""),
               "event": event["id"], "command": "", "ids": [rec["id"]]}


def command_text(entry) -> str:
    """A journal entry's command as a person would name it: `add` with the id it added."""
    if entry["command"] == "add":
        return " ".join(["add", *touched(entry)])
    return entry["command"]


def _command_row(done, kind: str, ids: list[str], titles: dict, by_id: dict) -> dict:
    """A writing command as one log row: what it did, in a sentence, as its ``note``; ``by`` is
    empty (nobody is quoted), ``recorded_by`` who ran it."""
    one = ids[0] if len(ids) == 1 else ""
    removed = [c["event"] for c in done["changes"] if c["op"] == "remove_event" and c.get("event")]
    event = removed[0] if len(removed) == 1 and len(done["changes"]) == 1 else None
    note = _what_it_did(done, kind, ids, titles, by_id)
    if event:
        note += f": removed {event['from']} -> {event['to']} of {event['date']}"
    return {"kind": kind, "date": done["at"][:10], "recorded_at": done["at"], "id": one,
            "title": titles.get(one, ""), "from": event["from"] if event else "", "to": event["to"] if event else "",
            "note": note, "evidence": [], "by": "", "recorded_by": done.get("recorded_by", ""),
            "event": event["id"] if event else "", "command": command_text(done), "ids": ids}


def _what_it_did(done, kind: str, ids: list[str], titles: dict, by_id: dict) -> str:
    if kind == "undo":
        undone = by_id.get(done["undoes"])
        name = command_text(undone) if undone is not None else done.get("undid", f"entry {done['undoes']}")
        return f"undo of `{name}`"
    ops = Counter(change["op"] for change in done["changes"])
    if kind == "add" and len(ids) == 1:
        return f"added: {titles.get(ids[0], ids[0])}"
    if kind == "edit" and len(ids) == 1:
        fields = sorted({name for c in done["changes"] if c["op"] == "set_fields" for name in c["after"]})
        return f"changed {', '.join(fields)}"
    pillars = sum(len(c["after"].get("pillars", ())) - len(c["before"].get("pillars", ()))
                  for c in done["changes"] if c["op"] == "set_meta")
    # An import's four counts always, as the import itself printed them; every other count when not 0.
    always = [(ops["add_rec"], "added"), (ops["set_fields"], "updated"), (ops["add_event"], "new events"),
              (pillars, "new pillars")]
    if kind != "import":
        always = [(n, what) for n, what in always if n]
    rare = [(n, what) for n, what in ((ops["remove_rec"], "removed"), (ops["remove_event"], "events removed"),
                                      (ops["set_note"], "notes changed"), (ops["open_conflict"], "conflicts"),
                                      (ops["close_conflict"], "conflicts settled")) if n]
    said = ", ".join(f"{n} {what}" for n, what in always + rare)
    return f"{command_text(done)}: {said or 'no change'}"
