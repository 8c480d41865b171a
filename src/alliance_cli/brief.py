"""The brief file: a policy brief's pillars and recommendations as JSON.

Validation reports the first problem with the file's name and the path of the
offending field (``recommendations[3].pillar``), so a hand-written brief can be
fixed without guessing.
"""

import datetime as dt
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from alliance_cli.errors import InputError

FORMAT = 1
SHIPPED = "us-rok-2024.json"
TITLE_MAX = 70
ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$")

BRIEF_FIELDS = {"id": str, "title": str, "author": str, "publisher": str, "published": str}
PILLAR_FIELDS = {"id": str, "name": str, "description": str}
REC_FIELDS = {"id": str, "pillar": str, "title": str, "text": str, "section": str,
              "key": bool, "actors": list, "initiatives": list, "sources": list}
REC_OPTIONAL = {"due": str, "quote": str}


class BriefError(InputError):
    def __init__(self, source: str, path: str, problem: str):
        super().__init__(f"{source}: {path}: {problem}")


def shipped_brief_path() -> Path:
    """The packaged brief; in a source checkout, the repository's data/ folder."""
    packaged = resources.files("alliance_cli") / "data" / SHIPPED
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "data" / SHIPPED


def load_brief(path: Path) -> dict[str, Any]:
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read brief file {source}: {exc.strerror}") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BriefError(source, "(file)", f"not valid UTF-8 JSON ({exc})") from exc
    validate_brief(data, source)
    return data


def validate_brief(data: Any, source: str) -> None:
    _expect(data, dict, source, "(top level)")
    if data.get("format") != FORMAT:
        raise BriefError(source, "format", f"must be {FORMAT}, found {data.get('format')!r}")
    _check_fields(data.get("brief"), BRIEF_FIELDS, {"url": str}, source, "brief")
    _check_published(data["brief"]["published"], source)
    pillars = _expect(data.get("pillars"), list, source, "pillars")
    if not pillars:
        raise BriefError(source, "pillars", "must list at least one pillar")
    pillar_ids = _check_unique_ids(pillars, PILLAR_FIELDS, {}, source, "pillars")
    recs = _expect(data.get("recommendations"), list, source, "recommendations")
    _check_unique_ids(recs, REC_FIELDS, REC_OPTIONAL, source, "recommendations")
    for i, rec in enumerate(recs):
        check_recommendation(rec, pillar_ids, source, f"recommendations[{i}]")


def check_recommendation(rec: dict, pillar_ids: set[str], source: str, where: str) -> None:
    """Checks beyond types: shared by brief files and `alliance add`/`edit`."""
    if rec["pillar"] not in pillar_ids:
        raise BriefError(source, f"{where}.pillar",
                         f"unknown pillar {rec['pillar']!r} (pillars: {', '.join(sorted(pillar_ids))})")
    if not rec["title"].strip() or len(rec["title"]) > TITLE_MAX:
        raise BriefError(source, f"{where}.title", f"must be 1 to {TITLE_MAX} characters")
    for name in ("actors", "initiatives", "sources"):
        for j, item in enumerate(rec[name]):
            _expect(item, str, source, f"{where}.{name}[{j}]")
    for j, url in enumerate(rec["sources"]):
        if not url.startswith(("http://", "https://")):
            raise BriefError(source, f"{where}.sources[{j}]", f"not an http(s) URL: {url!r}")
    if "due" in rec:
        try:
            dt.date.fromisoformat(rec["due"])
        except ValueError:
            raise BriefError(source, f"{where}.due", f"not an ISO date: {rec['due']!r}") from None


def _check_unique_ids(items, fields, optional, source, where) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        _check_fields(item, fields, optional, source, f"{where}[{i}]")
        ident = item["id"]
        if not ID_RE.match(ident):
            raise BriefError(source, f"{where}[{i}].id",
                             f"{ident!r} is not a valid id (letters, digits and dashes, e.g. SEC-1)")
        if ident.upper() in seen:
            raise BriefError(source, f"{where}[{i}].id", f"duplicate id {ident!r}")
        seen.add(ident.upper())
    return {item["id"] for item in items}


def _check_fields(obj, fields, optional, source, where) -> None:
    _expect(obj, dict, source, where)
    for name, kind in fields.items():
        if name not in obj:
            raise BriefError(source, f"{where}.{name}", "missing")
        _expect(obj[name], kind, source, f"{where}.{name}")
    for name, kind in optional.items():
        if name in obj:
            _expect(obj[name], kind, source, f"{where}.{name}")
    unknown = set(obj) - set(fields) - set(optional)
    if unknown:
        raise BriefError(source, f"{where}.{min(unknown)}", "unknown field")


def _expect(value, kind, source, where):
    # bool is a subclass of int, and we never want True where a string belongs.
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise BriefError(source, where, f"must be {_KIND_NAMES[kind]}, found {type(value).__name__}")
    return value


_KIND_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}


def _check_published(value: str, source: str) -> None:
    if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", value):
        raise BriefError(source, "brief.published", f"must be YYYY-MM or YYYY-MM-DD, found {value!r}")
