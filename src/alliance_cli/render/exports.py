"""Exports as text: CSV for spreadsheets and pandas, GitHub-flavoured Markdown for people.

Pure functions, data in and text out: the CLI decides where the text goes.
Every export states what it is (``meta``): the brief, the as-of date, when it
was exported and the filters used, so a file found months later still says
what it shows.

``meta`` is ``{"brief": {"id", "title", "author", "publisher", "published"},
"as_of": "YYYY-MM-DD", "exported_at": ISO timestamp, "filters": {name: value}}``;
a filter whose value is None, False or empty was not used and is not listed.
"""

import csv
import io
import re
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from alliance_cli.render.text import (
    SINCE_SECTIONS,
    breakdown,
    cell_text,
    clean,
    implemented_of,
    recent_title,
    rule_line,
)

# Excel takes a CSV file for UTF-8 only when it starts with a byte order mark
# (without one, Korean text turns to mojibake); pandas skips the mark, and so
# does Python when reading with this codec. Write CSV *files* with it, stdout without.
CSV_ENCODING = "utf-8-sig"

# OWASP CSV injection: a spreadsheet evaluates a cell starting with these.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>|~&$])")
# Characters kept as they are in a Markdown autolink; the rest (space, <, >, |,
# backslash, quotes, non-ASCII...) are percent-encoded so the link cannot end early
# or split a table row.
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
BAR_WIDTH = 10


class Status(str):
    """A status name in a table cell: plain text in Markdown, a coloured badge in HTML."""


class Alert(str):
    """A warning word in a table cell (``downgrade``): plain in Markdown, highlighted in HTML."""


class Section(NamedTuple):
    """One table of a report, shared by the Markdown and the HTML renderings.

    A cell is text, None (empty), a ``Status``, an ``Alert`` or a list of evidence URLs.
    """

    title: str
    header: list[str]
    rows: list[list]


# --- metadata ---------------------------------------------------------------

def filters_text(filters: dict) -> str:
    # Identity, not equality: a filter set to 0 is a filter (0 == False).
    used = [f"{name}={cell_text(value)}" for name, value in filters.items()
            if value is not None and value is not False and value != ""]
    return "; ".join(used) or "none"


def brief_line(brief: dict) -> str:
    # No commas, so that the CSV preamble row needs no quotes in the usual case.
    return f"{brief['title']} — {brief['author']} · {brief['publisher']} · {brief['published']}"


# --- CSV --------------------------------------------------------------------

def csv_text(header: list[str], rows: list[list], preamble: list[tuple[str, str]]) -> str:
    """CSV text: a preamble saying what the file is, a blank row, the header, the rows.

    Layout (each preamble row a single cell, so Excel shows it in column A)::

        # brief: US-ROK ... — Kayla Orta · Wilson Center · 2024-03
        # as_of: 2024-06-30
        # exported_at: 2024-06-30T12:00:00.000000Z
        # filters: pillar=SEC
        <blank row>
        id,pillar,title,...

    pandas: ``pd.read_csv(path, skiprows=len(preamble) + 1)``, i.e. ``skiprows=5``
    for our exports (preamble values are made single-line, so the count holds);
    avoid ``comment="#"``, which would also cut any cell at a ``#``.
    ``read_csv_rows`` is the inverse for Python's csv module.

    Records end with ``\\r\\n`` (RFC 4180, what Excel writes): write the text to a
    file opened with ``newline=""``. A cell with a newline is quoted and keeps it
    (a Windows ``\\r\\n`` inside a note becomes ``\\n``); every other control
    character, tab and lone ``\\r`` included, is made visible by ``render.text.clean``
    as in the TSV output, so that ``cat`` on an export cannot drive the terminal.
    None is an empty cell, booleans are ``true``/``false``, a list (evidence URLs)
    is one cell with its items separated by spaces.

    Cells are neutralised against CSV injection as OWASP advises: any cell that
    starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'``, so ``=HYPERLINK(...)`` shows as text instead of running. That
    includes numbers: ``-5`` becomes ``'-5`` (the guidance, as a cell cannot be
    told apart from a formula like ``-1+2``). ISO dates start with a digit and
    are left alone.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([f"# {key}: {clean(value)}"] for key, value in preamble)
    writer.writerow([])
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def csv_cell(value) -> str:
    # Neutralised before cleaning, so that "\t=1" still gets its quote ("'\\t=1").
    return clean(neutralise(cell_text(value).replace("\r\n", "\n")), keep_newlines=True)


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def read_csv_rows(text: str) -> list[list[str]]:
    """The header and rows of ``csv_text`` output, preamble and blank row skipped."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    start = 0
    while start < len(rows) and len(rows[start]) == 1 and rows[start][0].startswith("# "):
        start += 1
    if start < len(rows) and rows[start] == []:
        start += 1
    return rows[start:]


def csv_preamble(meta: dict) -> list[tuple[str, str]]:
    return [("brief", brief_line(meta["brief"])), ("as_of", meta["as_of"]),
            ("exported_at", meta["exported_at"]), ("filters", filters_text(meta["filters"]))]


def report_csv(report: dict, meta: dict) -> str:
    """One row per pillar and an ``ALL`` row; ``progress`` is a fraction (0.4 is 40%); ``n_<status>``
    counts each status (``implemented`` is also ``n_implemented``: one name per column)."""
    names = [s["id"] for s in report["statuses"]]
    header = ["pillar_id", "pillar_name", "progress", "implemented", "total", *(f"n_{s}" for s in names),
              "denominator", "excluded"]

    def row(pid: str, name: str, summary: dict) -> list:
        return [pid, name, summary["progress"], summary["implemented"], summary["total"],
                *(summary["by_status"][s] for s in names), summary["denominator"], summary["excluded"]]

    rows = [row(p["id"], p["name"], p) for p in report["pillars"]]
    return csv_text(header, [*rows, row("ALL", "All pillars", report["overall"])], csv_preamble(meta))


LIST_FIELDS = ["id", "pillar", "title", "status", "key", "last_updated", "due"]
LOG_FIELDS = ["date", "id", "title", "from", "to", "note", "evidence", "event", "recorded_at", "kind", "command",
              "by", "recorded_by"]


# Columns only the CSV has, after the shared ones (a stable schema only gains columns at the end):
# with them, `init --from list.csv` rebuilds the pillars with their names, and the issue dates.
LIST_CSV_EXTRA = ["pillar_name", "issued"]


def list_csv(rows: list[dict], meta: dict, pillar_names: dict[str, str] | None = None) -> str:
    names = pillar_names or {}
    return csv_text(LIST_FIELDS + LIST_CSV_EXTRA, [[*(r.get(f) for f in LIST_FIELDS), names.get(r["pillar"]),
                                                    r.get("issued")] for r in rows], csv_preamble(meta))


def log_csv(events: list[dict], meta: dict) -> str:
    return csv_text(LOG_FIELDS, [[e[f] for f in LOG_FIELDS] for e in events], csv_preamble(meta))


# --- Markdown ---------------------------------------------------------------

def md_text(text: str) -> str:
    """User text as inert Markdown on one line: escaped, control characters shown, newlines as <br>."""
    text = clean(text.replace("\r\n", "\n"), keep_newlines=True)
    return _MD_ACTIVE.sub(r"\\\1", text).replace("\n", "<br>")


def is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def md_link(url: str) -> str:
    return f"<{quote(url, safe=_URL_SAFE)}>" if is_web_url(url) else md_text(url)


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A GFM table; every cell is escaped (see ``Section`` for the kinds of cell)."""
    lines = [_md_row(header), "|" + "|".join(" --- " for _ in header) + "|"]
    return "\n".join([*lines, *(_md_row(row) for row in rows)]) + "\n"


def _md_row(cells: list) -> str:
    return "| " + " | ".join(_md_cell(c) for c in cells) + " |"


def _md_cell(value) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(md_link(url) for url in value)
    return md_text(cell_text(value))


def _md_meta(meta: dict) -> list[str]:
    brief = meta["brief"]
    return [f"- **{label}:** {md_text(value)}" for label, value in (
        ("Brief", brief["title"]), ("Author", brief["author"]), ("Publisher", brief["publisher"]),
        ("Published", brief["published"]), ("As of", meta["as_of"]),
        ("Exported at", meta["exported_at"]), ("Filters", filters_text(meta["filters"])))]


def _md_document(title: str, meta: dict, body: list[str]) -> str:
    return "\n".join([f"# {md_text(title)}", "", *_md_meta(meta), "", *body]).rstrip("\n") + "\n"


def _md_section(section: Section) -> list[str]:
    table = markdown_table(section.header, section.rows) if section.rows else "None.\n"
    return [f"## {md_text(section.title)}", "", table]


def text_bar(progress: float) -> str:
    filled = round(progress * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def points(change: float | None) -> str:
    """A change of progress in percentage points: +12.5 pts."""
    return "n/a" if change is None else f"{change * 100:+.1f} pts"


def overall_text(report: dict) -> str:
    o = report["overall"]
    return f"{pct(o['progress'])} ({implemented_of(o)})"


def rule_text(report: dict) -> str:
    return rule_line(report)


def report_markdown(report: dict, meta: dict) -> str:
    pillar_lines = [f"- {md_text(p['id'] + ' ' + p['name'])}: {text_bar(p['progress'])} {pct(p['progress'])} "
                    f"({implemented_of(p)})" for p in report["pillars"]]
    body = [f"**Overall:** {text_bar(report['overall']['progress'])} {overall_text(report)}", "",
            md_text(rule_text(report)), "",
            *_md_section(pillar_section(report)), *pillar_lines, ""]
    for section in report_sections(report):
        body += _md_section(section)
    return _md_document(f"Implementation report: {meta['brief']['title']}", meta, body)


def list_markdown(rows: list[dict], meta: dict) -> str:
    header = ["ID", "Pillar", "Status", "Key", "Title", "Last updated", "Due"]
    table = [[r["id"], r["pillar"], Status(r["status"]), "yes" if r["key"] else "", r["title"],
              r["last_updated"] or "never", r.get("due")] for r in rows]
    return _md_document(f"Recommendations: {meta['brief']['title']}", meta,
                        _md_section(Section(f"{len(rows)} recommendations", header, table)))


LOG_HEADER = ["Date", "ID", "Kind", "Title", "From", "To", "Note", "Evidence", "Event", "Recorded at", "By",
              "Recorded by"]


def log_markdown(events: list[dict], meta: dict) -> str:
    table = [[e["date"], e["id"], e["kind"], e["title"], Status(e["from"]), Status(e["to"]), e["note"],
              e["evidence"], e["event"], e["recorded_at"], e.get("by", ""), e.get("recorded_by", "")]
             for e in events]
    return _md_document(f"Log: {meta['brief']['title']}", meta,
                        _md_section(Section(f"{len(events)} changes", LOG_HEADER, table)))


def show_markdown(detail: dict, meta: dict) -> str:
    fields = [("Pillar", f"{detail['pillar']} {detail['pillar_name']}"), ("Status", detail["status"]),
              ("Last updated", detail["last_updated"] or "never"), ("Key", "yes" if detail["key"] else "no"),
              ("Due", detail.get("due") or "none"), ("Section", detail["section"]),
              ("Actors", ", ".join(detail["actors"])), ("Initiatives", ", ".join(detail["initiatives"]))]
    lines = [f"- **{label}:** {md_text(value)}" for label, value in fields]
    sources = " ".join(md_link(url) for url in detail["sources"]) or "none"
    history = [[e["date"], Status(e["from"]), Status(e["to"]), e["note"], e["evidence"], e["id"],
                e["recorded_at"], e.get("by", ""), e.get("recorded_by", "")] for e in detail["history"]]
    header = ["Date", "From", "To", "Note", "Evidence", "Event", "Recorded at", "By", "Recorded by"]
    quote = ["## The brief's words", "", "> " + md_text(detail["quote"]), ""] if detail.get("quote") else []
    body = [*lines, f"- **Sources:** {sources}", "", "## Text", "", md_text(detail["text"]), "", *quote,
            *_md_section(Section("History", header, history))]
    return _md_document(f"{detail['id']}: {detail['title']}", meta, body)


# --- the report's tables, for Markdown and HTML -----------------------------

def pillar_section(report: dict) -> Section:
    rows = [[f"{p['id']} {p['name']}", pct(p["progress"]), p["implemented"], p["denominator"],
             breakdown(p["by_status"])] for p in report["pillars"]]
    o = report["overall"]
    rows.append(["All", pct(o["progress"]), o["implemented"], o["denominator"], breakdown(o["by_status"])])
    return Section("Progress by pillar", ["Pillar", "Progress", "Implemented", "Counted", "Breakdown"], rows)


CHANGE_HEADER = ["Date", "ID", "Title", "From", "To", "Downgrade", "Note", "Evidence", "By"]


def change_rows(changes: list[dict]) -> list[list]:
    return [[c["date"], c["id"], c["title"], Status(c["from"]), Status(c["to"]),
             Alert("downgrade") if c["downgrade"] else "", c["note"], c["evidence"], c.get("by", "")]
            for c in changes]


def report_sections(report: dict) -> list[Section]:
    """The report's tables after the per-pillar one, optional ones only when present."""
    sections = [
        Section("Key recommendations", ["ID", "Pillar", "Status", "Last updated", "Title"],
                [[k["id"], k["pillar"], Status(k["status"]), k["last_updated"] or "never", k["title"]]
                 for k in report["key"]]),
        Section(recent_title(report), CHANGE_HEADER,
                change_rows(report["recent"])),
        Section("Needs attention", ["ID", "Title", "Status", "Last updated", "Reasons"],
                [[a["id"], a["title"], Status(a["status"]), a["last_updated"], "; ".join(a["reasons"])]
                 for a in report["attention"]]),
    ]
    if report.get("changes_since"):
        sections += _changes_since_sections(report["changes_since"])
    if report.get("compare"):
        sections += _compare_sections(report["compare"])
    return sections


def _changes_since_sections(changes: dict) -> list[Section]:
    since = changes["since"]
    return [Section(f"{label} since {since}", CHANGE_HEADER, change_rows(changes[key]))
            for label, key in SINCE_SECTIONS]


def _compare_sections(compare: dict) -> list[Section]:
    then, o = compare["then"], compare["overall"]
    rows = [[f"{p['id']} {p['name']}", pct(p["then"]), pct(p["now"]), points(p["change"])]
            for p in compare["pillars"]]
    rows.append(["All", pct(o["then"]), pct(o["now"]), points(o["change"])])
    return [
        Section(f"Compared with {then}", ["Pillar", f"Progress {then}", "Progress now", "Change"], rows),
        Section(f"Implemented on {then}, not any more", ["ID", "Title", "Status now"],
                [[x["id"], x["title"], Status(x["status_now"])] for x in compare["lost_implemented"]]),
    ]
