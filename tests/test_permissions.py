import stat

from alliance_cli.store import paths


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_owner_only(run, db):
    run("update-status", "SEC-1", "partial")
    run("update-status", "SEC-1", "implemented")
    bodies = db.with_name(db.name + ".bodies")
    for path in (db, db.with_name(db.name + ".bak"), db.with_name(db.name + ".lock"), *bodies.iterdir()):
        assert mode(path) == 0o600, path
    assert mode(bodies) == 0o700


def test_default_data_dir_is_created_owner_only(run, tmp_path, monkeypatch):
    monkeypatch.delenv("ALLIANCE_DB")
    run("list")
    created = paths.default_path()
    assert created.is_relative_to(tmp_path) and created.exists()
    assert mode(created.parent) == 0o700 and mode(created) == 0o600
    assert run("path").stdout.splitlines() == [str(created), str(created) + ".bodies"]
    assert mode(created.with_name(created.name + ".bodies")) == 0o700
