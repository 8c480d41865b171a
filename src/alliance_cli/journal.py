"""The journal: one entry per writing command, as reversible operations.

Operations are compact (``add_event`` names the event; it does not copy it),
so the journal stays small next to the histories. Undo reverts the latest
command not yet undone and is itself an entry (``undoes``), holding the full
content of whatever it removed: nothing disappears silently, and repeated
undos walk back one command at a time.
"""

from tinydb.table import Document, Table

from alliance_cli import history


def record(table: Table, command: str, changes: list[dict], now: str, extra: dict | None = None) -> None:
    table.insert({"command": command, "at": now, "changes": changes, **(extra or {})})


def entries(table: Table) -> list[Document]:
    return sorted(table.all(), key=lambda doc: doc.doc_id)


def undo_target(table: Table) -> Document | None:
    """The latest entry that is neither an undo nor already undone."""
    all_entries = entries(table)
    undone = {e["undoes"] for e in all_entries if "undoes" in e}
    for entry in reversed(all_entries):
        if "undoes" not in entry and entry.doc_id not in undone:
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
    return f"{op} {rec}"


def log_rows(recs: list[dict], table: Table, rec_id: str | None = None, since: str | None = None) -> list[dict]:
    """Status changes and undos, newest first; the `log` command's rows."""
    from alliance_cli.index import events

    titles = {r["id"]: r["title"] for r in recs}
    wanted = [r for r in recs if rec_id is None or r["id"] == rec_id]
    # "from" as the ordered history says: after a back-dated event, the stored
    # "from" of a later one is out of date, and the log must agree with the report.
    # (``events``: a history is parsed for its rows and not kept, as export does.)
    rows = [_event_row(r, before, e) for r in wanted for before, e in history.transitions(events(r["history"]))]
    for entry in entries(table):
        if "undoes" in entry:
            rows.extend(_undo_row(entry, change, titles) for change in entry["changes"] if "rec" in change)
    rows = [r for r in rows if (rec_id is None or r["id"] == rec_id) and (since is None or r["date"] >= since)]
    rows.sort(key=lambda r: (r["date"], r["recorded_at"]), reverse=True)
    return rows


def _event_row(rec: dict, before: str, event: dict) -> dict:
    return {"kind": "status", "date": event["date"], "recorded_at": event["recorded_at"], "id": rec["id"],
            "title": rec["title"], "from": before, "to": event["to"], "note": event["note"],
            "evidence": event["evidence"], "event": event["id"]}


def _undo_row(entry: dict, change: dict, titles: dict) -> dict:
    event = change.get("event") if change["op"] == "remove_event" else None
    what = {"remove_event": "status change", "remove_rec": "added recommendation",
            "set_fields": "edit"}.get(change["op"], change["op"])
    undone = f"{what} undone (was: {entry.get('undid', 'entry ' + str(entry['undoes']))})"
    return {"kind": "undo", "date": entry["at"][:10], "recorded_at": entry["at"], "id": change["rec"],
            "title": titles.get(change["rec"], ""), "from": event["from"] if event else "",
            "to": event["to"] if event else "", "note": undone, "evidence": [],
            "event": event["id"] if event else ""}
