"""Each command's terminal view (Rich) and its plain, piped form (tab-separated text).

User text (titles, notes, evidence) is data, never markup: it goes through
``rich.text.Text`` (markup and emoji codes are never parsed) and ``clean``,
which makes control characters visible so that no note can move the cursor,
clear the screen or forge a hyperlink. Rich is imported only here, and only
when a terminal view is drawn.
"""

import sys
from collections.abc import Iterable
from operator import itemgetter
from typing import IO

from alliance_cli.core.statuses import SCALE
from alliance_cli.render.text import bar, breakdown, clean, write_tsv

STATUS_STYLES = {
    "not_assessed": "dim", "no_action": "red", "in_progress": "yellow", "partial": "cyan",
    "implemented": "bold green", "stalled": "magenta", "abandoned": "dim red",
}
def make_console(stderr: bool = False):
    """A console for this run: width, colour and NO_COLOR follow this run's environment."""
    from rich.console import Console

    return Console(stderr=stderr, markup=False, emoji=False, highlight=False)


def status_text(status: str):
    from rich.text import Text

    return Text(status, style=STATUS_STYLES.get(status, ""))


def user_text(text: str, style: str = ""):
    from rich.text import Text

    return Text(clean(text), style=style)


# --- list -------------------------------------------------------------------

LIST_COLUMNS = ("id", "pillar", "status", "key", "title", "last_updated")


# Without --limit the terminal table fits the screen (header, rows, footer and the next
# prompt), as gh's lists do; never fewer than this.
MIN_TERMINAL_ROWS = 10


def list_table(rows: list[dict], limit: int | None = None) -> None:
    """``limit``: at most so many rows, 0 for all, None to fit the terminal's height."""
    from rich.table import Table

    console = make_console()
    total = len(rows)
    if limit is None:
        limit = max(MIN_TERMINAL_ROWS, console.height - 4)
    rows = rows[:limit] if limit else rows
    columns = _list_columns(rows, console.width)
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for header, width in columns.items():
        # Exact widths: Rich then neither squeezes a column nor measures every cell again.
        table.add_column(header, no_wrap=True, width=width, overflow="ellipsis")
    cells = {"ID": lambda r: user_text(r["id"]), "Pillar": lambda r: user_text(r["pillar"]),
             "Status": lambda r: status_text(r["status"]), "Key": lambda r: "★" if r["key"] else "",
             "Title": lambda r: user_text(r["title"]), "Updated": lambda r: r["last_updated"] or "-"}
    for row in rows:
        table.add_row(*(cells[header](row) for header in columns))
    console.print(table)
    if len(rows) < total:
        make_console(stderr=True).print(f"showing {len(rows)} of {total} — --limit 0 for all")


# Dropped in this order when the terminal is too narrow for all: ids and
# statuses are never cut, and the title gives way before anything is dropped.
_OPTIONAL = ("Key", "Pillar", "Updated", "Title")
_TITLE_MIN = 10


def _list_columns(rows: list[dict], width: int) -> dict[str, int]:
    from rich.cells import cell_len

    def widest(header: str, values) -> int:
        return max([len(header), *(cell_len(v) for v in values)])

    columns = {"ID": widest("ID", (clean(r["id"]) for r in rows)),
               "Pillar": widest("Pillar", (clean(r["pillar"]) for r in rows)),
               "Status": widest("Status", (r["status"] for r in rows)),
               "Key": len("Key"),
               "Title": widest("Title", (clean(r["title"]) for r in rows)),
               "Updated": widest("Updated", (r["last_updated"] or "-" for r in rows))}
    for name in _OPTIONAL:
        rules = 3 * (len(columns) - 1)  # " │ " between neighbours
        others = sum(w for h, w in columns.items() if h != "Title") + rules
        if "Title" in columns and width - others >= min(_TITLE_MIN, columns["Title"]):
            columns["Title"] = min(columns["Title"], width - others)
            break
        if "Title" not in columns and others <= width:
            break
        del columns[name]
    return columns


def list_tsv(rows: list[dict], out: IO | None = None) -> None:
    write_tsv(LIST_COLUMNS, map(itemgetter(*LIST_COLUMNS), rows), out)


# --- show -------------------------------------------------------------------

def show_plain(detail: dict, out: IO | None = None) -> None:
    out = out or sys.stdout
    for label, value in _show_fields(detail):
        out.write(f"{label}:\t{clean(value)}\n")
    out.write("history:\n")
    for event in detail["history"]:
        out.write("\t" + clean(_event_line(event)) + "\n")
        if event["note"]:
            out.write("\t\tnote: " + clean(event["note"]) + "\n")
        for url in event["evidence"]:
            out.write("\t\tevidence: " + clean(url) + "\n")


def _show_fields(detail: dict) -> list[tuple[str, str]]:
    return [
        ("id", detail["id"]), ("title", detail["title"]),
        ("pillar", f"{detail['pillar']} ({detail['pillar_name']})"),
        ("status", detail["status"]), ("last updated", detail["last_updated"] or "never"),
        ("key", "yes" if detail["key"] else "no"), ("due", detail.get("due") or "-"),
        ("section", detail["section"]), ("text", detail["text"]),
        *((("quote", detail["quote"]),) if detail.get("quote") else ()),
        ("actors", ", ".join(detail["actors"])), ("initiatives", ", ".join(detail["initiatives"])),
        ("sources", " ".join(detail["sources"])),
    ]


def _event_line(event: dict) -> str:
    return f"{event['date']}  {event['from']} -> {event['to']}  (recorded {event['recorded_at']}, event {event['id']})"


def show_table(detail: dict) -> None:
    from rich.table import Table
    from rich.text import Text

    console = make_console()
    head = Text.assemble((detail["id"], "bold"), "  ", user_text(detail["title"], "bold"))
    console.print(head)
    info = Table.grid(padding=(0, 2))
    info.add_column(style="dim", no_wrap=True)
    info.add_column()
    for label, value in _show_fields(detail)[2:]:
        if label == "status":
            info.add_row(label, status_text(value))
        elif label == "sources":
            info.add_row(label, user_text("\n".join(detail["sources"]) or "-"))
        else:
            info.add_row(label, user_text(value or "-"))
    console.print(info)
    console.print(Text("History", style="bold"))
    if not detail["history"]:
        console.print(Text("  no status changes recorded", style="dim"))
    for event in detail["history"]:
        console.print(_event_text(event))
        if event["note"]:
            console.print(Text("    ") + user_text(event["note"]))
        for url in event["evidence"]:
            console.print(Text("    evidence: ", style="dim") + user_text(url))


def _event_text(event: dict):
    from rich.text import Text

    return Text.assemble("  ", event["date"], "  ", status_text(event["from"]), " → ",
                         status_text(event["to"]), (f"  recorded {event['recorded_at'][:19]}Z", "dim"))


# --- log ------------------------------------------------------------------------

LOG_COLUMNS = ("date", "id", "kind", "from", "to", "note", "evidence", "recorded_at", "event")


def log_tsv(rows: list[dict], out: IO | None = None) -> None:
    write_tsv(LOG_COLUMNS, map(itemgetter(*LOG_COLUMNS), rows), out)


def log_table(rows: list[dict]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for name in ("Date", "ID", "Change", "Note and evidence"):
        table.add_column(name, no_wrap=name != "Note and evidence")
    for row in rows:
        change = Text.assemble(status_text(row["from"]), " → ", status_text(row["to"]))
        if row["kind"] == "undo":
            change = Text.assemble(("undone ", "bold red"), change)
        detail = user_text(row["note"])
        for url in row["evidence"]:
            detail.append("\n")
            detail.append_text(user_text(url, "dim"))
        table.add_row(row["date"], user_text(row["id"]), change, detail)
    make_console().print(table)


# --- statuses ---------------------------------------------------------------

def statuses_table() -> None:
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for name in ("Status", "Score", "Definition"):
        table.add_column(name)
    for s in SCALE:
        table.add_row(status_text(s.name), f"{s.score:g}", s.definition)
    make_console().print(table)


def statuses_tsv(out: IO | None = None) -> None:
    write_tsv(("status", "score", "definition"), ((s.name, f"{s.score:g}", s.definition) for s in SCALE), out)


# --- report -----------------------------------------------------------------

TERMINAL_SECTION_ROWS = 20


def report_lines(report: dict, *, plain: bool, cap: int | None = None) -> Iterable[tuple[str, str]]:
    """The report as (style, line) pairs: the one layout behind both renderings.

    ``cap`` limits each list section on a terminal, as `list` limits its rows.
    """
    brief, overall = report["brief"], report["overall"]
    yield "bold", clean(brief["title"])
    yield "dim", clean(f"{brief['author']}, {brief['publisher']}, {brief['published']} — as of {report['as_of']}")
    yield "", ""
    yield "bold", (f"Overall  {bar(overall['progress'], plain=plain)} {overall['progress']:>4.0%}  "
                   f"{overall['implemented']}/{overall['total']} implemented")
    yield "dim", f"Rule: {report['rule']}; denominator: {overall['total']} recommendations."
    yield "", ""
    width = max((len(p["id"]) for p in report["pillars"]), default=0)
    for p in report["pillars"]:
        yield "", (f"{p['id']:<{width}}  {bar(p['progress'], plain=plain)} {p['progress']:>4.0%}  "
                   f"{p['implemented']}/{p['total']} implemented  {clean(p['name'])}")
        yield "dim", " " * (width + 2) + breakdown(p["by_status"])
    yield from _report_section("Key recommendations", [
        f"{k['id']:<12} {k['status']:<13} {clean(k['title'])}" for k in report["key"]], cap)
    yield from _report_section(f"Recent changes (last 30 days to {report['as_of']})", [
        f"{c['date']}  {c['id']:<12} {c['from']} -> {c['to']}{'  (downgrade)' if c['downgrade'] else ''}"
        + (f"  {clean(c['note'])}" if c["note"] else "") for c in report["recent"]], cap)
    yield from _report_section("Needs attention", [
        f"{a['id']:<12} {a['status']:<13} {'; '.join(a['reasons'])}" for a in report["attention"]], cap)
    if "changes_since" in report:
        yield from _since_lines(report["changes_since"])
    if "compare" in report:
        yield from _compare_lines(report["compare"])


def _change_line(c: dict) -> str:
    evidence = f"  [{len(c['evidence'])} evidence]" if c["evidence"] else ""
    note = f"  {clean(c['note'])}" if c["note"] else ""
    return f"{c['date']}  {c['id']:<12} {c['from']} -> {c['to']}{evidence}{note}"


def _since_lines(since: dict) -> Iterable[tuple[str, str]]:
    for label, key in (("Upgrades", "upgrades"), ("Downgrades", "downgrades"), ("New evidence", "new_evidence")):
        yield from _report_section(f"{label} since {since['since']}", [_change_line(c) for c in since[key]])


def _compare_lines(compare: dict) -> Iterable[tuple[str, str]]:
    def row(label: str, d: dict) -> str:
        return (f"{label:<10} {d['then']:>5.0%} -> {d['now']:>4.0%}  ({d['change'] * 100:+.1f} pts)  "
                f"implemented {d['implemented_then']} -> {d['implemented_now']}")

    lines = [row("Overall", compare["overall"])] + [row(p["id"], p) for p in compare["pillars"]]
    yield from _report_section(f"Progress {compare['then']} -> {compare['now']}", lines)
    yield from _report_section(f"Lost 'implemented' since {compare['then']}", [
        f"{x['id']:<12} now {x['status_now']:<13} {clean(x['title'])}" for x in compare["lost_implemented"]])


def _report_section(title: str, lines: list[str], cap: int | None = None) -> Iterable[tuple[str, str]]:
    yield "", ""
    yield "bold", title
    if not lines:
        yield "dim", "  none"
    for line in lines[:cap]:
        yield "", "  " + line
    if cap is not None and len(lines) > cap:
        yield "dim", f"  … {len(lines) - cap} more: pipe the report (alliance report | less) to see all"


def report_plain(report: dict, out: IO | None = None) -> None:
    out = out or sys.stdout
    for _style, line in report_lines(report, plain=True):
        out.write(line + "\n")


def report_table(report: dict) -> None:
    from rich.text import Text

    text = Text()  # long lines wrap: the rule and a long note stay readable whole
    for style, line in report_lines(report, plain=False, cap=TERMINAL_SECTION_ROWS):
        text.append(line + "\n", style=style or None)
    text.rstrip()
    make_console().print(text)
