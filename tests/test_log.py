import json


def log(run, *args):
    return json.loads(run("log", "--json", *args).stdout)


def test_log_lists_changes_newest_first(run):
    run("update-status", "SEC-1", "in_progress", "--date", "2024-01-05", "--note", "a")
    run("update-status", "ECON-1", "partial", "--date", "2024-03-01", "-e", "https://example.org/e")
    run("update-status", "SEC-1", "implemented", "--date", "2024-02-01", "--note", "b")
    rows = log(run)
    assert [(r["date"], r["id"], r["to"]) for r in rows] == [
        ("2024-03-01", "ECON-1", "partial"), ("2024-02-01", "SEC-1", "implemented"),
        ("2024-01-05", "SEC-1", "in_progress")]
    assert set(rows[0]) == {"kind", "date", "recorded_at", "id", "title", "from", "to", "note", "evidence", "event"}
    assert rows[0]["evidence"] == ["https://example.org/e"] and rows[0]["kind"] == "status"
    assert [r["note"] for r in log(run, "sec-1")] == ["b", "a"]
    assert [r["id"] for r in log(run, "--since", "2024-02-01")] == ["ECON-1", "SEC-1"]
    plain = run("log").stdout.splitlines()
    assert plain[0].startswith("date\tid\tkind\tfrom\tto\tnote") and len(plain) == 4
    table = run("log", "--format", "table").stdout
    assert "implemented" in table and "example.org/e" in table


def test_log_refusals(run, seeded):
    assert "unknown recommendation" in run("log", "NOPE-1", code=2).stderr
    assert "cannot read --since date" in run("log", "--since", "whenever", code=2).stderr
