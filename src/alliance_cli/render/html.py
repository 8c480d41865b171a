"""The report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched.

The page is meant to be mailed, archived and printed, and to look the same
offline years later: it loads nothing and runs nothing, and its
Content-Security-Policy tells the browser so, as a second line of defence.
All user text goes through ``render.text.clean`` (control characters made visible)
and ``html.escape``; only http(s) evidence URLs become links.
"""

import contextvars
import datetime as dt
import html
import re
from typing import NamedTuple

from alliance_cli.core.statuses import DEFAULT_SCALE, Scale
from alliance_cli.render import exports
from alliance_cli.render.exports import Alert, Section, Status
from alliance_cli.render.text import SINCE_SECTIONS, clean, tone_of

# Okabe-Ito colours, told apart by most colour-blind readers; every status is
# also written as a word wherever a colour is shown.
STATUS_COLOURS = {
    "not_assessed": "#dddddd", "no_action": "#d55e00", "in_progress": "#f0e442", "partial": "#56b4e9",
    "implemented": "#009e73", "stalled": "#cc79a7", "abandoned": "#555555",
}
# A brief's own statuses take a colour from their tone (``text.tone_of``).
TONE_COLOURS = {"closed_implemented": "#009e73", "closed_not_implemented": "#555555", "excluded": "#bbbbbb",
                "start": "#dddddd", "advanced": "#56b4e9", "started": "#f0e442", "stuck": "#d55e00"}
# Fills dark enough that the count written on them must be white.
_DARK_FILLS = {"#d55e00", "#009e73", "#555555"}
# The scale of the report being drawn: set by ``report_html`` for the one page it makes.
_SCALE: contextvars.ContextVar[Scale] = contextvars.ContextVar("scale", default=DEFAULT_SCALE)


def colour(status: str) -> str:
    scale = _SCALE.get()
    if status in STATUS_COLOURS or status not in scale.by_id:
        return STATUS_COLOURS.get(status, "#ffffff")
    return TONE_COLOURS[tone_of(status, scale)]


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
    """The cover page: the summary first, then the charts, what needs attention, what changed in
    the period, and every recommendation (when ``report["recommendations"]`` is given)."""
    token = _SCALE.set(Scale.from_dicts(report["statuses"]))
    try:
        return _page(report, meta, timeline)
    finally:
        _SCALE.reset(token)


def _page(report: dict, meta: dict, timeline: list[dict]) -> str:
    title = f"Implementation report: {meta['brief']['title']} (as of {meta['as_of']})"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>", "<main>",
        _header(meta), _summary(report), _status_chart(report), *_sections(report),
        _timeline(report, timeline), _every(report), *_compare(report),
        '<footer>Made by alliance. This page loads nothing and runs no script.</footer>',
        "</main>", "</body>", "</html>", ""])


def label(status: str) -> str:
    """A status as a reader says it: ``not_assessed`` is "Not assessed" (the scale's label)."""
    scale = _SCALE.get()
    return scale.label(status) if status in scale.by_id else status


def labelled(text: str) -> str:
    """The tool's own wording (attention reasons) with its status ids as labels; never user text."""
    names = sorted(_SCALE.get().names, key=len, reverse=True)
    return re.sub(r"\b(" + "|".join(map(re.escape, names)) + r")\b", lambda m: label(m.group()).lower(), text)


# --- header and summary -----------------------------------------------------

def _header(meta: dict) -> str:
    # The title is the heading, once; the list says everything else the export states.
    brief = meta["brief"]
    items = [("Author", brief["author"]), ("Publisher", brief["publisher"]), ("Published", brief["published"]),
             ("As of", meta["as_of"]), ("Exported at", meta["exported_at"]),
             ("Filters", exports.filters_text(meta["filters"]))]
    rows = "".join(f"<dt>{esc(name)}</dt><dd>{esc(value)}</dd>" for name, value in items)
    return (f'<header><p class="kicker">Implementation report</p><h1>{esc(brief["title"])}</h1>'
            f'<dl class="meta">{rows}</dl></header>')


NAMES_IN_SENTENCE = 8


def _summary(report: dict) -> str:
    """Sentences built from the data only: counts, ids and dates, nothing said about the policy."""
    sentences = [_progress_sentence(report), *_pillar_sentence(report), *_key_sentence(report),
                 _period_sentence(report),
                 _attention_sentence(report)]
    o = report["overall"]
    return (f'<section id="summary"><h2>Summary</h2><p class="overall"><span class="big">'
            f'{exports.pct(o["progress"])}</span> <span>overall progress, {o["implemented"]} of {o["denominator"]} '
            f'recommendations implemented</span></p><ul class="summary">'
            + "".join(f"<li>{s}</li>" for s in sentences)
            + f'</ul><p class="rule">{esc(labelled(exports.rule_text(report)))}</p></section>')


def _counted(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _progress_sentence(report: dict) -> str:
    o = report["overall"]
    parts = [f"{n} {label(s).lower()}" for s in _SCALE.get().best_first() if (n := o["by_status"][s])]
    if not parts:
        return "No recommendation is in this report."
    return f"Of {_counted(o['total'], 'recommendation')}: {_and(parts)}."


def _pillar_sentence(report: dict) -> list[str]:
    if len(report["pillars"]) < 2:
        return []
    return ["Progress by pillar: " + ", ".join(_nobr(f"{p['id']} {exports.pct(p['progress'])}")
                                               for p in report["pillars"]) + "."]


def _nobr(text: str) -> str:
    """An id, a date or a figure in a sentence: never broken at its hyphen ("CLIMATE-" / "1")."""
    return f'<span class="nobr">{esc(text)}</span>'



def _key_sentence(report: dict) -> list[str]:
    key = report["key"]
    if not key:
        return []
    done = sum(1 for k in key if _SCALE.get().cls(k["status"]) == "closed_implemented")
    return [f"{done} of the {_counted(len(key), 'key recommendation')} {'is' if done == 1 else 'are'} implemented."]


def _period(report: dict) -> tuple[str, list[dict]]:
    """The period the report looks back on: from ``--since``, else the recent window."""
    if report.get("changes_since"):
        return report["changes_since"]["since"], _since_changes(report["changes_since"])
    start = dt.date.fromisoformat(report["as_of"]) - dt.timedelta(days=report["windows"]["recent_days"] - 1)
    return start.isoformat(), report["recent"]


def _since_changes(since: dict) -> list[dict]:
    # "new_evidence" repeats changes already in the other lists: each change once.
    return [c for _, key in SINCE_SECTIONS if key != "new_evidence" for c in since[key]]


_KIND_WORDS = (("assessment", "first assessment"), ("upgrade", "upgrade"), ("downgrade", "downgrade"),
               ("reassessment", "reassessment"))


def _kind(change: dict) -> str:
    """What a change is (``progress.change_kind``), or by its scores for a change that does not say."""
    if "kind" in change:
        return change["kind"]
    score = _SCALE.get().score
    up, down = score(change["to"]) > score(change["from"]), score(change["to"]) < score(change["from"])
    return "upgrade" if up else "downgrade" if down else "lateral"


def _period_sentence(report: dict) -> str:
    start, changes = _period(report)
    span = f"From {_nobr(start)} to {_nobr(report['as_of'])}"
    if not changes:
        return f"{span}, no status changed."
    kinds = [_kind(c) for c in changes]
    parts = [f"{_counted(len(of), word)} ({_ids(of)})" for kind, word in _KIND_WORDS
             if (of := [c for c, k in zip(changes, kinds, strict=True) if k == kind])]
    if same := kinds.count("lateral"):
        parts.append(_counted(same, "change", "changes") + " of the same score")
    recs = len({c["id"] for c in changes})
    evidence = sum(1 for c in changes if c["evidence"])
    text = (f"{span}, {_counted(len(changes), 'status change')} on {_counted(recs, 'recommendation')}: "
            f"{_and(parts)}")
    return text + (f"; {evidence} with new evidence." if evidence else ".")


def _attention_sentence(report: dict) -> str:
    flagged = report["attention"]
    if not flagged:
        return "No recommendation is stalled, downgraded, left without update or overdue."
    named = [f"{_nobr(a['id'])} ({_reasons(a['reasons'])})" for a in flagged[:NAMES_IN_SENTENCE]]
    if len(flagged) > NAMES_IN_SENTENCE:
        named.append(f"{len(flagged) - NAMES_IN_SENTENCE} more listed below")
    verb = "needs" if len(flagged) == 1 else "need"
    return f"{_counted(len(flagged), 'recommendation')} {verb} attention: {_and(named)}."


def _reasons(reasons: list[str]) -> str:
    # The dates in the tool's wording kept whole: "on 2024-06-01", "(due 2024-05-31)".
    text = esc(labelled("; ".join(reasons)))
    return re.sub(r"\d{4}-\d{2}-\d{2}", lambda m: f'<span class="nobr">{m.group()}</span>', text)


def _ids(changes: list[dict]) -> str:
    seen = list(dict.fromkeys(c["id"] for c in changes))
    shown = [_nobr(i) for i in seen[:NAMES_IN_SENTENCE]]
    if len(seen) > NAMES_IN_SENTENCE:
        shown.append(f"{len(seen) - NAMES_IN_SENTENCE} more")
    return ", ".join(shown)


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


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
            f"{_table(_pillar_section(report))}</section>")


def _pillar_section(report: dict) -> Section:
    def breakdown(by_status: dict) -> str:
        return ", ".join(f"{n} {label(s).lower()}" for s, n in by_status.items() if n)

    rows = [[f"{p['id']} {p['name']}", exports.pct(p["progress"]), p["implemented"], p["total"],
             breakdown(p["by_status"])] for p in report["pillars"]]
    o = report["overall"]
    rows.append(["All", exports.pct(o["progress"]), o["implemented"], o["total"], breakdown(o["by_status"])])
    return Section("Progress by pillar", ["Pillar", "Progress", "Implemented", "Total", "Breakdown"], rows)


def _bar_group(pid: str, name: str, summary: dict, top: int) -> str:
    name_part = f" {esc(name)}" if pid != "ALL" else ""
    label = (f'<text class="bar-label" x="0" y="{top + 16}"><tspan class="pid">'
             f'{esc(pid if pid != "ALL" else name)}</tspan>{name_part}</text>'
             f'<text class="bar-value" x="{CHART_WIDTH}" y="{top + 16}" '
             f'text-anchor="end">{exports.pct(summary["progress"])} · {summary["implemented"]}/'
             f'{summary["denominator"]} implemented</text>')
    segments, x = [], 0.0
    for status in _SCALE.get().names:
        count = summary["by_status"][status]
        if count:
            width = CHART_WIDTH * count / summary["total"]
            segments.append(_segment(pid, status, count, x, top + 22, width))
            x += width
    return f'<g class="pillar-bar" data-pillar="{esc(pid)}">{label}{"".join(segments)}</g>'


def _segment(pid: str, status: str, count: int, x: float, y: int, width: float) -> str:
    rect = (f'<rect x="{x:.2f}" y="{y}" width="{width:.2f}" height="{BAR_HEIGHT}" '
            f'fill="{colour(status)}" class="seg-{status}">'
            f"<title>{esc(pid)}: {count} {label(status).lower()}</title></rect>")
    if width < 18:
        return rect
    kind = "seg-count on-dark" if colour(status) in _DARK_FILLS else "seg-count"
    return (rect + f'<text class="{kind}" x="{x + width / 2:.2f}" y="{y + 15}" '
            f'text-anchor="middle">{count}</text>')


def _status_legend() -> str:
    items = "".join(f'<li><span class="swatch" style="background:{colour(s)}"></span>{esc(label(s))}</li>'
                    for s in _SCALE.get().names)
    return f'<ul class="legend" aria-label="Statuses">{items}</ul>'


# --- progress over time: line chart -----------------------------------------

PLOT = {"left": 48, "right": 16, "top": 12, "bottom": 46, "width": 760, "height": 310}


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


# The first and last points stand off the axis, so that the first month's label is clear of "0%".
X_PAD = 16


def _x(i: int, count: int) -> float:
    inner = PLOT["width"] - PLOT["left"] - PLOT["right"] - 2 * X_PAD
    return PLOT["left"] + X_PAD + (inner / 2 if count == 1 else inner * i / (count - 1))


def _y(value: float) -> float:
    inner = PLOT["height"] - PLOT["top"] - PLOT["bottom"]
    return PLOT["top"] + inner * (1 - value)


def _line_chart(timeline: list[dict], series: list[dict]) -> str:
    body = _axes(timeline) + "".join(_line(s, timeline) for s in reversed(series))
    return (f'<svg class="chart" viewBox="0 0 {PLOT["width"]} {PLOT["height"]}" role="img" '
            f'aria-labelledby="timeline-title"><title id="timeline-title">Progress by month, overall and '
            f"per pillar, 0 to 100%</title>{body}</svg>")


def _axes(timeline: list[dict]) -> str:
    right, base = PLOT["width"] - PLOT["right"], _y(0)
    parts = []
    for tick in (0, 0.25, 0.5, 0.75, 1):
        y = _y(tick)
        parts.append(f'<line class="grid" x1="{PLOT["left"]}" x2="{right}" y1="{y:.2f}" y2="{y:.2f}"/>'
                     f'<text class="tick" x="{PLOT["left"] - 6}" y="{y + 4:.2f}" text-anchor="end">'
                     f"{tick:.0%}</text>")
    for tick in axis_ticks([p["month"] for p in timeline]):
        x = _x(tick.index, len(timeline))
        parts.append(f'<line class="axis-tick" x1="{x:.2f}" x2="{x:.2f}" y1="{base:.2f}" y2="{base + 4:.2f}"/>')
        for row, text in enumerate((tick.upper, tick.lower)):
            if text:
                parts.append(f'<text class="tick x-label row-{row}" x="{x:.2f}" y="{base + AXIS_ROWS[row]}" '
                             f'text-anchor="middle">{esc(text)}</text>')
    return "".join(parts)


# --- the time axis: a month a tick up to two years, then quarters, then years ----

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_BY_MONTH = 24
MONTHS_BY_QUARTER = 60
YEAR_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
AXIS_ROWS = (16, 31)  # baselines below the plot: the month row, then the year row
TICK_FONT = 11  # px, as in the style (svg .tick)
# An upper bound on a glyph's advance in the sans-serif fonts the style names (digits and the widest
# month, "May", are about 0.6 em), and the least gap kept between two labels.
GLYPH_EM = 0.68
LABEL_GAP = 6


class Tick(NamedTuple):
    index: int  # the timeline point it stands at
    upper: str  # month (or year, when ticks are years)
    lower: str  # the year, under the first tick and each January; "" otherwise


def label_width(text: str) -> float:
    return len(text) * TICK_FONT * GLYPH_EM


def axis_ticks(months: list[str]) -> list[Tick]:
    """The labelled ticks of a monthly series (``YYYY-MM`` each): every month up to two years,
    every quarter up to five, then every year (or every 2, 5, 10... years, whatever fits)."""
    if not months:
        return []
    spacing = _x(1, len(months)) - _x(0, len(months)) if len(months) > 1 else PLOT["width"]
    keyed = [(i, int(m[:4]), int(m[5:7])) for i, m in enumerate(months)]
    if len(months) <= MONTHS_BY_QUARTER:
        every = 1 if len(months) <= MONTHS_BY_MONTH else 3
        chosen = [(i, y, m) for i, y, m in keyed if (m - 1) % every == 0] or keyed[:1]
        ticks = [Tick(i, MONTH_NAMES[m - 1], str(y) if m == 1 or n == 0 else "")
                 for n, (i, y, m) in enumerate(chosen)]
        return _spaced_years(ticks, spacing)
    first, last = keyed[0][1], keyed[-1][1]
    for step in YEAR_STEPS:
        if step * 12 * spacing >= label_width(str(last)) + LABEL_GAP or step == YEAR_STEPS[-1]:
            break
    return [Tick(i, str(y), "") for i, y, m in keyed if m == 1 and (y - first) % step == 0] or \
        [Tick(0, str(first), "")]


def _spaced_years(ticks: list[Tick], spacing: float) -> list[Tick]:
    """The year under the first tick gives way to the next January's when the two would touch."""
    years = [n for n, t in enumerate(ticks) if t.lower]
    if len(years) > 1:
        gap = (ticks[years[1]].index - ticks[years[0]].index) * spacing
        if gap < label_width(ticks[years[1]].lower) + LABEL_GAP:
            ticks[years[0]] = ticks[years[0]]._replace(lower="")
    return ticks


MARKED_POINTS = 36


def _line(series: dict, timeline: list[dict]) -> str:
    count = len(timeline)
    coords = [(_x(i, count), _y(v)) for i, v in enumerate(series["values"])]
    dash = f' stroke-dasharray="{series["dash"]}"' if series["dash"] else ""
    points = " ".join(f"{x:.2f},{y:.2f}" for x, y in coords)
    # A dot a month reads on a few years; over more it is a bead string hiding the line.
    marks = "" if count > MARKED_POINTS else "".join(
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


def _sections(report: dict) -> list[str]:
    """What needs attention, then what changed in the period: ``--since``'s, else the recent window."""
    rows = [[a["id"], a["title"], Status(a["status"]), a["last_updated"], labelled("; ".join(a["reasons"]))]
            for a in report["attention"]]
    attention = Section("Needs attention", ["ID", "Title", "Status", "Last change", "Reasons"], rows)
    parts = [_section(attention)]
    since = report.get("changes_since")
    if since:
        # Each change once: an upgrade with evidence is not listed again under "new evidence".
        for title, key in SINCE_SECTIONS:
            if key != "new_evidence" and (since[key] or key in ("upgrades", "downgrades")):
                parts.append(_changes(f"{title} since {since['since']}", since[key]))
    else:
        parts.append(_changes(f"Changes in the last {report['windows']['recent_days']} days to {report['as_of']}",
                              report["recent"]))
    return parts


def _changes(title: str, changes: list[dict]) -> str:
    """Changes in five columns, so that the note has room on A4: the move in one cell, the
    evidence under its note."""
    if not changes:
        return f'<section><h2>{esc(title)}</h2><p class="none">None.</p></section>'
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Date", "ID", "Recommendation", "Change",
                                                         "Note and evidence"))
    rows = []
    for c in changes:
        alert = '<br><span class="alert">▼ downgrade</span>' if c["downgrade"] else ""
        move = f'<span class="nobr">{_cell(Status(c["from"]))} →</span><br>{_cell(Status(c["to"]))}{alert}'
        rows.append(f'<tr><td class="nowrap">{esc(c["date"])}</td><td class="nowrap">{esc(c["id"])}</td>'
                    f"<td>{esc(c['title'])}</td><td>{move}</td>"
                    f"<td>{_note({**c, 'note_date': None, 'last_updated': None})}</td></tr>")
    return (f"<section><h2>{esc(title)}</h2><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></section>")


def _compare(report: dict) -> list[str]:
    if not report.get("compare"):
        return []
    return [_section(s) for s in exports.report_sections({**report, "changes_since": None})
            if s.title.startswith(("Compared with", "Implemented on"))]


def _every(report: dict) -> str:
    """Every recommendation, by pillar, with its status, last change and latest note and evidence."""
    recs = report.get("recommendations")
    if recs is None:
        return ""
    names = {p["id"]: p["name"] for p in report["pillars"]}
    head = "".join(f'<th scope="col" class="{c}">{h}</th>' for c, h in (
        ("c-id", "ID"), ("c-title", "Recommendation"), ("c-status", "Status"), ("c-date", "Last change"),
        ("c-note", "Latest note and evidence")))
    body, pillar = [], None
    for rec in recs:
        if rec["pillar"] != pillar:
            pillar = rec["pillar"]
            body.append(f'<tr class="group"><th colspan="5" scope="colgroup">{esc(pillar)} '
                        f'{esc(names.get(pillar, ""))}</th></tr>')
        key = ' <span class="key-mark" title="key recommendation">key</span>' if rec["key"] else ""
        body.append(f'<tr class="rec" data-rec="{esc(rec["id"])}"><td class="nowrap">{esc(rec["id"])}{key}</td>'
                    f"<td>{esc(rec['title'])}</td><td>{_cell(Status(rec['status']))}</td>"
                    f'<td class="nowrap">{esc(rec["last_updated"] or "never")}</td><td>{_note(rec)}</td></tr>')
    return (f'<section id="recommendations"><h2>Every recommendation ({len(recs)})</h2>'
            f'<table class="every"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></section>')


def _note(rec: dict) -> str:
    if not rec["note"] and not rec["evidence"]:
        return ""
    when = (f'<span class="note-date">{esc(rec["note_date"])}:</span> '
            if rec["note_date"] and rec["note_date"] != rec["last_updated"] else "")
    links = "".join(f'<span class="evidence">{_link(url)}</span>' for url in rec["evidence"])
    return f"{when}{esc(rec['note'])}{links}"


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
        return (f'<span class="status"><span class="swatch" style="background:{colour(value)}">'
                f"</span>{esc(label(value))}</span>")
    if isinstance(value, (list, tuple)):
        return "".join(f'<span class="evidence">{_link(url)}</span>' for url in value)
    if isinstance(value, Alert):
        return f'<span class="alert">▼ {esc(value)}</span>'
    return esc(value)


# Where a URL may break, as style guides advise: after a slash (after "//" whole), before the
# punctuation that starts a part (. , ? # & _ - ~ %), after "=".
_URL_BREAK = re.compile(r"(?<=[^/]/)(?!/)|(?<=//)|(?=[.,?#&_~%-])|(?<==)")


def url_html(url: str) -> str:
    """A URL's text with ``<wbr>`` at its safe break points, each piece escaped."""
    pieces = [p for p in _URL_BREAK.split(url) if p]
    return "<wbr>".join(esc(p) for p in pieces)


def _link(url: str) -> str:
    if not exports.is_web_url(url):
        return esc(url)
    return f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer">{url_html(url)}</a>'


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
dl.meta dd { margin: 0; }
.overall { display: flex; align-items: baseline; flex-wrap: wrap; gap: .4rem 1rem; margin: 0 0 .6rem; }
ul.summary { margin: 0; padding-left: 1.2rem; }
ul.summary li { margin: .25rem 0; }
.nobr { white-space: nowrap; }
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
svg .x-label.row-1 { font-weight: 600; }
svg .axis-tick { stroke: var(--muted); stroke-width: 1; }
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
td.nowrap { white-space: nowrap; }
tr.group th { background: none; padding-top: .9rem; border-bottom: 2px solid var(--rule); }
.key-mark { font-size: .72rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.note-date { color: var(--muted); }
table.every .c-title { width: 34%; }
table.every .c-note { width: 32%; }
.evidence { display: block; font-size: .82rem; }
/* URLs break at the <wbr> after each slash and before its punctuation; a part longer than the
   column (a long token) may break anywhere, and only link text ever does. */
a { overflow-wrap: anywhere; }
.none { color: var(--muted); font-style: italic; }
.alert { color: #b3261e; font-weight: 600; white-space: nowrap; }
a { color: #0b57d0; }
details { margin: .2rem 0 1rem; font-size: .9rem; }
summary { cursor: pointer; color: var(--muted); }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; }
@page { size: A4; margin: 15mm; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  figure, tr, #summary { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  summary { display: none; }
}
"""
