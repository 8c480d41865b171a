"""init --from a table of recommendations (CSV, TSV, .xlsx): the brief file's rules, errors by row
and column, and the round trip of what `list --format csv` writes."""

import datetime as dt
import json

import pytest

from conftest import digest, tree_state

HEADER = "id,pillar,title,text,section,key,actors,initiatives,sources,due,issued\n"


def listed(run, *db):
    return [{k: r[k] for k in ("id", "pillar", "title", "key", "due", "issued")}
            for r in json.loads(run(*db, "list", "--json").stdout)]


def pillars(run, *db):
    return [(p["id"], p["name"]) for p in json.loads(run(*db, "report", "--json").stdout)["pillars"]]


@pytest.mark.parametrize("to_file", [True, False])
def test_what_list_writes_as_csv_loads_back(run, seeded, tmp_path, to_file):
    run("edit", "SEC-2", "--due", "2026-06-30", "--no-key", "--issued", "2024-05-02")
    run("edit", "ECON-3", "--key", "--title", "=HYPERLINK(\"x\") is a title, not a formula")
    run("add", "--pillar", "CYBER", "--title", "-5% tariffs, @ once", "--id", "CYBER-9", "--due", "2027-01-01")
    run("update-status", "SEC-1", "implemented", "--date", "2025-01-05")
    path = tmp_path / "list.csv"
    if to_file:
        run("list", "--limit", "0", "--format", "csv", "-o", str(path))
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # as Excel wants it
    else:
        path.write_text(run("list", "--format", "csv").stdout)
    copy = ("--db", str(tmp_path / "copy.json"))
    result = run(*copy, "init", "--from", str(path))
    assert result.stdout == (f"started {tmp_path / 'copy.json'}: US-ROK Global Strategic Partnership in the "
                             f"Indo-Pacific (20 recommendations)\n")
    assert "status column" in result.stderr  # SEC-1's status is the tracker's, not the brief's
    assert listed(run, *copy) == listed(run)
    assert pillars(run, *copy) == pillars(run)
    brief = json.loads(run(*copy, "report", "--json").stdout)["brief"]
    assert {k: brief[k] for k in ("title", "author", "publisher", "published")} == {
        "title": "US-ROK Global Strategic Partnership in the Indo-Pacific", "author": "Kayla Orta",
        "publisher": "Wilson Center", "published": "2024-03"}
    assert {r["status"] for r in json.loads(run(*copy, "list", "--json").stdout)} == {"not_assessed"}


def test_a_workbook_with_a_pillars_sheet(run, tmp_path, db):
    from openpyxl import Workbook

    book = Workbook()
    recs = book.active
    recs.title = "Recommendations"
    recs.append(["ID", "Pillar", "Title", "Text", "Section", "Key", "Actors", "Initiatives", "Sources", "Due",
                 "Issued"])
    recs.append(["AUD-1", "gov", "Publish the audit plan", "The board publishes its plan each year.", "§ 12",
                 True, "Board; Ministry of Finance", "Annual plan", "https://example.org/a https://example.org/b",
                 dt.datetime(2016, 12, 31), dt.datetime(2016, 2, 1)])
    recs.append(["AUD-2", "FIN", "Reconcile accounts", None, None, "no", None, None, None, None, None])
    sheet = book.create_sheet("pillars")
    sheet.append(["id", "name", "description"])
    sheet.append(["FIN", "Finance", "Money"])
    sheet.append(["GOV", "Governance", ""])
    path = tmp_path / "audit board.xlsx"
    book.save(path)
    result = run("init", "--from", str(path), "--published", "2015-06", "--author", "Audit Board")
    assert result.stdout == f"started {db}: audit board (2 recommendations)\n" and result.stderr == ""
    assert pillars(run) == [("FIN", "Finance"), ("GOV", "Governance")]
    one = json.loads(run("show", "AUD-1", "--json").stdout)
    assert {k: one[k] for k in ("pillar", "text", "section", "key", "actors", "initiatives", "sources", "due",
                                "issued")} == {
        "pillar": "GOV", "text": "The board publishes its plan each year.", "section": "§ 12", "key": True,
        "actors": ["Board", "Ministry of Finance"], "initiatives": ["Annual plan"],
        "sources": ["https://example.org/a", "https://example.org/b"], "due": "2016-12-31", "issued": "2016-02-01"}
    two = json.loads(run("show", "AUD-2", "--json").stdout)
    # The title is the text; issued when the brief was published (the 1st of its month).
    assert (two["text"], two["key"], two["due"], two["issued"]) == ("Reconcile accounts", False, None, "2015-06-01")
    brief = json.loads(run("report", "--json").stdout)["brief"]
    assert (brief["id"], brief["title"], brief["author"], brief["published"]) == (
        "audit-board", "audit board", "Audit Board", "2015-06")


def test_pillars_from_the_pillar_column_or_a_pillars_file(run, tmp_path):
    path = tmp_path / "recs.tsv"
    path.write_text("id\tpillar\ttitle\nB-1\tbeta\tFirst\nA-1\tALPHA\tSecond\nB-2\tBETA\tThird\n")
    run("--db", str(tmp_path / "one.json"), "init", "--from", str(path), "--title", "Mine")
    assert pillars(run, "--db", str(tmp_path / "one.json")) == [("beta", "beta"), ("ALPHA", "ALPHA")]
    (tmp_path / "pillars.csv").write_text("id,name\nALPHA,Alpha pillar\nBETA,Beta pillar\n")
    two = ("--db", str(tmp_path / "two.json"))
    run(*two, "init", "--from", str(path), "--pillars", str(tmp_path / "pillars.csv"))
    assert pillars(run, *two) == [("ALPHA", "Alpha pillar"), ("BETA", "Beta pillar")]
    assert [r["pillar"] for r in listed(run, *two)] == ["BETA", "ALPHA", "BETA"]


@pytest.mark.parametrize(("row", "message"), [
    ("SEC-2,SEC,Fine,,,true,,,,2025-31-12", "row 3, column due: cannot read due date '2025-31-12'"),
    ("SEC-2,SEC," + "x" * 71 + ",,,,,,,", "row 3, column title: must be 1 to 70 characters"),
    ("sec-1,SEC,Again,,,,,,,", "row 3, column id: duplicate id 'sec-1'"),
    ("SEC 2,SEC,Spaced,,,,,,,", "row 3, column id: 'SEC 2' is not a valid id"),
    ("SEC-2,SEC,Fine,,,maybe,,,,", "row 3, column key: 'maybe' is neither true nor false"),
    ("SEC-2,SEC,Fine,,,,,,ftp://example.org/x,", "row 3, column sources: must be an http(s) URL"),
    ("SEC-2,SEC,Fine,,,,,,,,,surplus", "row 3: has 12 cells, the header names 11 columns"),
    ("SEC-2,,Fine,,,,,,,", "row 3, column pillar: empty: every row needs one"),
    ("SEC-2,S E C,Fine,,,,,,,", "row 3, column pillar: 'S E C' is not a valid id"),
    ("SEC-2,SEC,Fine,,,,,,,,2999-01-01", "row 3, column issued: issued date '2999-01-01' is in the future"),
])
def test_a_bad_row_is_named_by_row_and_column_and_nothing_is_written(run, tmp_path, row, message):
    path = tmp_path / "recs.csv"
    path.write_text(HEADER + "SEC-1,SEC,Good,,,true,,,,\n" + row + "\n")
    before = tree_state(tmp_path)
    result = run("init", "--from", str(path), code=2)
    assert result.stderr.startswith(f"alliance: {path}: {message}") and result.stderr.count("\n") == 1
    assert tree_state(tmp_path) == before


def test_a_workbook_error_names_the_sheets_row(run, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["# notes: a line above the table"])
    book.active.append([])
    book.active.append(["id", "pillar", "title", "due"])
    for n in range(1, 4):
        book.active.append([f"P-{n}", "P", f"Title {n}", dt.date(2025, 1, n)])
    book.active.append(["P-4", "P", "Title 4", "soon"])
    path = tmp_path / "recs.xlsx"
    book.save(path)
    before = tree_state(tmp_path)
    result = run("init", "--from", str(path), code=2)
    assert result.stderr.startswith(f"alliance: {path}: row 7, column due: cannot read due date 'soon'")
    assert tree_state(tmp_path) == before


@pytest.mark.parametrize(("files", "args", "message"), [
    ({"recs.csv": "id,pillar,name\nA-1,A,x\n"}, [], "row 1, column name: unknown column (the columns are id, pillar"),
    ({"recs.csv": "id,pillar\nA-1,A\n"}, [], "row 1, column title: missing: the header must name it"),
    ({"recs.csv": "id,pillar,title\n"}, [], "no recommendations"),
    ({"recs.csv": "id,pillar,title\nA-1,A,T\n"}, ["--published", "last spring"],
     "--published: must be YYYY-MM or YYYY-MM-DD, found 'last spring'"),
    ({"recs.csv": "id,pillar,title\nA-1,Z,T\n", "p.csv": "id,name\nA,Alpha\n"}, ["--pillars", "p.csv"],
     "row 2, column pillar: unknown pillar 'Z' (the pillars are A)"),
    ({"recs.xlsx": "not a workbook"}, [], "not an Excel workbook"),
    ({"recs.csv": b"id,pillar,title\nA-1,A,\xe9t\xe9\n"}, [], "not UTF-8 text"),
])
def test_bad_tables_are_refused(run, tmp_path, monkeypatch, files, args, message):
    monkeypatch.chdir(tmp_path)
    for name, content in files.items():
        (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    before = tree_state(tmp_path)
    result = run("init", "--from", next(iter(files)), *args, code=2)
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert tree_state(tmp_path) == before


def test_table_options_with_a_brief_file_are_refused(run, tmp_path, seeded):
    brief = tmp_path / "export.json"
    run("export", "-o", str(brief))
    before = digest(seeded)
    assert "are for a table of recommendations" in run("init", "--from", str(brief), "--force", "--title", "T",
                                                       code=2).stderr
    assert digest(seeded) == before


def test_an_existing_tracker_needs_force(run, seeded, tmp_path):
    path = tmp_path / "recs.csv"
    path.write_text("id,pillar,title\nA-1,A,T\n")
    before = digest(seeded)
    assert "pass --force" in run("init", "--from", str(path), code=2).stderr
    assert digest(seeded) == before
    run("init", "--from", str(path), "--force")
    assert listed(run) == [{"id": "A-1", "pillar": "A", "title": "T", "key": False, "due": None,
                            "issued": dt.date.today().isoformat()}]  # published: today, unless --published
