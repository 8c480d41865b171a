"""Whatever users type is stored exactly, shown harmlessly, or refused cleanly.

Stored exactly: markup, emoji codes, terminal escapes, control characters and
NUL go into the file as given. Shown harmlessly: no control character reaches
stdout (they are made visible as ``\\x1b``), Rich never parses markup or emoji
codes in user text, wide text keeps tables aligned. Refused cleanly: exit 2,
one line on stderr, the file byte-identical.
"""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from rich.cells import cell_len

from alliance_cli.core import dates
from alliance_cli.store import tracker

from bigtracker import load, make_brief
from conftest import digest

SRC = Path(__file__).resolve().parents[1] / "src"

HOSTILE = {
    "markup": "[/] [bold]x[/] [link=https://x]y[/link] [red on blue]z",
    "emoji": ":warning: :smile: :flag_for_north_korea:",
    "clear": "before\x1b[2J\x1b[Hafter",
    "osc8": "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\",
    "controls": "nul\x00 bel\x07 bs\x08 cr\r lf\n vt\x0b ff\x0c esc\x1b del\x7f csi\x9b",
    "bidi": "abc \u202edcba\u202c \u2066iso\u2069 \u200fmark",
}
WIDE = {
    "korean": "한미 동맹의 글로벌 포괄적 전략 동맹으로의 발전을 위한 정책 권고안 한미 동맹의 글로벌",
    "cjk": "日本語と中文のタイトル：インド太平洋における日米韓の協力と連携の強化",
    "emoji": "Alliance 🇺🇸🇰🇷 progress 🎌 tracking ✅ with wide emoji 🚀🚀🚀 and more",
    "mixed": "mixed 한국 abc 中文 é́ combining and ｆｕｌｌｗｉｄｔｈ text",
}
# C0 and C1 controls and DEL, and the bidi controls that can reorder a line.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def assert_safe(text: str, *, colour: bool = False) -> None:
    """Nothing that drives a terminal: only \\n and \\t, and with colour only SGR styles."""
    if colour:
        text = SGR.sub("", text)
    found = sorted({f"U+{ord(ch):04X}" for ch in UNSAFE.findall(text)})
    assert not found, f"control characters reached the output: {found}"


def write_tracker(db: Path, titles: list[str]) -> list[str]:
    """A tracker whose first recommendations have ``titles``; returns their ids."""
    brief = make_brief(max(len(titles), 8))
    for rec, title in zip(brief["recommendations"], titles, strict=False):
        rec["title"] = title
    tracker.Tracker(db).replace(tracker.seed_whole(brief, dates.timestamp(dates.utc_now())), force=True)
    return [rec["id"] for rec in brief["recommendations"][: len(titles)]]


@pytest.fixture
def hostile(db, run) -> list[str]:
    """Hostile and wide titles, each recommendation with a hostile note recorded today."""
    ids = write_tracker(db, [*HOSTILE.values(), *WIDE.values()])
    for rec_id, note in zip(ids, [*HOSTILE.values(), *WIDE.values()], strict=True):
        run("update-status", rec_id, "partial", "--note", note)
    return ids


def last_event(db: Path, rec_id: str) -> dict:
    return load(db)[rec_id]["history"][-1]


def assert_refused(result, db: Path, before: str) -> None:
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("alliance: "), result.stderr
    assert_safe(result.stderr)
    assert result.stdout == ""
    assert digest(db) == before


# --- stored exactly -----------------------------------------------------------

@pytest.mark.parametrize("note", [*HOSTILE.values(), *WIDE.values(), "\x00", "only\x00nul\x00s"],
                         ids=[*HOSTILE, *(f"wide-{k}" for k in WIDE), "nul", "nuls"])
def test_note_is_stored_exactly(run, seeded, note):
    run("update-status", "SEC-1", "in-progress", "--note", note)
    assert last_event(seeded, "SEC-1")["note"] == note
    shown = orjson.loads(run("show", "SEC-1", "--json").stdout)
    assert shown["history"][-1]["note"] == note


def test_hostile_titles_are_stored_exactly(db, run):
    ids = write_tracker(db, list(HOSTILE.values()))
    listed = {row["id"]: row["title"] for row in orjson.loads(run("list", "--json").stdout)}
    assert [listed[i] for i in ids] == list(HOSTILE.values())


def test_100kb_note_is_stored_and_shown_whole(run, seeded):
    words = " ".join(f"word{i}" for i in range(20_000))
    note = (words[:60_000] + "x" * 40_000)[:100_000]  # long words and one 40 KB word
    assert len(note.encode()) == 100_000
    run("update-status", "SEC-1", "partial", "--note", note)
    assert last_event(seeded, "SEC-1")["note"] == note
    assert note in run("show", "SEC-1").stdout
    assert note in run("report").stdout
    for args in (("show", "SEC-1"), ("report",), ("list",)):
        out = run(*args, "--format", "table").stdout
        assert_safe(out)
        assert out


# --- shown harmlessly ---------------------------------------------------------

VIEWS = {
    "list-plain": ("list",), "list-table": ("list", "--format", "table"),
    "report-plain": ("report",), "report-table": ("report", "--format", "table"),
}


@pytest.mark.parametrize("colour", [False, True], ids=["no-colour", "forced-colour"])
@pytest.mark.parametrize("view", list(VIEWS))
def test_list_and_report_show_hostile_text_harmlessly(run, hostile, view, colour):
    env = {"COLUMNS": "300", **({"FORCE_COLOR": "1"} if colour else {})}
    out = run(*VIEWS[view], env=env).stdout
    assert_safe(out, colour=colour)
    plain = SGR.sub("", out)
    assert "[bold]x[/]" in plain and "[link=https://x]y[/link]" in plain  # markup shown, not applied
    assert ":warning:" in plain and "⚠" not in plain  # emoji codes shown, not replaced
    assert "before\\x1b[2J\\x1b[Hafter" in plain  # escapes made visible
    assert "\\x1b]8;;http://evil\\x1b\\click" in plain
    assert "\\u202edcba" in plain
    assert WIDE["korean"][:10] in plain


@pytest.mark.parametrize("colour", [False, True], ids=["no-colour", "forced-colour"])
@pytest.mark.parametrize("fmt", ["plain", "table"])
def test_show_shows_hostile_text_harmlessly(run, hostile, fmt, colour):
    env = {"COLUMNS": "300", **({"FORCE_COLOR": "1"} if colour else {})}
    for rec_id in hostile:
        out = run("show", rec_id, *(("--format", "table") if fmt == "table" else ()), env=env).stdout
        assert_safe(out, colour=colour)
    out = SGR.sub("", run("show", hostile[0], *(("--format", "table") if fmt == "table" else ()), env=env).stdout)
    assert out.count(HOSTILE["markup"]) == 2  # as title and as note, literally


def test_controls_are_visible_in_plain_output(run, hostile):
    out = run("show", hostile[list(HOSTILE).index("controls")]).stdout
    assert "nul\\x00 bel\\x07 bs\\x08 cr\\r lf\\n vt\\x0b ff\\x0c esc\\x1b del\\x7f csi\\x9b" in out


@pytest.mark.parametrize("columns", [80, 100, 120])
def test_wide_titles_keep_the_table_aligned(db, run, columns):
    write_tracker(db, [*WIDE.values(), *HOSTILE.values()])
    run("update-status", "ECON-1", "implemented", "--note", "n")
    out = run("list", "--format", "table", env={"COLUMNS": str(columns)}).stdout
    lines = out.splitlines()
    assert len(lines) >= 2 + len(WIDE) + len(HOSTILE)
    widths = {cell_len(line) for line in lines}
    assert len(widths) == 1 and widths.pop() <= columns, [(cell_len(line), line) for line in lines]
    assert_safe(out)
    assert WIDE["korean"][:4] in out and WIDE["cjk"][:4] in out


# --- refused cleanly ------------------------------------------------------------

@pytest.mark.parametrize("bad", [b"\xff\xfe", b"caf\xe9", b"ok \xed\xa0\x80 surrogate", b"\xc3"],
                         ids=["ff-fe", "latin1", "encoded-surrogate", "truncated"])
def test_invalid_utf8_argument_is_refused(seeded, bad):
    before = digest(seeded)
    env = {**os.environ, "PYTHONPATH": str(SRC), "ALLIANCE_DB": str(seeded)}
    for argv in (["update-status", "SEC-1", "partial", "--note", bad], ["update-status", bad, "partial"],
                 ["show", bad]):
        result = subprocess.run([sys.executable, "-m", "alliance_cli", *argv], env=env, capture_output=True,
                                timeout=60, check=False)
        assert result.returncode == 2, result.stderr
        stderr = result.stderr.decode("utf-8")  # itself valid UTF-8
        assert len(stderr.splitlines()) == 1 and stderr.startswith("alliance: ") and "UTF-8" in stderr, stderr
        assert result.stdout == b""
        assert digest(seeded) == before


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript://example.org/%0Aalert(1)", "data:text/html,<script>x</script>",
    "file:///etc/passwd", "ftp://example.org/file", "example.org", "bare-word", "https://exa mple.org/",
    "https://example.org/a b", "https://example.org/\x1b[2J", "https://", "http:///path", "http://[x",
    "https://example.org/\u200b", "https://example.org/\u3000x",
])
def test_bad_evidence_url_is_refused(run, seeded, url):
    before = digest(seeded)
    result = run("update-status", "SEC-1", "partial", "--evidence", url, code=2)
    assert_refused(result, seeded, before)


def test_good_evidence_urls_are_accepted(run, seeded):
    urls = ["https://example.org/a?b=c#d", "HTTP://EXAMPLE.ORG/x", "https://한국.kr/경로"]
    run("update-status", "SEC-1", "partial", *[a for u in urls for a in ("--evidence", u)])
    assert last_event(seeded, "SEC-1")["evidence"] == urls


@pytest.mark.parametrize(("typed", "meant"), [
    ("2024-01-11", "2024-01-11"),
    ("31/12/2024", "2024-12-31"),   # only makes sense day first
    ("12/31/2024", "2024-12-31"),
    ("1/2/2024", "2024-01-02"),     # ambiguous: month first, as documented
    ("Jan 11 2024", "2024-01-11"),
    ("11 January 2024", "2024-01-11"),
    (" 2024-03-05 ", "2024-03-05"),
    ("20240111", "2024-01-11"),
    ("March 2024", "2024-03-01"),   # a missing day means the 1st
])
def test_dates_accepted(run, backdated, typed, meant):
    run("update-status", "SEC-1", "partial", "--date", typed)
    assert last_event(backdated, "SEC-1")["date"] == meant


def _tomorrow() -> str:
    return (dt.date.today() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize("typed", [
    "2024-02-30", "31/02/2024", "Feb 29 2023", "0001-01-01", "1949-12-31", "2024-13-45", "garbage",
    "not a date at all", "", "99999-01-01", "2024-01-11\x1b[2J", "\x00", "tomorrow", "FUTURE",
    "12", "3", "2024", " 7 ",  # a bare number names no month
])
def test_dates_refused(run, seeded, typed):
    typed = _tomorrow() if typed == "FUTURE" else typed
    before = digest(seeded)
    result = run("update-status", "SEC-1", "partial", "--date", typed, code=2)
    assert_refused(result, seeded, before)


@pytest.mark.parametrize("args", [
    ("update-status", "SEC-1\x1b[2J", "partial"),
    ("update-status", "SEC-1", "\x1b]8;;http://evil\x1b\\partial"),
    ("update-status", "[bold]SEC-1[/]", "partial"),
    ("update-status", "SEC-1", "partial", "--note", "x", "--date", "\u202e2024-01-11"),
    ("list", "--format", "\x1b[2J"),
    ("list", "--pillar", "\x00"),
], ids=["id-escape", "status-osc8", "id-markup", "date-bidi", "format-escape", "pillar-nul"])
def test_refusals_never_echo_raw_controls(run, seeded, args):
    before = digest(seeded)
    result = run(*args, code=2)
    assert_refused(result, seeded, before)


# --- one set of rules for every way in ------------------------------------------

@pytest.mark.parametrize("rec_id", ["SEC-\x1b[2J", "../../etc/passwd", "two words", '=HYPERLINK("x")',
                                    "SEC-1\n", "-SEC", "x" * 41])
def test_add_refuses_ids_the_brief_format_refuses(run, seeded, rec_id):
    before = digest(seeded)
    result = run("add", "--pillar", "SEC", "--title", "An id test", "--id", rec_id, code=2)
    assert result.stderr.startswith("alliance: --id: ") and "not a valid id" in result.stderr
    assert result.stderr.count("\n") == 1 and "\x1b[" not in result.stderr
    assert digest(seeded) == before


def _export_with_event(run, **changes) -> str:
    data = orjson.loads(run("export").stdout)
    event = {"id": "0123456789abcdef", "date": "2024-01-02", "recorded_at": "2024-01-02T03:04:05.000000Z",
             "from": "not_assessed", "to": "partial", "note": "", "evidence": []}
    data["recommendations"][0]["history"] = [{**event, **changes}]
    return orjson.dumps(data).decode()


@pytest.mark.parametrize(("changes", "field", "problem"), [
    ({"date": "1066-10-14"}, "date", "before 1950"),
    ({"date": "2024-W01-1"}, "date", "not an ISO date"),
    ({"date": "2999-01-01"}, "date", "in the future"),
    ({"id": "deadbeef\n"}, "id", "not an event id"),
    ({"recorded_at": "2024-01-02\x1b[2J"}, "recorded_at", "not a UTC timestamp"),
    ({"to": "done"}, "to", "unknown status"),
    ({"evidence": ["javascript:alert(1)"]}, "evidence[0]", "http(s) URL"),
    ({"note": 5}, "note", "must be a string"),
])
def test_import_refuses_what_update_status_refuses(run, seeded, changes, field, problem):
    incoming = _export_with_event(run, **changes)
    before = digest(seeded)
    result = run("import", "-", input=incoming, code=2)
    assert f"<stdin>: recommendations[0].history[0].{field}: " in result.stderr and problem in result.stderr
    assert result.stderr.count("\n") == 1 and "\x1b[" not in result.stderr
    assert digest(seeded) == before


def test_an_event_id_twice_in_one_export_is_refused(run, seeded):
    data = orjson.loads(_export_with_event(run))
    data["recommendations"][0]["history"] *= 2
    before = digest(seeded)
    result = run("import", "-", input=orjson.dumps(data).decode(), code=2)
    assert "recommendations[0].history[1].id: event id 0123456789abcdef appears twice" in result.stderr
    assert digest(seeded) == before


def test_a_negative_limit_is_refused(run, seeded):
    result = run("list", "--limit", "-3", code=2)
    assert "'--limit'" in result.stderr and "greater than or equal to 0" in result.stderr
