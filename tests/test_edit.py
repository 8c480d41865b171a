"""`edit` changes actors, initiatives, sources and section, journaled so that `undo` reverts it."""

import json

import pytest

from conftest import digest


def shown(run, rec_id: str) -> dict:
    return json.loads(run("show", rec_id, "--json").stdout)


def test_edit_replaces_the_lists_and_the_section_and_undo_reverts(run, db):
    before = shown(run, "SEC-4")
    result = run("edit", "sec-4", "--actor", "US", "--actor", " Japan ", "--actor", "US",
                 "--initiative", "Freedom Edge", "--source", "https://example.org/freedom-edge",
                 "--section", "Annex B, para. 12")
    assert result.stdout == "edited: SEC-4\n"
    after = shown(run, "SEC-4")
    assert after["actors"] == ["US", "Japan"]  # trimmed, each once, in the order given
    assert after["initiatives"] == ["Freedom Edge"]
    assert after["sources"] == ["https://example.org/freedom-edge"]
    assert after["section"] == "Annex B, para. 12"
    assert {k: after[k] for k in ("title", "text", "pillar", "key")} == {
        k: before[k] for k in ("title", "text", "pillar", "key")}
    assert json.loads(run("list", "--json", "--initiative", "freedom edge").stdout)[0]["id"] == "SEC-4"
    undo = run("undo", "--yes").stdout
    assert "restore actors, initiatives, section, sources of SEC-4" in undo
    assert shown(run, "SEC-4") == before


def test_the_no_flags_clear_a_list(run):
    run("edit", "SEC-3", "--no-actors", "--no-initiatives", "--no-sources", "--section", "")
    after = shown(run, "SEC-3")
    assert (after["actors"], after["initiatives"], after["sources"], after["section"]) == ([], [], [], "")
    assert "SEC-3" not in [r["id"] for r in json.loads(run("list", "--json", "--actor", "NATO").stdout)]
    assert run("edit", "SEC-3", "--no-actors").stdout == "unchanged: SEC-3\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--source", "ftp://example.org/x"], "--source: must be an http(s) URL, not 'ftp://example.org/x'"),
    (["--source", "https://example.org/a b"], "--source: URL 'https://example.org/a b' contains spaces"),
    (["--source", "javascript:alert(1)"], "--source: must be an http(s) URL"),
    (["--actor", "  "], "--actor: a value must not be blank (--no-actors clears the list)"),
    (["--initiative", "ok", "--initiative", ""], "--initiative: a value must not be blank"),
    (["--actor", "US", "--no-actors"], "--actor and --no-actors contradict each other"),
    (["--source", "https://example.org/", "--no-sources"], "--source and --no-sources contradict"),
    ([], "nothing to change: give --title, --text, --pillar, --section, --due, --issued, --key, --actor, "
         "--initiative or --source"),
])
def test_bad_edits_are_refused_and_write_nothing(run, seeded, args, message):
    before = digest(seeded)
    result = run("edit", "SEC-1", *args, code=2)
    assert result.stderr.startswith(f"alliance: {message}") and len(result.stderr.splitlines()) == 1
    assert result.stdout == "" and digest(seeded) == before


def test_show_lists_each_source_on_its_own_line_on_a_wide_terminal(run):
    """Issue 10, item 9: a wide terminal showed a literal \\n between sources."""
    sources = shown(run, "SEC-4")["sources"]
    assert len(sources) > 1
    out = run("show", "SEC-4", "--format", "table", env={"COLUMNS": "400", "NO_COLOR": "1"}).stdout
    assert "\\n" not in out
    lines = [line.strip() for line in out.splitlines()]
    first = next(i for i, line in enumerate(lines) if line.startswith("sources"))
    assert lines[first:first + len(sources)] == [f"sources       {sources[0]}", *sources[1:]]
