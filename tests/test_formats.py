"""Every command's formats through the CLI, and --output written atomically."""

import csv
import io
import json

import pytest

from alliance_cli.render.exports import read_csv_rows

from conftest import digest


@pytest.fixture
def tracked(backdated, run):
    run("update-status", "SEC-1", "implemented", "--date", "2024-01-11", "--note", "=1+2, \"quoted\"",
        "-e", "https://example.org/e")
    run("update-status", "CYBER-1", "partial", "--date", "2024-02-01", "--note", "한국어 메모")


@pytest.mark.parametrize("command", [["list"], ["show", "SEC-1"], ["report"], ["log"]])
def test_markdown_states_brief_as_of_and_export_time(run, tracked, command):
    out = run(*command, "--format", "markdown").stdout
    assert "US-ROK Global Strategic Partnership" in out and "As of" in out and "Exported at" in out
    assert "|" in out


@pytest.mark.parametrize("command", [["list", "--key"], ["report", "--pillar", "SEC"], ["log"]])
def test_csv_parses_and_states_its_filters(run, tracked, command):
    out = run(*command, "--format", "csv").stdout
    assert out.startswith("# brief: US-ROK") and "# filters:" in out and "# exported_at:" in out
    rows = read_csv_rows(out)
    assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)


def test_csv_neutralises_formulas_but_keeps_text(run, tracked):
    rows = read_csv_rows(run("log", "--format", "csv").stdout)
    notes = [dict(zip(rows[0], r, strict=True))["note"] for r in rows[1:]]
    assert "'=1+2, \"quoted\"" in notes and "한국어 메모" in notes


def test_output_file_is_written_atomically_by_extension(run, tracked, tmp_path):
    for name, check in (("r.html", "<svg"), ("r.md", "# "), ("r.json", '"overall"'), ("r.csv", "pillar_id")):
        target = tmp_path / name
        result = run("report", "--output", str(target))
        assert result.stdout == "" and f"wrote {target}" in result.stderr
        assert check in target.read_text(encoding="utf-8-sig")
    assert (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # for Excel
    assert list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8-sig"))))
    assert not list(tmp_path.glob(".alliance-tmp-*"))


def test_html_only_for_report_and_table_never_to_a_file(run, tracked, tmp_path, db):
    before = digest(db)
    assert "unknown format 'html'" in run("list", "--format", "html", code=2).stderr
    assert "a table is drawn for the terminal" in run("report", "-f", "table", "-o", str(tmp_path / "x"),
                                                      code=2).stderr
    assert "does not exist" in run("report", "-o", str(tmp_path / "no" / "r.html"), code=2).stderr
    assert digest(db) == before


def test_json_forms_agree(run, tracked):
    assert run("log", "--json").stdout == run("log", "--format", "json").stdout
    detail = json.loads(run("show", "SEC-1", "-f", "json").stdout)
    assert detail["history"][0]["evidence"] == ["https://example.org/e"]


def test_output_onto_the_trackers_own_files_is_refused(run, seeded, tmp_path):
    from conftest import tree_state

    run("update-status", "SEC-1", "partial")
    body = next(seeded.with_name(seeded.name + ".bodies").glob("*.json"))
    link = tmp_path / "innocent.json"
    link.symlink_to(seeded)
    before = tree_state(tmp_path)
    for target in (seeded, body, seeded.with_name(seeded.name + ".bak"), seeded.with_name(seeded.name + ".lock"),
                   link):
        for command in (("report", "-o", str(target)), ("export", "-o", str(target)),
                        ("list", "--format", "json", "-o", str(target))):
            result = run(*command, code=2)
            assert "is one of the tracker's own files" in result.stderr, command
    assert tree_state(tmp_path) == before


def test_the_process_leaves_with_all_its_output_and_its_exit_code(tmp_path):
    """`alliance` skips the interpreter's teardown (launch.main): nothing may be lost by it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from bigtracker import make_tracker

    big = tmp_path / "big.json"
    make_tracker(big, 3000, 1)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src, "HOME": str(tmp_path)}
    argv = [sys.executable, "-m", "alliance_cli", "--db", str(big)]
    listed = subprocess.run([*argv, "list"], env=env, capture_output=True, text=True, timeout=120)
    assert (listed.returncode, listed.stderr) == (0, "") and len(listed.stdout.splitlines()) == 3001
    exported = subprocess.run([*argv, "export"], env=env, capture_output=True, timeout=120)
    assert exported.returncode == 0 and exported.stdout.endswith(b"}\n") and len(exported.stdout) > 1_000_000
    refused = subprocess.run([*argv, "show", "NOPE-1"], env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and refused.stderr.startswith("alliance: unknown recommendation")
    # A reader that stops early (as `| head -1`): exit 1 and not a word, as before.
    proc = subprocess.Popen([*argv, "list"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=120) in (0, 1) and proc.stderr.read() == b""
