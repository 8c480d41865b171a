import json

from alliance_cli.core.brief import load_brief, shipped_brief_path
from alliance_cli.store.tracker import Tracker

from conftest import backdate, copy_tracker, digest

PINNED = {"SOURCE_DATE_EPOCH": "1767225600"}


def with_db(run, db, *args, **kw):
    return run("--db", str(db), *args, **kw)


def test_export_then_import_into_an_empty_tracker_reproduces_the_report(backdated, run, tmp_path):
    a = tmp_path / "a.json"
    backdate(a)
    with_db(run, a, "update-status", "SEC-1", "implemented", "--date", "2024-01-11", "-e", "https://x.org/1")
    with_db(run, a, "update-status", "SEC-2", "stalled", "--date", "2024-05-01", "--note", "paused")
    with_db(run, a, "add", "-p", "CYBER", "-t", "A new one", "--due", "2025-01-01")
    exported = tmp_path / "export.json"
    with_db(run, a, "export", "--output", str(exported))
    b = tmp_path / "b.json"
    assert "started" in with_db(run, b, "import", str(exported)).stdout
    report_a = with_db(run, a, "report", "--format", "json", env=PINNED).stdout
    report_b = with_db(run, b, "report", "--format", "json", env=PINNED).stdout
    assert report_a == report_b
    assert json.loads(report_a)["exported_at"] == "2026-01-01T00:00:00.000000Z"
    assert with_db(run, a, "export", env=PINNED).stdout == with_db(run, b, "export", env=PINNED).stdout


def test_disjoint_updates_merge_the_same_in_either_order(backdated, run, tmp_path):
    base = tmp_path / "base.json"
    backdate(base)
    with_db(run, base, "update-status", "SEC-1", "in_progress", "--date", "2024-01-01")
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    copy_tracker(base, one)
    copy_tracker(base, two)
    with_db(run, one, "update-status", "SEC-1", "implemented", "--date", "2024-03-01", "--note", "analyst 1")
    with_db(run, one, "update-status", "ECON-2", "partial", "--date", "2024-02-01")
    with_db(run, two, "update-status", "SEC-1", "stalled", "--date", "2024-04-01", "--note", "analyst 2")
    with_db(run, two, "add", "-p", "SEC", "-t", "Added by analyst 2")
    exp_one, exp_two = tmp_path / "e1.json", tmp_path / "e2.json"
    with_db(run, one, "export", "-o", str(exp_one))
    with_db(run, two, "export", "-o", str(exp_two))
    out = with_db(run, one, "import", str(exp_two)).stdout
    assert "1 added" in out and "1 new events" in out
    with_db(run, two, "import", str(exp_one))
    export_one = json.loads(with_db(run, one, "export", env=PINNED).stdout)
    export_two = json.loads(with_db(run, two, "export", env=PINNED).stdout)
    assert export_one == export_two
    sec1 = next(r for r in export_one["recommendations"] if r["id"] == "SEC-1")
    assert [e["note"] for e in sec1["history"]] == ["", "analyst 1", "analyst 2"] and sec1["status"] == "stalled"
    again = with_db(run, one, "import", str(exp_two)).stdout  # importing twice duplicates nothing
    assert "0 added, 0 updated, 0 new events" in again


def test_import_is_undoable_and_refuses_other_briefs(run, tmp_path, db):
    other = tmp_path / "other.json"
    with_db(run, other, "update-status", "SEC-1", "partial")
    exported = tmp_path / "exp.json"
    with_db(run, other, "export", "-o", str(exported))
    run("list")
    run("import", str(exported))
    assert json.loads(run("show", "SEC-1", "--json").stdout)["status"] == "partial"
    run("undo", "--yes")
    assert json.loads(run("show", "SEC-1", "--json").stdout)["status"] == "not_assessed"
    data = json.loads(exported.read_text())
    data["brief"]["id"] = "another-brief"
    exported.write_text(json.dumps(data))
    before = digest(db)
    assert "export of brief 'another-brief'" in run("import", str(exported), code=2).stderr
    assert digest(db) == before


def test_import_from_stdin_and_bad_exports(run, seeded):
    before = digest(seeded)
    result = run("import", "-", input='{"format": 1, "brief": {}}', code=2)
    assert "<stdin>: brief.id: missing" in result.stderr
    bad_event = json.loads(run("export").stdout)
    bad_event["recommendations"][0]["history"] = [{"id": "zz", "date": "2024-01-01"}]
    result = run("import", "-", input=json.dumps(bad_event), code=2)
    assert "recommendations[0].history[0]" in result.stderr
    assert digest(seeded) == before


def test_init_from_another_brief(run, tmp_path, db):
    brief = load_brief(shipped_brief_path())
    brief["brief"]["id"] = "mini"
    brief["pillars"] = [{"id": "A", "name": "Alpha", "description": "first"}]
    brief["recommendations"] = [{**brief["recommendations"][0], "id": "A-1", "pillar": "A", "due": "2024-06-30"}]
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(brief))
    assert "1 recommendations" in run("init", "--from", str(path)).stdout
    assert [r["id"] for r in json.loads(run("list", "--json").stdout)] == ["A-1"]
    attention = json.loads(run("report", "--json").stdout)["attention"]
    assert attention[0]["reasons"] == ["overdue (due 2024-06-30)"]
    before = digest(db)
    assert "pass --force" in run("init", "--from", str(path), code=2).stderr
    assert digest(db) == before
    brief["recommendations"][0]["pillar"] = "B"
    path.write_text(json.dumps(brief))
    assert "recommendations[0].pillar: unknown pillar 'B'" in run("init", "--from", str(path), "--force",
                                                                 code=2).stderr
    assert digest(db) == before
    shipped = str(shipped_brief_path())
    result = run("init", "--from", shipped, "--force")
    assert "previous tracker kept as" in result.stderr
    kept = [p for p in db.parent.glob("tracker.json.replaced-*") if p.is_file()]
    assert len(kept) == 1
    assert [r["id"] for r in json.loads(run("--db", str(kept[0]), "list", "--json").stdout)] == ["A-1"]


def test_add_edit_and_due(run, db):
    assert run("add", "-p", "econ", "-t", "Join the new forum", "--key", "--actor", "US",
               "--source", "https://example.org/f").stdout.strip() == "added ECON-8: Join the new forum"
    detail = json.loads(run("show", "ECON-8", "--json").stdout)
    assert detail["key"] is True and detail["actors"] == ["US"] and detail["text"] == "Join the new forum"
    run("edit", "econ-8", "--title", "Join the forum", "--due", "2024-01-01", "--no-key")
    detail = json.loads(run("show", "ECON-8", "--json").stdout)
    assert (detail["title"], detail["due"], detail["key"]) == ("Join the forum", "2024-01-01", False)
    assert any(a["id"] == "ECON-8" for a in json.loads(run("report", "--json").stdout)["attention"])
    run("update-status", "ECON-8", "implemented")
    assert not any(a["id"] == "ECON-8" for a in json.loads(run("report", "--json").stdout)["attention"])
    run("edit", "ECON-8", "--due", "none")
    assert json.loads(run("show", "ECON-8", "--json").stdout)["due"] is None
    run("undo", "--yes")
    assert json.loads(run("show", "ECON-8", "--json").stdout)["due"] == "2024-01-01"
    before = digest(db)
    assert "already exists" in run("add", "-p", "ECON", "-t", "x", "--id", "econ-8", code=2).stderr
    assert "1 to 70" in run("edit", "ECON-8", "--title", "x" * 71, code=2).stderr
    assert "nothing to change" in run("edit", "ECON-8", code=2).stderr
    assert "unknown pillar" in run("add", "-p", "MOON", "-t", "x", code=2).stderr
    assert digest(db) == before


def test_import_merges_into_a_tracker_made_after_it_looked(run, tmp_path, db, monkeypatch):
    """A race: the tracker did not exist when import looked, and did once it held the lock."""
    other = tmp_path / "other.json"
    with_db(run, other, "update-status", "SEC-1", "partial", "--note", "from the other copy")
    exported = tmp_path / "export.json"
    with_db(run, other, "export", "--output", str(exported))
    run("update-status", "SEC-2", "stalled", "--note", "already here")  # db exists now
    real_exists = Tracker.exists
    looked = []

    def exists_once_missing(tracker):
        if tracker.path == db and not looked:
            looked.append(tracker.path)
            return False  # as when import checked, a moment before another command made it
        return real_exists(tracker)

    monkeypatch.setattr(Tracker, "exists", exists_once_missing)
    result = run("import", str(exported))
    assert looked and result.stdout.startswith(f"merged {exported}")
    notes = {e["note"] for r in json.loads(run("export").stdout)["recommendations"] for e in r["history"]}
    assert {"from the other copy", "already here"} <= notes


def test_import_matches_ids_in_any_case_and_keeps_the_trackers_spelling(backdated, run, tmp_path, db):
    other = tmp_path / "other.json"
    backdate(other)
    with_db(run, other, "update-status", "SEC-1", "partial", "--date", "2024-02-02", "--note", "theirs")
    data = json.loads(with_db(run, other, "export").stdout)
    for rec in data["recommendations"]:
        rec["id"] = rec["id"].lower()
    exported = tmp_path / "lower.json"
    exported.write_text(json.dumps(data), encoding="utf-8")
    run("update-status", "SEC-1", "in-progress", "--date", "2024-01-01", "--note", "mine")
    out = run("import", str(exported)).stdout
    assert "0 added" in out and "1 new events" in out
    ids = [r["id"] for r in json.loads(run("list", "--json").stdout)]
    assert "SEC-1" in ids and "sec-1" not in ids
    notes = [e["note"] for e in json.loads(run("show", "SEC-1", "--json").stdout)["history"]]
    assert notes == ["mine", "theirs"]
