"""A brief from a table of recommendations (``init --from recs.csv`` or ``recs.xlsx``): rows in,
a brief file's dict out, checked by the same rules as a brief file (``brief.check_brief``).

One row a recommendation, with the columns ``COLUMNS``; ``id``, ``pillar`` and ``title`` are
required. Pillars come from a table of their own (a spreadsheet's ``pillars`` sheet, or
``--pillars FILE``: columns id, name, description) or else from the pillar column, in the
order they first appear, named by a ``pillar_name`` column or else by their id. What
``list --format csv`` writes loads back: its ``status`` and ``last_updated`` columns describe
the tracker, not the brief, and are left out (``IGNORED``). An error names the row and
column: ``recs.xlsx: row 7, column due: …``.
"""

import re
from dataclasses import dataclass

from alliance_cli.core import dates
from alliance_cli.core.brief import FORMAT, check_brief
from alliance_cli.core.model import FieldError
from alliance_cli.core.tabular import RowError, Table, check_columns, name_list, text_cell, url_list
from alliance_cli.errors import InputError

COLUMNS = ("id", "pillar", "title", "text", "section", "key", "actors", "initiatives", "sources", "due",
           "issued", "quote", "pillar_name")
REQUIRED = ("id", "pillar", "title")
IGNORED = ("status", "last_updated")  # written by `list --format csv`: the tracker's state, not the brief's
PILLAR_COLUMNS = ("id", "name", "description")
_TRUE = {"true", "yes", "y", "1", "x", "★"}
_FALSE = {"false", "no", "n", "0", ""}


@dataclass(frozen=True)
class BriefInfo:
    """The brief's own fields, which a table of recommendations does not hold."""

    id: str
    title: str
    author: str = ""
    publisher: str = ""
    published: str = ""  # YYYY-MM or YYYY-MM-DD; default today


def brief_info(table: Table, stem: str, given: dict[str, str | None]) -> BriefInfo:
    """The brief's fields: as given (options), else as the preamble of a CSV that
    ``list --format csv`` wrote says them, else from the file's name (``stem``)."""
    said = _preamble_brief(dict(table.preamble).get("brief", ""))
    fields = {name: value for name, value in given.items() if value is not None}
    info = {**said, **fields}
    info.setdefault("title", stem)
    info.setdefault("id", re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "brief")
    return BriefInfo(**info)


def _preamble_brief(line: str) -> dict[str, str]:
    """The inverse of ``render.exports.brief_line``: "TITLE — AUTHOR · PUBLISHER · PUBLISHED"."""
    rest, publisher, published = ([""] * 3 + line.rsplit(" · ", 2))[-3:]
    title, dash, author = rest.rpartition(" — ")
    if not (dash and title.strip() and re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", published.strip())):
        return {}
    return {"title": title.strip(), "author": author.strip(), "publisher": publisher.strip(),
            "published": published.strip()}


def brief_from_table(table: Table, info: BriefInfo, pillars: Table | None = None) -> dict:
    """A brief file's dict from a table of recommendations (and a table of pillars)."""
    check_columns(table, COLUMNS, REQUIRED, IGNORED)
    if not table.rows:
        raise InputError(f"{table.source}: no recommendations (one row each, under a header naming "
                         f"{', '.join(REQUIRED)})")
    listed = _pillar_table(pillars) if pillars is not None else None
    recs, named = [], {}  # named: pillars made from the pillar column, by id in upper case
    for row in table.rows:
        rec = _recommendation(table.source, row)
        rec["pillar"] = _pillar_of(rec["pillar"], listed, named, row, table.source)
        recs.append(rec)
    pillar_list = listed[1] if listed else [{"id": p.id, "name": p.name or p.id, "description": ""}
                                            for p in named.values()]
    brief = {"id": info.id, "title": info.title, "author": info.author, "publisher": info.publisher,
             "published": info.published or dates.today().isoformat()}
    data = {"format": FORMAT, "brief": brief, "pillars": pillar_list, "recommendations": recs}
    try:
        check_brief(data)
    except FieldError as exc:
        raise _located(exc, table, pillars, list(named.values())) from None
    return data


def _recommendation(source: str, row) -> dict:
    def text(column: str, default: str = "") -> str:
        return text_cell(row, column, source, default)

    rec = {"id": text("id").strip(), "pillar": text("pillar").strip(), "title": text("title").strip(),
           "text": text("text").strip(), "section": text("section").strip(), "key": _flag(row, source),
           "actors": name_list(row, "actors", source), "initiatives": name_list(row, "initiatives", source),
           "sources": url_list(row, "sources", source)}
    rec["text"] = rec["text"] or rec["title"]  # as `add` does: the title is the text until there is more
    for column, future in (("due", True), ("issued", False)):  # no status can predate the issue date
        if text(column).strip():
            try:
                rec[column] = dates.parse_date(text(column), allow_future=future, what=f"{column} date").isoformat()
            except InputError as exc:
                raise RowError(source, row.number, column, str(exc)) from None
    if text("quote").strip():
        rec["quote"] = text("quote").strip()
    return rec


def _flag(row, source: str) -> bool:
    value = row.cells.get("key", "")
    if type(value) is bool:
        return value
    if type(value) is str and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise RowError(source, row.number, "key", f"{value!r} is neither true nor false (also: yes/no, 1/0, x)")


@dataclass
class _Named:
    """A pillar made from the pillar column: its id as first spelt, its name, the first row naming it."""

    id: str
    name: str
    row: int


def _pillar_of(typed: str, listed, named: dict[str, _Named], row, source: str) -> str:
    """The pillar's id as its table spells it (any case), or as its first row spells it."""
    if listed is not None:
        found = listed[0].get(typed.upper())
        if found is None:
            raise RowError(source, row.number, "pillar", f"unknown pillar {typed!r} (the pillars are "
                                                         f"{', '.join(p['id'] for p in listed[1])})")
        return found
    pillar = named.setdefault(typed.upper(), _Named(typed, "", row.number))
    pillar.name = pillar.name or text_cell(row, "pillar_name", source).strip()
    return pillar.id


def _pillar_table(table: Table) -> tuple[dict[str, str], list[dict]]:
    check_columns(table, PILLAR_COLUMNS, ("id",))
    pillars = []
    for row in table.rows:
        pid = text_cell(row, "id", table.source).strip()
        name = text_cell(row, "name", table.source).strip()
        pillars.append({"id": pid, "name": name or pid,
                        "description": text_cell(row, "description", table.source).strip()})
    if not pillars:
        raise InputError(f"{table.source}: no pillars (one row each, under a header naming id, name, description)")
    return {p["id"].upper(): p["id"] for p in pillars}, pillars


_AT = re.compile(r"(recommendations|pillars)\[(\d+)\](?:\.(\w+))?")


def _located(exc: FieldError, table: Table, pillars: Table | None, named: list[_Named]) -> InputError:
    """A brief file's field path (``recommendations[3].due``) as the table's row and column."""
    found = _AT.match(exc.path)
    if found is None:  # the brief's own fields: they come from the options
        return InputError(f"{table.source}: {exc.path.replace('brief.', '--')}: {exc.problem}")
    kind, index, column = found[1], int(found[2]), found[3]
    if kind == "recommendations":
        return RowError(table.source, table.rows[index].number, column, exc.problem)
    if pillars is not None:
        return RowError(pillars.source, pillars.rows[index].number, column, exc.problem)
    # Made from the pillar column: the first row naming the pillar is to blame.
    return RowError(table.source, named[index].row, "pillar_name" if column == "name" else "pillar", exc.problem)
