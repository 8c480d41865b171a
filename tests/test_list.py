import json
import re

import pytest

from alliance_cli.core.brief import load_brief, shipped_brief_path

BRIEF = load_brief(shipped_brief_path())
ALL_IDS = [r["id"] for r in BRIEF["recommendations"]]


def tsv_rows(text):
    lines = text.splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def test_first_use_creates_and_seeds_the_file(run, db):
    assert not db.exists()
    rows = tsv_rows(run("list").stdout)
    assert [r["id"] for r in rows] == ALL_IDS
    assert {r["status"] for r in rows} == {"not_assessed"}
    assert db.exists()


def test_piped_output_is_plain_tsv_without_truncation(run):
    out = run("list").stdout
    assert "\x1b" not in out and "│" not in out and "…" not in out
    longest = max(BRIEF["recommendations"], key=lambda r: len(r["title"]))["title"]
    assert longest in out
    assert out.splitlines()[0] == "id\tpillar\tstatus\tkey\ttitle\tlast_updated"


def test_json_is_a_stable_array(run):
    rows = json.loads(run("list", "--json").stdout)
    assert [r["id"] for r in rows] == ALL_IDS
    assert set(rows[0]) == {"id", "pillar", "title", "status", "key", "last_updated", "due", "issued"}
    assert json.loads(run("list", "--format", "json").stdout) == rows


def test_filters(backdated, run):
    run("update-status", "SEC-2", "in-progress", "--date", "2024-02-01")
    by_pillar = tsv_rows(run("list", "--pillar", "econ").stdout)
    assert by_pillar and {r["pillar"] for r in by_pillar} == {"ECON"}
    by_status = tsv_rows(run("list", "--status", "In progress").stdout)
    assert [r["id"] for r in by_status] == ["SEC-2"]
    key = tsv_rows(run("list", "--key").stdout)
    assert [r["id"] for r in key] == [r["id"] for r in BRIEF["recommendations"] if r["key"]]
    found = tsv_rows(run("list", "--search", "minerals security").stdout)
    assert [r["id"] for r in found] == ["ECON-3"]


def test_table_on_request_shows_a_limit_footer(run):
    result = run("list", "--format", "table", "--limit", "3")
    assert "SEC-1" in result.stdout and "SEC-4" not in result.stdout
    assert f"showing 3 of {len(ALL_IDS)}" in result.stderr


@pytest.mark.parametrize(("lines", "shown"), [(8, 10), (18, 14), (40, len(ALL_IDS))])
def test_the_terminal_table_fits_the_screen_unless_a_limit_is_given(run, lines, shown):
    env = {"NO_COLOR": "1", "LINES": str(lines), "TTY_COMPATIBLE": "1"}  # Rich: treat the output as a terminal
    result = run("list", "--format", "table", env=env)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # a terminal gets bold and dim even with NO_COLOR
    rows = [line.split()[0] for line in plain.splitlines()[2:]]
    assert rows == ALL_IDS[:shown]  # header and rule, rows, footer and prompt: lines - 4, at least 10
    footer = f"showing {shown} of {len(ALL_IDS)}"
    assert (footer in result.stderr) == (shown < len(ALL_IDS))
    assert len(run("list", "--format", "table", "--limit", "0", env=env).stdout.splitlines()) == 2 + len(ALL_IDS)


def test_table_respects_no_color_and_width(run):
    out = run("list", "--format", "table", "--limit", "0", env={"NO_COLOR": "1", "COLUMNS": "80"}).stdout
    assert "\x1b[" not in out
    from rich.cells import cell_len
    assert all(cell_len(line) <= 80 for line in out.splitlines())
    assert all(i in out for i in ALL_IDS)


@pytest.mark.parametrize("width", [30, 45, 60, 80, 120])
def test_a_narrow_terminal_drops_columns_but_never_cuts_an_id_or_a_status(run, width):
    run("update-status", "CLIMATE-3", "not_assessed")
    run("update-status", "SEC-1", "in_progress")
    out = run("list", "--format", "table", "--limit", "0", env={"NO_COLOR": "1", "COLUMNS": str(width)}).stdout
    from rich.cells import cell_len
    lines = out.splitlines()
    assert all(cell_len(line) <= width for line in lines)
    header = lines[0]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == set(ALL_IDS)  # every id whole
    assert "not_assessed" in rows["CLIMATE-3"] and "in_progress" in rows["SEC-1"]
    assert ("Title" in header) == (width >= 45)  # the title gives way before it goes
    assert ("Updated" in header) == (width >= 60)
    assert "Pillar" not in header and "Key" not in header  # ids carry the pillar; a star marks key ones
    assert "★" in rows["SEC-1"] and "★" not in rows["SEC-5"]


def test_unknown_filters_are_refused(run, seeded):
    for args, needle in ((["--pillar", "NOPE"], "unknown pillar"), (["--status", "done"], "unknown status"),
                         (["--format", "yaml"], "unknown format")):
        result = run("list", *args, code=2)
        assert needle in result.stderr and result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_repeated_status_or_pillar_means_any_of_them(backdated, run):
    import json

    run("update-status", "SEC-1", "stalled", "--date", "2024-01-01")
    run("update-status", "ECON-1", "in-progress", "--date", "2024-01-01")
    run("update-status", "CYBER-1", "partial", "--date", "2024-01-01")
    rows = json.loads(run("list", "--status", "stalled", "--status", "in_progress", "--json").stdout)
    assert [r["id"] for r in rows] == ["SEC-1", "ECON-1"]
    rows = json.loads(run("list", "-p", "sec", "-p", "CYBER", "--json").stdout)
    assert {r["pillar"] for r in rows} == {"SEC", "CYBER"} and len(rows) == 9
    csv = run("list", "-s", "stalled", "-s", "partial", "--format", "csv").stdout
    assert "# filters: status=stalled partial" in csv


def test_a_table_sent_to_a_file_has_every_row(run, tmp_path):
    """On a terminal the table fits the screen; redirected, --help says all, and all it is."""
    from bigtracker import make_tracker

    big = tmp_path / "big.json"
    make_tracker(big, 60)
    out = run("--db", str(big), "list", "--format", "table", env={"LINES": "24"}).stdout
    assert sum(1 for line in out.splitlines() if line.split() and line.split()[0].count("-") == 1) == 60
