"""`alliance sync`: commit, pull (merged by alliance's driver), push; all of it or nothing.

Real git, local bare repositories as the team's remote, each analyst a clone.
"""

import fcntl
import os
from pathlib import Path

import pytest

from conftest import digest
from teamgit import Analyst, git, git_sandbox, start_team


@pytest.fixture(autouse=True)
def sandbox(tmp_path_factory, monkeypatch):
    git_sandbox(tmp_path_factory.mktemp("git-sandbox"), monkeypatch)


@pytest.fixture
def pair(run, tmp_path) -> tuple[Analyst, Analyst]:
    return tuple(start_team(run, tmp_path, ["Ana", "Ben"]))


def where(analyst: Analyst) -> tuple:
    """All a refused sync must leave as it was: the tracker's files (backups included), HEAD,
    the index and what git status says."""
    return (digest(analyst.db), analyst.head(), git(analyst.folder, "ls-files", "--stage"),
            git(analyst.folder, "status", "--porcelain", "--untracked-files=all"))


def refused(analyst: Analyst, message: str) -> None:
    before = where(analyst)
    result = analyst("sync", code=1)
    assert result.stderr.startswith("alliance: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert where(analyst) == before


def event_ids(analyst: Analyst) -> list[str]:
    return [event["id"] for history in analyst.events().values() for event in history]


# --- what a sync does --------------------------------------------------------------------

def test_the_first_sync_pushes_and_tracks_the_remote(run, tmp_path):
    ana = Analyst(run, tmp_path / "ana", "Ana")
    ana.folder.mkdir()
    remote = tmp_path / "team.git"
    git(tmp_path, "init", "-q", "--bare", "team.git")
    ana("git", "init", "--remote", str(remote))
    assert ana("sync").stdout == "pushed to origin/main\n"
    assert git(remote, "rev-parse", "main") == git(ana.folder, "rev-parse", "HEAD")
    assert git(ana.folder, "rev-parse", "--abbrev-ref", "main@{upstream}").strip() == "origin/main"
    assert ana("sync").stdout == "up to date with origin/main\n"


def test_the_commit_message_names_the_commands_since_the_last_sync(pair):
    ana, _ = pair
    ana("update-status", "sec-6", "In progress", "--date", "2024-04-23")
    ana("edit", "econ-2", "--title", "Next steps in the CET Dialogue")
    out = ana("sync").stdout
    assert out == ("committed: update-status SEC-6 in_progress; edit econ-2\n"
                   "pushed to origin/main\n")
    assert git(ana.folder, "log", "-1", "--format=%s%n%an") == (
        "update-status SEC-6 in_progress; edit econ-2\nAna\n")
    ana("update-status", "SEC-2", "implemented", "--date", "2024-01-30")
    ana("undo", "--yes")
    ana("sync")
    assert git(ana.folder, "log", "-1", "--format=%s") == (
        "update-status SEC-2 implemented; undo update-status SEC-2 implemented\n")


def test_a_long_list_of_commands_fits_the_subject_line(pair):
    ana, _ = pair
    for rec in ("SEC-1", "SEC-2", "SEC-3", "SEC-4", "SEC-5", "SEC-6", "SEC-7"):
        ana("update-status", rec, "in-progress")
    ana("sync")
    subject, blank, *body = git(ana.folder, "log", "-1", "--format=%B").rstrip("\n").split("\n")
    assert len(subject) <= 72 and subject.endswith(" more") and blank == ""
    assert body == [f"update-status SEC-{n} in_progress" for n in range(1, 8)]


def test_sync_with_nothing_to_do_changes_nothing(pair):
    ana, ben = pair
    before = where(ben)
    assert ben("sync").stdout == "up to date with origin/main\n"
    assert where(ben) == before


def test_what_came_in_is_said_per_recommendation_by_whom(pair):
    ana, ben = pair
    ana("update-status", "SEC-6", "in-progress")
    ana("update-status", "SEC-6", "partial")
    ana("edit", "ECON-2", "--due", "2027-06-30")
    ana("sync")
    out = ben("sync").stdout.splitlines()
    assert out[0] == "came in from origin/main:"
    assert sorted(out[1:]) == ["  ECON-2: edited", "  SEC-6: 2 new events"]  # recorded_by: once main has it
    assert ben.tracked_bytes() == ana.tracked_bytes()


# --- refusals: one line, exit 1, everything as it was -----------------------------------------

def test_an_unreachable_remote(pair, tmp_path):
    ana, _ = pair
    git(ana.folder, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    ana("update-status", "SEC-6", "in-progress")
    refused(ana, f"cannot reach origin ({tmp_path / 'gone.git'}): ")


def test_a_refused_push(pair, tmp_path):
    ana, _ = pair
    hook = tmp_path / "team.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are closed for the audit' >&2\nexit 1\n")
    hook.chmod(0o755)
    ana("update-status", "SEC-6", "in-progress")
    refused(ana, "origin refused the push (")


def test_a_repository_in_the_middle_of_a_merge(pair):
    ana, _ = pair
    _diverge_on_a_note(ana)
    git(ana.folder, "merge", "-q", "side", check=False)
    assert git(ana.folder, "rev-parse", "-q", "--verify", "MERGE_HEAD", check=False)
    ana("update-status", "SEC-6", "in-progress")
    refused(ana, "is in the middle of a merge: finish or abort it")


def test_a_repository_in_the_middle_of_a_rebase(pair):
    ana, _ = pair
    _diverge_on_a_note(ana)
    git(ana.folder, "rebase", "-q", "side", check=False)
    assert (ana.folder / git(ana.folder, "rev-parse", "--git-path", "rebase-merge").strip()).exists()
    ana("update-status", "SEC-6", "in-progress")
    refused(ana, "is in the middle of a rebase")


def _diverge_on_a_note(analyst: Analyst) -> None:
    """A branch ``side`` and the current one change notes.txt differently (a real conflict)."""
    notes = analyst.folder / "notes.txt"
    notes.write_text("one\n")
    git(analyst.folder, "add", "notes.txt")
    git(analyst.folder, "commit", "-qm", "notes")
    git(analyst.folder, "switch", "-q", "-c", "side")
    notes.write_text("side\n")
    git(analyst.folder, "commit", "-qam", "side notes")
    git(analyst.folder, "switch", "-q", "main")
    notes.write_text("main\n")
    git(analyst.folder, "commit", "-qam", "main notes")


def test_a_dirty_tree_outside_the_tracker(pair):
    ana, _ = pair
    with open(ana.folder / ".gitignore", "a") as ignore:
        ignore.write("*.pdf\n")
    ana("update-status", "SEC-6", "in-progress")
    refused(ana, ".gitignore changed outside the tracker in ")


def test_an_untracked_file_outside_the_tracker_is_no_obstacle(pair):
    ana, _ = pair
    (ana.folder / "draft.txt").write_text("mine\n")
    ana("update-status", "SEC-6", "in-progress")
    ana("sync")
    assert git(ana.folder, "status", "--porcelain") == "?? draft.txt\n"


def test_a_detached_head(pair):
    ana, _ = pair
    git(ana.folder, "switch", "-q", "--detach")
    refused(ana, "has no branch checked out (detached HEAD)")


def test_a_clone_without_the_driver(run, pair, tmp_path):
    git(tmp_path, "clone", "-q", str(tmp_path / "team.git"), "cai")
    cai = Analyst(run, tmp_path / "cai", "Cai")
    refused(cai, "does not merge the tracker with alliance yet: run `alliance git init`")


def test_a_tracker_in_no_repository(run, tmp_path):
    loose = Analyst(run, tmp_path / "loose", "Lou")
    loose.folder.mkdir()
    loose("list")
    before = digest(loose.db)
    result = loose("sync", code=1)
    assert result.stderr == (f"alliance: {loose.folder} is not in a git repository: "
                             "run `alliance git init --remote URL` first\n")
    assert digest(loose.db) == before and not (loose.folder / ".git").exists()


def test_no_remote(run, tmp_path):
    solo = Analyst(run, tmp_path / "solo", "Sol")
    solo.folder.mkdir()
    solo("git", "init")
    refused(solo, "there is no remote to sync with: run `alliance git init --remote URL`")


def test_sync_holds_the_tracker_lock(pair):
    """No alliance write can run beside a sync: it takes the same lock, and waits for it."""
    ana, _ = pair
    ana("update-status", "SEC-6", "in-progress")
    fd = os.open(ana.db.with_name(ana.db.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        before = where(ana)
        result = ana.run("--db", str(ana.db), "sync", code=1, env={"ALLIANCE_LOCK_TIMEOUT": "0"})
        assert "the tracker is busy" in result.stderr
        assert where(ana) == before
    finally:
        os.close(fd)
    ana("sync")


def test_pull_settings_of_the_user_change_nothing(pair):
    """pull.rebase, pull.ff=only, merge.ff=false: a sync still merges (so that the driver runs)."""
    ana, ben = pair
    for key, value in (("pull.rebase", "true"), ("pull.ff", "only"), ("merge.ff", "false"),
                       ("rebase.autoStash", "true")):
        git(ben.folder, "config", key, value)
    ana("update-status", "SEC-6", "in-progress")
    ana("sync")
    ben("sync")  # nothing of Ben's: a fast-forward, even with merge.ff=false
    assert ben.head() == ana.head()


def test_the_files_git_must_never_see(pair):
    ana, _ = pair
    ana("update-status", "SEC-6", "in-progress")
    ana("sync")
    shared = git(ana.folder, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert not [name for name in shared if name.endswith((".bak", ".lock"))]
    assert Path(ana.db.with_name(ana.db.name + ".bak")).exists()
