import json

from conftest import digest


def log(run, *args):
    return json.loads(run("log", "--json", *args).stdout)


def test_log_lists_changes_newest_first(backdated, run):
    run("update-status", "SEC-1", "in_progress", "--date", "2024-01-05", "--note", "a")
    run("update-status", "ECON-1", "partial", "--date", "2024-03-01", "-e", "https://example.org/e")
    run("update-status", "SEC-1", "implemented", "--date", "2024-02-01", "--note", "b")
    rows = log(run)
    assert [(r["date"], r["id"], r["to"]) for r in rows] == [
        ("2024-03-01", "ECON-1", "partial"), ("2024-02-01", "SEC-1", "implemented"),
        ("2024-01-05", "SEC-1", "in_progress")]
    assert set(rows[0]) == {"kind", "date", "recorded_at", "id", "title", "from", "to", "note", "evidence", "event",
                            "by", "recorded_by", "command", "ids"}  # fields are only added
    assert rows[0]["evidence"] == ["https://example.org/e"] and rows[0]["kind"] == "status"
    assert [r["note"] for r in log(run, "sec-1")] == ["b", "a"]
    assert [r["id"] for r in log(run, "--since", "2024-02-01")] == ["ECON-1", "SEC-1"]
    plain = run("log").stdout.splitlines()
    assert plain[0].startswith("date\tid\tkind\tfrom\tto\tnote") and len(plain) == 4
    assert plain[0].endswith("\trecorded_at\tevent\tcommand\tby\trecorded_by")
    table = run("log", "--format", "table").stdout
    assert "implemented" in table and "example.org/e" in table


def test_log_refusals(run, seeded):
    assert "unknown recommendation" in run("log", "NOPE-1", code=2).stderr
    assert "cannot read --since date" in run("log", "--since", "whenever", code=2).stderr


def test_the_streamed_json_array_has_the_bytes_of_the_whole_one():
    import io

    from alliance_cli.render.text import write_json, write_json_array

    for items in ([], [{"a": 1}], [{"b": [1, 2], "a": "x\ny 한"}, {"c": {}}, {}]):
        whole, streamed = io.StringIO(), io.StringIO()
        write_json(items, whole)
        write_json_array(iter(items), streamed)
        assert streamed.getvalue() == whole.getvalue()


def test_log_since_keeps_the_status_before_from_earlier_events(backdated, run):
    run("update-status", "SEC-1", "in-progress", "--date", "2024-01-01")
    run("update-status", "SEC-1", "implemented", "--date", "2024-03-01")
    import json

    rows = json.loads(run("log", "--since", "2024-02-01", "--json").stdout)
    assert [(r["from"], r["to"]) for r in rows] == [("in_progress", "implemented")]


def test_log_shows_every_writing_command_beside_the_status_changes(run, tmp_path):
    run("update-status", "SEC-2", "implemented", "--date", "2024-04-30", "--note", "NCG meeting held")
    run("add", "--pillar", "SEC", "--title", "Set up a trilateral cyber working group")
    run("edit", "SEC-9", "--actor", "Japan", "--section", "Annex B")
    other = tmp_path / "other.json"
    run("--db", str(other), "update-status", "SEC-3", "partial", "--date", "2024-05-01", "--note", "theirs")
    run("--db", str(other), "add", "--pillar", "ECON", "--title", "Theirs", "--id", "ECON-20")
    run("--db", str(other), "export", "-o", str(tmp_path / "theirs.json"))
    run("import", str(tmp_path / "theirs.json"))
    rows = log(run)
    assert [(r["kind"], r["id"]) for r in rows] == [
        ("import", ""), ("edit", "SEC-9"), ("add", "SEC-9"), ("status", "SEC-3"), ("status", "SEC-2")]
    imported, edited, added = rows[:3]
    assert imported["note"] == f"import {tmp_path / 'theirs.json'}: 1 added, 0 updated, 1 new events, 0 new pillars"
    assert imported["ids"] == ["SEC-3", "ECON-20"] and imported["command"] == f"import {tmp_path / 'theirs.json'}"
    assert (edited["note"], edited["command"], edited["title"]) == (
        "changed actors, section", "edit SEC-9", "Set up a trilateral cyber working group")
    assert (added["note"], added["command"]) == ("added: Set up a trilateral cyber working group", "add SEC-9")
    assert all(r["date"] == r["recorded_at"][:10] for r in rows[:3])  # a command is dated when it ran
    assert all((r["from"], r["to"], r["event"], r["evidence"]) == ("", "", "", []) for r in rows[:3])
    # One recommendation's log holds the commands that touched it, an import included.
    assert [r["kind"] for r in log(run, "SEC-3")] == ["import", "status"]
    assert [r["kind"] for r in log(run, "sec-9")] == ["edit", "add"]


def test_an_undo_reads_as_an_undo(backdated, run):
    run("update-status", "SEC-2", "in-progress", "--date", "2024-01-10")
    run("update-status", "SEC-2", "implemented", "--date", "2024-01-30", "--note", "NCG Framework signed")
    run("undo", "--yes")
    rows = log(run)
    assert [(r["kind"], r["id"]) for r in rows] == [("undo", "SEC-2"), ("status", "SEC-2")]
    undo = rows[0]
    assert undo["note"] == "undo of `update-status SEC-2 implemented`: removed in_progress -> implemented of 2024-01-30"
    assert (undo["command"], undo["ids"], undo["to"]) == ("undo", ["SEC-2"], "implemented")  # the undone event
    table = run("log", "--format", "table", env={"NO_COLOR": "1"}).stdout.splitlines()
    assert table[0].split() == [undo["date"], "SEC-2", "undo"]  # not "in_progress → implemented"
    assert table[1].strip().startswith("undo of `update-status SEC-2 implemented`")
    assert table[-1].split() == ["2024-01-10", "SEC-2", "not_assessed", "→", "in_progress"]  # still a change
    run("add", "--pillar", "SEC", "--title", "T")
    run("undo", "--yes")
    assert log(run)[0]["note"] == "undo of `add SEC-9`"


def test_log_kind_filters_and_refuses_unknown_kinds(run, backdated):
    run("update-status", "SEC-1", "partial", "--date", "2024-01-01")
    run("edit", "SEC-1", "--title", "A new title")
    run("undo", "--yes")
    run("add", "--pillar", "SEC", "--title", "T")
    assert [r["kind"] for r in log(run)] == ["add", "undo", "edit", "status"]
    assert [r["kind"] for r in log(run, "--kind", "status")] == ["status"]
    assert [r["kind"] for r in log(run, "-k", "EDIT", "--kind", "undo", "-k", "edit")] == ["undo", "edit"]
    assert [r["kind"] for r in log(run, "--kind", "import")] == []
    assert [r["kind"] for r in log(run, "--since", "today")] == ["add", "undo", "edit"]  # commands: when they ran
    assert [r["kind"] for r in log(run, "--since", "today", "--kind", "status", "--kind", "add")] == ["add"]
    csv = run("log", "--kind", "edit", "--kind", "undo", "--format", "csv").stdout
    assert "# filters: kind=edit undo" in csv
    before = digest(backdated)
    result = run("log", "--kind", "edits", code=2)
    assert result.stderr == ("alliance: unknown log kind 'edits': did you mean edit? use one of status, add, edit, "
                             "import, undo, resolve, init\n")
    assert result.stdout == "" and digest(backdated) == before


def test_log_markdown_and_csv_carry_the_kind(run):
    run("add", "--pillar", "SEC", "--title", "T")
    md = run("log", "--format", "markdown").stdout
    assert "| Date | ID | Kind | Title |" in md and "| add |" in md
    from alliance_cli.render.exports import read_csv_rows

    rows = read_csv_rows(run("log", "--format", "csv").stdout)
    header = rows[0]
    assert header[-4:] == ["kind", "command", "by", "recorded_by"]
    assert rows[1][-4:] == ["add", "add SEC-9", "", "Test Analyst"]  # who ran it


def test_a_command_row_shows_hostile_text_safely(run, seeded, tmp_path):
    other = tmp_path / "other.json"
    run("--db", str(other), "add", "--pillar", "SEC", "--title", "Theirs \x1b[2J [bold]x[/]")
    hostile = tmp_path / "evil\x1b]8;;x\x07.json"
    run("--db", str(other), "export", "-o", str(hostile))
    run("import", str(hostile))
    for fmt in ("table", "tsv", "csv", "markdown"):
        out = run("log", "--format", fmt, env={"NO_COLOR": "1", "COLUMNS": "400"}).stdout
        assert "\x1b]8" not in out and "\x07" not in out and "\x1b[2J" not in out, fmt
        assert "x1b" in out, fmt  # shown as an escape (Markdown escapes its backslash in turn)
    rows = log(run)
    assert [r["kind"] for r in rows] == ["import"]  # the other tracker's add is in its own journal
    assert rows[0]["command"] == f"import {hostile}" and rows[0]["title"] == "Theirs \x1b[2J [bold]x[/]"
