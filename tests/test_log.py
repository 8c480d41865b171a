import json


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
                            "by", "recorded_by"}
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
