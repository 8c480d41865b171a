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

from alliance_cli.core.statuses import Scale
from alliance_cli.render.text import (
    BAR_WIDTH,
    SINCE_SECTIONS,
    bar,
    breakdown,
    clean,
    implemented_of,
    recent_title,
    rule_line,
    tone_of,
    write_tsv,
)

# Mid-tone colours (256-colour palette) that keep a contrast of about 4:1 on a white and on a
# black background alike: no yellow or cyan, which fade on a light one, nor plain blue,
# which fades on a dark one. Each status is also always written as a word.
STATUS_STYLES = {
    "not_assessed": "dim", "no_action": "color(160)", "in_progress": "bold color(166)",
    "partial": "bold color(32)", "implemented": "bold color(28)", "stalled": "bold color(164)",
    "abandoned": "color(160) strike",
}
# The report's stacked bars: best first, not assessed last; a glyph per score as well as a
# colour, so that a bar still reads without colour.
BAR_ORDER = ("implemented", "partial", "in_progress", "stalled", "no_action", "abandoned", "not_assessed")
# A brief's own statuses get a colour from their tone (``text.tone_of``).
TONE_STYLES = {"closed_implemented": "bold color(28)", "closed_not_implemented": "color(160) strike",
               "excluded": "dim italic", "start": "dim", "advanced": "bold color(32)",
               "started": "bold color(166)", "stuck": "color(160)"}


def style_of(status: str, scale: Scale | None = None) -> str:
    if status in STATUS_STYLES or scale is None or status not in scale.by_id:
        return STATUS_STYLES.get(status, "")
    return TONE_STYLES[tone_of(status, scale)]


def bar_order(scale: Scale) -> list[str]:
    """Best first, the start status last: the default scale's own order, else by score."""
    return list(BAR_ORDER) if set(scale.names) == set(BAR_ORDER) else scale.best_first()


def glyph_of(status: str, scale: Scale) -> str:
    """A segment's glyph by its status's score (implemented █, partial ▓, in progress ▒ on the
    default scale), so that a bar still reads without colour; nothing scores when excluded."""
    s = scale.by_id[status]
    if s.cls == "excluded":
        return "░"
    return "█" if s.score >= 1 else "▓" if s.score >= 0.5 else "▒" if s.score > 0 else "░"


def make_console(stderr: bool = False, file: IO | None = None):
    """A console for this run: width, colour and NO_COLOR follow this run's environment."""
    from rich.console import Console

    return Console(stderr=stderr, file=file, markup=False, emoji=False, highlight=False)


def status_text(status: str, scale: Scale | None = None):
    from rich.text import Text

    return Text(status, style=style_of(status, scale))


def user_text(text: str, style: str = ""):
    from rich.text import Text

    return Text(clean(text), style=style)


class Page:
    """Lines laid out for one console: hanging indents, URLs kept whole, hyperlinks.

    Every line is made here at the console's width and printed as it is (Rich neither
    wraps nor crops it again): a URL longer than the whole line stays one line, which a
    terminal soft-wraps and copies whole, never a URL broken by a newline.
    """

    def __init__(self, out: IO | None = None):
        self.console = make_console(file=out)
        self.width = self.console.width
        self.links = _links_on(self.console)

    def url(self, url: str, style: str = ""):
        """A URL as text that is the URL itself; an OSC 8 hyperlink where the terminal takes one."""
        text = user_text(url, style)
        if self.links and _linkable(url):
            from rich.style import Style

            text.stylize(Style(link=url))
        return text

    def flow(self, head, body, indent: int) -> list:
        """``head`` then the words of ``body`` (a Text, or a list of words), continued at ``indent``."""
        from rich.text import Text

        words = body if isinstance(body, list) else [w for w in body.split(" ", allow_blank=True) if w.plain]
        if self.width - indent < 20:  # too narrow for the column: continue under the line's start
            indent = min(indent, 4)
        room = self.width - indent
        lines, line, fresh = [], head.copy() if isinstance(head, Text) else Text(head), True
        for word in words:
            gap = 0 if fresh else 1
            if line.cell_len + gap + word.cell_len <= self.width:
                line.append(" " * gap)
                line.append_text(word)
                fresh = False
                continue
            at = indent
            if _is_url(word.plain) and room < word.cell_len <= self.width:
                at = self.width - word.cell_len  # less indent rather than a line too wide
            if fresh and not line.plain.strip():
                line = Text(" " * at)
            elif not (fresh and line.cell_len <= at):
                lines.append(line)
                line, fresh = Text(" " * at), True
            line.append(" " * (at - line.cell_len))
            while word.cell_len > room and not _is_url(word.plain):  # a long word, not a URL: folded
                cut = _cells_prefix(word.plain, room)
                line.append_text(word[:cut])
                lines.append(line)
                word, line = word[cut:], Text(" " * indent)
            line.append_text(word)
            fresh = False
        lines.append(line)
        for item in lines:
            item.rstrip()
        return lines

    def print(self, lines: list) -> None:
        from rich.text import Text

        if lines:
            self.console.print(Text("\n").join(lines), soft_wrap=True)


def _links_on(console) -> bool:
    """Hyperlinks only on a real terminal that shows styles: never piped, NO_COLOR or TERM=dumb."""
    import os

    if console.color_system is None or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(console.file.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _linkable(url: str) -> bool:
    from alliance_cli.core.model import check_url

    try:
        check_url(url, "url")
    except Exception:  # any refusal: shown as text, never as a link
        return False
    return True


def _is_url(word: str) -> bool:
    return word[:8].lower().startswith(("http://", "https://"))


def _cells_prefix(text: str, cells: int) -> int:
    """How many characters of ``text`` fit in ``cells`` columns (at least one)."""
    from rich.cells import cell_len

    n = 0
    while n < len(text) and cell_len(text[:n + 1]) <= cells:
        n += 1
    return max(n, 1)


# --- list -------------------------------------------------------------------

LIST_COLUMNS = ("id", "pillar", "status", "key", "title", "last_updated")


# Without --limit the terminal table fits the screen (header, rows, footer and the next
# prompt), as gh's lists do; never fewer than this.
MIN_TERMINAL_ROWS = 10


def list_table(rows: list[dict], limit: int | None = None, out: IO | None = None) -> None:
    """``limit``: at most so many rows, 0 for all, None to fit the terminal's height."""
    from rich import box
    from rich.table import Table

    console = make_console(file=out)
    total = len(rows)
    if limit is None:  # what fits the screen on a terminal; a table sent to a file or a pipe has every row
        limit = max(MIN_TERMINAL_ROWS, console.height - 4) if console.is_terminal else 0
    rows = rows[:limit or None]  # a list, made once (rows may be made as asked for)
    columns = _list_columns(rows, console.width)
    # Two spaces between columns and a rule under the header: the title gets the room.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
                  header_style="bold")
    for header, width in columns.items():
        # Exact widths: Rich then neither squeezes a column nor measures every cell again.
        table.add_column(header, no_wrap=True, width=width, overflow="ellipsis")
    cells = {"ID": _list_id, "Pillar": lambda r: user_text(r["pillar"]),
             "Status": lambda r: status_text(r["status"]), "Title": lambda r: user_text(r["title"]),
             "Updated": lambda r: r["last_updated"] or "-"}
    for row in rows:
        table.add_row(*(cells[header](row) for header in columns))
    console.print(table)
    if len(rows) < total:
        make_console(stderr=True).print(f"showing {len(rows)} of {total} — --limit 0 for all")


def _list_id(row: dict):
    """The id, and a star for a key recommendation: the key folded into the id's column."""
    text = user_text(row["id"])
    if row["key"]:
        text.append(" ★", style="bold")
    return text


# Dropped in this order when the terminal is too narrow for all: ids and
# statuses are never cut, and the title gives way before anything is dropped.
_OPTIONAL = ("Pillar", "Updated", "Title")
_TITLE_MIN = 10
_GAP = 2  # between two columns


def _list_columns(rows: list[dict], width: int) -> dict[str, int]:
    from rich.cells import cell_len

    def widest(header: str, values) -> int:
        return max([len(header), *(cell_len(v) for v in values)])

    ids = [clean(r["id"]) + (" ★" if r["key"] else "") for r in rows]
    columns = {"ID": widest("ID", ids),
               "Pillar": widest("Pillar", (clean(r["pillar"]) for r in rows)),
               "Status": widest("Status", (r["status"] for r in rows)),
               "Title": widest("Title", (clean(r["title"]) for r in rows)),
               "Updated": widest("Updated", (r["last_updated"] or "-" for r in rows))}
    if all(r["id"].upper().startswith(r["pillar"].upper() + "-") for r in rows):
        del columns["Pillar"]  # every id names its pillar: the column would say it twice
    for name in _OPTIONAL:
        rules = _GAP * (len(columns) - 1)
        others = sum(w for h, w in columns.items() if h != "Title") + rules
        if "Title" in columns and width - others >= min(_TITLE_MIN, columns["Title"]):
            columns["Title"] = min(columns["Title"], width - others)
            break
        if "Title" not in columns and others <= width:
            break
        columns.pop(name, None)
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
    said = f"  by {event['by']}" if event.get("by") else ""
    who = f" by {event['recorded_by']}" if event.get("recorded_by") else ""
    return (f"{event['date']}  {event['from']} -> {event['to']}{said}  "
            f"(recorded {event['recorded_at']}{who}, event {event['id']})")


SHOW_LABEL = 14  # the values' column: "last updated" and two spaces
NOTE_INDENT = 4


def show_table(detail: dict, out: IO | None = None) -> None:
    from rich.text import Text

    page = Page(out)
    lines = page.flow(Text.assemble((clean(detail["id"]), "bold"), "  "),
                      user_text(detail["title"], "bold"), len(clean(detail["id"])) + 2)
    for label, value in _show_fields(detail)[2:]:
        head = Text(label.ljust(SHOW_LABEL), style="dim")
        if label == "status":
            lines.append(head + status_text(value))
        elif label == "sources":
            for url in detail["sources"] or ["-"]:
                lines += page.flow(head, [page.url(url)], SHOW_LABEL)
                head = Text(" " * SHOW_LABEL)
        else:
            lines += page.flow(head, user_text(value or "-"), SHOW_LABEL)
    lines.append(Text("History", style="bold"))
    if not detail["history"]:
        lines.append(Text("  no status changes recorded", style="dim"))
    for event in detail["history"]:
        lines += page.flow(Text("  "), _event_words(event), SHOW_LABEL)
        lines += _note_lines(page, event["note"], event["evidence"], NOTE_INDENT)
    page.print(lines)


def _event_words(event: dict) -> list:
    from rich.text import Text

    who = f" by {event['recorded_by']}" if event.get("recorded_by") else ""
    return [Text(event["date"] + " "),
            Text.assemble(status_text(event["from"]), " → ", status_text(event["to"]), " "),
            *([user_text(f"by {event['by']} ", "bold")] if event.get("by") else []),
            user_text(f"recorded {event['recorded_at'][:19]}Z{who}", "dim")]


def _note_lines(page: Page, note: str, evidence: list[str], indent: int) -> list:
    """A note and its evidence under their own column: every line at ``indent``, URLs whole."""
    from rich.text import Text

    lines = page.flow(Text(" " * indent), user_text(note), indent) if note else []
    for url in evidence:
        lines += page.flow(Text(" " * indent), [page.url(url, "dim")], indent)
    return lines


# --- log ------------------------------------------------------------------------

LOG_COLUMNS = ("date", "id", "kind", "from", "to", "note", "evidence", "recorded_at", "event", "command", "by",
               "recorded_by")


def log_tsv(rows: list[dict], out: IO | None = None) -> None:
    write_tsv(LOG_COLUMNS, map(itemgetter(*LOG_COLUMNS), rows), out)


def log_table(rows: list[dict], out: IO | None = None, total: int | None = None) -> None:
    """One line per change (date, id, from → to), then its note and evidence at most of the width."""
    from rich.text import Text

    page = Page(out)
    id_width = min(12, max((len(clean(r["id"])) for r in rows), default=0))
    indent = 12
    for row in rows:
        if row["kind"] == "status":
            change = Text.assemble(status_text(row["from"]), " → ", status_text(row["to"]))
        else:  # a writing command reads as what it is (an undo is not a status change): its note says what it did
            change = Text(row["kind"], style="bold")
        rec = clean(row["id"]) if row["id"] or len(row["ids"]) < 2 else f"{len(row['ids'])} recs"
        head = Text.assemble(row["date"], "  ", (rec.ljust(id_width), "bold"), "  ")
        said = [user_text(f" by {row['by']}", "bold")] if row.get("by") else []
        lines = page.flow(head, [change, *said], indent)
        lines += _note_lines(page, row["note"], row["evidence"], indent)
        page.print(lines)
    if total is not None and len(rows) < total:
        make_console(stderr=True).print(f"showing {len(rows)} of {total} — --limit 0 for all")


# --- statuses ---------------------------------------------------------------

def statuses_table(scale: Scale, out: IO | None = None) -> None:
    """The scale, one status a row; its label, spellings and class under the id."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, header_style="bold")
    for name, options in (("Status", {"no_wrap": True}), ("Score", {"justify": "right"}), ("Definition", {})):
        table.add_column(name, **options)
    for s in scale.statuses:
        spellings = ", ".join([s.label, *s.aliases])
        about = Text.assemble(user_text(s.definition), "\n", (clean(f"{s.cls.replace('_', ' ')}; also {spellings}"),
                                                                "dim"))
        table.add_row(status_text(s.id, scale), f"{s.score:g}", about)
    make_console(file=out).print(table)


def statuses_tsv(scale: Scale, out: IO | None = None) -> None:
    write_tsv(("status", "label", "score", "class", "aliases", "definition"),
              ((s.id, s.label, f"{s.score:g}", s.cls, list(s.aliases), s.definition) for s in scale.statuses), out)


# --- report -----------------------------------------------------------------

TERMINAL_SECTION_ROWS = 20


def report_lines(report: dict) -> Iterable[str]:
    """The piped report, line by line: every section whole, nothing wrapped (the terminal
    view is ``report_table``)."""
    brief, overall = report["brief"], report["overall"]
    yield clean(brief["title"])
    yield clean(f"{brief['author']}, {brief['publisher']}, {brief['published']} — as of {report['as_of']}")
    yield ""
    yield f"Overall  {bar(overall['progress'])} {overall['progress']:>4.0%}  {implemented_of(overall)}"
    yield rule_line(report)
    yield ""
    width = max((len(p["id"]) for p in report["pillars"]), default=0)
    for p in report["pillars"]:
        yield (f"{p['id']:<{width}}  {bar(p['progress'])} {p['progress']:>4.0%}  "
               f"{implemented_of(p)}  {clean(p['name'])}")
        yield " " * (width + 2) + breakdown(p["by_status"])
    # A status column as wide as the scale's longest id and a space (13 on the default scale).
    sw = max(len(s["id"]) for s in report["statuses"]) + 1
    yield from _report_section("Key recommendations", [
        f"{k['id']:<12} {k['status']:<{sw}} {clean(k['title'])}" for k in report["key"]])
    yield from _report_section(recent_title(report), [
        f"{c['date']}  {c['id']:<12} {c['from']} -> {c['to']}{'  (downgrade)' if c['downgrade'] else ''}"
        + (f"  {clean(c['note'])}" if c["note"] else "") for c in report["recent"]])
    yield from _report_section("Needs attention", [
        f"{a['id']:<12} {a['status']:<{sw}} {'; '.join(a['reasons'])}" for a in report["attention"]])
    if "changes_since" in report:
        yield from _since_lines(report["changes_since"])
    if "compare" in report:
        yield from _compare_lines(report["compare"])


def _change_line(c: dict) -> str:
    evidence = f"  [{len(c['evidence'])} evidence]" if c["evidence"] else ""
    note = f"  {clean(c['note'])}" if c["note"] else ""
    return f"{c['date']}  {c['id']:<12} {c['from']} -> {c['to']}{evidence}{note}"


def _since_lines(since: dict) -> Iterable[str]:
    for label, key in SINCE_SECTIONS:
        yield from _report_section(f"{label} since {since['since']}", [_change_line(c) for c in since[key]])


def _compare_lines(compare: dict) -> Iterable[str]:
    def row(label: str, d: dict) -> str:
        return (f"{label:<10} {d['then']:>5.0%} -> {d['now']:>4.0%}  ({d['change'] * 100:+.1f} pts)  "
                f"implemented {d['implemented_then']} -> {d['implemented_now']}")

    lines = [row("Overall", compare["overall"])] + [row(p["id"], p) for p in compare["pillars"]]
    yield from _report_section(f"Progress {compare['then']} -> {compare['now']}", lines)
    yield from _report_section(f"Lost 'implemented' since {compare['then']}", [
        f"{x['id']:<12} now {x['status_now']:<13} {clean(x['title'])}" for x in compare["lost_implemented"]])


def _report_section(title: str, lines: list[str]) -> Iterable[str]:
    yield ""
    yield title
    if not lines:
        yield "  none"
    for line in lines:
        yield "  " + line


def report_plain(report: dict, out: IO | None = None) -> None:
    out = out or sys.stdout
    for line in report_lines(report):
        out.write(line + "\n")


ROW_STATUS = 12  # a report row: "  ID  STATUS  text", its text continued under itself
ROW_STATUS_MAX = 24  # a brief's own, longer status ids widen the column up to this


def report_table(report: dict, out: IO | None = None) -> None:
    from rich.text import Text

    page = Page(out)
    page.id_width = min(12, max([len(clean(r["id"])) for key in ("key", "attention", "recent")
                                 for r in report[key]] or [6]))
    page.status_width = min(ROW_STATUS_MAX, max(ROW_STATUS, *(len(s["id"]) for s in report["statuses"])))
    brief, overall = report["brief"], report["overall"]
    lines = page.flow(Text(), user_text(brief["title"], "bold"), 0)
    lines += page.flow(Text(), user_text(f"{brief['author']}, {brief['publisher']}, {brief['published']}"
                                         f" — as of {report['as_of']}", "dim"), 0)
    width = max([len("Overall"), *(len(clean(p["id"])) for p in report["pillars"])])
    scale = Scale.from_dicts(report["statuses"])
    lines += [Text(), *page.flow(_bar_line("Overall".ljust(width), overall, scale, "bold"), [], 0)]
    lines += page.flow(Text(" " * (width + 2)), _breakdown_text(overall["by_status"], scale), width + 2)
    lines += page.flow(Text(), Text(rule_line(report), style="dim"), 6)
    lines.append(Text())
    for p in report["pillars"]:
        lines += page.flow(_bar_line(clean(p["id"]).ljust(width), p, scale), user_text(p["name"]), width + 2)
        lines += page.flow(Text(" " * (width + 2)), _breakdown_text(p["by_status"], scale), width + 2)
    cap = TERMINAL_SECTION_ROWS
    lines += _section(page, "Key recommendations", report["key"],
                      lambda k: _row(page, k["id"], status_text(k["status"], scale), user_text(k["title"])), cap)
    lines += _section(page, recent_title(report), report["recent"],
                      lambda c: _change_rows(page, c), cap)
    lines += _section(page, "Needs attention", report["attention"],
                      lambda a: _row(page, a["id"], status_text(a["status"], scale),
                                     Text("; ".join(a["reasons"]))), cap)
    if "changes_since" in report:
        since = report["changes_since"]
        for label, key in SINCE_SECTIONS:
            lines += _section(page, f"{label} since {since['since']}", since[key], lambda c: _change_rows(page, c))
    if "compare" in report:
        compare = report["compare"]
        rows = [("Overall", compare["overall"]), *((clean(p["id"]), p) for p in compare["pillars"])]
        lines += _section(page, f"Progress {compare['then']} -> {compare['now']}", rows,
                          lambda row: _compare_row(page, *row))
        lines += _section(page, f"Lost 'implemented' since {compare['then']}", compare["lost_implemented"],
                          lambda x: _row(page, x["id"], Text.assemble("now ", status_text(x["status_now"])),
                                         user_text(x["title"]), status_width=page.status_width + 4))
    page.print(lines)


def _bar_line(label: str, summary: dict, scale: Scale, style: str = ""):
    from rich.text import Text

    return Text.assemble((label, style), "  ", status_bar(summary["by_status"], scale),
                         (f" {summary['progress']:>4.0%}  {implemented_of(summary)}", style), "  ")


def status_bar(by_status: dict, scale: Scale, width: int = BAR_WIDTH):
    """A stacked bar: a segment per status, in proportion to its count (largest remainders)."""
    from rich.text import Text

    order = bar_order(scale)
    total = sum(by_status.values())
    counts = {name: by_status.get(name, 0) for name in order}
    if not total:
        return Text("░" * width, style=style_of(scale.start, scale))
    cells = {name: n * width // total for name, n in counts.items()}
    left = width - sum(cells.values())
    for name in sorted(order, key=lambda n: -(counts[n] * width % total))[:left]:
        cells[name] += 1
    bar = Text()
    for name in order:
        bar.append(glyph_of(name, scale) * cells[name], style=style_of(name, scale))
    return bar


def _breakdown_text(by_status: dict, scale: Scale) -> list:
    """"6 not_assessed, 1 implemented" in scale order, each status in its colour: the bars' legend."""
    from rich.text import Text

    present = [name for name, n in by_status.items() if n]
    return [Text.assemble(f"{by_status[name]} ", status_text(name, scale), "," if i < len(present) - 1 else "")
            for i, name in enumerate(present)]


def _row(page: Page, rec_id: str, status, text, status_width: int | None = None) -> list:
    from rich.text import Text

    status_width = status_width or page.status_width
    head = Text.assemble("  ", (clean(rec_id).ljust(page.id_width), "bold"), "  ", status,
                         " " * max(2, status_width + 2 - status.cell_len))
    return page.flow(head, text, 2 + page.id_width + 2 + status_width + 2)


def _change_rows(page: Page, c: dict) -> list:
    """A change's date, id and statuses on one line; its note on the next, under the id."""
    from rich.text import Text

    head = Text.assemble("  ", c["date"], "  ", (clean(c["id"]), "bold"), "  ", status_text(c["from"]), " → ",
                         status_text(c["to"]))
    if c.get("downgrade"):
        head.append("  (downgrade)", style="bold")
    if c.get("evidence"):
        head.append(f"  [{len(c['evidence'])} evidence]", style="dim")
    indent = 2 + 10 + 2
    lines = page.flow(Text(), [head], indent)
    if c.get("note"):
        lines += page.flow(Text(" " * indent), user_text(c["note"]), indent)
    return lines


def _compare_row(page: Page, label: str, d: dict) -> list:
    from rich.text import Text

    return page.flow(Text(), Text(f"  {label:<10} {d['then']:>5.0%} -> {d['now']:>4.0%}  "
                                  f"({d['change'] * 100:+.1f} pts)  implemented {d['implemented_then']} -> "
                                  f"{d['implemented_now']}"), 13)


def _section(page: Page, title: str, items: list, draw, cap: int | None = None) -> list:
    """A titled list of ``items``, each laid out by ``draw`` (only those shown: at most ``cap``)."""
    from rich.text import Text

    lines = [Text(), Text(title, style="bold")]
    if not items:
        lines.append(Text("  none", style="dim"))
    for item in items[:cap]:
        lines += draw(item)
    if cap is not None and len(items) > cap:
        lines += page.flow(Text(), Text(f"  … {len(items) - cap} more: pipe the report (alliance report | less)"
                                        " to see all", style="dim"), 4)
    return lines


# --- conflicts ----------------------------------------------------------------

CONFLICT_COLUMNS = ("id", "field", "ours", "theirs", "kept")


def conflict_rows(conflicts: list[dict]) -> list[tuple[str, ...]]:
    """Each open conflict as what `conflicts resolve` takes (ID FIELD), both values, and
    the value the tracker keeps until it is settled; values that are not text as JSON."""
    from alliance_cli.core.merge import kept_value, label, order_key

    def shown(value) -> str:
        return "(none)" if value is None else value if isinstance(value, str) else order_key(value)

    return [(*label(c), shown(c["ours"]), shown(c["theirs"]), shown(kept_value(c))) for c in conflicts]


def conflicts_table(conflicts: list[dict], out: IO | None = None) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, header_style="bold")
    for name in ("ID", "Field", "Ours", "Theirs", "Kept until settled"):
        table.add_column(name, overflow="fold")
    for row in conflict_rows(conflicts):
        table.add_row(*(Text(clean(cell)) for cell in row))
    make_console(file=out).print(table)


def conflicts_tsv(conflicts: list[dict], out: IO | None = None) -> None:
    write_tsv(CONFLICT_COLUMNS, conflict_rows(conflicts), out)
