"""Invisible characters are stored exactly but shown as visible escapes in every text output.

Format characters (Unicode category Cf: zero-width characters, U+061C, U+FEFF,
the soft hyphen, tag characters, bidi controls), controls (Cc), line and
paragraph separators (Zl, Zp) and the Hangul fillers would let two notes or ids
that look the same differ. Terminal tables, TSV, Markdown and CSV show each as
``\\u200b`` (``\\U000e0041`` beyond the BMP); JSON and exports keep the text exact.
"""

import unicodedata
from pathlib import Path

import orjson
import pytest

from alliance_cli.core import dates
from alliance_cli.render.text import clean, is_plain
from alliance_cli.store import tracker

from bigtracker import make_brief

CLASSES = {
    "zero-width": "\u200b\u200c\u200d\u2060",
    "bom": "\ufeff",
    "arabic-letter-mark": "\u061c",
    "soft-hyphen": "\u00ad",
    "hangul-fillers": "\u3164\u115f\u1160\uffa0",
    "tags": "\U000e0000\U000e0001\U000e0041\U000e007f",
    "separators": "\u2028\u2029",
    "c0-c1-del": "\x1b\x07\x85\x7f",
    "bidi": "\u202e\u2066\u200f",
}
ESCAPED = {
    "zero-width": r"\u200b\u200c\u200d\u2060",
    "bom": r"\ufeff",
    "arabic-letter-mark": r"\u061c",
    "soft-hyphen": r"\xad",
    "hangul-fillers": r"\u3164\u115f\u1160\uffa0",
    "tags": r"\U000e0000\U000e0001\U000e0041\U000e007f",
    "separators": r"\u2028\u2029",
    "c0-c1-del": r"\x1b\x07\x85\x7f",
    "bidi": r"\u202e\u2066\u200f",
}
FILLERS = "\u3164\u115f\u1160\uffa0"


def invisible_in(text: str) -> list[str]:
    """What of the characters under test reached an output raw (its own newlines and tabs aside)."""
    return sorted({f"U+{ord(ch):04X}" for ch in text if ch not in "\n\t" and (
        unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or ch in FILLERS or 0xE0000 <= ord(ch) <= 0xE007F)})


def text_of(name: str) -> str:
    return f"look{CLASSES[name]}alike {name}"


@pytest.fixture
def invisible(db, run) -> dict[str, str]:
    """One recommendation per class, its title and the note of its one event holding the characters."""
    brief = make_brief(len(CLASSES))
    ids = {}
    for rec, name in zip(brief["recommendations"], CLASSES, strict=False):
        rec["title"] = text_of(name)
        ids[name] = rec["id"]
    tracker.Tracker(db).replace(tracker.seed_whole(brief, dates.now_stamp()), force=True)
    for name, rec_id in ids.items():
        run("update-status", rec_id, "partial", "--note", text_of(name))
    return ids


OUTPUTS = {
    "tsv": ("--format", "tsv"), "markdown": ("--format", "markdown"), "csv": ("--format", "csv"),
    "table": ("--format", "table"),
}


def shown(name: str, fmt: str) -> str:
    """How the text of class ``name`` reads in format ``fmt``."""
    escaped = f"look{ESCAPED[name]}alike {name}"
    return escaped.replace("\\", "\\\\") if fmt == "markdown" else escaped  # Markdown escapes the backslash


@pytest.mark.parametrize("fmt", list(OUTPUTS))
@pytest.mark.parametrize("command", ["list", "log", "report"])
def test_each_class_is_escaped_in_each_output(run, invisible, command, fmt):
    out = run(command, *OUTPUTS[fmt], env={"COLUMNS": "300"}).stdout.replace("\r\n", "\n")
    assert not invisible_in(out)
    if command == "report" and fmt == "csv":  # the report's CSV is one row per pillar: no titles nor notes
        return
    for name in CLASSES:
        if command == "report" and name != "hangul-fillers" and fmt != "table":
            continue  # the report lists its recent changes with notes; one class is enough there
        assert shown(name, fmt) in out, (name, out)


@pytest.mark.parametrize("fmt", ["tsv", "markdown", "table"])
def test_show_escapes_each_class(run, invisible, fmt):
    for name, rec_id in invisible.items():
        out = run("show", rec_id, *OUTPUTS[fmt], env={"COLUMNS": "300"}).stdout
        assert not invisible_in(out), name
        assert out.count(shown(name, fmt)) >= 2, (name, out)  # as the title and as the note


def test_show_json_and_export_keep_the_exact_text(run, invisible, tmp_path):
    for name, rec_id in invisible.items():
        detail = orjson.loads(run("show", rec_id, "--json").stdout)
        assert detail["title"] == text_of(name)
        assert detail["history"][-1]["note"] == text_of(name)
    run("export", "--output", str(tmp_path / "all.json"))
    exported = {rec["id"]: rec for rec in orjson.loads(Path(tmp_path / "all.json").read_bytes())["recommendations"]}
    for name, rec_id in invisible.items():
        assert exported[rec_id]["title"] == text_of(name)
        assert exported[rec_id]["history"][-1]["note"] == text_of(name)
    listed = {row["id"]: row["title"] for row in orjson.loads(run("list", "--json").stdout)}
    assert all(listed[rec_id] == text_of(name) for name, rec_id in invisible.items())


def test_look_alike_titles_differ_visibly_in_a_list(run, seeded):
    run("add", "--pillar", "SEC", "--title", "Look alike", "--id", "SEC-9")
    run("add", "--pillar", "SEC", "--title", "Look\u3164alike", "--id", "SEC-10")
    out = run("list", "--pillar", "SEC").stdout
    assert "SEC-9\tSEC\tnot_assessed\tfalse\tLook alike\t" in out
    assert "SEC-10\tSEC\tnot_assessed\tfalse\tLook\\u3164alike\t" in out


@pytest.mark.parametrize("typed", ["SEC-\u31641", "in\u3164progress", "S\u200bEC"])
def test_refusals_show_invisible_characters_escaped(run, seeded, typed):
    result = run("list", "--status" if "progress" in typed else "--pillar", typed, code=2) \
        if "SEC-" not in typed else run("show", typed, code=2)
    assert not invisible_in(result.stderr.rstrip("\n")), result.stderr
    assert "\\u3164" in result.stderr or "\\u200b" in result.stderr


@pytest.mark.parametrize("name", list(CLASSES))
def test_clean_escapes_each_class_and_the_fast_path_knows_it(name):
    text = text_of(name)
    assert not is_plain(text)
    assert clean(text) == f"look{ESCAPED[name]}alike {name}"


@pytest.mark.parametrize("text", ["plain ASCII", "한미 동맹 정책 권고", "é́ combining", "日本語", "🇺🇸🇰🇷", "a\u00a0b"])
def test_visible_text_is_left_alone(text):
    assert clean(text) == text
