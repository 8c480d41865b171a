"""The terminal views at 60, 80 and 120 columns, on a tracker with long notes, titles and URLs.

What a reader needs: no line wider than the terminal (but for a URL longer than the whole
line, which stays whole), wrapped text continued under its own column, every URL whole on
one line, every id and status visible; hyperlinks and colours only where they belong.
"""

import io
import re

import pytest
from rich.cells import cell_len

from alliance_cli.core.statuses import DEFAULT_SCALE
from alliance_cli.render import terminal

WIDTHS = (60, 80, 120)
SGR = re.compile(r"\x1b\[[0-9;]*m")
OSC8 = re.compile(r"\x1b\]8;[^;]*;([^\x1b]*)\x1b\\")
NOTE = ("Talks opened in Honolulu; the delegations exchanged first proposals on the cost-sharing "
        "formula, agreed to meet monthly until a deal and to brief both legislatures before the summer")
URLS = ["https://www.state.gov/united-states-and-republic-of-korea-begin-negotiations-on-12th-sma/",
        "https://example.org/short",
        "https://www.mofa.go.kr/eng/brd/m_5676/view.do?seq=322483&srchFr=&srchTo=&srchWord=&page=1&titleNm=x"]
LONG_TITLE = "Agree a joint roadmap for semiconductor export controls with Japan, Taiwan"[:70]


@pytest.fixture
def tracker(backdated, run):
    run("add", "--pillar", "ECON", "--title", LONG_TITLE, "--key", "--text", "A long text " * 30)
    run("update-status", "SEC-6", "in-progress", "--date", "2024-04-23", "--note", NOTE,
        *(x for url in URLS for x in ("--evidence", url)))
    run("update-status", "SEC-2", "implemented", "--date", "2024-01-30", "--note", "NCG Framework signed " * 6,
        "--evidence", URLS[0])
    run("update-status", "CYBER-1", "partial", "--date", "2023-11-01", "--note", "Framework expanded " * 8)
    run("update-status", "ECON-1", "stalled", "--date", "2024-05-02", "--note", "Council met once; nothing since")
    ids = [line.split("\t")[0] for line in run("list").stdout.splitlines()[1:]]
    return ids


def table(run, width: int, *args: str, env: dict | None = None) -> list[str]:
    out = run(*args, "--format", "table", env={"COLUMNS": str(width), "NO_COLOR": "1", **(env or {})}).stdout
    return SGR.sub("", out).splitlines()


def assert_fits(lines: list[str], width: int) -> None:
    for line in lines:
        if cell_len(line) > width:  # only a URL longer than the whole line, after its label at most
            word = line.split()[-1]
            assert word.startswith("https://") and len(word) > width, line
            assert cell_len(line) - len(word) <= terminal.SHOW_LABEL, line


def assert_urls_whole(lines: list[str], urls) -> None:
    for url in urls:
        assert any(url in line for line in lines), url


def block(lines: list[str], start: str, stop) -> list[str]:
    i = next(n for n, line in enumerate(lines) if line.startswith(start))
    j = next((n for n in range(i + 1, len(lines)) if stop(lines[n])), len(lines))
    return lines[i:j]


@pytest.mark.parametrize("width", WIDTHS)
def test_show_keeps_a_hanging_indent_and_urls_whole(run, tracker, width):
    lines = table(run, width, "show", "SEC-6")
    assert_fits(lines, width)
    assert_urls_whole(lines, URLS)
    assert "SEC-6" in lines[0] and any("in_progress" in line for line in lines)
    text = block(lines, "text ", lambda line: not line.startswith(" "))
    assert len(text) > 1 and all(line.startswith(" " * terminal.SHOW_LABEL) for line in text[1:])
    history = block(lines, "History", lambda line: False)[1:]
    assert history[0].startswith("  2024-04-23")
    note = [line for line in history[1:] if "recorded" not in line]
    assert len(note) >= 3 and all(line.startswith("    ") for line in note)
    assert " ".join(" ".join(note).split()).startswith(NOTE)  # the whole note, in order


@pytest.mark.parametrize("width", WIDTHS)
def test_log_gives_the_note_most_of_the_width(run, tracker, width):
    lines = table(run, width, "log")
    assert_fits(lines, width)
    assert_urls_whole(lines, URLS)
    every_head = [line for line in lines if re.match(r"\d{4}-\d\d-\d\d  ", line)]
    assert every_head[0].split()[1:] == ["ECON-8", "add"]  # the add, dated today
    heads = every_head[1:]
    assert [h.split()[1] for h in heads] == ["ECON-1", "SEC-6", "SEC-2", "CYBER-1"]
    assert "not_assessed → stalled" in heads[0]
    rest = [line for line in lines if line not in every_head]
    assert rest and all(line.startswith(" " * 12) or len(line.strip()) > width - 12 for line in rest)
    note_lines = block(lines, heads[1], lambda line: line.strip().startswith("https://"))[1:]
    assert all(cell_len(line) > width - 20 for line in note_lines[:-1])  # the note fills the line
    assert " ".join(" ".join(note_lines).split()) == NOTE


@pytest.mark.parametrize("width", WIDTHS)
def test_report_rows_wrap_under_their_own_column(run, tracker, width):
    lines = table(run, width, "report")
    assert_fits(lines, width)
    key = block(lines, "Key recommendations", lambda line: not line.startswith(" "))[1:]
    firsts = [line for line in key if re.match(r"  [A-Z]+-\d+ ", line)]
    assert {line.split()[0] for line in firsts} >= {"SEC-1", "SEC-2", "ECON-8"}
    column = firsts[0].index(firsts[0].split()[2])  # where the titles start
    assert all(line.startswith(" " * column) for line in key if line not in firsts)
    attention = block(lines, "Needs attention", lambda line: not line.startswith(" "))[1:]
    assert {line.split()[0]: line.split()[1] for line in attention if not line.startswith("   ")} == {
        "SEC-6": "in_progress", "ECON-1": "stalled", "CYBER-1": "partial"}
    bars = [line for line in lines if set("█▓▒░") & set(line)]
    assert [b.split()[0] for b in bars] == ["Overall", "SEC", "ECON", "CYBER", "CLIMATE"]
    assert width < 80 or "1/8 implemented  Security and Defense" in bars[1]


@pytest.mark.parametrize("width", WIDTHS)
def test_list_shows_forty_characters_of_title_from_80_columns(run, tracker, width):
    lines = table(run, width, "list", "--limit", "0")
    assert_fits(lines, width)
    rows = {line.split()[0]: line for line in lines[2:]}
    assert list(rows) == tracker  # every id, whole, in order
    assert "Pillar" not in lines[0]  # every id starts with its pillar: said once
    assert "in_progress" in rows["SEC-6"] and "stalled" in rows["ECON-1"]
    if width >= 80:
        assert LONG_TITLE[:40] in rows["ECON-8"]
    if width >= 120:
        assert LONG_TITLE in rows["ECON-8"]


def test_list_keeps_the_pillar_when_ids_do_not_carry_it(run, tracker):
    run("add", "--pillar", "SEC", "--id", "NCG-1", "--title", "Hold NCG meetings every quarter")
    lines = table(run, 100, "list", "--limit", "0")
    assert "Pillar" in lines[0]


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def detail(run, tracker) -> dict:
    import json

    return json.loads(run("show", "SEC-6", "--json").stdout)


@pytest.mark.parametrize(("env", "linked"), [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)])
def test_evidence_and_sources_are_hyperlinks_on_a_terminal_only(run, tracker, monkeypatch, env, linked):
    data = detail(run, tracker)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "80")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = FakeTTY()
    terminal.show_table(data, out)
    links = OSC8.findall(out.getvalue())
    wanted = [u for u in (*data["sources"], *URLS)]
    if linked:
        assert set(wanted) <= set(links)
        for url in wanted:  # the link's text is the URL itself
            pattern = r"\x1b\]8;[^;]*;" + re.escape(url) + r"\x1b\\(\x1b\[[0-9;]*m)*" + re.escape(url)
            assert re.search(pattern, out.getvalue())
    else:
        assert links == [] and all(url in out.getvalue() for url in wanted)


def test_no_hyperlink_when_piped_even_with_force_color(run, tracker):
    out = run("show", "SEC-6", "--format", "table", env={"FORCE_COLOR": "1", "TERM": "xterm-256color"}).stdout
    assert "\x1b[" in out and "\x1b]8;" not in out


def test_only_valid_http_urls_are_linked():
    assert terminal._linkable("https://example.org/a?b=1;c")
    for bad in ("javascript:alert(1)", "https://exa mple.org", "https://x.org/\x1b]8;;", "ftp://x.org", "https://"):
        assert not terminal._linkable(bad)


# --- colours ----------------------------------------------------------------------

def test_no_status_is_plain_yellow_or_cyan():
    from rich.style import Style

    for name, spec in terminal.STATUS_STYLES.items():
        colour = Style.parse(spec).color
        if colour is not None:
            assert colour.number not in (3, 6, 7, 11, 14, 15), (name, spec)  # yellow, cyan, white
            assert "yellow" not in colour.name and "cyan" not in colour.name, (name, spec)


def test_force_color_colours_and_no_color_does_not(run, tracker):
    forced = run("report", "--format", "table", env={"FORCE_COLOR": "1", "TERM": "xterm-256color"}).stdout
    codes = {code for seq in re.findall(r"\x1b\[([0-9;]*)m", forced) for code in [seq]}
    assert any("38;5;" in c for c in codes)
    plain = run("report", "--format", "table", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert not re.search(r"\x1b\[[0-9;]*(3[0-9]|4[0-9]|38;5;\d+|48;5;\d+)[;m]", plain)


def test_the_report_bars_are_stacked_in_the_status_colours(run, tracker):
    out = run("report", "--format", "table", env={"FORCE_COLOR": "1", "TERM": "xterm-256color",
                                                   "COLUMNS": "80"}).stdout
    sec = next(line for line in out.splitlines() if SGR.sub("", line).startswith("SEC "))
    # SEC: 1 implemented, 1 in_progress of 8: a green, an orange and a dim segment, in that order
    assert re.search(r"38;5;28m█+.*38;5;166m▒+.*2m░+", sec), sec
    bar = terminal.status_bar({"implemented": 1, "in_progress": 1, "not_assessed": 6}, DEFAULT_SCALE)
    assert bar.plain == "█" * 3 + "▒" * 2 + "░" * 15
    assert len(terminal.status_bar({"partial": 3, "stalled": 4}, DEFAULT_SCALE).plain) == 20
