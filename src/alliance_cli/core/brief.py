"""The brief file: a policy brief's pillars and recommendations as JSON.

Validation reports the first problem with the file's name and the path of the
offending field (``recommendations[3].pillar``), so a hand-written brief can be
fixed without guessing.
"""

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from alliance_cli.core.model import (
    FieldError,
    check_fields,
    check_id,
    check_list,
    check_recommendation,
    check_review_days,
    check_scale,
    check_text,
    check_url,
)
from alliance_cli.core.statuses import DEFAULT_SCALE, Scale
from alliance_cli.errors import InputError

FORMAT = 1
SHIPPED = "us-rok-2024.json"


class BriefError(InputError):
    def __init__(self, source: str, path: str, problem: str):
        super().__init__(f"{source}: {path}: {problem}")


def shipped_brief_path() -> Path:
    """The packaged brief; in a source checkout, the repository's data/ folder."""
    packaged = resources.files("alliance_cli") / "data" / SHIPPED
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "data" / SHIPPED


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


def validate_brief(data: Any, source: str, *, export: bool = False) -> None:
    """A brief file (or, with ``export``, an export: recommendations with status and history)."""
    try:
        check_brief(data, export=export)
    except FieldError as exc:
        raise BriefError(source, exc.path, exc.problem) from None


def scale_of(data: dict) -> Scale:
    """A validated brief's status scale: its own ``statuses`` block, or the default one."""
    return Scale.from_dicts(data["statuses"]) if "statuses" in data else DEFAULT_SCALE


def published_day(published: str) -> str:
    """A brief's publication (``2024-03`` or ``2024-03-05``) as a day: the first of its month."""
    return published if len(published) == 10 else f"{published}-01"


def issued_of(rec: dict, published: str) -> str:
    """A recommendation's issue date: its own, else the brief's publication, or its first
    event if that is earlier (an export from before issue dates existed)."""
    if rec.get("issued"):
        return rec["issued"]
    return min([published_day(published), *(e["date"] for e in rec.get("history", ()))])


def check_brief(data: Any, *, export: bool = False) -> None:
    """The rules of a brief file; ``FieldError`` names the offending field's path (a table of
    recommendations turns it into a row and a column: see ``brief_sheet``)."""
    check_fields(data, "(top level)", (), ("format", "brief", "pillars", "recommendations", "statuses",
                                           "review_days") + (("exported_at",) if export else ()))
    if data.get("format") != FORMAT:
        raise FieldError("format", f"must be {FORMAT}, found {data.get('format')!r}")
    brief = check_fields(data.get("brief"), "brief", ("id", "title", "author", "publisher", "published"), ("url",))
    for name, value in brief.items():
        check_text(value, f"brief.{name}", required=name in ("id", "title"))
    if "url" in brief:
        check_url(brief["url"], "brief.url")
    if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", brief["published"]):
        raise FieldError("brief.published", f"must be YYYY-MM or YYYY-MM-DD, found {brief['published']!r}")
    pillars = check_list(data.get("pillars"), "pillars", _check_pillar)
    if not pillars:
        raise FieldError("pillars", "must list at least one pillar")
    pillar_ids = _unique_ids(pillars, "pillars")
    names = check_scale(data["statuses"], "statuses").names if "statuses" in data else DEFAULT_SCALE.names
    if "review_days" in data:
        check_review_days(data["review_days"], "review_days")
    recs = check_list(data.get("recommendations"), "recommendations",
                      lambda rec, where: check_recommendation(rec, where, pillar_ids, names, with_history=export,
                                                              allow_future=not export))
    _unique_ids(recs, "recommendations")


def _check_pillar(pillar, where: str) -> None:
    check_fields(pillar, where, ("id", "name", "description"))
    check_id(pillar["id"], f"{where}.id")
    check_text(pillar["name"], f"{where}.name", required=True)
    check_text(pillar["description"], f"{where}.description")


def _unique_ids(items: list[dict], where: str) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item["id"].upper() in seen:
            raise FieldError(f"{where}[{i}].id", f"duplicate id {item['id']!r}")
        seen.add(item["id"].upper())
    return {item["id"] for item in items}
