"""What a recommendation and an event are, and the one set of rules every way in obeys.

Brief files, exports, `add`, `edit`, `update-status`, migrations and the store's
own files are all checked here, so that what one door refuses no other door lets
in. A check raises ``FieldError`` with the path of the field; each caller names
the file (or the option) it came from.
"""

import datetime as dt
import functools
import re

from alliance_cli.core.statuses import CLASSES, ID_PATTERN, Scale, fold

# A recommendation's fields: the ones every command reads (the head) and the bulk.
HEAD_FIELDS = ("id", "pillar", "title", "key", "due", "issued")
BODY_FIELDS = ("text", "section", "actors", "initiatives", "sources", "quote")
REC_FIELDS = HEAD_FIELDS + BODY_FIELDS
# An event: what ordering and scores need (its skeleton, see core.history), and what people
# wrote: the note, the evidence, who assessed or claimed it (``by``) and who typed it in
# (``recorded_by``). Events from before these two existed read them as "".
NOTE_FIELDS = ("note", "evidence", "by", "recorded_by")
WHO_FIELDS = ("by", "recorded_by")
EVENT_FIELDS = ("id", "date", "recorded_at", "from", "to", *NOTE_FIELDS)

TITLE_MAX = 70
WHO_MAX = 200
ID_MAX = 40
EARLIEST = dt.date(1950, 1, 1)
_ID = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_EVENT_ID = re.compile(r"[0-9a-f]{8,32}")
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")  # fixed width: it orders events
# A skeleton ("DATE RECORDED_AT ID FROM TO", see core.history) in one match. The date part is
# the calendar from 1950 on: month lengths, and 29 February of leap years only.
_DAY = r"(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
_LEAP = r"(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_DATE = rf"(?:(?:19[5-9]\d|[2-9]\d{{3}})-{_DAY}|(?=19[5-9]|[2-9]){_LEAP}-02-29)"


@functools.lru_cache(maxsize=8)
def skeleton_patterns(names: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern]:
    """For a scale's statuses: one skeleton in one match, and many joined by newlines (how a
    store checks a whole history in one call, at C speed)."""
    status = "|".join(map(re.escape, names))
    one = (rf"{_DATE} \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{6}}Z "
           rf"[0-9a-f]{{8,32}} (?:{status}) (?:{status})")
    return re.compile(one), re.compile(rf"(?:{one}(?:\n{one})*)?")


# Every id, or every date, at once, each ended by a newline.
DATE_LINES = re.compile(rf"(?:{_DATE}\n)*")
ID_LINES = re.compile(r"(?:[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*\n)*")


class FieldError(ValueError):
    """A field breaks a rule: ``path`` says where (``recommendations[3].pillar``)."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


def check_text(value, where: str, *, required: bool = False) -> str:
    """A string storable as UTF-8 (a lone surrogate from invalid bytes is refused)."""
    if type(value) is not str:
        raise FieldError(where, f"must be a string, found {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldError(where, "is not valid UTF-8 text") from None
    if required and not value.strip():
        raise FieldError(where, "must not be empty")
    return value


def check_id(value, where: str) -> str:
    """Letters, digits and dashes (SEC-1): the whole value, no trailing newline."""
    check_text(value, where)
    if len(value) > ID_MAX or not _ID.fullmatch(value):
        raise FieldError(where, f"{value!r} is not a valid id (letters, digits and dashes, e.g. SEC-1, "
                                f"at most {ID_MAX} characters)")
    return value


def check_title(value, where: str) -> str:
    check_text(value, where)
    if not value.strip() or len(value) > TITLE_MAX:
        raise FieldError(where, f"must be 1 to {TITLE_MAX} characters")
    return value


# The usual URL, at C speed: a plain host (and port), then anything without a space.
_PLAIN_URL = re.compile(r"(?i)https?://[a-z0-9.-]+(?::\d{1,5})?(?:[/?#]\S*)?")


def check_url(value, where: str) -> str:
    """An http(s) URL with a host, and no space or control character anywhere in it."""
    check_text(value, where)
    if value.isprintable() and _PLAIN_URL.fullmatch(value):
        return value
    from urllib.parse import urlsplit

    if not value.isprintable() or any(ch.isspace() for ch in value):
        raise FieldError(where, f"URL {value!r} contains spaces or control characters")
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed [IPv6] host, say
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise FieldError(where, f"must be an http(s) URL, not {value!r}")
    return value


def check_iso_date(value, where: str, *, allow_future: bool = False) -> str:
    """A YYYY-MM-DD date from 1950 on (and not after today unless ``allow_future``)."""
    check_text(value, where)
    try:
        day = dt.date.fromisoformat(value) if _ISO_DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        raise FieldError(where, f"not an ISO date (YYYY-MM-DD): {value!r}")
    if day < EARLIEST:
        raise FieldError(where, f"{value} is before {EARLIEST.year}")
    if not allow_future and day > dt.date.today():
        raise FieldError(where, f"{value} is in the future")
    return value


def check_list(value, where: str, item) -> list:
    if value is None:
        raise FieldError(where, "missing")
    if type(value) is not list:
        raise FieldError(where, f"must be a list, found {type(value).__name__}")
    for i, element in enumerate(value):
        item(element, f"{where}[{i}]")
    return value


def check_fields(obj, where: str, required: tuple, optional: tuple = ()) -> dict:
    """An object with exactly these fields: a typo is refused, never ignored."""
    if obj is None:
        raise FieldError(where, "missing")
    if type(obj) is not dict:
        raise FieldError(where, f"must be an object, found {type(obj).__name__}")
    for name in required:
        if name not in obj:
            raise FieldError(f"{where}.{name}", "missing")
    unknown = set(obj) - set(required) - set(optional)
    if unknown:
        raise FieldError(f"{where}.{min(unknown)}", "unknown field")
    return obj


def check_bool(value, where: str) -> bool:
    if type(value) is not bool:
        raise FieldError(where, f"must be true or false, found {type(value).__name__}")
    return value


def check_head_fields(rec: dict, where: str, pillar_ids) -> None:
    """The fields of a recommendation that every command reads."""
    check_id(rec["id"], f"{where}.id")
    check_text(rec["pillar"], f"{where}.pillar")
    if rec["pillar"] not in pillar_ids:
        raise FieldError(f"{where}.pillar",
                         f"unknown pillar {rec['pillar']!r} (pillars: {', '.join(sorted(pillar_ids))})")
    check_title(rec["title"], f"{where}.title")
    check_bool(rec["key"], f"{where}.key")
    if rec.get("due") is not None:
        check_iso_date(rec["due"], f"{where}.due", allow_future=True)
    if rec.get("issued") is not None:
        check_iso_date(rec["issued"], f"{where}.issued")


def check_body_fields(rec: dict, where: str) -> None:
    """The bulk of a recommendation: its text, where it comes from, who acts, what it cites."""
    check_text(rec["text"], f"{where}.text")
    check_text(rec["section"], f"{where}.section")
    check_list(rec["actors"], f"{where}.actors", check_text)
    check_list(rec["initiatives"], f"{where}.initiatives", check_text)
    check_list(rec["sources"], f"{where}.sources", check_url)
    if "quote" in rec:
        check_text(rec["quote"], f"{where}.quote")


def check_recommendation(rec, where: str, pillar_ids, names: tuple[str, ...], *, with_history: bool = False,
                         allow_future: bool = True) -> dict:
    """A whole recommendation (brief file, export, `add`, `edit`), optionally with its events,
    whose statuses are ``names`` (the tracker's scale).

    ``allow_future=False``: events coming in from outside may not be dated after today.
    """
    optional = ("due", "quote", "issued") + (("history", "status") if with_history else ())
    check_fields(rec, where, ("id", "pillar", "title", "text", "section", "key", "actors", "initiatives",
                              "sources"), optional)
    check_head_fields(rec, where, pillar_ids)
    check_body_fields(rec, where)
    if with_history and "history" in rec:
        check_events(rec["history"], f"{where}.history", names, allow_future=allow_future)
        check_issued_before_events(rec, f"{where}.history")
    if with_history and "status" in rec and rec["status"] not in names:
        raise FieldError(f"{where}.status", f"unknown status {rec['status']!r}")
    return rec


def check_issued_before_events(rec: dict, where: str) -> None:
    """No event can predate its recommendation's issue."""
    issued = rec.get("issued")
    for i, event in enumerate(rec.get("history", ())):
        if issued and event["date"] < issued:
            raise FieldError(f"{where}[{i}].date", f"{event['date']} is before {rec['id']} was issued "
                                                   f"({issued})")


def check_events(events, where: str, names: tuple[str, ...], *, allow_future: bool = True) -> None:
    """A list of whole events, ids unique within the list; ``by`` and ``recorded_by`` may be
    missing (events exported before they existed).

    ``allow_future=False`` for events coming in (an import), as `update-status` refuses them.
    """
    if type(events) is not list:
        raise FieldError(where, f"must be a list, found {type(events).__name__}")
    one, _ = skeleton_patterns(names)
    seen = set()
    for i, event in enumerate(events):
        at = f"{where}[{i}]"
        if type(event) is not dict or not set(EVENT_FIELDS) - set(WHO_FIELDS) <= event.keys() <= set(EVENT_FIELDS):
            raise FieldError(at, f"an event has the fields {', '.join(EVENT_FIELDS)} "
                                 f"({' and '.join(WHO_FIELDS)} optional)")
        try:
            joined = " ".join([event["date"], event["recorded_at"], event["id"], event["from"], event["to"]])
        except TypeError:
            joined = ""
        if not one.fullmatch(joined):
            _explain(event, at, names)
        if not allow_future and event["date"] > _today():
            raise FieldError(f"{at}.date", f"{event['date']} is in the future")
        if event["id"] in seen:
            raise FieldError(f"{at}.id", f"event id {event['id']} appears twice")
        seen.add(event["id"])
        check_note({**dict.fromkeys(WHO_FIELDS, ""), **event}, at)


def with_who(event: dict) -> dict:
    """An event with ``by`` and ``recorded_by`` ("" when it came without them)."""
    return {**dict.fromkeys(WHO_FIELDS, ""), **event}


def check_skeletons(history, where: str, names: tuple[str, ...]) -> None:
    """A history as the head keeps it: skeleton strings in order, each event id once."""
    if type(history) is not list:
        raise FieldError(where, f"must be a list, found {type(history).__name__}")
    try:  # the common case: all of them in one match, at C speed
        if skeleton_patterns(names)[1].fullmatch("\n".join(history)) and sorted(set(history)) == history:
            return
    except TypeError:
        pass
    seen = set()
    for i, skel in enumerate(history):
        at = f"{where}[{i}]"
        if type(skel) is not str:
            raise FieldError(at, f"must be a string (DATE RECORDED_AT ID FROM TO), found {type(skel).__name__}")
        fields = skel.split(" ")
        if len(fields) != 5:
            raise FieldError(at, f"must be DATE RECORDED_AT ID FROM TO, not {skel!r}")
        _explain(dict(zip(("date", "recorded_at", "id", "from", "to"), fields, strict=True)), at, names)
        if fields[2] in seen:
            raise FieldError(f"{at}", f"event id {fields[2]} appears twice")
        seen.add(fields[2])
    if sorted(history) != history:
        raise FieldError(where, "events must be in order (by date, then recorded_at, then id)")


def _explain(event: dict, where: str, names: tuple[str, ...]) -> None:
    """Which field of an event that failed the one-match check is wrong (29 February may be right)."""
    if not (type(event["id"]) is str and _EVENT_ID.fullmatch(event["id"])):
        raise FieldError(f"{where}.id", f"not an event id (8 to 32 hex digits): {event['id']!r}")
    check_iso_date(event["date"], f"{where}.date", allow_future=True)
    if not (type(event["recorded_at"]) is str and _STAMP.fullmatch(event["recorded_at"])):
        raise FieldError(f"{where}.recorded_at", f"not a UTC timestamp (YYYY-MM-DDTHH:MM:SS.ffffffZ): "
                                                 f"{event['recorded_at']!r}")
    for name in ("from", "to"):
        if event[name] not in names:
            raise FieldError(f"{where}.{name}", f"unknown status {event[name]!r}")


def check_note(body: dict, where: str) -> None:
    check_text(body["note"], f"{where}.note")
    check_list(body["evidence"], f"{where}.evidence", check_url)
    for name in WHO_FIELDS:
        check_text(body[name], f"{where}.{name}")
        if "\n" in body[name] or len(body[name]) > WHO_MAX:
            raise FieldError(f"{where}.{name}", f"must be one line of at most {WHO_MAX} characters")


def check_review_days(value, where: str) -> int:
    """The review cycle: after how many days an open recommendation not updated needs attention."""
    if type(value) is not int or not 1 <= value <= 36500:
        raise FieldError(where, f"must be a whole number of days from 1 to 36500, found {value!r}")
    return value


def check_scale(items, where: str) -> Scale:
    """A brief's ``statuses`` block: ids, labels and aliases distinct however spelt, scores
    from 0 to 1, known classes, and an open status for recommendations to start in."""
    check_list(items, where, _check_status)
    if not items:
        raise FieldError(where, "must list at least one status")
    seen: dict[str, str] = {}
    for i, item in enumerate(items):
        for name, spelling in [("id", item["id"]), ("label", item["label"]),
                               *((f"aliases[{n}]", a) for n, a in enumerate(item.get("aliases", ())))]:
            key = fold(spelling)
            if key in seen and seen[key] != f"{i}":
                raise FieldError(f"{where}[{i}].{name}", f"{spelling!r} is already a spelling of another status")
            seen[key] = f"{i}"
    if not any(item["class"] == "open" for item in items):
        raise FieldError(where, "needs an open status for recommendations to start in")
    return Scale.from_dicts(items)


def _check_status(item, where: str) -> None:
    check_fields(item, where, ("id", "label", "score", "definition", "class"), ("aliases", "attention"))
    check_text(item["id"], f"{where}.id")
    if len(item["id"]) > ID_MAX or not re.fullmatch(ID_PATTERN, item["id"]):
        raise FieldError(f"{where}.id", f"{item['id']!r} is not a status id (lower-case letters, digits and "
                                        f"underscores, starting with a letter, e.g. under_implementation)")
    check_text(item["label"], f"{where}.label", required=True)
    check_text(item["definition"], f"{where}.definition")
    if type(item["score"]) not in (int, float) or not 0 <= item["score"] <= 1:
        raise FieldError(f"{where}.score", f"must be a number from 0 to 1, found {item['score']!r}")
    if item["class"] not in CLASSES:
        raise FieldError(f"{where}.class", f"unknown class {item['class']!r}: use one of {', '.join(CLASSES)}")
    check_list(item.get("aliases", []), f"{where}.aliases", lambda a, w: check_text(a, w, required=True))
    if "attention" in item:
        check_bool(item["attention"], f"{where}.attention")


def _today() -> str:
    return dt.date.today().isoformat()
