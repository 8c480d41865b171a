"""The HTML report, checked as a real browser renders it (headless Chromium)."""

import datetime as dt
import json
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path

import pytest

from alliance_cli.core import progress, timeline
from alliance_cli.core.statuses import DEFAULT_SCALE
from alliance_cli.render import html as html_report
from alliance_cli.store.tracker import Tracker
from scenario import AS_OF, HOSTILE_URL, SCRIPT_NOTE, build, record

NAMES = DEFAULT_SCALE.names

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]


def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: .ci/install-chromium should have installed it")
    pytest.skip("chromium is not installed (apt-get install chromium, or run .ci/install-chromium)")


def browse(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(tmp_path)}
    result = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                            check=False, capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


class Dom(HTMLParser):
    """What the tests look at in the DOM Chromium dumps."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.bars: dict[str, int] = {}  # data-pillar -> <rect> count inside the group
        self.polylines: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self._bar: str | None = None
        self._depth = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if self._bar is not None:
            self._depth += 1
            self.bars[self._bar] += tag == "rect"
        elif tag == "g" and "pillar-bar" in (attrs.get("class") or "").split():
            self._bar, self._depth = attrs["data-pillar"], 1
            self.bars[self._bar] = 0
        if tag == "polyline":
            self.polylines.append(attrs["points"])
        if tag == "a":
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if self._bar is not None:
            self._depth -= 1
            if self._depth == 0:
                self._bar = None

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def scenario(run, db):
    record(run)
    found = build(db)
    state = found["state"]
    every = progress.every_recommendation(state.recommendations(), AS_OF, state.notes, state.scale)
    return {**found, "report": {**found["report"], "recommendations": every}}


@pytest.fixture
def page(scenario, tmp_path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(html_report.report_html(scenario["report"], scenario["meta"], scenario["timeline"]),
                    encoding="utf-8")
    return path


# The page runs no script and its policy forbids one. To read the layout Chromium computed, the
# test measures a copy of the same page with a policy that lets one inline script run at the end
# and write what it measured into the DOM that --dump-dom prints.
MEASURE = """<script>
const box = e => { const r = e.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top + scrollY, bottom: r.bottom + scrollY}; };
const out = {
  ticks: [...document.querySelectorAll("#timeline svg text.tick")].map(
    t => ({text: t.textContent, cls: t.getAttribute("class"), ...box(t)})),
  rows: [...document.querySelectorAll("#recommendations tr.rec")].map(
    r => ({id: r.dataset.rec, text: r.textContent, ...box(r)})),
  sections: [...document.querySelectorAll("main > section")].map(s => ({id: s.id, ...box(s)})),
  header: box(document.querySelector("header")),
  width: document.documentElement.scrollWidth, viewport: innerWidth,
};
const pre = document.createElement("pre"); pre.id = "measured"; pre.textContent = JSON.stringify(out);
document.body.append(pre);
</script>"""


def measure(page: Path, tmp_path: Path, width: int) -> dict:
    text = page.read_text(encoding="utf-8")
    policy = html_report.CSP.replace("default-src 'none'", "default-src 'none'; script-src 'unsafe-inline'")
    probe = tmp_path / f"measure-{width}.html"
    probe.write_text(text.replace(html_report.CSP, policy).replace("</body>", MEASURE + "</body>"),
                     encoding="utf-8")
    dumped = browse(probe, tmp_path, "--dump-dom", f"--window-size={width},1000").stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dumped, re.DOTALL)
    assert found, "the measuring script did not run"
    return json.loads(html_report.html.unescape(found.group(1)))


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for a, b in combinations(boxes, 2)
            if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]]


def test_chromium_renders_user_text_as_text_and_draws_every_chart(scenario, page, tmp_path):
    dom = Dom(browse(page, tmp_path, "--dump-dom").stdout)
    report, points = scenario["report"], scenario["timeline"]
    text = "".join(dom.text)

    assert "script" not in dom.tags
    assert SCRIPT_NOTE in text  # shown as the words the user typed
    assert HOSTILE_URL in text and HOSTILE_URL in dom.links  # one link, its href intact

    expected_bars = {"ALL": sum(1 for s in NAMES if report["overall"]["by_status"][s])}
    expected_bars |= {p["id"]: sum(1 for s in NAMES if p["by_status"][s]) for p in report["pillars"]}
    assert dom.bars == expected_bars
    assert len(dom.bars) == len(report["pillars"]) + 1

    assert len(dom.polylines) == len(report["pillars"]) + 1
    assert all(len(p.split()) == len(points) for p in dom.polylines)
    for month in (points[0]["month"], points[-1]["month"]):
        assert month in text
    for word in ("0%", "100%", "Security and Defense", *(s.label for s in DEFAULT_SCALE.statuses)):
        assert word in text
    assert not any(name in text for name in NAMES if "_" in name)  # labels, never ids
    for fact in ("2024-06-30", "2024-07-01T09:30:00.000000Z", "status=implemented", "Kayla Orta",
                 f"denominator: {report['overall']['total']} recommendations"):
        assert fact in text
    assert "Talks paused" in text and "\\x1b[31m" in text  # control characters made visible


def test_chromium_screenshot_shows_summary_chart_and_every_row(scenario, page, tmp_path):
    recs = scenario["state"].recommendations()
    for width in (794, 1200):  # A4's width at 96 dpi, and a wide window (measured last: the screenshot's)
        laid = measure(page, tmp_path, width)
        assert [s["id"] for s in laid["sections"]][0] == "summary"  # the summary first
        assert laid["sections"][0]["top"] == min(s["top"] for s in laid["sections"])
        assert laid["sections"][0]["top"] < 1000  # on the first screen
        assert [r["id"] for r in laid["rows"]] == [r["id"] for r in recs]  # every one, in order
        assert all(r["bottom"] > r["top"] and r["id"] in r["text"] for r in laid["rows"])
        assert laid["ticks"] and not overlapping(laid["ticks"])
        assert laid["width"] <= laid["viewport"]  # nothing wider than the window

    height = int(laid["rows"][-1]["bottom"]) + 200  # down to past the table's last row
    shot = tmp_path / "report.png"
    browse(page, tmp_path, f"--screenshot={shot}", f"--window-size=1200,{height}", "--hide-scrollbars")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1200, height) and len(data) > 20_000


def test_prints_on_a4(page, tmp_path):
    pdf = tmp_path / "report.pdf"
    browse(page, tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes()))
    assert boxes and all(abs(float(w) - 595.9) < 1.5 and abs(float(h) - 842.9) < 1.5 for w, h in boxes)


# Spans of events: (first event, last event, as-of date), and the ticks they get.
SPANS = {
    "3 months": ("2024-04-10", "2024-06-01", "2024-06-30"),
    "2 years": ("2022-07-05", "2023-11-20", "2024-06-30"),
    "8 years": ("2016-07-05", "2020-02-20", "2024-06-30"),
}


@pytest.mark.parametrize("span", SPANS)
def test_axis_labels_never_overlap_in_chromium(backdated, span, run, db, tmp_path):
    first, middle, as_of = SPANS[span]
    for rec_id, status, day in (("SEC-1", "in-progress", first), ("SEC-2", "partial", middle),
                                ("SEC-1", "implemented", as_of)):
        run("update-status", rec_id, status, "--date", day)
    state = Tracker(db).read()
    recs, end = state.recommendations(), dt.date.fromisoformat(as_of)
    report = {**progress.build_report(state.brief, state.pillars, recs, end, state.scale, notes=state.notes),
              "recommendations": progress.every_recommendation(recs, end, state.notes, state.scale)}
    points = timeline.monthly_progress(state.pillars, recs, end, state.scale)
    meta = {"brief": state.brief, "as_of": as_of, "exported_at": "2024-07-01T00:00:00Z", "filters": {}}
    page = tmp_path / "span.html"
    page.write_text(html_report.report_html(report, meta, points), encoding="utf-8")

    months = list(html_report.MONTH_NAMES)
    upper = [t.upper for t in html_report.axis_ticks([p["month"] for p in points])]
    expected = {"3 months": ["Apr", "May", "Jun"], "2 years": [*months[6:], *months, *months[:6]],
                "8 years": [str(y) for y in range(2017, 2025)]}[span]
    assert upper == expected  # a month a tick, every month of two years, then years
    for width in (1200, 794, 480):
        ticks = measure(page, tmp_path, width)["ticks"]
        assert [t["text"] for t in ticks if "row-0" in t["cls"]] == expected
        assert not overlapping(ticks), (width, overlapping(ticks))


@pytest.mark.parametrize("count", [*range(1, 130), 200, 360, 600, 1200, 6000])
def test_axis_ticks_by_span(count):
    """Every span, from the SVG's own geometry: the kind of tick, and no two labels closer than
    the widest text they could hold (an upper bound on the font's advance)."""
    start = dt.date(2019, 11, 1)
    months = [f"{start.year + (start.month - 1 + i) // 12}-{(start.month - 1 + i) % 12 + 1:02d}" for i in range(count)]
    ticks = html_report.axis_ticks(months)
    assert ticks
    if count <= 24:
        assert [t.index for t in ticks] == list(range(count))
    elif count <= 60:
        assert {months[t.index][5:] for t in ticks} <= {"01", "04", "07", "10"}
        assert len(ticks) >= (count - 2) // 3
    else:
        assert all(months[t.index][5:] == "01" and t.upper == months[t.index][:4] and not t.lower for t in ticks)
    for row in ("upper", "lower"):
        placed = [(html_report._x(t.index, count), getattr(t, row)) for t in ticks if getattr(t, row)]
        for (x1, a), (x2, b) in zip(placed, placed[1:], strict=False):
            assert x2 - x1 >= (html_report.label_width(a) + html_report.label_width(b)) / 2, (count, a, b)
    assert all(t.lower for t in ticks if months[t.index][5:] == "01" and count <= 60)


def test_page_is_self_contained(scenario):
    page = html_report.report_html(scenario["report"], scenario["meta"], scenario["timeline"])
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert re.search(r"<title>[^<]*US-ROK[^<]*</title>", page)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert not re.search(r"\b(src|srcset|xlink:href)\s*=", page, re.IGNORECASE)
    assert "url(" not in page and "@import" not in page and "@font-face" not in page
    assert all(href.startswith(("https://", "http://")) for href in re.findall(r'href="([^"]*)"', page))
    assert "default-src 'none'" in page


def test_only_web_urls_become_links():
    report = minimal_report(recent=[change(evidence=["javascript:alert(1)", "https://ok.example/x?a=1&b=2"])])
    page = html_report.report_html(report, META, [])
    assert re.findall(r'href="([^"]*)"', page) == ["https://ok.example/x?a=1&amp;b=2"]
    assert "javascript:alert(1)" in page


def test_empty_timeline_says_so():
    page = html_report.report_html(minimal_report(), META, [])
    assert html_report.NO_HISTORY in page and "<polyline" not in page


def test_optional_sections_appear_when_present():
    report = minimal_report(
        changes_since={"since": "2024-05-01", "upgrades": [change()], "downgrades": [], "new_evidence": [],
                       "assessments": [], "other": [], "reassessments": []},
        compare={"then": "2024-01-31", "overall": {"then": 0.0, "now": 0.5, "change": 0.5},
                 "pillars": [{"id": "P", "name": "Pillar <b>", "then": 0.0, "now": 0.5, "change": 0.5}],
                 "lost_implemented": [{"id": "P-2", "title": "Lost", "status_now": "stalled"}]})
    page = html_report.report_html(report, META, [])
    for heading in ("Upgrades since 2024-05-01", "Downgrades since 2024-05-01", "Compared with 2024-01-31",
                    "Implemented on 2024-01-31, not any more"):
        assert f"<h2>{heading}</h2>" in page
    assert "+50.0 pts" in page and "Pillar &lt;b&gt;" in page


META = {"brief": {"id": "b", "title": "Brief & <Title>", "author": "A", "publisher": "P", "published": "2024"},
        "as_of": "2024-06-30", "exported_at": "2024-07-01T00:00:00Z", "filters": {}}


def change(**over) -> dict:
    return {"date": "2024-06-01", "recorded_at": "2024-06-01T00:00:00Z", "id": "P-1", "title": "T",
            "from": "not_assessed", "to": "implemented", "downgrade": False, "note": "", "evidence": [],
            "event": "e1", **over}


def minimal_report(**over) -> dict:
    summary = {"progress": 0.5, "implemented": 1, "total": 2, "denominator": 2, "excluded": 0,
               "by_status": {s: 1 if s in ("implemented", "no_action") else 0 for s in NAMES}}
    return {"brief": META["brief"], "as_of": "2024-06-30", "rule": "rule", "overall": summary,
            "statuses": DEFAULT_SCALE.as_dicts(), "windows": {"recent_days": 30, "stale_days": 180},
            "pillars": [{"id": "P", "name": "Pillar", **summary}], "key": [], "recent": [], "attention": [],
            **over}


def test_every_recommendation_has_its_latest_note(backdated, run, db):
    run("update-status", "SEC-1", "in-progress", "--date", "2024-01-05", "--note", "Talks opened",
        "--evidence", "https://example.com/one")
    run("update-status", "SEC-1", "partial", "--date", "2024-03-01")  # without a word
    run("update-status", "SEC-2", "partial", "--date", "2024-02-01", "--note", "First")
    run("update-status", "SEC-2", "implemented", "--date", "2024-08-01", "--note", "After the as-of date")
    state = Tracker(db).read()
    rows = {r["id"]: r for r in progress.every_recommendation(state.recommendations(), AS_OF, state.notes, state.scale)}
    assert len(rows) == len(state.recommendations())
    expected = {"status": "partial", "last_updated": "2024-03-01", "note": "Talks opened",
                "evidence": ["https://example.com/one"], "note_date": "2024-01-05"}
    assert {k: rows["SEC-1"][k] for k in expected} == expected
    assert (rows["SEC-2"]["status"], rows["SEC-2"]["note"], rows["SEC-2"]["note_date"]) == ("partial", "First",
                                                                                           "2024-02-01")
    assert (rows["SEC-3"]["note"], rows["SEC-3"]["evidence"], rows["SEC-3"]["last_updated"]) == ("", [], None)
    page = html_report.report_html({**minimal_report(), "recommendations": list(rows.values())}, META, [])
    assert '<span class="note-date">2024-01-05:</span> Talks opened' in page  # older than the last change


def test_report_command_lists_every_recommendation_only_in_html(run, seeded, monkeypatch):
    page = run("report", "--format", "html").stdout
    rows = re.findall(r'<tr class="rec" data-rec="([^"]+)"', page)
    assert rows == [r["id"] for r in Tracker(seeded).read().recommendations()] and len(rows) == 19

    def refused(*args, **kwargs):
        raise AssertionError("only the html report reads every recommendation's notes")

    monkeypatch.setattr(progress, "every_recommendation", refused)
    for fmt in ("json", "tsv", "csv", "markdown", "table"):
        run("report", "--format", fmt)


def test_summary_sentences_are_built_from_the_data():
    up = change(id="P-1", evidence=["https://ok.example/a"])
    down = change(id="P-2", **{"from": "implemented", "to": "stalled", "downgrade": True})
    same = change(id="P-1", **{"from": "not_assessed", "to": "no_action"}, note="in_progress is a word here")
    report = minimal_report(
        changes_since={"since": "2024-05-01", "upgrades": [up], "downgrades": [down], "other": [same],
                       "new_evidence": [up], "assessments": [], "reassessments": []},
        attention=[{"id": "P-2", "title": "T", "status": "stalled", "last_updated": "2024-06-01",
                    "reasons": ["stalled", "downgraded from in_progress on 2024-06-01"]}],
        key=[{"id": "P-1", "pillar": "P", "title": "T", "status": "implemented", "last_updated": None}])
    page = html_report.report_html(report, META, [])
    summary = re.search(r'<section id="summary">(.*?)</section>', page).group(1)
    text = re.sub(r"<[^>]+>", "", summary)
    assert "Of 2 recommendations: 1 implemented and 1 no action." in text
    assert "1 of the 1 key recommendation is implemented." in text
    assert ("From 2024-05-01 to 2024-06-30, 3 status changes on 2 recommendations: 1 upgrade (P-1), "
            "1 downgrade (P-2) and 1 change of the same score; 1 with new evidence.") in text
    assert "1 recommendation needs attention: P-2 (stalled; downgraded from in progress on 2024-06-01)." in text
    assert page.index('id="summary"') < page.index('id="status"')
    # Each change once; the tool's words get labels, the user's note keeps its own.
    assert page.count('href="https://ok.example/a"') == 1
    assert "in_progress is a word here" in page and "New evidence" not in page
    assert "<h2>Other changes (same score) since 2024-05-01</h2>" in page
    assert page.count("<h1>") == 1 and page.count(META["brief"]["title"].replace("&", "&amp;").replace("<", "&lt;")
                                                  .replace(">", "&gt;")) == 2  # the heading and <title>


def test_quiet_period_and_nothing_to_flag_are_said_plainly():
    text = re.sub(r"<[^>]+>", "", html_report.report_html(minimal_report(), META, []))
    assert "From 2024-06-01 to 2024-06-30, no status changed." in text
    assert "No recommendation is stalled, downgraded, left without update or overdue." in text


@pytest.mark.parametrize("url", ["https://www.defense.gov/News/Releases/Release/Article/3676776/",
                                 "https://example.com/a_b?x=1&y=two-words#frag", HOSTILE_URL,
                                 "http://xn--hxajbheg2az3al.example/%E2%82%AC/path.html"])
def test_urls_break_only_at_safe_points(url):
    link = html_report.url_html(url)
    pieces = link.split("<wbr>")
    assert html_report.html.unescape("".join(pieces)) == url  # nothing added or lost
    for left, right in zip(pieces, pieces[1:], strict=False):
        # Never between two letters or digits: a break falls at a slash or before punctuation.
        assert not (left[-1].isalnum() and right[0].isalnum()), (left, right)
    assert "/<wbr>/" not in link  # "//" stays whole
