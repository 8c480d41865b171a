import json
import shutil
from pathlib import Path

from alliance_cli.store import files as store
from alliance_cli.store import migrations

from conftest import digest

FIXTURE = Path(__file__).parent / "fixtures" / "tracker-v1.json"


def install_v1(db):
    shutil.copyfile(FIXTURE, db)
    return db.read_bytes()


def test_reading_a_v1_file_upgrades_in_memory_only(run, db):
    original = install_v1(db)
    rows = json.loads(run("list", "--json").stdout)
    assert [(r["id"], r["status"]) for r in rows] == [("DEF-1", "in_progress"), ("TRADE-1", "not_assessed")]
    assert db.read_bytes() == original
    assert not list(db.parent.glob("*.bak-v*"))


def test_first_write_migrates_after_a_backup(run, db):
    original = install_v1(db)
    run("update-status", "trade-1", "partial", "--date", "2024-03-01")
    backup = db.with_name(db.name + ".bak-v1")
    assert backup.read_bytes() == original
    assert backup.stat().st_mode & 0o777 == 0o600
    data = store.load_file(db)
    meta = data["meta"]["1"]
    assert meta["schema"] == migrations.SCHEMA == 2
    assert [m["to"] for m in meta["migrations"]] == [2]
    assert "journal" in data and len(data["journal"]) == 1
    detail = json.loads(run("show", "DEF-1", "--json").stdout)
    assert detail["history"][0]["note"] == "Talks opened"  # nothing lost on the way
    run("update-status", "trade-1", "implemented", "--date", "2024-04-01")
    assert store.load_file(db)["meta"]["1"]["migrations"] == meta["migrations"]  # recorded once
    assert backup.read_bytes() == original  # and the original backup is never overwritten


def test_a_newer_schema_is_refused_never_downgraded(run, db):
    data = json.loads(FIXTURE.read_text())
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
