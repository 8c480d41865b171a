"""Real trackers (issue #10): a brief's own status scale, issue dates, who said it, reassessments
and duplicates, and the review cycle, each through the CLI on real tracker files."""

import json
import subprocess

import pytest

from conftest import TESTER, digest

# An audit board's scale: its own words, a class for each, and one that leaves the denominator.
SCALE = [
    {"id": "not_assessed", "label": "Not yet assessed", "score": 0, "class": "open",
     "definition": "The board has not looked at it yet."},
    {"id": "under_implementation", "label": "Under implementation", "aliases": ["UI", "in progress"],
     "score": 0.5, "class": "open", "definition": "The administration reports work under way."},
    {"id": "closure_requested", "label": "Closure requested", "score": 0.75, "class": "open",
     "definition": "The administration asks the board to close it."},
    {"id": "implemented", "label": "Implemented", "aliases": ["closed"], "score": 1,
     "class": "closed_implemented", "definition": "Closed: implemented."},
    {"id": "not_implemented", "label": "Closed, not implemented", "score": 0, "class": "closed_not_implemented",
     "definition": "Closed without being implemented."},
    {"id": "overtaken", "label": "Overtaken by events", "aliases": ["moot", "OBE"], "score": 0,
     "class": "excluded", "definition": "No longer relevant: left out of the rate."},
]


def audit_brief(**over) -> dict:
    def rec(rec_id, pillar, **fields):
        return {"id": rec_id, "pillar": pillar, "title": f"Recommendation {rec_id}", "text": f"Do {rec_id}.",
                "section": f"Annex {rec_id}", "key": False, "actors": ["Ministry"], "initiatives": [],
                "sources": [], **fields}

    return {"format": 1,
            "brief": {"id": "board-2016", "title": "Annual audit report 2016", "author": "Board",
                      "publisher": "Board of Audit", "published": "2016-01"},
            "pillars": [{"id": "A", "name": "Finance", "description": ""},
                        {"id": "B", "name": "Procurement", "description": ""}],
            "statuses": SCALE, "review_days": 365,
            "recommendations": [rec("A-1", "A"), rec("A-2", "A"), rec("A-3", "A"), rec("B-1", "B"),
                                rec("B-2", "B", issued="2020-06-01")],
            **over}


@pytest.fixture
def audit(run, tmp_path, db):
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit_brief()), encoding="utf-8")
    run("init", "--from", str(path))
    return db


def report(run, *args) -> dict:
    return json.loads(run("report", "--json", *args).stdout)


# --- the brief's own scale ------------------------------------------------------------

def test_statuses_prints_the_trackers_own_scale(run, audit):
    rows = json.loads(run("statuses", "--json").stdout)
    assert [(r["status"], r["label"], r["class"]) for r in rows] == [
        (s["id"], s["label"], s["class"]) for s in SCALE]
    assert rows[1]["aliases"] == ["UI", "in progress"]
    table = run("statuses").stdout
    assert "Overtaken by events" in table and "excluded" in table
    assert run("statuses", "--format", "tsv").stdout.splitlines()[0] == \
        "status\tlabel\tscore\tclass\taliases\tdefinition"


@pytest.mark.parametrize("typed", ["under_implementation", "Under implementation", "UNDER-IMPLEMENTATION",
                                   "ui", "In Progress", "underimplementation"])
def test_a_status_is_its_id_label_or_alias_in_any_spelling(run, audit, typed):
    out = run("update-status", "A-1", typed, "--date", "2017-01-01").stdout
    assert out == "A-1: not_assessed -> under_implementation (as of 2017-01-01)\n"


def test_an_unknown_status_is_refused_with_the_closest_of_the_scale(run, audit):
    before = digest(audit)
    result = run("update-status", "A-1", "overtakn", code=2)
    assert result.stderr.startswith("alliance: unknown status 'overtakn': did you mean overtaken?")
    assert "use one of not_assessed, under_implementation," in result.stderr
    assert result.stderr.count("\n") == 1 and digest(audit) == before
    run("update-status", "A-1", "partial", code=2)  # the default scale's words mean nothing here


def test_excluded_recommendations_leave_the_denominator_and_the_rule_says_so(run, audit):
    run("update-status", "A-1", "implemented", "--date", "2017-03-01")
    run("update-status", "A-2", "moot", "--date", "2017-03-01", "--note", "Overtaken by the 2017 reform")
    run("update-status", "A-3", "UI", "--date", "2017-03-01")
    data = report(run, "--as-of", "2018-01-01")
    # By hand: A-1 1, A-3 0.5, B-1 0 counted; A-2 excluded; B-2 not issued until 2020.
    assert data["overall"] == {"progress": 0.5, "implemented": 1, "total": 4, "denominator": 3, "excluded": 1,
                               "by_status": {"not_assessed": 1, "under_implementation": 1, "closure_requested": 0,
                                             "implemented": 1, "not_implemented": 0, "overtaken": 1}}
    finance = data["pillars"][0]
    assert (finance["progress"], finance["denominator"], finance["implemented"]) == (0.75, 2, 1)
    plain = run("report", "--as-of", "2018-01-01").stdout
    assert ("Rule: progress = mean over recommendations of: implemented 1, closure_requested 0.75, "
            "under_implementation 0.5, any other status 0; overtaken left out of the denominator; "
            "denominator: 3 recommendations (1 of 4 excluded: 1 overtaken).") in plain
    assert "Overall  ##########----------  50%  1/3 implemented" in plain


def test_closed_recommendations_never_need_attention(run, audit):
    run("update-status", "A-1", "closure requested", "--date", "2017-01-01")
    run("update-status", "A-1", "not_implemented", "--date", "2017-06-01")  # a lower score, but closed
    run("update-status", "A-2", "under_implementation", "--date", "2017-01-01")
    run("update-status", "A-2", "moot", "--date", "2017-06-01")
    run("update-status", "A-3", "closure_requested", "--date", "2017-01-01")
    run("update-status", "A-3", "UI", "--date", "2017-06-01")  # an open downgrade: flagged
    attention = {a["id"]: a["reasons"] for a in report(run, "--as-of", "2019-01-01")["attention"]}
    assert attention == {"A-3": ["downgraded from closure_requested on 2017-06-01", "not updated for 579 days"]}
    piped = run("report", "--as-of", "2019-01-01").stdout  # the status column fits the scale's longest id
    assert "  A-3          under_implementation  downgraded from closure_requested" in piped


@pytest.mark.parametrize(("change", "where", "problem"), [
    (lambda s: s[1].update(id="not_assessed"), "statuses[1].id", "'not_assessed' is already a spelling"),
    (lambda s: s[2].update(aliases=["ui"]), "statuses[2].aliases[0]", "'ui' is already a spelling"),
    (lambda s: s[2].update(label="Under-Implementation"), "statuses[2].label", "already a spelling"),
    (lambda s: s[3].update(score=1.5), "statuses[3].score", "must be a number from 0 to 1, found 1.5"),
    (lambda s: s[3].update(score=True), "statuses[3].score", "must be a number from 0 to 1"),
    (lambda s: s[4].update({"class": "closed"}), "statuses[4].class", "unknown class 'closed'"),
    (lambda s: s[0].update(id="Not Assessed"), "statuses[0].id", "is not a status id"),
    (lambda s: [x.update({"class": "closed_implemented"}) for x in s[:3]], "statuses",
     "needs an open status for recommendations to start in"),
    (lambda s: s[0].update(colour="red"), "statuses[0].colour", "unknown field"),
])
def test_an_invalid_scale_is_refused_with_its_field(run, tmp_path, db, change, where, problem):
    data = audit_brief()
    data["statuses"] = [dict(s) for s in SCALE]
    change(data["statuses"])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("init", "--from", str(path), code=2)
    assert result.stderr.startswith(f"alliance: {path}: {where}: ") and problem in result.stderr
    assert result.stderr.count("\n") == 1 and not db.exists()


def test_an_event_in_a_status_the_scale_lacks_is_refused(run, tmp_path, db):
    data = audit_brief()
    data["recommendations"][0]["history"] = [{"id": "0123456789abcdef", "date": "2017-01-01",
                                              "recorded_at": "2017-01-01T00:00:00.000000Z",
                                              "from": "not_assessed", "to": "partial", "note": "", "evidence": []}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("init", "--from", str(path), code=2)
    assert "recommendations[0].history[0].to: unknown status 'partial'" in result.stderr and not db.exists()


def test_import_between_trackers_of_different_scales_is_refused(run, audit, tmp_path):
    other = tmp_path / "other.json"
    run("--db", str(other), "list")  # the shipped brief, the default scale
    exported = tmp_path / "exp.json"
    run("--db", str(other), "export", "-o", str(exported))
    data = json.loads(exported.read_text())
    data["brief"]["id"] = "board-2016"
    exported.write_text(json.dumps(data))
    before = digest(audit)
    result = run("import", str(exported), code=2)
    assert "status scale" in result.stderr and "import needs the same statuses" in result.stderr
    assert digest(audit) == before


def test_an_export_carries_the_scale_and_starts_the_same_tracker(run, audit, tmp_path):
    run("update-status", "A-1", "moot", "--date", "2017-01-01")
    exported = tmp_path / "exp.json"
    run("export", "-o", str(exported))
    data = json.loads(exported.read_text())
    assert data["statuses"][5]["aliases"] == ["moot", "OBE"] and data["review_days"] == 365
    copy = tmp_path / "copy.json"
    run("--db", str(copy), "init", "--from", str(exported))
    assert json.loads(run("--db", str(copy), "report", "--json").stdout)["overall"] == report(run)["overall"]


# --- issue dates --------------------------------------------------------------------------

def test_only_what_was_issued_by_then_counts(run, audit):
    run("update-status", "A-1", "implemented", "--date", "2018-01-01")
    run("update-status", "B-2", "implemented", "--date", "2021-01-01")
    shown = json.loads(run("show", "B-2", "--json").stdout)
    assert shown["issued"] == "2020-06-01" and json.loads(run("show", "A-1", "--json").stdout)["issued"] == "2016-01-01"
    then = report(run, "--as-of", "2019-12-31")
    assert (then["overall"]["total"], then["overall"]["progress"]) == (4, 0.25)
    assert [p["total"] for p in then["pillars"]] == [3, 1]
    now = report(run, "--compare", "2019-12-31")
    assert (now["overall"]["total"], now["overall"]["progress"]) == (5, 0.4)
    assert now["compare"]["overall"] == {"then": 0.25, "now": 0.4, "change": 0.15,
                                         "implemented_then": 1, "implemented_now": 2}
    assert [(p["id"], p["then"], p["now"]) for p in now["compare"]["pillars"]] == [("A", 0.3333, 0.3333),
                                                                                 ("B", 0.0, 0.5)]


def test_the_timeline_counts_what_was_issued_by_each_point(run, audit):
    import datetime as dt

    from alliance_cli.core import timeline
    from alliance_cli.store.tracker import Tracker

    run("update-status", "A-1", "implemented", "--date", "2020-05-15")
    run("update-status", "B-2", "implemented", "--date", "2020-07-10")
    state = Tracker(audit).read()
    points = timeline.monthly_progress(state.pillars, state.recommendations(), dt.date(2020, 7, 31), state.scale)
    by_month = {p["month"]: p for p in points}
    # May: A-1 done of the four issued; June: B-2 issued, not yet done; July: both done of five.
    assert [by_month[m]["overall"] for m in ("2020-05", "2020-06", "2020-07")] == [0.25, 0.2, 0.4]
    assert by_month["2020-05"]["pillars"] == {"A": 0.3333, "B": 0.0}


def test_an_event_before_the_issue_date_is_refused_and_writes_nothing(run, audit):
    before = digest(audit)
    result = run("update-status", "B-2", "implemented", "--date", "2020-05-31", code=2)
    assert result.stderr == ("alliance: B-2 was issued on 2020-06-01: a status on 2020-05-31 cannot predate it "
                             "(change the issue date with `alliance edit B-2 --issued DATE`)\n")
    assert digest(audit) == before
    run("update-status", "B-2", "implemented", "--date", "2020-06-01")  # the day itself is fine


def test_add_and_edit_set_the_issue_date_and_edit_cannot_move_it_past_an_event(run, audit):
    from alliance_cli.core import dates

    run("add", "-p", "A", "-t", "A new finding")
    assert json.loads(run("show", "A-4", "--json").stdout)["issued"] == dates.today().isoformat()
    run("add", "-p", "A", "-t", "An older finding", "--issued", "2019-02-01")
    assert json.loads(run("show", "A-5", "--json").stdout)["issued"] == "2019-02-01"
    run("update-status", "A-5", "UI", "--date", "2019-03-01")
    before = digest(audit)
    result = run("edit", "A-5", "--issued", "2019-04-01", code=2)
    assert "--history[0].date: 2019-03-01 is before A-5 was issued (2019-04-01)" in result.stderr
    assert digest(audit) == before
    run("edit", "A-5", "--issued", "2019-01-01")
    assert json.loads(run("show", "A-5", "--json").stdout)["issued"] == "2019-01-01"
    run("undo", "--yes")
    assert json.loads(run("show", "A-5", "--json").stdout)["issued"] == "2019-02-01"


# --- who said it, and who recorded it --------------------------------------------------------

def test_by_is_kept_shown_exported_and_filtered(run, audit, tmp_path):
    run("update-status", "A-1", "closure requested", "--date", "2017-02-01", "--by", "Administration",
        "--note", "Claims the new rules answer it")
    run("update-status", "A-1", "UI", "--date", "2017-09-01", "--by", "Board of Audit", "--note", "Not yet")
    history = json.loads(run("show", "A-1", "--json").stdout)["history"]
    assert [(e["by"], e["recorded_by"]) for e in history] == [("Administration", TESTER), ("Board of Audit", TESTER)]
    plain = run("show", "A-1").stdout
    assert "by Administration" in plain and f"by {TESTER}" in plain
    assert [r["by"] for r in json.loads(run("log", "--json", "--by", "board").stdout)] == ["Board of Audit"]
    assert json.loads(run("log", "--json", "--by", "nobody").stdout) == []
    run("update-status", "B-1", "UI", "--date", "2017-02-01", "--by", "Ministère des Finances")
    assert [r["id"] for r in json.loads(run("log", "--json", "--by", "MINISTERE").stdout)] == ["B-1"]
    assert run("log", "--by", "admin").stdout.splitlines()[0].endswith("\tby\trecorded_by")
    exported = json.loads(run("export").stdout)
    assert [e["by"] for e in exported["recommendations"][0]["history"]] == ["Administration", "Board of Audit"]
    csv = run("log", "--format", "csv").stdout
    assert "Board of Audit" in csv and csv.splitlines()[5].endswith(",by,recorded_by")


def test_a_by_of_many_lines_is_refused(run, audit):
    before = digest(audit)
    result = run("update-status", "A-1", "UI", "--by", "Board\nof Audit", code=2)
    assert result.stderr == "alliance: --by: must be one line of at most 200 characters\n"
    assert digest(audit) == before


def test_recorded_by_comes_from_alliance_user_then_git_then_the_login(run, audit, tmp_path, monkeypatch):
    import getpass

    run("update-status", "A-1", "UI", "--date", "2017-01-01", env={"ALLIANCE_USER": "  Kim   Ji-won "})
    monkeypatch.delenv("ALLIANCE_USER")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "config", "user.name", "Park Analyst"], check=True)
    run("update-status", "A-2", "UI", "--date", "2017-01-01")
    subprocess.run(["git", "-C", str(tmp_path), "config", "--unset", "user.name"], check=True)
    from alliance_cli.store import identity

    identity._git_user.cache_clear()  # the test's process ran the write before: asked git then
    run("update-status", "A-3", "UI", "--date", "2017-01-01")
    who = {r["id"]: r["recorded_by"] for r in json.loads(run("log", "--json").stdout)}
    assert who == {"A-1": "Kim Ji-won", "A-2": "Park Analyst", "A-3": getpass.getuser()}
    head = json.loads(audit.read_text())
    entries = [head["journal"][n] for n in sorted(head["journal"], key=int)]
    assert [e["recorded_by"] for e in entries][-3:] == ["Kim Ji-won", "Park Analyst", getpass.getuser()]


# --- reassessments and duplicates ----------------------------------------------------------

def test_since_lists_assessments_and_reassessments_under_their_own_headings(run, audit):
    run("update-status", "A-1", "UI", "--date", "2017-02-01")  # an assessment
    run("update-status", "A-1", "UI", "--date", "2017-09-01", "--note", "Still under way")  # a reassessment
    run("update-status", "A-1", "closure_requested", "--date", "2017-10-01")  # an upgrade
    run("update-status", "A-2", "closure_requested", "--date", "2017-03-01")
    run("update-status", "A-2", "UI", "--date", "2017-11-01")  # a downgrade
    since = report(run, "--since", "2017-01-01")["changes_since"]
    kinds = {key: [(c["id"], c["date"]) for c in since[key]] for key in
             ("assessments", "upgrades", "downgrades", "other", "reassessments")}
    assert kinds == {"assessments": [("A-2", "2017-03-01"), ("A-1", "2017-02-01")],
                     "upgrades": [("A-1", "2017-10-01")], "downgrades": [("A-2", "2017-11-01")],
                     "other": [], "reassessments": [("A-1", "2017-09-01")]}
    plain = run("report", "--since", "2017-01-01").stdout
    section = plain[plain.index("Reassessments since 2017-01-01"):].splitlines()[1]
    assert section.startswith("  2017-09-01  A-1") and "Still under way" in section
    assert [r["from"] for r in json.loads(run("log", "A-1", "--json").stdout)] == [
        "under_implementation", "under_implementation", "not_assessed"]


def test_an_exact_repeat_is_refused_as_a_duplicate_and_writes_nothing(run, audit):
    args = ("update-status", "A-1", "UI", "--date", "2017-02-01", "--note", "Annual report 2017",
            "-e", "https://example.org/2017")
    run(*args)
    before = digest(audit)
    result = run(*args, code=2)
    assert result.stderr.startswith("alliance: A-1 already has this update (under_implementation on 2017-02-01, "
                                    "same note and evidence: event ")
    assert digest(audit) == before
    run(*args[:-2])  # the same without its evidence is another statement
    run(*args[:-4], "--note", "Annual report 2018")
    assert len(json.loads(run("show", "A-1", "--json").stdout)["history"]) == 3


# --- the review cycle ------------------------------------------------------------------------

def test_the_review_cycle_comes_from_the_brief_and_the_report_can_change_it(run, audit):
    run("update-status", "A-1", "UI", "--date", "2017-01-01")
    run("update-status", "A-2", "UI", "--date", "2017-10-01")

    def flagged(*args):
        return {a["id"]: a["reasons"] for a in report(run, "--as-of", "2018-03-01", *args)["attention"]}

    assert flagged() == {"A-1": ["not updated for 424 days"]}  # the brief's review_days: 365
    assert flagged("--stale-days", "100") == {"A-1": ["not updated for 424 days"],
                                              "A-2": ["not updated for 151 days"]}
    assert report(run)["windows"] == {"recent_days": 30, "stale_days": 365}
    recent = report(run, "--as-of", "2017-10-20", "--recent-days", "300")
    assert [c["id"] for c in recent["recent"]] == ["A-2", "A-1"]
    assert [c["id"] for c in report(run, "--as-of", "2017-10-20")["recent"]] == ["A-2"]
    assert "Recent changes (last 300 days to 2017-10-20)" in run(
        "report", "--as-of", "2017-10-20", "--recent-days", "300").stdout
    result = run("report", "--stale-days", "0", code=2)
    assert "--stale-days" in result.stderr


def test_a_brief_without_a_scale_gets_the_default_one_and_180_days(run, db):
    run("list")
    head = json.loads(db.read_text())["meta"]["1"]
    assert [s["id"] for s in head["statuses"]] == ["not_assessed", "no_action", "in_progress", "partial",
                                                    "implemented", "stalled", "abandoned"]
    assert head["review_days"] == 180
    assert {s["id"]: s["class"] for s in head["statuses"]}["abandoned"] == "closed_not_implemented"


def test_the_html_report_speaks_the_scale_of_its_tracker(run, audit, tmp_path):
    run("update-status", "A-1", "implemented", "--date", "2017-03-01")
    run("update-status", "A-2", "OBE", "--date", "2017-03-01")
    page = tmp_path / "report.html"
    run("report", "-o", str(page), env={"SOURCE_DATE_EPOCH": "1700000000"})
    html = page.read_text(encoding="utf-8")
    assert "1 of 4 recommendations implemented" in html
    assert "Overtaken by events" in html and "Not yet assessed" in html  # the scale's labels
    assert "denominator: 4 recommendations (1 of 5 excluded: 1 overtaken by events)" in html
    assert "1/4 implemented</text>" in html  # the bars count out of the denominator too
    run("update-status", "A-1", "not_implemented", "--date", "2018-03-01")
    run("report", "-o", str(page), "--since", "2017-01-01")
    html = page.read_text(encoding="utf-8")
    assert "3 status changes on 2 recommendations: 2 first assessments (" in html and "1 downgrade (" in html


@pytest.mark.parametrize(("global_config", "local_config"), [
    ("[user]\n\tname = Global Name\n", ""),
    ("[user]\n\tname = Global Name\n", "[user]\n\tname = Local Name  # the repository's\n"),
    ("[core]\n\teditor = vi\n[User]\n  NAME=Upper Case\n", '[remote "origin"]\n\turl = x\n'),
    ('[user]\n\tname = "Quoted \\"Name\\""\n', ""),  # git's quoting: git is asked
    ("[include]\n\tpath = other.gitconfig\n", ""),  # an include: git is asked
    ("[user]\n\temail = a@b.c\n", ""),  # no name anywhere
])
def test_user_name_is_read_as_git_reads_it(tmp_path, monkeypatch, global_config, local_config):
    from alliance_cli.store import identity

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (home / ".gitconfig").write_text(global_config)
    (home / "other.gitconfig").write_text("[user]\n\tname = Included Name\n")
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    with (repo / ".git" / "config").open("a") as config:
        config.write(local_config)
    asked = subprocess.run(["git", "-C", str(repo), "config", "user.name"], capture_output=True, text=True)
    identity._git_user.cache_clear()
    assert identity._git_user(repo) == asked.stdout.strip()


@pytest.mark.parametrize("days", [0, 36501, 1.5, "365", True])
def test_a_review_cycle_out_of_range_is_refused_with_its_field(run, tmp_path, db, days):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(audit_brief(review_days=days)), encoding="utf-8")
    result = run("init", "--from", str(path), code=2)
    assert result.stderr == (f"alliance: {path}: review_days: must be a whole number of days from 1 to 36500, "
                             f"found {days!r}\n") and not db.exists()
