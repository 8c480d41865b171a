"""The journal: one entry per writing command, as reversible operations.

Operations are compact (``add_event`` names the event; it does not copy it),
so the journal stays small next to the histories. Undo reverts the latest
command not yet undone and is itself an entry (``undoes``), holding the full
content of whatever it removed: nothing disappears silently, and repeated
undos walk back one command at a time.
"""

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


def undo_target(all_entries: list):
    """The latest entry that is neither an undo nor already undone (``all_entries`` in order)."""
    undone = {e["undoes"] for e in all_entries if "undoes" in e}
    for entry in reversed(all_entries):
        if "undoes" not in entry and entry["id"] not in undone:
            return entry
    return None


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


def log_entries(recs: list[dict], all_entries: list, start: str, rec_id: str | None = None,
                since: str | None = None) -> list[tuple]:
    """What `log` shows, newest first, as light entries: (key, recommendation, status before,
    skeleton) for a status change, (key, None, None, row) for an undo. ``log_rows`` makes the
    rows one at a time, so a log of every event is never in memory as rows all at once."""
    titles = {r["id"]: r["title"] for r in recs}
    wanted = [r for r in recs if rec_id is None or r["id"] == rec_id]
    # "from" as the ordered history says: after a back-dated event, the stored
    # "from" of a later one is out of date, and the log must agree with the report.
    entries = [(skel, rec, before, skel) for rec in wanted
               for before, skel in history.transitions_between(rec["history"], since or "", None, start)]
    for done in all_entries:
        if "undoes" in done:
            undone = [_undo_row(done, change, titles) for change in done["changes"] if "rec" in change]
            entries += [(f"{row['date']} {row['recorded_at']}", None, None, row) for row in undone
                        if (rec_id is None or row["id"] == rec_id) and (since is None or row["date"] >= since)]
    entries.sort(key=itemgetter(0), reverse=True)  # a skeleton begins with its date and recorded_at
    return entries


def said_by(body: dict, who: str) -> bool:
    """Whether an event's ``by`` names ``who`` ("board" finds "Board of Audit"), in any case."""
    return who.casefold().strip() in body.get("by", "").casefold()


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
               "event": event["id"]}


def _undo_row(done: dict, change: dict, titles: dict) -> dict:
    event = change.get("event") if change["op"] == "remove_event" else None
    what = {"remove_event": "status change", "remove_rec": "added recommendation",
            "set_fields": "edit"}.get(change["op"], change["op"])
    undone = f"{what} undone (was: {done.get('undid', 'entry ' + str(done['undoes']))})"
    return {"kind": "undo", "date": done["at"][:10], "recorded_at": done["at"], "id": change["rec"],
            "title": titles.get(change["rec"], ""), "from": event["from"] if event else "",
            "to": event["to"] if event else "", "note": undone, "evidence": [],
            "by": "", "recorded_by": done.get("recorded_by", ""), "event": event["id"] if event else ""}
