"""`alliance sync`: commit, pull (merged by alliance's driver), push; all of it or nothing.

Real git, local bare repositories as the team's remote, each analyst a clone.
"""

import fcntl
import os
from pathlib import Path

import pytest

from conftest import Run, digest
from teamgit import Analyst, copy_team, git, git_sandbox, start_team


@pytest.fixture(autouse=True)
def sandbox(tmp_path_factory, monkeypatch):
    git_sandbox(tmp_path_factory.mktemp("git-sandbox"), monkeypatch)


@pytest.fixture(scope="module")
def team_template(tmp_path_factory) -> Path:
    """Ana and Ben set up once (Ana's `git init --remote` and first sync, Ben's clone and `git init`)."""
    folder = tmp_path_factory.mktemp("team-template")
    with pytest.MonkeyPatch.context() as patch:
        git_sandbox(tmp_path_factory.mktemp("git-sandbox"), patch)
        patch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
        start_team(Run(), folder, ["Ana", "Ben"])
    return folder


@pytest.fixture
def pair(run, tmp_path, team_template) -> tuple[Analyst, Analyst]:
    return tuple(copy_team(team_template, tmp_path, run, ["Ana", "Ben"]))


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
    ana("update-status", "SEC-2", "implemented", "--date", "2024-04-26")
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
    ana.run("--db", str(ana.db), "update-status", "SEC-6", "partial", env={"ALLIANCE_USER": "Dana Reviewer"})
    ana("update-status", "SEC-1", "in-progress")
    ana("edit", "ECON-2", "--due", "2027-06-30", "--text", "Take the next steps in the CET Dialogue.")
    ana("edit", "CLIMATE-1", "--title", "Expand CEDI and the Carbon-Free Alliance")
    ana("add", "--pillar", "CYBER", "--title", "Share threat intelligence in real time")
    ana("sync")
    out = ben("sync").stdout.splitlines()
    assert out[0] == "came in from origin/main:"
    assert out[1:] == ["  SEC-1: 1 new event by Ana", "  SEC-6: 2 new events by Ana, Dana Reviewer",
                       "  ECON-2: edited (due, details) by Ana", "  CLIMATE-1: edited (title) by Ana",
                       "  CYBER-2: added by Ana"]  # in the brief's order
    assert ben.tracked_bytes() == ana.tracked_bytes()


# --- refusals: one line, exit 1, everything as it was -----------------------------------------

def test_an_unreachable_remote(pair, tmp_path):
    ana, _ = pair
    git(ana.folder, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    ana("update-status", "SEC-6", "in-progress")
    refused(ana, f"cannot reach origin ({tmp_path / 'gone.git'}): ")


def test_a_remote_asking_for_a_password_fails_at_once(pair):
    """GIT_TERMINAL_PROMPT=0: git gives up at once rather than wait for someone to type."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class AskForPassword(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="team"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), AskForPassword)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ana, _ = pair
        url = f"http://127.0.0.1:{server.server_port}/team.git"
        git(ana.folder, "remote", "set-url", "origin", url)
        ana("update-status", "SEC-6", "in-progress")
        refused(ana, f"cannot reach origin ({url}): fatal: could not read Username for "
                     f"'http://127.0.0.1:{server.server_port}': terminal prompts disabled")
    finally:
        server.shutdown()
        server.server_close()


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


def test_a_pull_that_would_overwrite_an_untracked_file(pair):
    """git refuses to merge over a file of Ben's it does not track: the sync is undone."""
    ana, ben = pair
    (ana.folder / "minutes.txt").write_text("Ana's minutes\n")
    git(ana.folder, "add", "minutes.txt")
    git(ana.folder, "commit", "-qm", "minutes")
    ana("update-status", "SEC-6", "in-progress")
    ana("sync")
    (ben.folder / "minutes.txt").write_text("Ben's own minutes\n")
    ben("update-status", "SEC-1", "implemented")
    refused(ben, "git pull from origin failed: error: The following untracked working tree files would be "
                 "overwritten by merge: minutes.txt")
    assert (ben.folder / "minutes.txt").read_text() == "Ben's own minutes\n"


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


# --- two analysts --------------------------------------------------------------------------

def test_two_analysts_end_with_one_tracker_and_nothing_undone_comes_back(pair):
    ana, ben = pair
    ana("update-status", "SEC-6", "in-progress", "--date", "2024-04-23", "--note", "SMA talks opened")
    ana("edit", "ECON-2", "--title", "Next steps in the CET Dialogue")
    ana("update-status", "ECON-1", "partial", "--note", "to be undone once shared")
    ben("update-status", "SEC-1", "implemented", "--date", "2024-04-26")
    ben("update-status", "CYBER-1", "stalled", "--note", "undone before it was ever shared")
    ben("undo", "--yes")
    ben("edit", "CLIMATE-1", "--due", "2027-01-01")
    ana("sync")
    ben("sync")
    shared = {e["id"] for e in ben.events()["ECON-1"]}
    assert len(shared) == 1
    ana("undo", "--yes")  # Ana's last command, already in Ben's copy
    ana("sync")
    assert ben("sync").stdout == "came in from origin/main:\n  ECON-1: 1 event undone by Ana\n"
    assert ana.tracked_bytes() == ben.tracked_bytes()
    assert ana.head() == ben.head()
    for analyst in (ana, ben):
        events = analyst.events()
        assert [e["to"] for e in events["SEC-6"]] == ["in_progress"]
        assert [e["to"] for e in events["SEC-1"]] == ["implemented"]
        assert events["ECON-1"] == [] and events["CYBER-1"] == []
        ids = event_ids(analyst)
        assert len(ids) == len(set(ids)) == 2
        recs = {r["id"]: r for r in analyst.export()["recommendations"]}
        assert recs["ECON-2"]["title"] == "Next steps in the CET Dialogue"
        assert recs["CLIMATE-1"]["due"] == "2027-01-01"


def test_one_title_edited_on_both_sides_stops_the_sync_until_it_is_resolved(pair):
    ana, ben = pair
    ana("edit", "SEC-3", "--title", "Consider ROK roles with NATO")
    ana("update-status", "SEC-3", "in-progress")
    ben("edit", "SEC-3", "--title", "Consider ROK roles in AUKUS Pillar II")
    ana("sync")
    result = ben("sync", code=1)
    assert result.stdout.splitlines()[:2] == ["committed: edit SEC-3", "came in from origin/main:"]
    assert result.stderr == ("alliance: the pull brought 1 conflict, kept in the tracker with both values: see "
                             "`alliance conflicts`, settle each with `alliance conflicts resolve`, then sync "
                             "again (nothing was pushed)\n")
    listed = ben.run("--db", str(ben.db), "conflicts", "--json").stdout
    import json

    [conflict] = json.loads(listed)
    assert (conflict["id"], conflict["field"]) == ("SEC-3", "title")
    assert {conflict["ours"], conflict["theirs"]} == {"Consider ROK roles with NATO",
                                                      "Consider ROK roles in AUKUS Pillar II"}
    assert git(ben.folder, "status", "--porcelain") == ""  # the merge is committed, conflicts inside
    subject, parents = git(ben.folder, "log", "-1", "--format=%s%n%P").splitlines()
    assert subject == "Merge origin/main, with 1 conflict to resolve" and len(parents.split()) == 2
    assert git(ben.folder, "rev-parse", "origin/main") == git(ana.folder, "rev-parse", "HEAD")  # not pushed
    refused(ben, "the tracker holds 1 open conflict: see `alliance conflicts`")
    ben("conflicts", "resolve", "SEC-3", "title", "--value", "Consider ROK roles with NATO and in AUKUS")
    out = ben("sync").stdout
    assert out == "committed: conflicts resolve SEC-3 title\npushed to origin/main\n"
    ana("sync")
    assert ana.tracked_bytes() == ben.tracked_bytes()
    [sec3] = [r for r in ana.export()["recommendations"] if r["id"] == "SEC-3"]
    assert sec3["title"] == "Consider ROK roles with NATO and in AUKUS"
    assert [e["to"] for e in sec3["history"]] == ["in_progress"]
    assert ana("conflicts", "--json").stdout == "[]\n"


def test_a_refused_push_after_a_merge_undoes_the_merge(pair, tmp_path):
    """The pull merged, then the remote refused the push: the sync is undone entirely
    (HEAD, index and tracker as before it), never left half done."""
    ana, ben = pair
    ana("update-status", "SEC-6", "in-progress")
    ana("sync")
    hook = tmp_path / "team.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    ben("update-status", "SEC-1", "implemented")
    ben("edit", "ECON-2", "--key")
    refused(ben, "origin refused the push (")
    assert "SEC-6" not in ben("log").stdout
    hook.unlink()
    ben("sync")
    ana("sync")
    assert ana.tracked_bytes() == ben.tracked_bytes()


def test_user_pull_settings_do_not_stop_a_merge(pair):
    ana, ben = pair
    for key, value in (("pull.rebase", "true"), ("pull.ff", "only"), ("rebase.autoStash", "true")):
        git(ben.folder, "config", key, value)
    ana("update-status", "SEC-6", "in-progress")
    ana("sync")
    ben("update-status", "SEC-1", "implemented")
    ben("sync")
    parents = git(ben.folder, "log", "-1", "--format=%P").split()
    assert len(parents) == 2  # a merge, made by the driver, not a rebase
    ana("sync")
    assert ana.tracked_bytes() == ben.tracked_bytes()
    assert {"SEC-6", "SEC-1"} <= {rec for rec, events in ana.events().items() if events}


def test_a_body_file_removed_here_and_changed_there(pair):
    """Ana undoes the recommendation she added (SEC-9 is alone in its body file, which goes)
    while Ben records an update on it: git sees a file deleted on one side and changed on the
    other, and passes it to no driver. sync merges it as the driver would, with an empty side."""
    ana, ben = pair
    ana("add", "--pillar", "SEC", "--title", "Set up a trilateral cyber working group")
    ana("sync")
    ben("sync")
    ana("undo", "--yes")
    assert not (ana.db.with_name(ana.db.name + ".bodies") / "55.json").exists()
    ana("sync")
    ben("update-status", "SEC-9", "in-progress", "--note", "working group met")
    result = ben("sync", code=1)
    assert "the pull brought 1 conflict" in result.stderr
    [conflict] = ben.export_conflicts()
    assert (conflict["id"], conflict["field"]) == ("SEC-9", "recommendation")
    ben("conflicts", "resolve", "SEC-9", "recommendation", "--value", "kept")
    ben("sync")
    ana("sync")
    assert ana.tracked_bytes() == ben.tracked_bytes()
    assert [e["note"] for e in ana.events()["SEC-9"]] == ["working group met"]


def test_a_body_file_removed_here_and_given_a_new_recommendation_there(pair):
    """The same, cleanly: Ana's undone SEC-9 leaves its body file; Ben adds CYBER-32, whose body
    goes to that same file. Nothing conflicts: SEC-9 stays removed, CYBER-32 comes in."""
    ana, ben = pair
    ana("add", "--pillar", "SEC", "--title", "Set up a trilateral cyber working group")
    ana("sync")
    ben("sync")
    ana("undo", "--yes")
    ana("sync")
    ben("add", "--pillar", "CYBER", "--id", "CYBER-32", "--title", "Share threat intelligence in real time")
    assert (ben.db.with_name(ben.db.name + ".bodies") / "55.json").exists()  # SEC-9's and CYBER-32's
    out = ben("sync").stdout
    assert out.splitlines()[-1] == "pushed to origin/main" and "SEC-9: removed" in out
    ana("sync")
    assert ana.tracked_bytes() == ben.tracked_bytes()
    assert "SEC-9" not in ana.events() and ana.events()["CYBER-32"] == []
