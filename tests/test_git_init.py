"""`alliance git init`: the tracker's folder becomes a repository that merges it with alliance."""

import shlex
from pathlib import Path

import pytest

from conftest import digest, tree_state
from teamgit import Analyst, bare_repository, git, git_sandbox


@pytest.fixture(autouse=True)
def sandbox(tmp_path_factory, monkeypatch):
    git_sandbox(tmp_path_factory.mktemp("git-sandbox"), monkeypatch)


def test_init_creates_the_repository_and_says_each_step(run, seeded, tmp_path):
    out = run("git", "init").stdout.splitlines()
    assert out[0] == f"created a git repository in {tmp_path}"
    assert out[1].startswith("registered the merge driver in .git/config: merge.alliance.driver = ")
    assert out[2:] == ["wrote .gitattributes: /tracker.json merge=alliance, *.bodies/*.json merge=alliance",
                       "wrote .gitignore: *.lock, *.bak, *.bak-v*, *.replaced-*, .alliance-tmp-*",
                       "committed .gitattributes, .gitignore, tracker.json, tracker.json.bodies"]
    # git itself says the head and every body file go to the driver, and backups are ignored.
    bodies = sorted(p.name for p in (tmp_path / "tracker.json.bodies").glob("*.json"))
    for name in ["tracker.json", *(f"tracker.json.bodies/{b}" for b in bodies)]:
        assert git(tmp_path, "check-attr", "merge", "--", name).strip().endswith("merge: alliance")
    assert git(tmp_path, "check-ignore", "tracker.json.bak", "tracker.json.lock").split() == [
        "tracker.json.bak", "tracker.json.lock"]
    committed = git(tmp_path, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert committed == [".gitattributes", ".gitignore", "tracker.json",
                         *(f"tracker.json.bodies/{b}" for b in bodies)]
    assert git(tmp_path, "status", "--porcelain") == ""


def test_the_driver_is_this_alliance_by_absolute_path(run, seeded, tmp_path):
    """git runs the driver from a shell that may not have alliance's environment on PATH."""
    run("git", "init")
    command = shlex.split(git(tmp_path, "config", "merge.alliance.driver"))
    assert Path(command[0]).is_absolute() and Path(command[0]).name == "alliance"
    assert command[1:] == ["merge-driver", "%O", "%A", "%B", "%P"]
    assert git(tmp_path, "config", "merge.alliance.name").strip()
    # The very program: it answers as alliance does.
    import subprocess

    version = subprocess.run([command[0], "--version"], capture_output=True, text=True, check=True).stdout
    assert version == run("--version").stdout


def test_a_second_init_does_nothing_and_says_so(run, seeded, tmp_path):
    run("git", "init")
    before = work_files(tmp_path), git(tmp_path, "rev-parse", "HEAD"), git(tmp_path, "config", "--list", "--local")
    out = run("git", "init").stdout
    assert out == f"already set up: {seeded} is shared in git and merged by alliance\n"
    assert (work_files(tmp_path), git(tmp_path, "rev-parse", "HEAD"),
            git(tmp_path, "config", "--list", "--local")) == before


def work_files(folder: Path) -> dict[str, str]:
    """Every file but git's own (whose index git refreshes as it likes)."""
    return {name: hashed for name, hashed in tree_state(folder).items() if not name.startswith(".git/")}


def test_init_uses_the_enclosing_repository_and_commits_only_its_own(run, tmp_path):
    """A tracker in a folder of a larger repository: that repository, and nothing else staged goes in."""
    git(tmp_path, "init", "-q")
    (tmp_path / "notes.txt").write_text("draft\n")
    git(tmp_path, "add", "notes.txt")  # staged by the user, not ours to commit
    folder = tmp_path / "tracking"
    folder.mkdir()
    db = folder / "us-rok.json"
    out = run("--db", str(db), "git", "init").stdout
    assert "created a git repository" not in out
    assert ("committed tracking/.gitattributes, tracking/.gitignore, tracking/us-rok.json, "
            "tracking/us-rok.json.bodies") in out
    committed = git(tmp_path, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert "notes.txt" not in committed and "tracking/us-rok.json" in committed
    assert "tracking/.gitattributes" in committed
    assert git(tmp_path, "status", "--porcelain").splitlines() == ["A  notes.txt"]
    assert git(tmp_path, "check-attr", "merge", "--", "tracking/us-rok.json").strip().endswith("alliance")


def test_init_keeps_what_the_attribute_and_ignore_files_hold(run, seeded, tmp_path):
    (tmp_path / ".gitattributes").write_text("*.pdf binary")  # no final newline
    (tmp_path / ".gitignore").write_text("*.bak\n/drafts/\n")
    out = run("git", "init").stdout
    assert "added to .gitattributes: /tracker.json merge=alliance, *.bodies/*.json merge=alliance" in out
    assert "added to .gitignore: *.lock, *.bak-v*, *.replaced-*, .alliance-tmp-*" in out
    assert (tmp_path / ".gitattributes").read_text() == (
        "*.pdf binary\n/tracker.json merge=alliance\n*.bodies/*.json merge=alliance\n")
    assert (tmp_path / ".gitignore").read_text().startswith("*.bak\n/drafts/\n*.lock\n")


def test_an_existing_tracker_is_not_recommitted(run, seeded, tmp_path):
    """`git init` commits a tracker git does not have yet; later changes are `sync`'s to commit."""
    run("git", "init")
    run("update-status", "SEC-6", "in-progress")
    head = git(tmp_path, "rev-parse", "HEAD")
    assert run("git", "init").stdout.startswith("already set up")
    assert git(tmp_path, "rev-parse", "HEAD") == head
    assert git(tmp_path, "status", "--porcelain", "--", "tracker.json").startswith(" M")


def test_remote_is_added_then_replaced(run, seeded, tmp_path):
    first, second = bare_repository(tmp_path / "one.git"), bare_repository(tmp_path / "two.git")
    assert run("git", "init", "--remote", str(first)).stdout.splitlines()[-1] == f"added remote origin: {first}"
    assert run("git", "init", "--remote", str(first)).stdout.startswith("already set up")
    out = run("git", "init", "--remote", str(second)).stdout
    assert out == f"set remote origin to {second} (was {first})\n"
    assert git(tmp_path, "remote", "get-url", "origin").strip() == str(second)


@pytest.mark.parametrize("url", ["", "--upload-pack=evil", "https://example.org/a\nb"])
def test_a_bad_remote_is_refused_before_anything_is_done(run, seeded, tmp_path, url):
    before = tree_state(tmp_path)
    result = run("git", "init", "--remote", url, code=2)
    assert result.stderr.startswith("alliance: --remote ") and result.stderr.count("\n") == 1
    assert tree_state(tmp_path) == before and not (tmp_path / ".git").exists()


def test_a_clone_sets_up_its_own_driver(run, tmp_path):
    """.git/config does not travel with a clone: each analyst runs `git init` once."""
    remote = bare_repository(tmp_path / "team.git")
    (tmp_path / "a").mkdir()
    first = Analyst(run, tmp_path / "a", "Ana")
    first("git", "init", "--remote", str(remote))
    first("sync")
    git(tmp_path, "clone", "-q", str(remote), "b")
    second = Analyst(run, tmp_path / "b", "Ben")
    before = digest(second.db)
    out = second("git", "init").stdout.splitlines()
    assert len(out) == 1 and out[0].startswith("registered the merge driver")
    assert digest(second.db) == before and git(second.folder, "status", "--porcelain") == ""


def test_a_clone_without_the_tracker_checked_out_starts_no_second_one(run, tmp_path):
    """A clone of a remote whose default branch is not the team's: no tracker was checked
    out, and a new one committed here would never meet the team's."""
    remote = bare_repository(tmp_path / "team.git")
    git(remote, "symbolic-ref", "HEAD", "refs/heads/trunk")  # not the branch Ana pushes
    (tmp_path / "a").mkdir()
    first = Analyst(run, tmp_path / "a", "Ana")
    first("git", "init", "--remote", str(remote))
    first("sync")
    git(tmp_path, "clone", "-q", str(remote), "b")
    second = Analyst(run, tmp_path / "b", "Ben")
    result = second("git", "init", code=1)
    assert result.stderr == (f"alliance: there is no tracker at {second.db}, but this repository has the "
                             "team's branches (origin/main): check out the one that holds the tracker "
                             "(`git switch NAME`), or point --db or ALLIANCE_DB at it\n")
    assert sorted(p.name for p in second.folder.iterdir()) == [".git"]
    git(second.folder, "switch", "-q", "main")
    assert second("git", "init").stdout.startswith("registered the merge driver")


@pytest.mark.parametrize("name", ["team tracker.json", "us[rok]*.json", "#1 tracker.json", "my [team] *.json"])
def test_a_head_of_any_name_goes_to_the_driver(run, tmp_path, name):
    """Spaces and glob characters are quoted in .gitattributes: the pattern names that file only."""
    db = tmp_path / name
    run("--db", str(db), "git", "init")
    assert git(tmp_path, "check-attr", "merge", "--", name).strip().endswith("merge: alliance")
    (tmp_path / "other.json").write_text("{}\n")
    assert git(tmp_path, "check-attr", "merge", "--", "other.json").strip().endswith("merge: unspecified")
    assert git(tmp_path, "status", "--porcelain", "--", name) == ""


def test_a_driver_registered_by_another_alliance_is_updated(run, seeded, tmp_path):
    run("git", "init")
    right = git(tmp_path, "config", "merge.alliance.driver").strip()
    git(tmp_path, "config", "merge.alliance.driver", "/gone/venv/bin/alliance merge-driver %O %A %B %P")
    out = run("git", "init").stdout
    assert out == (f"updated the merge driver in .git/config: merge.alliance.driver = {right} "
                   "(was /gone/venv/bin/alliance merge-driver %O %A %B %P)\n")
    assert git(tmp_path, "config", "merge.alliance.driver").strip() == right
