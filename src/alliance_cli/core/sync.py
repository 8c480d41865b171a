"""What `alliance sync` says: its commit message, from the journal, and what came in.

Plain data in and out: the journal tables and recommendation heads of two versions
of one tracker (the committed one and the one on disk; the one before a pull and the
one after). Which version is "the last sync" is git's: the tracker as last committed.
"""

from alliance_cli.core import history
from alliance_cli.core.model import HEAD_FIELDS

SUBJECT_WIDTH = 72  # git's convention for a commit's first line
ATTRIBUTE = "merge=alliance"


# --- the commit message ----------------------------------------------------------------

def entry_key(entry: dict) -> tuple:
    """What identifies a journal entry in two copies of one tracker: its id, else when and what."""
    return (entry["id"],) if entry.get("id") else (entry["at"], entry["command"])


def entries_since(committed: dict, current: dict) -> list[dict]:
    """The journal entries (tables of ``{doc id: entry}``) on disk that the committed tracker
    lacks, in the order they were made."""
    known = {entry_key(entry) for entry in committed.values()}
    fresh = [(int(doc_id), entry) for doc_id, entry in current.items() if entry_key(entry) not in known]
    return [entry for _, entry in sorted(fresh, key=lambda pair: pair[0])]


def phrase(entry: dict, recs: dict[str, dict]) -> str:
    """One command, as the log of a commit names it: ``update-status SEC-6 implemented``.

    An update is named by what it recorded (the id and status as stored, whatever case
    or spelling was typed); anything else by the command line it was given.
    """
    if "undoes" in entry:
        return f"undo {entry.get('undid', '')}".rstrip()
    changes = entry.get("changes", [])
    if entry["command"].startswith("update-status ") and len(changes) == 1 and changes[0]["op"] == "add_event":
        rec = recs.get(changes[0]["rec"])
        skel = next((s for s in rec["history"] if history.id_of(s) == changes[0]["event"]), None) if rec else None
        if skel is not None:
            return f"update-status {rec['id']} {history.status_of(skel)}"
    return " ".join(entry["command"].split())


def commit_message(phrases: list[str]) -> str:
    """The commands joined by "; " on one line of at most 72 characters; when they do not
    fit, as many as do and "and N more", with every one of them below, a line each."""
    if not phrases:
        return "alliance: update the tracker"
    subject = "; ".join(phrases)
    if len(subject) <= SUBJECT_WIDTH:
        return subject
    shown = []
    for count in range(1, len(phrases)):
        candidate = "; ".join(phrases[:count]) + f"; and {len(phrases) - count} more"
        if len(candidate) > SUBJECT_WIDTH and shown:
            break
        shown = [candidate]
    head = shown[0] if shown else f"{len(phrases)} alliance commands"
    return head + "\n\n" + "\n".join(phrases) + "\n"


# --- what came in --------------------------------------------------------------------

def incoming(before: dict[str, dict], after: dict[str, dict]) -> list[dict]:
    """Per recommendation (heads by id; in the brief's order, then the removed ones), what
    a pull changed: ``{"id", "added", "removed", "new_events", "gone_events", "edited"}``,
    ``edited`` naming the fields changed (``details`` for any of the body's: text, section…)."""
    changes = []
    for rec_id, rec in sorted(after.items(), key=lambda pair: pair[1].get("seq", 0)):
        old = before.get(rec_id)
        if old is None:
            changes.append(_change(rec_id, added=True, new_events=_ids(rec)))
            continue
        new = [e for e in _ids(rec) if e not in set(_ids(old))]
        gone = [e for e in _ids(old) if e not in set(_ids(rec))]
        edited = _edited(old, rec)
        if new or gone or edited:
            changes.append(_change(rec_id, new_events=new, gone_events=gone, edited=edited))
    changes += [_change(rec_id, removed=True) for rec_id in before if rec_id not in after]
    return changes


def recorded_by(entries: list[dict]) -> dict[str, set[str]]:
    """Who recorded the journal ``entries``, per recommendation their changes touch."""
    names: dict[str, set[str]] = {}
    for entry in entries:
        for change in entry.get("changes", []):
            if "rec" in change:
                names.setdefault(change["rec"], set()).add(entry.get("recorded_by", ""))
    return names


def _ids(rec: dict) -> list[str]:
    return [history.id_of(skel) for skel in rec["history"]]


def _edited(old: dict, new: dict) -> list[str]:
    """The fields of a recommendation's head that differ; a new body key means the body changed."""
    names = [name for name in HEAD_FIELDS if old.get(name) != new.get(name)]
    return names + (["details"] if old.get("body") != new.get("body") else [])


def _change(rec_id: str, *, added=False, removed=False, new_events=(), gone_events=(), edited=()) -> dict:
    return {"id": rec_id, "added": added, "removed": removed, "new_events": list(new_events),
            "gone_events": list(gone_events), "edited": list(edited)}


# --- the repository's own files ----------------------------------------------------------

def attribute_lines(head_name: str) -> list[str]:
    """The ``.gitattributes`` lines that hand a tracker's head and bodies to the merge driver."""
    return [f"{_pattern(head_name)} {ATTRIBUTE}", f"*.bodies/*.json {ATTRIBUTE}"]


def _pattern(name: str) -> str:
    """A pattern matching exactly the file ``name`` in the folder of the ``.gitattributes``
    (anchored by its ``/``, so that a leading ``#`` or ``!`` is no comment or negation)."""
    escaped = "".join("\\" + ch if ch in "*?[]\\" else ch for ch in name)
    if any(ch.isspace() or ch == '"' for ch in name):  # git reads C-quoted patterns
        quoted = escaped.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        return f'"/{quoted}"'
    return "/" + escaped


def missing_lines(text: str, wanted: list[str] | tuple[str, ...]) -> list[str]:
    """The lines of ``wanted`` that ``text`` (a ``.gitattributes`` or ``.gitignore``) lacks."""
    have = {line.strip() for line in text.splitlines()}
    return [line for line in wanted if line not in have]


def appended(text: str, lines: list[str]) -> str:
    """``text`` with ``lines`` added at its end, each on a line of its own."""
    if text and not text.endswith("\n"):
        text += "\n"
    return text + "".join(line + "\n" for line in lines)
