import datetime as dt
import json

import pytest

from conftest import digest


def show(run, rec_id):
    return json.loads(run("show", rec_id, "--json").stdout)


def test_update_changes_list_show_and_report(backdated, run):
    result = run("update-status", "sec-1", "implemented", "--note", "Done at the summit",
                 "--evidence", "https://example.org/a", "--date", "2024-01-11")
    assert result.stdout.strip() == "SEC-1: not_assessed -> implemented (as of 2024-01-11)"
    detail = show(run, "SEC-1")
    assert detail["status"] == "implemented" and detail["last_updated"] == "2024-01-11"
    [event] = detail["history"]
    assert (event["from"], event["to"], event["note"], event["evidence"]) == (
        "not_assessed", "implemented", "Done at the summit", ["https://example.org/a"])
    assert event["recorded_at"].endswith("Z") and len(event["id"]) == 16
    listed = {r["id"]: r for r in json.loads(run("list", "--json").stdout)}
    assert listed["SEC-1"]["status"] == "implemented"
    report = json.loads(run("report", "--json").stdout)
    sec = next(p for p in report["pillars"] if p["id"] == "SEC")
    assert sec["implemented"] == 1 and sec["by_status"]["implemented"] == 1


@pytest.mark.parametrize("text", ["2024-01-11", "Jan 11 2024", "11 January 2024", "January 11, 2024"])
def test_dates_in_friendly_forms(backdated, run, text):
    run("update-status", "SEC-1", "partial", "--date", text)
    assert show(run, "SEC-1")["history"][0]["date"] == "2024-01-11"


def test_default_date_is_today(run):
    run("update-status", "SEC-1", "partial")
    assert show(run, "SEC-1")["last_updated"] == dt.date.today().isoformat()


@pytest.mark.parametrize("spelling", ["in-progress", "In progress", "IN_PROGRESS", " in_progress "])
def test_friendly_status_spellings(run, spelling):
    run("update-status", "SEC-1", spelling)
    assert show(run, "SEC-1")["status"] == "in_progress"


def test_history_is_appended_never_rewritten(backdated, run):
    run("update-status", "SEC-1", "in_progress", "--date", "2024-01-01", "--note", "first")
    first = show(run, "SEC-1")["history"][0]
    run("update-status", "SEC-1", "implemented", "--date", "2024-03-01", "--note", "second")
    history = show(run, "SEC-1")["history"]
    assert history[0] == first and len(history) == 2
    assert history[1]["from"] == "in_progress"


def test_back_dated_event_falls_into_place(backdated, run):
    run("update-status", "SEC-1", "implemented", "--date", "2024-06-01")
    run("update-status", "SEC-1", "in_progress", "--date", "2024-01-01")
    detail = show(run, "SEC-1")
    assert detail["status"] == "implemented"
    assert [e["date"] for e in detail["history"]] == ["2024-01-01", "2024-06-01"]


def test_same_day_events_order_by_recording_time(run):
    run("update-status", "SEC-1", "implemented", "--date", "2024-06-01")
    run("update-status", "SEC-1", "stalled", "--date", "2024-06-01")
    assert show(run, "SEC-1")["status"] == "stalled"


def test_several_evidence_urls(run):
    run("update-status", "SEC-1", "partial", "-e", "https://a.example/1", "-e", "http://b.example/2")
    assert show(run, "SEC-1")["history"][0]["evidence"] == ["https://a.example/1", "http://b.example/2"]


TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize("args, message", [
    (["SEC-99", "implemented"], "unknown recommendation 'SEC-99': did you mean"),
    (["XYZ", "implemented"], "unknown recommendation 'XYZ'"),
    (["SEC-1", "done"], "unknown status 'done'"),
    (["SEC-1", "implemented", "--date", "someday"], "cannot read date 'someday'"),
    (["SEC-1", "implemented", "--date", "2024-02-30"], "cannot read date '2024-02-30'"),
    (["SEC-1", "implemented", "--date", TOMORROW], "is in the future"),
    (["SEC-1", "implemented", "--date", "0001-01-01"], "before 1950"),
    (["SEC-1", "implemented", "--evidence", "example.org/x"], "--evidence: must be an http(s) URL"),
    (["SEC-1", "implemented", "--evidence", "javascript:alert(1)"], "--evidence: must be an http(s) URL"),
])
def test_refusals_write_nothing(run, seeded, args, message):
    before = digest(seeded)
    result = run("update-status", *args, code=2)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert digest(seeded) == before


def test_refusal_on_fresh_machine_creates_nothing(run, db):
    run("update-status", "SEC-1", "done", code=2)
    assert not db.exists()
