"""The three-way merge: `alliance merge-driver` (git's, file by file) and `import --base`.

Each case of issue 11's "Why" goes through both ways in: edits reverted, swapped
titles, a cleared due date, a renamed pillar, one event id with two contents, a
duplicated event id. Three copies of a real tracker (the common ancestor, ours,
theirs) are changed through the CLI, then merged as git merges them: each file of
the layout on its own, the driver called only for a file changed on both sides
(``git_merge``; one test runs real git, one the driver as a real process).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliance_cli.cli import app
from alliance_cli.store import files
from alliance_cli.store.tracker import Tracker

from bigtracker import make_brief
from conftest import copy_tracker, digest

BRIEF = make_brief(4, n_pillars=3)  # SEC-1, ECON-1, CYBER-1, SEC-2
DRIVER = [sys.executable, "-m", "alliance_cli"]


# --- three copies, and git's way of merging them ------------------------------------------------

@pytest.fixture
def copies(run, tmp_path):
    """(base, ours, theirs): one small tracker with a few events, copied twice."""
    brief = tmp_path / "brief.json"
    brief.write_text(json.dumps(BRIEF))
    base = tmp_path / "base" / "tracker.json"
    base.parent.mkdir()
    at(run, base, "init", "--from", str(brief))
    at(run, base, "update-status", "SEC-1", "in_progress", "--date", "2024-01-01", "--note", "talks")
    at(run, base, "update-status", "ECON-1", "partial", "--date", "2024-02-01")
    sides = []
    for name in ("ours", "theirs"):
        (tmp_path / name).mkdir()
        copy_tracker(base, tmp_path / name / "tracker.json")
        sides.append(tmp_path / name / "tracker.json")
    return base, *sides


def at(run, db: Path, *args, code: int = 0, env: dict | None = None):
    return run("--db", str(db), *args, code=code, env=env)


def fork(base: Path, side: Path) -> None:
    """``side`` becomes a fresh copy of ``base``."""
    shutil.rmtree(side.with_name(side.name + ".bodies"))
    side.unlink()
    copy_tracker(base, side)


def layout_files(head: Path) -> dict[str, bytes]:
    """A tracker's files as git sees them: the head and each body file, by relative name."""
    found = {head.name: head.read_bytes()} if head.exists() else {}
    bodies = head.with_name(head.name + ".bodies")
    if bodies.is_dir():
        found.update({f"{bodies.name}/{p.name}": p.read_bytes() for p in sorted(bodies.glob("*.json"))})
    return found


def git_merge(run, base: Path, ours: Path, theirs: Path, *, process: bool = False) -> list[int]:
    """Merge theirs into ours as git does: per file, the driver only for files changed on
    both sides (an empty ancestor for one added on both); returns the driver's exit codes."""
    b, o, t = layout_files(base), layout_files(ours), layout_files(theirs)
    codes = []
    for name in sorted({*o, *t}):
        if o.get(name) == t.get(name) or t.get(name) == b.get(name):
            continue
        target = ours.parent / name
        if o.get(name) == b.get(name):
            assert name in t, "a body file removed on one side only: git's modify/delete"
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(t[name])
            continue
        # A body file removed on one side (its last entry undone) and changed on the other is
        # git's modify/delete: whoever merges passes the removed side as an empty file.
        target.write_bytes(o.get(name, b""))
        ancestor, other = ours.parent / ".merge-base", ours.parent / ".merge-theirs"
        ancestor.write_bytes(b.get(name, b""))
        other.write_bytes(t.get(name, b""))
        args = ["merge-driver", str(ancestor), str(target), str(other), name]
        if process:
            codes.append(subprocess.run([*DRIVER, *args], capture_output=True, text=True).returncode)
        else:
            codes.append(CliRunner().invoke(app, args, catch_exceptions=False).exit_code)
        ancestor.unlink()
        other.unlink()
    return codes


def export_of(run, db: Path) -> dict:
    exported = json.loads(at(run, db, "export", env={"SOURCE_DATE_EPOCH": "1767225600"}).stdout)
    return exported


def rec(exported: dict, rec_id: str) -> dict:
    return next(r for r in exported["recommendations"] if r["id"] == rec_id)


def open_conflicts(run, db: Path) -> list[dict]:
    return json.loads(at(run, db, "conflicts", "--json").stdout)


def check_whole(run, db: Path) -> None:
    """The merged tracker loads with the normal checks, every body it names is there, and
    the commands that read all of it work."""
    state = Tracker(db).read(create=False)
    for _ in state.iter_full():
        pass
    at(run, db, "list")
    at(run, db, "report")
    at(run, db, "export")
    for head in state.recommendations():
        at(run, db, "show", head["id"])


# --- the Why cases, through the driver -------------------------------------------------------------

def test_one_sided_edits_are_taken_not_reverted(run, copies):
    base, ours, theirs = copies
    at(run, ours, "edit", "SEC-1", "--title", "Ours retitled", "--no-key", "--pillar", "CYBER")
    at(run, theirs, "update-status", "SEC-2", "implemented", "--date", "2024-03-01", "--note", "theirs")
    at(run, theirs, "edit", "ECON-1", "--section", "Their section")
    assert set(git_merge(run, base, ours, theirs)) == {0}
    merged = export_of(run, ours)
    assert (rec(merged, "SEC-1")["title"], rec(merged, "SEC-1")["key"], rec(merged, "SEC-1")["pillar"]) == (
        "Ours retitled", False, "CYBER")
    assert rec(merged, "ECON-1")["section"] == "Their section"
    assert [e["note"] for e in rec(merged, "SEC-2")["history"]] == ["theirs"]
    assert open_conflicts(run, ours) == []
    check_whole(run, ours)


def test_the_same_title_edited_on_both_sides_is_a_conflict_kept_until_settled(run, copies):
    base, ours, theirs = copies
    original = rec(export_of(run, base), "SEC-1")["title"]
    at(run, ours, "edit", "SEC-1", "--title", "Ours")
    at(run, theirs, "edit", "SEC-1", "--title", "Theirs")
    assert git_merge(run, base, ours, theirs) == [1]
    assert rec(export_of(run, ours), "SEC-1")["title"] == original  # neither side wins silently
    assert open_conflicts(run, ours) == [{"id": "SEC-1", "field": "title", "ours": "Ours", "theirs": "Theirs",
                                          "base": original}]
    check_whole(run, ours)
    before = digest(ours)
    at(run, ours, "conflicts", "resolve", "SEC-1", "title", code=2)  # no side chosen
    assert "choose one of --ours, --theirs or --value" in run("--db", str(ours), "conflicts", "resolve", "SEC-1",
                                                              "title", "--ours", "--theirs", code=2).stderr
    assert "no open conflict on SEC-2 title" in at(run, ours, "conflicts", "resolve", "SEC-2", "title", "--ours",
                                                   code=2).stderr
    assert digest(ours) == before
    assert at(run, ours, "conflicts", "resolve", "sec-1", "title", "--theirs").stdout == "settled: SEC-1 title\n"
    assert rec(export_of(run, ours), "SEC-1")["title"] == "Theirs" and open_conflicts(run, ours) == []
    assert "conflicts" not in json.loads(ours.read_text())  # the last one settled: no table left
    at(run, ours, "undo", "--yes")  # reopens it, with the title as it was
    assert rec(export_of(run, ours), "SEC-1")["title"] == original and len(open_conflicts(run, ours)) == 1
    at(run, ours, "conflicts", "resolve", "SEC-1", "title", "--value", "Agreed")
    assert rec(export_of(run, ours), "SEC-1")["title"] == "Agreed"


def test_a_conflict_on_a_body_field_and_a_typed_value(run, copies):
    base, ours, theirs = copies
    at(run, ours, "edit", "SEC-1", "--text", "Ours text", "--section", "Ours section")
    at(run, theirs, "edit", "SEC-1", "--text", "Theirs text", "--due", "2026-01-01")
    assert sorted(git_merge(run, base, ours, theirs)) == [0, 1]  # head clean, body file in conflict
    merged = rec(export_of(run, ours), "SEC-1")
    assert (merged["section"], merged["due"], merged["text"]) == ("Ours section", "2026-01-01",
                                                                  rec(export_of(run, base), "SEC-1")["text"])
    assert [(c["id"], c["field"], c["ours"], c["theirs"]) for c in open_conflicts(run, ours)] == [
        ("SEC-1", "text", "Ours text", "Theirs text")]
    check_whole(run, ours)
    at(run, ours, "conflicts", "resolve", "SEC-1", "text", "--value", "Both texts")
    assert rec(export_of(run, ours), "SEC-1")["text"] == "Both texts"
    # the merged body key is rewritten by the next write, as any other
    at(run, ours, "edit", "SEC-1", "--section", "Later")
    shard = layout_files(ours)
    bodies = [k for name, data in shard.items() if name != ours.name
              for k in json.loads(data).get("recommendations", {}) if k.startswith("SEC-1@")]
    assert len(bodies) == 1


def test_a_cleared_due_date_reaches_the_other_copy(run, copies):
    base, ours, theirs = copies
    at(run, base, "edit", "ECON-1", "--due", "2025-12-31")
    for side in (ours, theirs):
        fork(base, side)
    at(run, ours, "edit", "ECON-1", "--due", "none")
    at(run, theirs, "update-status", "ECON-1", "implemented", "--date", "2024-06-01")
    assert git_merge(run, base, ours, theirs) == [0]
    merged = rec(export_of(run, ours), "ECON-1")
    assert "due" not in merged and merged["status"] == "implemented"


def rename_pillar(db: Path, pillar: str, name: str) -> None:
    """A pillar renamed in the head (no command renames one yet: by hand, in canonical bytes)."""
    tables = json.loads(db.read_text())
    for p in tables["meta"]["1"]["pillars"]:
        if p["id"] == pillar:
            p["name"] = name
    db.write_bytes(files.canonical(tables))


def test_a_renamed_pillar_is_kept_and_two_names_are_a_conflict(run, copies):
    base, ours, theirs = copies
    rename_pillar(theirs, "SEC", "Security")
    at(run, ours, "update-status", "SEC-1", "partial", "--date", "2024-05-01")
    assert git_merge(run, base, ours, theirs) == [0]
    assert export_of(run, ours)["pillars"][0]["name"] == "Security"
    rename_pillar(ours, "ECON", "Economy")  # now the same pillar two ways: a conflict
    rename_pillar(theirs, "ECON", "Economics")
    assert git_merge(run, base, ours, theirs) == [1]
    assert [(c["id"], c["field"], c["ours"], c["theirs"]) for c in open_conflicts(run, ours)] == [
        ("pillar:ECON", "name", "Economy", "Economics")]
    at(run, ours, "conflicts", "resolve", "pillar:ECON", "name", "--ours")
    assert export_of(run, ours)["pillars"][1]["name"] == "Economy"


def export_with_event(run, db: Path, tmp_path: Path, event: dict) -> Path:
    """An export of ``db`` whose SEC-2 carries ``event``: how one event id comes to hold two contents."""
    exported = export_of(run, db)
    rec(exported, "SEC-2")["history"].append(event)
    path = tmp_path / f"with-{event['note'] or 'event'}.json"
    path.write_text(json.dumps(exported))
    return path


EVENT = {"id": "0123456789abcdef", "date": "2024-04-01", "recorded_at": "2024-04-01T10:00:00.000000Z",
         "from": "not_assessed", "to": "in_progress", "note": "one", "evidence": []}


def test_one_event_id_with_two_contents_is_a_conflict_not_two_events(run, copies, tmp_path):
    base, ours, theirs = copies
    at(run, ours, "import", str(export_with_event(run, ours, tmp_path, EVENT)))
    at(run, theirs, "import", str(export_with_event(run, theirs, tmp_path, {**EVENT, "note": "two"})))
    assert sorted(git_merge(run, base, ours, theirs)) == [0, 1]  # the heads differ in their journals alone
    history = rec(export_of(run, ours), "SEC-2")["history"]
    assert [e["id"] for e in history] == [EVENT["id"]] and history[0]["note"] == "one"  # kept once
    listed = open_conflicts(run, ours)
    assert [(c["id"], c["field"], c["ours"]["note"], c["theirs"]["note"]) for c in listed] == [
        ("SEC-2", f"note:{EVENT['id']}", "one", "two")]
    check_whole(run, ours)
    assert "--ours or --theirs" in at(run, ours, "conflicts", "resolve", "SEC-2", f"note:{EVENT['id']}",
                                      "--value", "x", code=2).stderr
    at(run, ours, "conflicts", "resolve", "SEC-2", f"note:{EVENT['id']}", "--theirs")
    assert rec(export_of(run, ours), "SEC-2")["history"][0]["note"] == "two"
    at(run, ours, "undo", "--yes")
    assert rec(export_of(run, ours), "SEC-2")["history"][0]["note"] == "one" and open_conflicts(run, ours)


def test_one_event_id_with_two_statuses_is_a_conflict_in_the_head(run, copies, tmp_path):
    base, ours, theirs = copies
    at(run, ours, "import", str(export_with_event(run, ours, tmp_path, EVENT)))
    other = {**EVENT, "to": "stalled", "note": "two"}
    at(run, theirs, "import", str(export_with_event(run, theirs, tmp_path, other)))
    assert sorted(git_merge(run, base, ours, theirs)) == [1, 1]
    fields = sorted(c["field"] for c in open_conflicts(run, ours))
    assert fields == [f"event:{EVENT['id']}", f"note:{EVENT['id']}"]
    assert rec(export_of(run, ours), "SEC-2")["status"] == "in_progress"  # the smaller version, until settled
    at(run, ours, "conflicts", "resolve", "SEC-2", f"event:{EVENT['id']}", "--theirs")
    at(run, ours, "conflicts", "resolve", "SEC-2", f"note:{EVENT['id']}", "--theirs")
    merged = rec(export_of(run, ours), "SEC-2")
    assert merged["status"] == "stalled" and [e["note"] for e in merged["history"]] == ["two"]
    check_whole(run, ours)


def test_a_duplicated_event_id_is_refused_and_ours_is_left_as_it_was(run, copies):
    base, ours, theirs = copies
    at(run, ours, "update-status", "SEC-1", "partial", "--date", "2024-05-01")
    at(run, theirs, "update-status", "SEC-1", "stalled", "--date", "2024-06-01")
    tables = json.loads(theirs.read_text())
    history = tables["recommendations"]["SEC-1"]["history"]
    history.append(history[-1].replace("stalled", "no_action", 1).replace(" stalled", " no_action"))
    twice = history[-1].split(" ")
    history[-1] = " ".join([twice[0], twice[1], history[0].split(" ")[2], *twice[3:]])  # an id seen before
    tables["recommendations"]["SEC-1"]["history"] = sorted(history)
    theirs.write_bytes(files.canonical(tables))
    before = ours.read_bytes()
    result = run("merge-driver", str(base), str(ours), str(theirs), "tracker.json", code=2)
    assert "appears twice" in result.stderr and result.stderr.count("\n") == 1
    assert ours.read_bytes() == before


def test_an_undone_event_stays_undone_and_added_events_are_kept_once(run, copies, tmp_path):
    base, ours, theirs = copies
    gone = rec(export_of(run, base), "ECON-1")["history"][0]["id"]
    at(run, ours, "update-status", "CYBER-1", "partial", "--date", "2024-03-03")
    at(run, ours, "undo", "--yes")
    at(run, ours, "undo", "--yes")  # the base's ECON-1 event
    same = export_with_event(run, ours, tmp_path, EVENT)
    at(run, ours, "import", str(same))
    at(run, theirs, "import", str(same))  # the same event added on both sides (and a union keeps ECON-1's)
    at(run, theirs, "update-status", "SEC-1", "implemented", "--date", "2024-04-04")
    assert set(git_merge(run, base, ours, theirs)) <= {0}
    merged = export_of(run, ours)
    assert rec(merged, "ECON-1")["history"] == [] and rec(merged, "CYBER-1")["history"] == []
    assert [e["id"] for e in rec(merged, "SEC-2")["history"]] == [EVENT["id"]]
    assert [e["to"] for e in rec(merged, "SEC-1")["history"]] == ["in_progress", "implemented"]
    assert not any(gone.encode() in data for name, data in layout_files(ours).items() if name != ours.name)
    assert all(gone not in skel for r in json.loads(ours.read_text())["recommendations"].values()
               for skel in r["history"])
    check_whole(run, ours)


def test_a_recommendation_removed_on_one_side_and_changed_on_the_other_is_kept_as_a_conflict(run, copies):
    base, ours, theirs = copies
    at(run, base, "add", "-p", "SEC", "-t", "Added before the copies", "--issued", "2024-01-01")
    for side in (ours, theirs):
        fork(base, side)
    at(run, ours, "undo", "--yes")
    at(run, theirs, "update-status", "SEC-3", "partial", "--date", "2024-07-01", "--note", "kept")
    git_merge(run, base, ours, theirs)
    merged = rec(export_of(run, ours), "SEC-3")
    assert [e["note"] for e in merged["history"]] == ["kept"]
    assert [(c["id"], c["field"], c["ours"], c["theirs"]) for c in open_conflicts(run, ours)] == [
        ("SEC-3", "recommendation", "removed", "kept")]
    check_whole(run, ours)
    at(run, ours, "conflicts", "resolve", "SEC-3", "recommendation", "--ours")
    assert "SEC-3" not in {r["id"] for r in export_of(run, ours)["recommendations"]}
    at(run, ours, "undo", "--yes")
    assert rec(export_of(run, ours), "SEC-3")["history"][0]["note"] == "kept"


# --- the driver as git runs it -----------------------------------------------------------------------

def test_the_driver_as_a_process_reports_a_conflict_in_one_line(run, copies):
    base, ours, theirs = copies
    at(run, ours, "edit", "SEC-1", "--title", "Ours")
    at(run, theirs, "edit", "SEC-1", "--title", "Theirs")
    result = subprocess.run([*DRIVER, "merge-driver", str(base), str(ours), str(theirs), "team/tracker.json"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == "alliance: team/tracker.json: 1 conflict (SEC-1 title): see `alliance conflicts`\n"
    assert [c["field"] for c in open_conflicts(run, ours)] == ["title"]


def test_the_driver_refuses_what_is_not_a_tracker_file(run, copies, tmp_path):
    base, ours, theirs = copies
    at(run, theirs, "edit", "SEC-1", "--title", "Theirs")
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}')
    before = ours.read_bytes()
    assert "not an alliance tracker" in run("merge-driver", str(base), str(ours), str(junk), code=2).stderr
    body = next(ours.with_name("tracker.json.bodies").glob("*.json"))
    assert "not all of one kind" in run("merge-driver", str(base), str(ours), str(body), code=2).stderr
    missing = tmp_path / "nowhere.json"
    assert "does not exist" in run("merge-driver", str(base), str(ours), str(missing), code=2).stderr
    assert ours.read_bytes() == before


def test_real_git_merges_a_tracker_through_the_driver(run, copies, tmp_path):
    base, _, _ = copies
    repo = tmp_path / "repo"
    repo.mkdir()
    copy_tracker(base, repo / "tracker.json")

    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                              env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
                                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"})

    git("init", "-q", "-b", "main")
    driver = " ".join([sys.executable, "-m", "alliance_cli", "merge-driver", "%O", "%A", "%B", "%P"])
    git("config", "merge.alliance.driver", driver)
    (repo / ".gitignore").write_text("*.lock\n*.bak\n*.bak-v*\n*.replaced-*\n")
    (repo / ".gitattributes").write_text("tracker.json merge=alliance\ntracker.json.bodies/*.json merge=alliance\n")
    git("add", "-A")
    git("commit", "-qm", "start")
    git("checkout", "-qb", "theirs")
    db = repo / "tracker.json"
    at(run, db, "edit", "SEC-1", "--text", "Their text")
    at(run, db, "update-status", "SEC-1", "implemented", "--date", "2024-08-01", "--note", "theirs")
    git("commit", "-qam", "theirs")
    git("checkout", "-q", "main")
    at(run, db, "edit", "SEC-1", "--section", "Our section")
    at(run, db, "update-status", "SEC-2", "partial", "--date", "2024-08-02", "--note", "ours")
    git("commit", "-qam", "ours")
    git("merge", "-q", "--no-edit", "theirs")
    merged = export_of(run, db)
    assert (rec(merged, "SEC-1")["text"], rec(merged, "SEC-1")["section"]) == ("Their text", "Our section")
    assert rec(merged, "SEC-1")["status"] == "implemented" and rec(merged, "SEC-2")["status"] == "partial"
    assert git("status", "--porcelain").stdout == ""
    check_whole(run, db)


# --- import --base: the same cases for copies exchanged as files --------------------------------------

@pytest.fixture
def exchanged(run, copies, tmp_path):
    """As ``copies``, and the export both started from."""
    base, ours, theirs = copies
    start = tmp_path / "start.json"
    at(run, base, "export", "-o", str(start))
    return start, ours, theirs


def import_three_way(run, ours: Path, theirs: Path, start: Path, code: int = 0):
    exported = theirs.with_name("theirs-export.json")
    at(run, theirs, "export", "-o", str(exported))
    return at(run, ours, "import", str(exported), "--base", str(start), code=code)


def test_import_base_takes_one_sided_edits_and_keeps_undos(run, exchanged):
    start, ours, theirs = exchanged
    at(run, ours, "edit", "SEC-1", "--title", "Ours retitled", "--no-key", "--pillar", "CYBER")
    at(run, ours, "edit", "ECON-1", "--due", "2025-01-01")
    at(run, theirs, "undo", "--yes")  # their ECON-1 event, undone
    at(run, theirs, "update-status", "SEC-2", "implemented", "--date", "2024-03-01", "--note", "theirs")
    at(run, theirs, "edit", "CYBER-1", "--due", "2026-06-30")
    out = import_three_way(run, ours, theirs, start).stdout
    assert "0 added, 1 updated, 0 removed, 1 new events, 1 undone" in out and "0 conflicts" in out
    merged = export_of(run, ours)
    assert (rec(merged, "SEC-1")["title"], rec(merged, "SEC-1")["key"], rec(merged, "SEC-1")["pillar"]) == (
        "Ours retitled", False, "CYBER")
    assert rec(merged, "ECON-1")["history"] == [] and rec(merged, "CYBER-1")["due"] == "2026-06-30"
    again = import_three_way(run, ours, theirs, start).stdout  # nothing new the second time
    assert "0 added, 0 updated, 0 removed, 0 new events, 0 undone" in again
    at(run, ours, "undo", "--yes")
    at(run, ours, "undo", "--yes")  # the whole first import, reverted
    assert rec(export_of(run, ours), "ECON-1")["history"] != []


def test_import_base_clears_a_due_date_and_takes_a_renamed_pillar(run, copies, tmp_path):
    base, ours, theirs = copies
    at(run, base, "edit", "ECON-1", "--due", "2025-12-31")
    start = tmp_path / "start.json"
    at(run, base, "export", "-o", str(start))
    at(run, ours, "edit", "ECON-1", "--due", "2025-12-31")
    at(run, theirs, "edit", "ECON-1", "--due", "2025-12-31")
    at(run, theirs, "edit", "ECON-1", "--due", "none")
    rename_pillar(theirs, "SEC", "Security")
    import_three_way(run, ours, theirs, start)
    merged = export_of(run, ours)
    assert "due" not in rec(merged, "ECON-1") and merged["pillars"][0]["name"] == "Security"


def test_import_base_swapped_titles_are_a_conflict(run, exchanged):
    start, ours, theirs = exchanged
    original = rec(export_of(run, ours), "SEC-1")["title"]
    at(run, ours, "edit", "SEC-1", "--title", "Ours")
    at(run, theirs, "edit", "SEC-1", "--title", "Theirs")
    result = import_three_way(run, ours, theirs, start)
    assert "1 conflicts" in result.stdout and "see `alliance conflicts`" in result.stderr
    assert rec(export_of(run, ours), "SEC-1")["title"] == original
    assert open_conflicts(run, ours) == [{"id": "SEC-1", "field": "title", "ours": "Ours", "theirs": "Theirs",
                                          "base": original}]
    at(run, ours, "conflicts", "resolve", "SEC-1", "title", "--ours")
    assert rec(export_of(run, ours), "SEC-1")["title"] == "Ours"
    # and the other way round: their copy importing ours ends with the same tracker, sides swapped
    exported = ours.with_name("ours-before.json")
    at(run, theirs, "import", str(import_source(run, ours, exported)), "--base", str(start))
    assert [(c["ours"], c["theirs"]) for c in open_conflicts(run, theirs)] == [("Theirs", "Ours")]


def import_source(run, db: Path, path: Path) -> Path:
    at(run, db, "undo", "--yes")  # before the resolution: ours as it was when it merged
    at(run, db, "undo", "--yes")  # and before the import
    at(run, db, "export", "-o", str(path))
    return path


def test_import_base_one_event_id_with_two_contents(run, exchanged, tmp_path):
    start, ours, theirs = exchanged
    at(run, ours, "import", str(export_with_event(run, ours, tmp_path, EVENT)))
    at(run, theirs, "import", str(export_with_event(run, theirs, tmp_path, {**EVENT, "note": "two"})))
    assert "1 conflicts" in import_three_way(run, ours, theirs, start).stdout
    assert [e["note"] for e in rec(export_of(run, ours), "SEC-2")["history"]] == ["one"]
    assert [c["field"] for c in open_conflicts(run, ours)] == [f"event:{EVENT['id']}"]
    at(run, ours, "conflicts", "resolve", "SEC-2", f"event:{EVENT['id']}", "--theirs")
    assert [e["note"] for e in rec(export_of(run, ours), "SEC-2")["history"]] == ["two"]


def test_import_base_refuses_a_duplicated_event_id(run, exchanged, tmp_path):
    start, ours, _ = exchanged
    exported = export_of(run, ours)
    rec(exported, "SEC-2")["history"] += [EVENT, {**EVENT, "note": "again"}]
    twice = tmp_path / "twice.json"
    twice.write_text(json.dumps(exported))
    before = digest(ours)
    result = at(run, ours, "import", str(twice), "--base", str(start), code=2)
    assert "appears twice" in result.stderr and result.stderr.count("\n") == 1
    assert "appears twice" in at(run, ours, "import", str(start), "--base", str(twice), code=2).stderr
    assert digest(ours) == before


def test_import_base_refuses_a_base_of_another_brief(run, exchanged, tmp_path):
    start, ours, theirs = exchanged
    other = json.loads(start.read_text())
    other["brief"]["id"] = "another-brief"
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(other))
    before = digest(ours)
    assert "--base" in at(run, ours, "import", str(start), "--base", str(wrong), code=2).stderr
    assert digest(ours) == before


# --- properties: commutative and idempotent ---------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from alliance_cli.core import journal  # noqa: E402
from alliance_cli.errors import InputError  # noqa: E402
from alliance_cli.store.migrations import SCHEMA  # noqa: E402
from alliance_cli.store.tracker import seed_whole  # noqa: E402

IDS = [r["id"] for r in BRIEF["recommendations"]]
STATUSES = ["in_progress", "partial", "implemented", "stalled"]
OPERATION = st.one_of(
    st.tuples(st.just("status"), st.sampled_from(IDS), st.sampled_from(STATUSES), st.integers(1, 28),
              st.sampled_from(["", "a", "b"])),
    # few recommendations and fields, so that both sides often change the same one
    st.tuples(st.just("edit"), st.sampled_from(IDS[:2]), st.sampled_from(["title", "text", "due", "key"]),
              st.sampled_from(["A", "B"])),
    st.tuples(st.just("add"), st.sampled_from(["SEC", "ECON"]), st.sampled_from(["New A", "New B"])),
    st.tuples(st.just("undo")),
)


def apply(db: Path, operation: tuple) -> None:
    kind, *args = operation
    try:
        with Tracker(db).write(kind) as state:
            if kind == "status":
                rec_id, status, day, note = args
                state.update_status(rec_id, status, date=f"2024-03-{day:02d}", note=note)
            elif kind == "edit":
                rec_id, field, value = args
                new = {"title": f"Title {value}", "text": f"Text {value}", "section": f"Section {value}",
                       "due": "2025-01-01" if value == "A" else None, "key": value == "A"}[field]
                state.edit_recommendation(rec_id, {field: new})
            elif kind == "add":
                pillar, title = args
                state.add_recommendation({"id": state.next_id(pillar), "pillar": pillar, "title": title,
                                          "text": title, "section": "", "key": False, "actors": [],
                                          "initiatives": [], "sources": []})
            else:
                target = journal.undo_target(state.journal_entries())
                if target is not None:
                    state.revert(target)
    except InputError:
        pass  # a repeat the store refuses: nothing written


def swapped(files_: dict[str, bytes]) -> dict[str, object]:
    """The files as data, each conflict's sides swapped: what the merge the other way round gives."""
    out = {}
    for name, data in files_.items():
        tables = json.loads(data) if data.strip() else {}
        for record in tables.get("conflicts", {}).values():
            record["ours"], record["theirs"] = record["theirs"], record["ours"]
        out[name] = tables
    return out


def as_data(files_: dict[str, bytes]) -> dict[str, object]:
    return {name: json.loads(data) if data.strip() else {} for name, data in files_.items()}


def drive(tmp: Path, base: bytes, ours: bytes, theirs: bytes) -> bytes:
    paths = []
    for role, data in (("b", base), ("o", ours), ("t", theirs)):
        (tmp / role).write_bytes(data)
        paths.append(str(tmp / role))
    CliRunner().invoke(app, ["merge-driver", *paths], catch_exceptions=False)
    return (tmp / "o").read_bytes()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(OPERATION, max_size=4), st.lists(OPERATION, max_size=4))
def test_merging_is_commutative_and_idempotent(run, tmp_path_factory, left, right):
    tmp = tmp_path_factory.mktemp("merge")
    base = tmp / "base" / "tracker.json"
    base.parent.mkdir()
    Tracker(base).replace(seed_whole(BRIEF, "2024-01-01T00:00:00.000000Z"), force=False)
    apply(base, ("status", "SEC-1", "in_progress", 2, "start"))
    one, two = {}, {}
    for name, operations in (("one", left), ("two", right)):
        db = tmp / name / "tracker.json"
        db.parent.mkdir()
        copy_tracker(base, db)
        for operation in operations:
            apply(db, operation)
        (one if name == "one" else two)[name] = db
    sides = {"one": one["one"], "two": two["two"]}
    merged = {}
    for first, second in (("one", "two"), ("two", "one")):
        target = tmp / f"into-{first}" / "tracker.json"
        target.parent.mkdir()
        copy_tracker(sides[first], target)
        git_merge(run, base, target, sides[second])
        merged[first] = layout_files(target)
        Tracker(target).read(create=False)
        for _ in Tracker(target).read(create=False).iter_full():
            pass  # every body the head names is there
    assert as_data(merged["one"]) == swapped(merged["two"])  # whichever side is ours
    work = tmp / "drive"
    work.mkdir()
    b, x = layout_files(base), merged["one"]
    for name, data in x.items():
        assert drive(work, data, data, data) == data  # merging a copy with itself changes nothing
        assert drive(work, b.get(name, b""), data, data) == data
        assert drive(work, b.get(name, b""), b.get(name, b""), data) == data


def as_schema_4(head: Path, *, bodies: bool = False) -> None:
    """Rewrite a tracker as the release before schema 5 wrote it (no scale, issue dates, who)."""
    tables = json.loads(head.read_text())
    meta = tables["meta"]["1"]
    meta["schema"] = 4
    for name in ("statuses", "review_days"):
        meta.pop(name)
    for rec_ in tables["recommendations"].values():
        rec_.pop("issued")
    for entry in tables["journal"].values():
        assert "undoes" not in entry, "this helper keeps no undo"
        entry.pop("id"), entry.pop("recorded_by")
    head.write_bytes(files.canonical(tables))
    for body in sorted(head.with_name(head.name + ".bodies").glob("*.json")) if bodies else ():
        tables = json.loads(body.read_text())
        for note in tables.get("events", {}).values():
            note.pop("by"), note.pop("recorded_by")
        body.write_bytes(files.canonical(tables))


def test_open_conflicts_survive_an_upgrade_of_the_schema(run, copies):
    base, ours, theirs = copies
    at(run, ours, "edit", "SEC-1", "--title", "Ours", "--text", "Ours text")
    at(run, theirs, "edit", "SEC-1", "--title", "Theirs", "--text", "Theirs text")
    git_merge(run, base, ours, theirs)
    listed = open_conflicts(run, ours)
    assert [c["field"] for c in listed] == ["text", "title"]
    as_schema_4(ours, bodies=True)  # as if written before the last migration: upgraded on load
    assert open_conflicts(run, ours) == listed
    at(run, ours, "conflicts", "resolve", "SEC-1", "text", "--ours")  # the first write saves the upgrade
    assert [c["field"] for c in open_conflicts(run, ours)] == ["title"]
    assert rec(export_of(run, ours), "SEC-1")["text"] == "Ours text"


def test_an_ancestor_of_an_older_schema_is_merged_and_sides_of_two_schemas_are_refused(run, copies):
    base, ours, theirs = copies
    at(run, ours, "update-status", "SEC-2", "partial", "--date", "2024-05-01")
    at(run, theirs, "update-status", "SEC-1", "stalled", "--date", "2024-06-01")
    as_schema_4(base)  # the commit before both sides upgraded
    assert set(git_merge(run, base, ours, theirs)) == {0}
    merged = export_of(run, ours)
    assert (rec(merged, "SEC-2")["status"], rec(merged, "SEC-1")["status"]) == ("partial", "stalled")
    as_schema_4(theirs)
    before = ours.read_bytes()
    result = run("merge-driver", str(base), str(ours), str(theirs), "tracker.json", code=2)
    assert f"ours is schema {SCHEMA} and theirs schema 4" in result.stderr and ours.read_bytes() == before


def test_the_log_shows_a_three_way_import_and_each_settled_conflict(run, exchanged):
    start, ours, theirs = exchanged
    at(run, ours, "edit", "SEC-1", "--title", "Ours")
    at(run, theirs, "edit", "SEC-1", "--title", "Theirs")
    import_three_way(run, ours, theirs, start)
    at(run, ours, "conflicts", "resolve", "SEC-1", "title", "--theirs")
    rows = json.loads(at(run, ours, "log", "--json", "--kind", "import", "--kind", "resolve").stdout)
    assert [(r["kind"], r["id"], r["note"]) for r in rows] == [
        ("resolve", "SEC-1", "conflicts resolve SEC-1 title: 1 updated, 1 conflicts settled"),
        ("import", "SEC-1", f"import {theirs.with_name('theirs-export.json')}: 0 added, 1 updated, 0 new events, "
                            "0 new pillars, 1 conflicts")]  # it set the title back to the base's, until settled
    at(run, ours, "undo", "--yes")
    assert json.loads(at(run, ours, "log", "--json", "--kind", "undo").stdout)[0]["note"] == (
        "undo of `conflicts resolve SEC-1 title`")
