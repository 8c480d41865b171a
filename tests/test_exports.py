import csv
import io
import re

import pytest
from markdown_it import MarkdownIt

from alliance_cli.core.statuses import DEFAULT_SCALE
from alliance_cli.render import exports
from alliance_cli.render.exports import csv_text, markdown_table, read_csv_rows
from alliance_cli.render.text import clean
from scenario import META, SCRIPT_NOTE, build, record

NAMES = DEFAULT_SCALE.names

PREAMBLE = [("brief", "B"), ("as_of", "2024-06-30")]
ORDINARY = ["a, b", 'say "hi"', "two\nlines", "  spaced  ", "한국어 정책", "🎉 done", "", "2024-01-11", "#3"]
FORMULAS = ['=HYPERLINK("http://x")', "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", "-5"]


def gfm(text: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(text)


# --- CSV --------------------------------------------------------------------

def test_csv_round_trips_ordinary_text():
    text = csv_text(["col", "other"], [[value, "x"] for value in ORDINARY], PREAMBLE)
    assert read_csv_rows(text) == [["col", "other"], *([value, "x"] for value in ORDINARY)]


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_formula_cells_are_neutralised(formula):
    rows = read_csv_rows(csv_text(["note"], [[formula]], PREAMBLE))
    assert rows[1] == ["'" + clean(formula)]
    assert rows[1][0].startswith("'")


def test_csv_control_characters_are_made_visible_but_newlines_kept():
    notes = ["esc \x1b[2J", "lone\rcr", "win\r\nline", "tab\there", "bidi \u202eevil", "bell\x07"]
    rows = read_csv_rows(csv_text(["note"], [[n] for n in notes], PREAMBLE))
    assert [r[0] for r in rows[1:]] == ["esc \\x1b[2J", "lone\\rcr", "win\nline", "tab\\there",
                                        "bidi \\u202eevil", "bell\\x07"]


def test_csv_values_become_plain_cells():
    rows = read_csv_rows(csv_text(["a", "b", "c", "d", "e"], [[None, True, False, ["u1", "u2"], 0.4375]], []))
    assert rows[1] == ["", "true", "false", "u1 u2", "0.4375"]


def test_csv_preamble_comes_first_then_a_blank_row():
    text = csv_text(["h"], [["v"]], [("brief", "Title, with comma"), ("filters", "x\ny")])
    raw = list(csv.reader(io.StringIO(text)))
    # One physical line per preamble row, so pandas' skiprows=len(preamble) + 1 lands on the header.
    assert text.splitlines()[1] == "# filters: x\\ny"
    assert raw == [["# brief: Title, with comma"], ["# filters: x\\ny"], [], ["h"], ["v"]]


def test_csv_file_with_bom_opens_as_utf8(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text(csv_text(["t"], [["한국어"]], PREAMBLE), encoding=exports.CSV_ENCODING, newline="")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf# brief: B")
    with path.open(encoding=exports.CSV_ENCODING, newline="") as f:
        assert read_csv_rows(f.read()) == [["t"], ["한국어"]]


def test_report_csv_has_one_row_per_pillar_and_all(run, db):
    record(run)
    data = build(db)
    rows = read_csv_rows(exports.report_csv(data["report"], data["meta"]))
    assert rows[0] == ["pillar_id", "pillar_name", "progress", "implemented", "total", *(f"n_{s}" for s in NAMES),
                       "denominator", "excluded"]
    assert [r[0] for r in rows[1:]] == [p["id"] for p in data["report"]["pillars"]] + ["ALL"]
    overall = data["report"]["overall"]
    assert rows[-1][2:5] == [str(overall["progress"]), str(overall["implemented"]), str(overall["total"])]
    assert [int(n) for n in rows[-1][5:-2]] == [overall["by_status"][s] for s in NAMES]
    assert rows[-1][-2:] == [str(overall["total"]), "0"]  # the default scale leaves nothing out


def test_log_csv_neutralises_a_formula_note_and_keeps_the_rest(run, db):
    record(run)
    data = build(db)
    rows = read_csv_rows(exports.log_csv(data["events"], data["meta"]))
    assert rows[0] == exports.LOG_FIELDS
    notes = {r[1] + " " + r[0]: r[5] for r in rows[1:]}
    assert notes["ECON-1 2024-03-15"] == "'=HYPERLINK(\"http://x\")"
    assert notes["SEC-1 2024-01-11"] == 'Signed, "at last": 한국어 🎉'
    assert notes["SEC-2 2024-06-01"] == "Talks paused\nsecond line \\x1b[31m"


# --- Markdown ---------------------------------------------------------------

NASTY = ["x | y", "l1\nl2", "back\\| slash", "<script>alert(1)</script>", "*b* _i_ `c`", "[l](javascript:x)",
         "&amp; ~~s~~ $x$", "ends with \\", "\x1b[2J bell\x07"]


def test_markdown_table_keeps_its_columns_whatever_the_cells():
    rendered = gfm(markdown_table(["A", "B", "C"], [[cell, "mid", cell] for cell in NASTY]))
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, re.DOTALL)
    assert len(rows) == 1 + len(NASTY)
    assert all(row.count("<td>") == 3 for row in rows[1:])


def test_markdown_user_text_is_shown_not_interpreted():
    rendered = gfm(markdown_table(["Note"], [[cell] for cell in NASTY]))
    for tag in ("<script", "<em>", "<strong>", "<code>", "<a ", "<del>", "<s>"):
        assert tag not in rendered
    cells = re.findall(r"<td>(.*?)</td>", rendered, re.DOTALL)
    assert cells[0] == "x | y"
    assert cells[1] == "l1<br>l2"  # the one piece of HTML we write ourselves
    assert cells[2] == "back\\| slash"
    assert cells[3] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert cells[4] == "*b* _i_ `c`"
    assert cells[6] == "&amp;amp; ~~s~~ $x$"
    assert cells[8] == "\\x1b[2J bell\\x07"  # control characters made visible


def test_markdown_evidence_links_only_for_web_urls():
    cell = ["https://example.com/a_b|c?q=<x>", "javascript:alert(1)"]
    rendered = gfm(markdown_table(["Evidence", "Next"], [[cell, "n"]]))
    assert re.findall(r'href="([^"]*)"', rendered) == ["https://example.com/a_b%7Cc?q=%3Cx%3E"]
    assert "javascript:alert(1)</td>" in rendered
    assert rendered.count("<td>") == 2


def test_report_markdown_has_every_part(run, db):
    record(run)
    data = build(db)
    report = {**data["report"],
              "changes_since": {"since": "2024-06-01", "upgrades": data["report"]["recent"][:1],
                                "downgrades": data["report"]["recent"][1:], "new_evidence": [],
                                "assessments": [], "other": [], "reassessments": []},
              "compare": {"then": "2024-01-31", "overall": {"then": 0.0625, "now": 0.1562, "change": 0.0937},
                          "pillars": [{"id": "SEC", "name": "Security and Defense", "then": 0.125, "now": 0.125,
                                       "change": 0.0}],
                          "lost_implemented": [{"id": "SEC-9", "title": "Gone", "status_now": "stalled"}]}}
    text = exports.report_markdown(report, data["meta"])
    assert "SEC Security and Defense: █░░░░░░░░░ 12% (1/8 implemented)" in text
    assert "CLIMATE Climate and Energy: ███░░░░░░░ 33% (1/3 implemented)" in text
    assert f"denominator: {data['report']['overall']['total']} recommendations" in text
    for heading in ("## Progress by pillar", "## Key recommendations", "## Recent changes", "## Needs attention",
                    "## Upgrades since 2024-06-01", "## New evidence since 2024-06-01",
                    "## Compared with 2024-01-31", "## Implemented on 2024-01-31, not any more"):
        assert heading in text
    assert "| All | 6% | 16% | +9.4 pts |" in text
    assert "\\<script\\>alert(1)\\</script\\>" in text
    assert SCRIPT_NOTE not in text
    rendered = gfm(text)
    assert "<script" not in rendered and "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered


def test_report_markdown_without_optional_sections(run, db):
    data = build(db)
    text = exports.report_markdown(data["report"], data["meta"])
    assert "since" not in text and "Compared" not in text
    assert "## Recent changes (last 30 days to 2024-06-30)\n\nNone.\n" in text


def test_show_markdown(run, db):
    record(run)
    data = build(db)
    text = exports.show_markdown(data["detail"], data["meta"])
    assert text.startswith("# CLIMATE-1: Expand the Clean Energy Demand Initiative and Carbon-Free Alliance\n")
    assert "## History" in text and "\\<script\\>" in text
    assert "<script" not in gfm(text)


# --- every export says what it is --------------------------------------------

EXPORTS = {
    "report_csv": lambda d: exports.report_csv(d["report"], d["meta"]),
    "list_csv": lambda d: exports.list_csv(d["rows"], d["meta"]),
    "log_csv": lambda d: exports.log_csv(d["events"], d["meta"]),
    "report_markdown": lambda d: exports.report_markdown(d["report"], d["meta"]),
    "list_markdown": lambda d: exports.list_markdown(d["rows"], d["meta"]),
    "log_markdown": lambda d: exports.log_markdown(d["events"], d["meta"]),
    "show_markdown": lambda d: exports.show_markdown(d["detail"], d["meta"]),
}


@pytest.mark.parametrize("name", EXPORTS)
def test_every_export_states_brief_as_of_export_time_and_filters(run, db, name):
    record(run)
    data = build(db)
    text = EXPORTS[name](data)
    assert data["state"].brief["title"] in text
    assert META["as_of"] in text
    assert META["exported_at"] in text
    # Unused filters (None, False) are not listed; the one used is.
    assert "status=implemented" in text
    assert "pillar=" not in text and "key=" not in text


def test_no_filters_says_none():
    assert exports.filters_text({"pillar": None, "key": False}) == "none"
    assert exports.filters_text({"pillar": "SEC", "key": True, "limit": 0}) == "pillar=SEC; key=true; limit=0"


@pytest.mark.parametrize("name", [n for n in EXPORTS if n.endswith("_csv")])
def test_csv_exports_parse_back_with_consistent_widths(run, db, name):
    record(run)
    rows = read_csv_rows(EXPORTS[name](build(db)))
    assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)


def test_report_csv_names_each_column_once(run):
    rows = read_csv_rows(run("report", "--format", "csv").stdout)
    header = rows[0]
    assert len(header) == len(set(header)), header
    assert header[:5] == ["pillar_id", "pillar_name", "progress", "implemented", "total"]
    assert header[5:] == [*(f"n_{name}" for name in NAMES), "denominator", "excluded"]
