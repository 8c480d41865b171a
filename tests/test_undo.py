import json
import os
import pty
import select
import sys
import time
from pathlib import Path

from conftest import digest

SRC = str(Path(__file__).resolve().parents[1] / "src")


def statuses(run):
    return {r["id"]: r["status"] for r in json.loads(run("list", "--json").stdout)}


def test_undo_reverts_the_last_command_and_is_recorded(run):
    run("update-status", "SEC-1", "in_progress", "--note", "first")
    run("update-status", "SEC-1", "implemented", "--note", "second")
    result = run("undo", "--yes")
    assert "will revert: update-status SEC-1 implemented" in result.stdout
    assert statuses(run)["SEC-1"] == "in_progress"
    rows = json.loads(run("log", "--json").stdout)
    undo_rows = [r for r in rows if r["kind"] == "undo"]
    assert len(undo_rows) == 1 and undo_rows[0]["to"] == "implemented"
    assert "update-status SEC-1 implemented" in undo_rows[0]["note"]


def test_repeated_undos_walk_back_one_command_at_a_time(run):
    for rec, status in (("SEC-1", "partial"), ("SEC-2", "implemented"), ("SEC-3", "stalled")):
        run("update-status", rec, status)
    run("undo", "--yes")
    assert [statuses(run)[r] for r in ("SEC-1", "SEC-2", "SEC-3")] == ["partial", "implemented", "not_assessed"]
    run("undo", "--yes")
    run("undo", "--yes")
    assert {statuses(run)[r] for r in ("SEC-1", "SEC-2", "SEC-3")} == {"not_assessed"}
    result = run("undo", "--yes", code=1)
    assert "nothing to undo" in result.stderr
    run("update-status", "SEC-4", "partial")
    run("undo", "--yes")  # a new command after undos is undoable in its turn
    assert statuses(run)["SEC-4"] == "not_assessed"


def test_undo_without_yes_off_a_terminal_refuses_and_writes_nothing(run, db):
    run("update-status", "SEC-1", "partial")
    before = digest(db)
    result = run("undo", input="y\n", code=2)
    assert "pass --yes" in result.stderr
    assert digest(db) == before


def run_on_a_terminal(args, env, answer):
    """Run the CLI under a real pseudo-terminal and answer its prompt."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(sys.executable, [sys.executable, "-m", "alliance_cli", *args], env)
    output, answered, deadline = b"", False, time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"Revert it?" in output:
            os.write(fd, answer)
            answered = True
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_undo_asks_on_a_terminal(run, db):
    run("update-status", "SEC-1", "partial")
    env = {**os.environ, "PYTHONPATH": SRC, "ALLIANCE_DB": str(db), "NO_COLOR": "1"}
    code, out = run_on_a_terminal(["undo"], env, b"n\n")
    assert code == 1 and "undo cancelled" in out
    assert statuses(run)["SEC-1"] == "partial"
    code, out = run_on_a_terminal(["undo"], env, b"y\n")
    assert code == 0 and "undone: update-status SEC-1 partial" in out
    assert statuses(run)["SEC-1"] == "not_assessed"


# --- a tracker kept by several people: undo reverts your own last command ---------------------

ANA, BEN = {"ALLIANCE_USER": "Ana"}, {"ALLIANCE_USER": "Ben"}


def test_undo_reverts_your_own_last_command_not_a_colleagues(run, backdated):
    run("update-status", "SEC-1", "partial", "--date", "2024-05-01", env=ANA)
    run("update-status", "SEC-2", "implemented", "--date", "2024-05-02", env=BEN)
    out = run("undo", "--yes", env=ANA).stdout
    assert out.startswith("will revert: update-status SEC-1 partial (recorded ") and "by Ana)" in out
    statuses = {r["id"]: r["status"] for r in json.loads(run("list", "--json").stdout)}
    assert (statuses["SEC-1"], statuses["SEC-2"]) == ("not_assessed", "implemented")
    before = digest(backdated)
    result = run("undo", "--yes", env=ANA, code=1)
    assert result.stderr == ("alliance: nothing to undo: no writing command of yours (Ana; `--anyone` for "
                             "anyone's) is left in the journal\n") and digest(backdated) == before
    assert "undone: update-status SEC-2 implemented" in run("undo", "--yes", "--anyone", env=ANA).stdout


def test_undo_refuses_to_revert_what_a_later_command_changed_again(run, backdated):
    run("edit", "SEC-1", "--title", "Ana's title", env=ANA)
    run("edit", "SEC-1", "--title", "Ben's title", env=BEN)
    run("update-status", "SEC-1", "partial", "--date", "2024-05-01", env=BEN)  # events stand alone
    before = digest(backdated)
    result = run("undo", "--yes", env=ANA, code=1)
    assert result.stderr == ("alliance: cannot undo `edit SEC-1`: a later command, `edit SEC-1` by Ben, changed "
                             "the same thing since; undo that first (`alliance undo --anyone`), or change it "
                             "back with edit\n")
    assert digest(backdated) == before
    run("edit", "SEC-1", "--section", "Ben's section", env=BEN)  # another field does not stand in the way
    run("undo", "--yes", env=BEN)  # Ben's section
    run("undo", "--yes", env=BEN)  # Ben's status
    run("undo", "--yes", env=BEN)  # Ben's title: Ana's is back, and hers can go now
    assert json.loads(run("show", "SEC-1", "--json").stdout)["title"] == "Ana's title"
    run("undo", "--yes", env=ANA)
    assert json.loads(run("show", "SEC-1", "--json").stdout)["title"] != "Ana's title"
