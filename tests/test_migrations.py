"""Trackers written by earlier releases upgrade without losing anything.

``fixtures/tracker-v1.json`` is a hand-written first-version file.
``fixtures/tracker-v2.json`` was written by the last single-file release
(commit 8c54003) through its CLI: back-dated, downgraded and undone events, an
edit, an add, an import and a journal of ten commands. ``tracker-v2.expected.json``
holds what that release printed for it (``show --json`` of every
recommendation, ``report --json --as-of 2026-11-30 --since 2024-01-01 --compare
2024-06-30`` and ``log --json``, with SOURCE_DATE_EPOCH=1796000000): the upgraded
tracker must print the same.
"""

import json
import shutil
from pathlib import Path

import orjson
import pytest

from alliance_cli.core.brief import load_brief, shipped_brief_path
from alliance_cli.core.model import REC_FIELDS
from alliance_cli.core.statuses import DEFAULT_SCALE
from alliance_cli.store import layout, migrations

from conftest import TESTER, digest, tree_state

FIXTURES = Path(__file__).parent / "fixtures"
V1, V2 = FIXTURES / "tracker-v1.json", FIXTURES / "tracker-v2.json"
EXPECTED = json.loads((FIXTURES / "tracker-v2.expected.json").read_text(encoding="utf-8"))
PINNED = {"SOURCE_DATE_EPOCH": "1796000000"}
REPORT = ("report", "--json", "--as-of", "2026-11-30", "--since", "2024-01-01", "--compare", "2024-06-30")


def install(fixture: Path, db: Path) -> bytes:
    shutil.copyfile(fixture, db)
    return db.read_bytes()


def outputs(run) -> dict:
    """What the commands print, without the fields schema 5 added (JSON fields are only ever
    added), so that it compares with what the last release printed."""
    ids = [r["id"] for r in json.loads(run("list", "--json").stdout)]
    report = json.loads(run(*REPORT, env=PINNED).stdout)
    for change in report["recent"] + [c for key in CHANGE_LISTS for c in report["changes_since"][key]]:
        for name in ("kind", "by", "recorded_by"):
            change.pop(name)
    # Schema 5 splits first assessments and reassessments from the score's moves: as one list again.
    since = report["changes_since"]
    since["upgrades"] = sorted(since.pop("assessments") + since["upgrades"] + since.pop("reassessments")
                               + since["other"], key=lambda c: c["event"])
    since.pop("other")
    return {"show": {i: _old_show(json.loads(run("show", i, "--json").stdout)) for i in ids},
            "report": report,
            "log": [{k: v for k, v in row.items() if k not in ("by", "recorded_by")}
                    for row in json.loads(run("log", "--json").stdout)]}


CHANGE_LISTS = ("assessments", "upgrades", "downgrades", "other", "reassessments", "new_evidence")


def _old_show(shown: dict) -> dict:
    shown.pop("issued")
    shown["history"] = [{k: v for k, v in e.items() if k not in ("by", "recorded_by")} for e in shown["history"]]
    return shown


def test_reading_a_v1_file_upgrades_in_memory_only(run, db):
    original = install(V1, db)
    rows = json.loads(run("list", "--json").stdout)
    assert [(r["id"], r["status"]) for r in rows] == [("DEF-1", "in_progress"), ("TRADE-1", "not_assessed")]
    assert db.read_bytes() == original
    assert not list(db.parent.glob("*.bak-v*")) and not layout.bodies_dir(db).exists()


def test_first_write_migrates_v1_after_a_backup(run, db):
    original = install(V1, db)
    run("update-status", "trade-1", "partial", "--date", "2024-03-01")
    backup = db.with_name(db.name + ".bak-v1")
    assert backup.read_bytes() == original
    assert backup.stat().st_mode == db.stat().st_mode  # the user's file, kept as it was
    head = orjson.loads(db.read_bytes())
    meta = head["meta"]["1"]
    assert meta["schema"] == migrations.SCHEMA == 5
    assert [m["to"] for m in meta["migrations"]] == [2, 3, 4, 5]
    assert len(head["journal"]) == 1 and set(head["recommendations"]) == {"DEF-1", "TRADE-1"}
    assert layout.bodies_dir(db).is_dir()
    detail = json.loads(run("show", "DEF-1", "--json").stdout)
    assert detail["history"][0]["note"] == "Talks opened"  # nothing lost on the way
    run("update-status", "trade-1", "implemented", "--date", "2024-04-01")
    assert orjson.loads(db.read_bytes())["meta"]["1"]["migrations"] == meta["migrations"]  # recorded once
    assert backup.read_bytes() == original  # and the original backup is never overwritten


FIRST_EDITION = {r["id"]: r for r in load_brief(shipped_brief_path().parent / migrations.PREVIOUS_EDITION)
                 ["recommendations"]}
SECOND_EDITION = {r["id"]: r for r in load_brief(shipped_brief_path())["recommendations"]}
NEW_IN_SECOND = sorted(set(SECOND_EDITION) - set(FIRST_EDITION))


def second_edition(shown: dict) -> dict:
    """What the v4 step must make of a recommendation as the last release showed it:
    each field still as the first edition shipped it takes the second edition's value."""
    first, second = FIRST_EDITION.get(shown["id"]), SECOND_EDITION.get(shown["id"])
    if first is None or second is None:
        return shown
    changed = {f: second.get(f) for f in REC_FIELDS if shown.get(f) == first.get(f) != second.get(f)}
    return {**shown, **{f: v for f, v in changed.items() if v is not None}}


def assert_log_as_the_release_printed_it(log: list[dict]) -> None:
    """The release's rows, each with its fields as it printed them (fields are only added), but the
    undo's note, which now reads as an undo; and beside them the journal's other commands."""
    old_fields = list(EXPECTED["log"][0])
    then = [{**r, "note": ""} if r["kind"] == "undo" else r for r in EXPECTED["log"]]
    now = [{**{k: r[k] for k in old_fields}, **({"note": ""} if r["kind"] == "undo" else {})}
           for r in log if r["kind"] in ("status", "undo")]
    assert now == then
    undo = next(r for r in log if r["kind"] == "undo")
    assert undo["note"] == ("undo of `update-status ECON-3 in-progress`: removed not_assessed -> in_progress "
                            "of 2024-06-01")
    assert [r["command"] for r in log if r["kind"] not in ("status", "undo")] == [
        "import /tmp/fx/other/export.json", "add CLIMATE-4", "edit ECON-2"]


def test_a_v2_tracker_reads_as_the_last_release_printed_it_in_the_second_edition(run, db):
    original = install(V2, db)
    now = outputs(run)
    assert db.read_bytes() == original  # a read upgrades in memory only
    assert NEW_IN_SECOND == ["ECON-5", "ECON-6", "ECON-7"]
    assert {i: now["show"][i] for i in EXPECTED["show"]} == {i: second_edition(v) for i, v in EXPECTED["show"].items()}
    assert now["show"]["ECON-2"]["title"] == EXPECTED["show"]["ECON-2"]["title"]  # kept: it was edited
    for new in NEW_IN_SECOND:
        shown = now["show"][new]
        assert (shown["status"], shown["history"], shown["title"]) == ("not_assessed", [], SECOND_EDITION[new]["title"])
    assert_log_as_the_release_printed_it(now["log"])
    for part in ("recent", "attention"):
        assert now["report"][part] == EXPECTED["report"][part], part
    before_since = EXPECTED["report"]["changes_since"]
    moved = sorted(before_since["upgrades"] + before_since.get("other", []), key=lambda c: c["event"])
    assert now["report"]["changes_since"]["upgrades"] == moved
    for part in ("downgrades", "new_evidence"):
        assert now["report"]["changes_since"][part] == before_since[part], part
    overall, before = now["report"]["overall"], EXPECTED["report"]["overall"]
    assert (overall["implemented"], overall["total"]) == (before["implemented"], before["total"] + 3)
    ids = [r["id"] for r in json.loads(run("list", "--json").stdout)]
    assert ids.index("ECON-5") == ids.index("ECON-4") + 1  # placed with its pillar


def test_a_v2_tracker_upgrades_on_its_first_write_losing_nothing(run, db):
    original = install(V2, db)
    legacy_index = db.with_name(db.name + ".index")
    legacy_index.write_text("{}")  # what that release kept beside its file
    result = run("update-status", "ECON-4", "in-progress", "--date", "2024-03-02", "--note", "after the upgrade")
    assert "added ECON-5, ECON-6, ECON-7 to this tracker, not assessed" in result.stderr  # said once, here
    assert "ECON-5" not in run("update-status", "ECON-4", "partial").stderr
    run("undo", "--yes")
    assert db.with_name(db.name + ".bak-v2").read_bytes() == original
    assert not legacy_index.exists()
    assert orjson.loads(db.read_bytes())["meta"]["1"]["schema"] == migrations.SCHEMA
    run("undo", "--yes")  # the update made after the upgrade
    assert {i: v for i, v in outputs(run)["show"].items() if i in EXPECTED["show"]} == \
        {i: second_edition(v) for i, v in EXPECTED["show"].items()}
    assert [{k: r[k] for k in EXPECTED["log"][0]} for r in outputs(run)["log"] if r["kind"] == "status"] == \
        [r for r in EXPECTED["log"] if r["kind"] == "status"]
    # The journal came through: the next undo reverts the release's last command, the import.
    assert "undone: import" in run("undo", "--yes").stdout
    climate = json.loads(run("show", "CLIMATE-1", "--json").stdout)
    assert climate["history"] == [] and climate["status"] == "not_assessed"
    assert json.loads(run("show", "ECON-2", "--json").stdout)["title"] == "Take next steps in the CET Dialogue"


@pytest.mark.parametrize("fixture", [V1, V2], ids=["v1", "v2"])
def test_a_refused_command_on_an_old_tracker_writes_nothing_not_even_a_backup(run, db, fixture):
    install(fixture, db)
    before = tree_state(db.parent)
    run("update-status", "SEC-99", "partial", code=2)
    run("update-status", "DEF-1" if fixture == V1 else "SEC-1", "done", code=2)
    assert tree_state(db.parent) == before


def test_a_hand_edited_old_tracker_is_refused_with_the_field(run, db):
    data = json.loads(V2.read_text(encoding="utf-8"))
    data["recommendations"]["2"]["history"][0]["date"] = "1066-10-14"  # SEC-2, second in order
    db.write_text(json.dumps(data), encoding="utf-8")
    before = digest(db)
    result = run("update-status", "SEC-1", "partial", code=1)
    assert f"{db}: recommendations[1].history[0].date: 1066-10-14 is before 1950" in result.stderr
    assert result.stderr.count("\n") == 1 and digest(db) == before


def test_a_newer_schema_is_refused_never_downgraded(run, db):
    data = json.loads(V1.read_text())
    data["meta"]["1"]["schema"] = migrations.SCHEMA + 1
    db.write_text(json.dumps(data))
    before = digest(db)
    for args in (["list"], ["update-status", "DEF-1", "partial"]):
        result = run(*args, code=1)
        assert "newer alliance" in result.stderr and str(db) in result.stderr
    assert digest(db) == before


def test_migrations_are_ordered_and_end_at_schema():
    targets = [target for target, _ in migrations.MIGRATIONS]
    assert targets == sorted(targets) == list(range(2, migrations.SCHEMA + 1))


# Written from the v2 fixture by this code with its migrations cut at 3, then an update and a text
# edit at schema 3 (schema 3 is the first head-and-bodies layout; 4 is the shipped brief's second edition).
V3 = FIXTURES / "tracker-v3"


def test_a_v3_tracker_of_head_and_bodies_upgrades_whole(run, db):
    shutil.copyfile(V3 / "tracker.json", db)
    shutil.copytree(V3 / "tracker.json.bodies", layout.bodies_dir(db))
    events = {s.split(" ")[2] for r in orjson.loads(db.read_bytes())["recommendations"].values() for s in r["history"]}
    before_read = tree_state(db.parent)
    shown = {r["id"]: json.loads(run("show", r["id"], "--json").stdout)
             for r in json.loads(run("list", "--json").stdout)}
    assert tree_state(db.parent) == before_read  # read: upgraded in memory only
    assert shown["SEC-7"]["text"] == "Hand-edited text at schema 3"
    assert shown["SEC-7"]["sources"] == SECOND_EDITION["SEC-7"]["sources"]
    run("update-status", "SEC-1", "partial", "--note", "first write at schema 4")
    backup = migrations.backup_path(db, 3)
    assert backup.read_bytes() == (V3 / "tracker.json").read_bytes()
    kept = sorted(p.name for p in layout.bodies_dir(backup).iterdir())
    assert kept == sorted(p.name for p in (V3 / "tracker.json.bodies").iterdir())
    assert "ECON-5" in run("--db", str(backup), "list").stdout  # the backup is a whole tracker too
    after = {r["id"]: json.loads(run("show", r["id"], "--json").stdout)
             for r in json.loads(run("list", "--json").stdout)}
    assert {e["id"] for r in after.values() for e in r["history"]} - events == \
        {after["SEC-1"]["history"][-1]["id"]}
    assert {i: v for i, v in after.items() if i != "SEC-1"} == {i: v for i, v in shown.items() if i != "SEC-1"}
    assert orjson.loads(db.read_bytes())["meta"]["1"]["schema"] == migrations.SCHEMA


def test_v5_gives_the_default_scale_issue_dates_that_keep_every_history_and_journal_ids(run, db):
    install(V2, db)
    shown = {r["id"]: json.loads(run("show", r["id"], "--json").stdout)
             for r in json.loads(run("list", "--json").stdout)}
    # The brief's publication, unless a recommendation's history began earlier (CYBER-1's did).
    assert shown["CYBER-1"]["issued"] == shown["CYBER-1"]["history"][0]["date"] == "2023-11-02"
    for rec in shown.values():
        first = min([e["date"] for e in rec["history"]], default="9999")
        assert rec["issued"] == min(first, "2024-03-01"), rec["id"]
    assert all(e["by"] == e["recorded_by"] == "" for rec in shown.values() for e in rec["history"])
    run("update-status", "SEC-8", "partial")  # the first write saves the upgrade
    head = orjson.loads(db.read_bytes())
    meta, journal = head["meta"]["1"], [head["journal"][k] for k in sorted(head["journal"], key=int)]
    assert [s["id"] for s in meta["statuses"]] == list(DEFAULT_SCALE.names) and meta["review_days"] == 180
    ids = [entry["id"] for entry in journal]
    assert len(set(ids)) == len(ids) and all(len(i) == 16 for i in ids)
    assert all(entry["undoes"] in ids for entry in journal if "undoes" in entry)
    assert journal[-1]["recorded_by"] == TESTER and all(e["recorded_by"] == "" for e in journal[:-1])
