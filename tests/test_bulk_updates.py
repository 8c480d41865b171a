"""update-status --from FILE (CSV, TSV, JSON Lines, xlsx) and update-status ID ID … STATUS:
checked whole before anything is written, applied in date order as one journal entry."""

import datetime as dt
import io
import json

import orjson
import pytest

from conftest import digest

CSV = """id,status,date,note,evidence,by
sec-4,in progress,2025-02-01,"Talks opened, in Seoul",https://example.org/a https://example.org/b,Board
SEC-4,implemented,2025-06-01,Signed,,Administration
SEC-4,partial,2025-03-01,Back-dated: a first part,,
ECON-1,Partial,2025-03-01,,https://example.org/econ,
"""


def history(run, rec_id):
    return json.loads(run("show", rec_id, "--json").stdout)["history"]


def chain(run, rec_id):
    return [(e["date"], e["from"], e["to"]) for e in history(run, rec_id)]


def journal_commands(db):
    return [entry["command"] for entry in orjson.loads(db.read_bytes())["journal"].values()]


def test_a_csv_file_is_applied_in_date_order_as_one_command(run, seeded, tmp_path):
    run("update-status", "SEC-4", "no_action", "--date", "2025-01-10")  # already there: the batch follows it
    path = tmp_path / "annex.csv"
    path.write_text(CSV)
    result = run("update-status", "--from", str(path))
    assert result.stdout == f"4 updates to 2 recommendations from {path}\n" and result.stderr == ""
    assert chain(run, "SEC-4") == [("2025-01-10", "not_assessed", "no_action"),
                                   ("2025-02-01", "no_action", "in_progress"),
                                   ("2025-03-01", "in_progress", "partial"),
                                   ("2025-06-01", "partial", "implemented")]
    first = history(run, "SEC-4")[1]
    assert (first["note"], first["evidence"]) == ("Talks opened, in Seoul",
                                                  ["https://example.org/a", "https://example.org/b"])
    assert chain(run, "ECON-1") == [("2025-03-01", "not_assessed", "partial")]
    assert journal_commands(seeded)[-1] == f"update-status --from {path}"
    assert len(journal_commands(seeded)) == 2  # the single update, then the whole file


def test_one_undo_reverts_the_whole_batch(run, seeded, tmp_path):
    path = tmp_path / "annex.csv"
    path.write_text(CSV)
    before = {rec: chain(run, rec) for rec in ("SEC-4", "ECON-1")}
    run("update-status", "--from", str(path))
    undone = run("undo", "--yes").stdout
    assert undone.count("remove status change") == 4
    assert {rec: chain(run, rec) for rec in ("SEC-4", "ECON-1")} == before


def test_by_comes_from_its_column_or_else_from_the_option(run, seeded, tmp_path):
    path = tmp_path / "annex.csv"
    path.write_text(CSV)
    run("update-status", "--from", str(path), "--by", "Analyst")
    assert [e["by"] for e in history(run, "SEC-4")] == ["Board", "Analyst", "Administration"]
    assert [e["by"] for e in history(run, "ECON-1")] == ["Analyst"]
    assert [r["id"] for r in json.loads(run("log", "--by", "board", "--json").stdout)] == ["SEC-4"]


def test_rows_of_one_date_chain_in_the_files_order(run, seeded, tmp_path):
    path = tmp_path / "same-day.csv"
    path.write_text("id,status,date\nSEC-1,in_progress,2025-05-05\nSEC-1,partial,2025-05-05\n"
                    "SEC-1,implemented,2025-05-05\n")
    run("update-status", "--from", str(path))
    assert chain(run, "SEC-1") == [("2025-05-05", "not_assessed", "in_progress"),
                                   ("2025-05-05", "in_progress", "partial"),
                                   ("2025-05-05", "partial", "implemented")]
    assert json.loads(run("show", "SEC-1", "--json").stdout)["status"] == "implemented"


def test_tsv_json_lines_and_xlsx_say_the_same(run, seeded, tmp_path):
    from openpyxl import Workbook

    (tmp_path / "u.tsv").write_text("ID\tStatus\tDate\tEvidence\nSEC-1\tpartial\t2025-01-02\t"
                                    "https://example.org/1\n")
    (tmp_path / "u.jsonl").write_text('{"id": "SEC-2", "status": "partial", "date": "2025-01-02", '
                                      '"evidence": ["https://example.org/1"]}\n\n')
    book = Workbook()
    book.active.append(["id", "status", "date", "evidence"])
    book.active.append(["SEC-3", "partial", dt.datetime(2025, 1, 2), "https://example.org/1"])
    book.save(tmp_path / "u.xlsx")
    for name in ("u.tsv", "u.jsonl", "u.xlsx"):
        assert run("update-status", "--from", str(tmp_path / name)).stdout.startswith("1 update to 1 recommendation ")
    for rec_id in ("SEC-1", "SEC-2", "SEC-3"):
        [event] = history(run, rec_id)
        assert (event["date"], event["to"], event["evidence"]) == ("2025-01-02", "partial", ["https://example.org/1"])


@pytest.mark.parametrize(("text", "fmt"), [
    ("id,status,date\nSEC-1,partial,2025-01-02\n", None),
    ("id\tstatus\tdate\nSEC-1\tpartial\t2025-01-02\n", None),
    ('{"id": "SEC-1", "status": "partial", "date": "2025-01-02"}\n', None),
    ("id;status\n", "jsonl"),  # --format wins over the content: this is not JSON Lines
])
def test_stdin_is_read_by_its_format_or_its_content(run, seeded, text, fmt):
    before = digest(seeded)
    args = ["update-status", "--from", "-", *(["--format", fmt] if fmt else [])]
    if fmt == "jsonl":
        assert run(*args, input=text, code=2).stderr == "alliance: <stdin>: row 1: not a JSON object " \
                                                          "(Expecting value)\n"
        assert digest(seeded) == before
        return
    assert run(*args, input=text).stdout == "1 update to 1 recommendation from <stdin>\n"
    assert chain(run, "SEC-1") == [("2025-01-02", "not_assessed", "partial")]


FUTURE = (dt.date.today() + dt.timedelta(days=3)).isoformat()


@pytest.mark.parametrize(("bad_row", "message"), [
    ("SEC-99,partial,2025-01-01,,", "row 4, column id: unknown recommendation 'SEC-99': did you mean"),
    ("SEC-1,implementd,2025-01-01,,", "row 4, column status: unknown status 'implementd': did you mean implemented?"),
    ("SEC-1,partial,2025-13-45,,", "row 4, column date: cannot read date '2025-13-45'"),
    ("SEC-1,partial,1066-10-14,,", "row 4, column date: date '1066-10-14' is before 1950"),
    (f"SEC-1,partial,{FUTURE},,", f"row 4, column date: date '{FUTURE}' is in the future"),
    ("SEC-1,partial,2025-01-01,,javascript:alert(1)", "row 4, column evidence: must be an http(s) URL"),
    ("SEC-1,,2025-01-01,,", "row 4, column status: empty: every row needs one"),
    ("SEC-1,partial,2025-01-01,,,extra", "row 4: has 6 cells, the header names 5 columns"),
    ("SEC-2,partial,2025-01-01,Two,", "row 4: repeats row 3 (same id, date, status, note and evidence)"),
])
def test_one_bad_row_refuses_the_whole_file(run, seeded, tmp_path, bad_row, message):
    path = tmp_path / "annex.csv"
    path.write_text(f"id,status,date,note,evidence\nSEC-1,partial,2025-06-01,One,\nSEC-2,partial,2025-01-01,Two,\n"
                    f"{bad_row}\n")
    before = digest(seeded)
    result = run("update-status", "--from", str(path), code=2)
    assert result.stderr.startswith(f"alliance: {path}: {message}") and result.stderr.count("\n") == 1
    assert result.stdout == "" and digest(seeded) == before


@pytest.mark.parametrize(("text", "message"), [
    ("id,status,colour\nSEC-1,partial,red\n", "row 1, column colour: unknown column (the columns are id, status"),
    ("id,date\nSEC-1,2025-01-01\n", "row 1, column status: missing: the header must name it"),
    ("id,status,id\nSEC-1,partial,SEC-2\n", "row 1, column id: this column appears twice"),
    ("id,status,,note\nSEC-1,partial,oops,\n", "row 2: has a value in its cell 3, under no column name"),
    ('id,status\nSEC-1,"par"tial\n', "row 2: not readable as CSV (line 2: ',' expected after '\"')"),
    ("id;status;date\nSEC-1;partial;2025-01-01\n", "row 1, column id;status;date: unknown column (is it separated "
                                                   "by semicolons? CSV here is separated by commas)"),
])
def test_a_bad_header_refuses_the_file(run, seeded, tmp_path, text, message):
    path = tmp_path / "annex.csv"
    path.write_text(text)
    before = digest(seeded)
    stderr = run("update-status", "--from", str(path), code=2).stderr
    assert stderr.startswith(f"alliance: {path}: {message}") and stderr.count("\n") == 1
    assert digest(seeded) == before


@pytest.mark.parametrize(("line", "message"), [
    ('{"id": "SEC-1", "status": "partial", "evidence": "https://example.org/a"}',
     "row 2, column evidence: must be a list of URLs"),
    ('{"id": "SEC-1", "status": 3}', "row 2, column status: must be text, found int"),
    ('["SEC-1", "partial"]', "row 2: not a JSON object but list"),
    ('{"id": "SEC-1", "status": "partial", "who": "me"}', "row 2, column who: unknown column"),
])
def test_json_lines_rows_are_checked_by_type(run, seeded, line, message):
    before = digest(seeded)
    text = '{"id": "SEC-2", "status": "partial", "date": "2025-01-01"}\n' + line + "\n"
    result = run("update-status", "--from", "-", "--format", "jsonl", input=text, code=2)
    assert result.stderr.startswith(f"alliance: <stdin>: {message}")
    assert digest(seeded) == before


def test_a_file_without_rows_changes_nothing(run, seeded, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("id,status,date\n")
    before = digest(seeded)
    assert run("update-status", "--from", str(path)).stdout == f"no updates in {path}: nothing changed\n"
    assert digest(seeded) == before


@pytest.mark.parametrize("args", [
    ["SEC-1", "partial", "--from", "x.csv"], ["--from", "x.csv", "--note", "n"],
    ["--from", "x.csv", "--date", "2025-01-01"], ["SEC-1", "partial", "--format", "csv"], ["SEC-1"], [],
    ["--from", "x.xls"], ["--from", "missing.csv"],
])
def test_usage_mistakes_are_refused(run, seeded, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text("id,status\nSEC-1,partial\n")
    (tmp_path / "x.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    before = digest(seeded)
    result = run("update-status", *args, code=2)
    assert result.stderr.startswith("alliance: ") and result.stderr.count("\n") == 1
    assert digest(seeded) == before


def test_several_ids_take_one_status_in_one_command(run, seeded):
    result = run("update-status", "sec-1", "SEC-2", "econ-3", "in-progress", "--date", "2025-04-01", "-m", "Talks")
    assert result.stdout.splitlines() == ["SEC-1: not_assessed -> in_progress (as of 2025-04-01)",
                                          "SEC-2: not_assessed -> in_progress (as of 2025-04-01)",
                                          "ECON-3: not_assessed -> in_progress (as of 2025-04-01)",
                                          "3 updates to 3 recommendations"]
    assert [history(run, r)[0]["note"] for r in ("SEC-1", "SEC-2", "ECON-3")] == ["Talks"] * 3
    assert journal_commands(seeded) == ["update-status sec-1 SEC-2 econ-3 in-progress"]
    run("undo", "--yes")
    assert all(history(run, r) == [] for r in ("SEC-1", "SEC-2", "ECON-3"))


@pytest.mark.parametrize(("args", "message"), [
    (["SEC-1", "sec-1", "partial"], "SEC-1 is given twice"),
    (["SEC-1", "SEC-77", "partial"], "unknown recommendation 'SEC-77'"),
    (["SEC-1", "SEC-2", "donee"], "unknown status 'donee'"),
])
def test_several_ids_are_all_or_nothing(run, seeded, args, message):
    before = digest(seeded)
    assert message in run("update-status", *args, code=2).stderr
    assert digest(seeded) == before


# --- the progress bar ------------------------------------------------------------------------

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_is_drawn_on_a_terminal_and_never_when_piped():
    from alliance_cli.cli.meter import Meter

    terminal, piped = Terminal(), io.StringIO()
    for stream in (terminal, piped):
        with Meter("updating", 3, stream=stream, delay=0) as meter:
            for _ in range(3):
                meter.advance()
            meter.stage("saving")
    assert "updating" in terminal.getvalue() or "saving" in terminal.getvalue()
    assert piped.getvalue() == ""


def test_the_bar_waits_its_delay():
    from alliance_cli.cli.meter import Meter

    terminal = Terminal()
    with Meter("updating", 3, stream=terminal, delay=3600) as meter:
        meter.advance(3)
    assert terminal.getvalue() == ""


def test_a_batch_prints_only_its_summary_when_captured(run, seeded, tmp_path):
    path = tmp_path / "big.csv"
    start = dt.date(2024, 3, 1)
    path.write_text("id,status,date\n" + "".join(f"SEC-{n % 8 + 1},partial,{start + dt.timedelta(days=n)}\n"
                                                 for n in range(200)))
    result = run("update-status", "--from", str(path))
    assert (result.stdout, result.stderr) == (f"200 updates to 8 recommendations from {path}\n", "")


def test_hostile_text_is_stored_exactly_and_shown_escaped(run, seeded):
    note = "[bold]not markup[/] \x1b[2J\u200b :warning:"
    line = json.dumps({"id": "SEC-1", "status": "partial", "date": "2025-01-02", "note": note, "by": "[red]x"})
    run("update-status", "--from", "-", input=line + "\n")
    [event] = history(run, "SEC-1")
    assert (event["note"], event["by"]) == (note, "[red]x")
    refused = run("update-status", "--from", "-", input=json.dumps({"id": "\x1b[2JSEC", "status": "partial"}),
                  code=2).stderr
    assert "\x1b" not in refused and "\\x1b[2JSEC" in refused


def test_a_workbook_on_stdin_is_known_by_its_content(run, seeded, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["id", "status", "date"])
    book.active.append(["CYBER-1", "partial", dt.date(2025, 2, 3)])
    book.save(tmp_path / "u.xlsx")
    result = run("update-status", "--from", "-", input=(tmp_path / "u.xlsx").read_bytes())
    assert result.stdout == "1 update to 1 recommendation from <stdin>\n"
    assert chain(run, "CYBER-1") == [("2025-02-03", "not_assessed", "partial")]
