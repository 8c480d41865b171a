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


def test_a_save_keeps_the_mode_and_group_of_a_team_tracker(run, db):
    import grp
    import os

    run("update-status", "SEC-1", "partial")
    group = next((g.gr_gid for g in grp.getgrall() if g.gr_gid != os.getgid()), os.getgid())
    bodies = db.with_name(db.name + ".bodies")
    for path in (db, *bodies.glob("*.json")):
        os.chown(path, -1, group)
        path.chmod(0o640)
    run("update-status", "SEC-1", "implemented")
    run("add", "--pillar", "ECON", "--title", "A new body file may be needed for this one", "--id", "ECON-77")
    for path in (db, *bodies.glob("*.json")):
        assert mode(path) == 0o640, path
        assert path.stat().st_gid == group, path


def test_output_files_follow_the_umask_and_tracker_files_stay_private(run, db, tmp_path):
    import os

    old = os.umask(0o022)
    try:
        run("report", "-o", str(tmp_path / "report.md"))
        run("export", "-o", str(tmp_path / "export.json"))
        run("update-status", "SEC-1", "partial")
    finally:
        os.umask(old)
    assert mode(tmp_path / "report.md") == 0o644 and mode(tmp_path / "export.json") == 0o644
    assert mode(db) == 0o600
