"""The HTML report, checked as a real browser renders it (headless Chromium)."""

import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from alliance_cli.core.statuses import NAMES
from alliance_cli.render import html as html_report
from scenario import HOSTILE_URL, SCRIPT_NOTE, build, record

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
    return build(db)


@pytest.fixture
def page(scenario, tmp_path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(html_report.report_html(scenario["report"], scenario["meta"], scenario["timeline"]),
                    encoding="utf-8")
    return path


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
    for word in ("0%", "100%", "Security and Defense", *NAMES):
        assert word in text
    for fact in ("2024-06-30", "2024-07-01T09:30:00.000000Z", "status=implemented", "Kayla Orta",
                 f"denominator: {report['overall']['total']} recommendations"):
        assert fact in text
    assert "Talks paused" in text and "\\x1b[31m" in text  # control characters made visible


def test_chromium_screenshot_is_a_png(page, tmp_path):
    shot = tmp_path / "report.png"
    browse(page, tmp_path, f"--screenshot={shot}", "--window-size=1200,2400", "--hide-scrollbars")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1200, 2400) and len(data) > 20_000


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
        changes_since={"since": "2024-05-01", "upgrades": [change()], "downgrades": [], "new_evidence": []},
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
    summary = {"progress": 0.5, "implemented": 1, "total": 2,
               "by_status": {s: 1 if s in ("implemented", "no_action") else 0 for s in NAMES}}
    return {"brief": META["brief"], "as_of": "2024-06-30", "rule": "rule", "overall": summary,
            "pillars": [{"id": "P", "name": "Pillar", **summary}], "key": [], "recent": [], "attention": [],
            **over}
