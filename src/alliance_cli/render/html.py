"""The report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched.

The page is meant to be mailed, archived and printed, and to look the same
offline years later: it loads nothing and runs nothing, and its
Content-Security-Policy tells the browser so, as a second line of defence.
All user text goes through ``render.clean`` (control characters made visible)
and ``html.escape``; only http(s) evidence URLs become links.
"""

import html
import math

from alliance_cli.core.statuses import NAMES
from alliance_cli.render import exports
from alliance_cli.render.exports import Alert, Section, Status
from alliance_cli.render.text import clean

# Okabe-Ito colours, told apart by most colour-blind readers; every status is
# also written as a word wherever a colour is shown.
STATUS_COLOURS = {
    "not_assessed": "#dddddd", "no_action": "#d55e00", "in_progress": "#f0e442", "partial": "#56b4e9",
    "implemented": "#009e73", "stalled": "#cc79a7", "abandoned": "#555555",
}
# Fills dark enough that the count written on them must be white.
_DARK_FILLS = {"no_action", "implemented", "abandoned"}
PILLAR_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#999933")
# Dashes tell the lines apart on a black-and-white print.
PILLAR_DASHES = ("6 3", "2 3", "10 3 2 3", "1 2", "12 4", "4 2 1 2", "8 2")
OVERALL_COLOUR = "#1d1d1f"

NO_HISTORY = "No status change has been recorded yet, so there is no history to chart."
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def esc(text) -> str:
    """User text made inert: control characters visible, HTML escaped, newlines as <br>."""
    cleaned = clean(exports.cell_text(text).replace("\r\n", "\n"), keep_newlines=True)
    return html.escape(cleaned, quote=True).replace("\n", "<br>")


def report_html(report: dict, meta: dict, timeline: list[dict]) -> str:
    title = f"Implementation report: {meta['brief']['title']} (as of {meta['as_of']})"
    sections = [_section(s) for s in exports.report_sections(report)]
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>", "<main>",
        _header(meta), _overall(report), _status_chart(report), _timeline(report, timeline), *sections,
        '<footer>Made by alliance. This page loads nothing and runs no script.</footer>',
        "</main>", "</body>", "</html>", ""])


# --- header and overall -----------------------------------------------------

def _header(meta: dict) -> str:
    brief = meta["brief"]
    items = [("Brief", brief["title"]), ("Author", brief["author"]), ("Publisher", brief["publisher"]),
             ("Published", brief["published"]), ("As of", meta["as_of"]),
             ("Exported at", meta["exported_at"]), ("Filters", exports.filters_text(meta["filters"]))]
    rows = "".join(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>" for label, value in items)
    return (f'<header><p class="kicker">Implementation report</p><h1>{esc(brief["title"])}</h1>'
            f'<dl class="meta">{rows}</dl></header>')


def _overall(report: dict) -> str:
    o = report["overall"]
    return (f'<section id="overall"><h2>Overall</h2><p class="overall"><span class="big">'
            f'{exports.pct(o["progress"])}</span> <span>{o["implemented"]} of {o["total"]} '
            f'recommendations implemented</span></p><p class="rule">{esc(exports.rule_text(report))}</p>'
            "</section>")


# --- status by pillar: stacked bars ----------------------------------------

CHART_WIDTH = 760
BAR_HEIGHT = 22
ROW_HEIGHT = 54


def _status_chart(report: dict) -> str:
    groups = [("ALL", "All recommendations", report["overall"])]
    groups += [(p["id"], p["name"], p) for p in report["pillars"]]
    bars = "".join(_bar_group(pid, name, summary, i * ROW_HEIGHT)
                   for i, (pid, name, summary) in enumerate(groups))
    height = len(groups) * ROW_HEIGHT
    svg = (f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height}" role="img" '
           f'aria-labelledby="status-chart-title"><title id="status-chart-title">Recommendations by status, '
           f"per pillar</title>{bars}</svg>")
    return (f'<section id="status"><h2>Status by pillar</h2><figure>{svg}{_status_legend()}</figure>'
            f"{_table(exports.pillar_section(report))}</section>")


def _bar_group(pid: str, name: str, summary: dict, top: int) -> str:
    name_part = f" {esc(name)}" if pid != "ALL" else ""
    label = (f'<text class="bar-label" x="0" y="{top + 16}"><tspan class="pid">'
             f'{esc(pid if pid != "ALL" else name)}</tspan>{name_part}</text>'
             f'<text class="bar-value" x="{CHART_WIDTH}" y="{top + 16}" '
             f'text-anchor="end">{exports.pct(summary["progress"])} · {summary["implemented"]}/'
             f'{summary["total"]} implemented</text>')
    segments, x = [], 0.0
    for status in NAMES:
        count = summary["by_status"][status]
        if count:
            width = CHART_WIDTH * count / summary["total"]
            segments.append(_segment(pid, status, count, x, top + 22, width))
            x += width
    return f'<g class="pillar-bar" data-pillar="{esc(pid)}">{label}{"".join(segments)}</g>'


def _segment(pid: str, status: str, count: int, x: float, y: int, width: float) -> str:
    rect = (f'<rect x="{x:.2f}" y="{y}" width="{width:.2f}" height="{BAR_HEIGHT}" '
            f'fill="{STATUS_COLOURS[status]}" class="seg-{status}">'
            f"<title>{esc(pid)}: {count} {status}</title></rect>")
    if width < 18:
        return rect
    kind = "seg-count on-dark" if status in _DARK_FILLS else "seg-count"
    return (rect + f'<text class="{kind}" x="{x + width / 2:.2f}" y="{y + 15}" '
            f'text-anchor="middle">{count}</text>')


def _status_legend() -> str:
    items = "".join(f'<li><span class="swatch" style="background:{STATUS_COLOURS[s]}"></span>{s}</li>'
                    for s in NAMES)
    return f'<ul class="legend" aria-label="Statuses">{items}</ul>'


# --- progress over time: line chart -----------------------------------------

PLOT = {"left": 48, "right": 16, "top": 12, "bottom": 36, "width": 760, "height": 300}


def _timeline(report: dict, timeline: list[dict]) -> str:
    head = '<section id="timeline"><h2>Progress over time</h2>'
    if not timeline:
        return head + f'<p class="none">{NO_HISTORY}</p></section>'
    series = _series(report, timeline)
    return (head + f"<figure>{_line_chart(timeline, series)}{_line_legend(series)}</figure>"
            f"{_timeline_table(timeline, series)}</section>")


def _series(report: dict, timeline: list[dict]) -> list[dict]:
    """Overall first, then each pillar, with how its line is drawn."""
    series = [{"key": "ALL", "label": "All recommendations", "colour": OVERALL_COLOUR, "dash": "",
               "width": 3, "values": [p["overall"] for p in timeline]}]
    for i, pillar in enumerate(report["pillars"]):
        series.append({"key": pillar["id"], "label": f"{pillar['id']} {pillar['name']}",
                       "colour": PILLAR_COLOURS[i % len(PILLAR_COLOURS)],
                       "dash": PILLAR_DASHES[i % len(PILLAR_DASHES)], "width": 2,
                       "values": [p["pillars"].get(pillar["id"], 0.0) for p in timeline]})
    return series


def _x(i: int, count: int) -> float:
    inner = PLOT["width"] - PLOT["left"] - PLOT["right"]
    return PLOT["left"] + (inner / 2 if count == 1 else inner * i / (count - 1))


def _y(value: float) -> float:
    inner = PLOT["height"] - PLOT["top"] - PLOT["bottom"]
    return PLOT["top"] + inner * (1 - value)


def _line_chart(timeline: list[dict], series: list[dict]) -> str:
    body = _axes(timeline) + "".join(_line(s, timeline) for s in reversed(series))
    return (f'<svg class="chart" viewBox="0 0 {PLOT["width"]} {PLOT["height"]}" role="img" '
            f'aria-labelledby="timeline-title"><title id="timeline-title">Progress by month, overall and '
            f"per pillar, 0 to 100%</title>{body}</svg>")


def _axes(timeline: list[dict]) -> str:
    right = PLOT["width"] - PLOT["right"]
    parts = []
    for tick in (0, 0.25, 0.5, 0.75, 1):
        y = _y(tick)
        parts.append(f'<line class="grid" x1="{PLOT["left"]}" x2="{right}" y1="{y:.2f}" y2="{y:.2f}"/>'
                     f'<text class="tick" x="{PLOT["left"] - 6}" y="{y + 4:.2f}" text-anchor="end">'
                     f"{tick:.0%}</text>")
    # Enough month labels to read the axis, never so many that they overlap.
    step = math.ceil(len(timeline) / 10)
    for i, point in enumerate(timeline):
        if i % step == 0 or i == len(timeline) - 1:
            parts.append(f'<text class="tick" x="{_x(i, len(timeline)):.2f}" y="{PLOT["height"] - 12}" '
                         f'text-anchor="middle">{esc(point["month"])}</text>')
    return "".join(parts)


def _line(series: dict, timeline: list[dict]) -> str:
    count = len(timeline)
    coords = [(_x(i, count), _y(v)) for i, v in enumerate(series["values"])]
    dash = f' stroke-dasharray="{series["dash"]}"' if series["dash"] else ""
    points = " ".join(f"{x:.2f},{y:.2f}" for x, y in coords)
    marks = "".join(
        f'<circle cx="{x:.2f}" cy="{y:.2f}" r="3" fill="{series["colour"]}"><title>{esc(series["label"])}, '
        f'{esc(p["month"])}: {exports.pct(v)}</title></circle>'
        for (x, y), p, v in zip(coords, timeline, series["values"], strict=True))
    return (f'<g class="series" data-series="{esc(series["key"])}"><polyline points="{points}" fill="none" '
            f'stroke="{series["colour"]}" stroke-width="{series["width"]}"{dash} stroke-linejoin="round">'
            f"<title>{esc(series['label'])}</title></polyline>{marks}</g>")


def _line_legend(series: list[dict]) -> str:
    def key(s: dict) -> str:
        dash = f' stroke-dasharray="{s["dash"]}"' if s["dash"] else ""
        return (f'<li><svg class="key" viewBox="0 0 32 10" width="32" height="10" aria-hidden="true">'
                f'<line x1="0" y1="5" x2="32" y2="5" stroke="{s["colour"]}" '
                f'stroke-width="{s["width"]}"{dash}/></svg>{esc(s["label"])}</li>')

    return f'<ul class="legend" aria-label="Lines">{"".join(key(s) for s in series)}</ul>'


def _timeline_table(timeline: list[dict], series: list[dict]) -> str:
    header = ["Month", *(s["key"] for s in series)]
    rows = [[p["month"], *(exports.pct(s["values"][i]) for s in series)] for i, p in enumerate(timeline)]
    table = _table(Section("", header, rows))
    return f"<details><summary>The figures, month by month</summary>{table}</details>"


# --- tables -----------------------------------------------------------------

SHORT_CELL = 24


def _section(section: Section) -> str:
    return f"<section><h2>{esc(section.title)}</h2>{_table(section)}</section>"


def _table(section: Section) -> str:
    if not section.rows:
        return '<p class="none">None.</p>'
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in section.header)
    body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in section.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(value) -> str:
    # Ids, dates, statuses and figures read badly broken over two lines
    # ("CLIMATE-" / "1"); only prose and URLs may wrap.
    text = exports.cell_text(value) if not isinstance(value, (list, tuple)) else ""
    short = text and len(text) <= SHORT_CELL and not any(ch.isspace() for ch in text)
    return f'<td class="nowrap">{_cell(value)}</td>' if short else f"<td>{_cell(value)}</td>"


def _cell(value) -> str:
    if isinstance(value, Status):
        return (f'<span class="status"><span class="swatch" style="background:{STATUS_COLOURS[value]}">'
                f"</span>{esc(value)}</span>")
    if isinstance(value, (list, tuple)):
        return "<br>".join(_link(url) for url in value)
    if isinstance(value, Alert):
        return f'<span class="alert">▼ {esc(value)}</span>'
    return esc(value)


def _link(url: str) -> str:
    if not exports.is_web_url(url):
        return esc(url)
    return f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer">{esc(url)}</a>'


STYLE = """
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5f6368; --rule: #d5d9de; --head: #f3f4f6; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #fff; color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK KR",
    "Apple SD Gothic Neo", "Malgun Gothic", sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.5rem 3rem; }
.kicker { margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: .06em;
  font-size: .78rem; }
h1 { font-size: 1.65rem; line-height: 1.25; margin: .2rem 0 1rem; }
h2 { font-size: 1.12rem; margin: 2.2rem 0 .7rem; padding-bottom: .3rem;
  border-bottom: 1px solid var(--rule); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1.2rem; margin: 0;
  font-size: .9rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.overall { display: flex; align-items: baseline; flex-wrap: wrap; gap: .4rem 1rem; margin: 0; }
.overall .big { font-size: 2.6rem; font-weight: 700; line-height: 1; }
.rule { color: var(--muted); font-size: .88rem; }
figure { margin: 0 0 1rem; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg text { font-family: inherit; fill: var(--ink); }
svg .bar-label { font-size: 13px; }
svg .bar-label .pid { font-weight: 700; }
svg .bar-value { font-size: 12px; fill: var(--muted); }
svg .seg-count { font-size: 12px; font-weight: 600; }
svg .seg-count.on-dark { fill: #fff; }
svg rect { stroke: #fff; stroke-width: 1; }
svg .grid { stroke: var(--rule); stroke-width: 1; }
svg .tick { font-size: 11px; fill: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1.1rem; list-style: none; margin: .6rem 0 0;
  padding: 0; font-size: .84rem; }
.legend li { display: inline-flex; align-items: center; }
.legend svg.key { margin-right: .4rem; }
.swatch { display: inline-block; width: .8em; height: .8em; margin-right: .35em; border-radius: 2px;
  border: 1px solid rgba(0, 0, 0, .3); vertical-align: -.05em; }
.status { white-space: nowrap; }
table { width: 100%; border-collapse: collapse; font-size: .87rem; margin: .3rem 0 1rem;
  font-variant-numeric: tabular-nums; }
th, td { text-align: left; vertical-align: top; padding: .38rem .55rem;
  border-bottom: 1px solid var(--rule); }
th { background: var(--head); font-weight: 600; }
td { overflow-wrap: break-word; }
td.nowrap { white-space: nowrap; }
td a { word-break: break-all; }
.none { color: var(--muted); font-style: italic; }
.alert { color: #b3261e; font-weight: 600; white-space: nowrap; }
a { color: #0b57d0; }
details { margin: .2rem 0 1rem; font-size: .9rem; }
summary { cursor: pointer; color: var(--muted); }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; }
@media print {
  @page { margin: 15mm; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  figure, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  summary { display: none; }
}
"""
