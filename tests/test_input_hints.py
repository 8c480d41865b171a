"""What users type is read as they meant it, or refused with what they probably meant:
"did you mean" for statuses and pillars (by id or name), and relative dates.
"""

import datetime as dt

import orjson
import pytest

from conftest import digest

# --- did you mean ---------------------------------------------------------------------

def refused(run, *args: str) -> str:
    result = run(*args, code=2)
    assert result.stdout == "" and result.stderr.count("\n") == 1
    return result.stderr


@pytest.mark.parametrize(("typed", "meant"), [
    ("implementd", "implemented"), ("progress", "in_progress"), ("in progres", "in_progress"),
    ("stall", "stalled"), ("partail", "partial"), ("Assessed", "not_assessed"),
])
def test_an_unknown_status_suggests_the_closest(run, seeded, typed, meant):
    message = refused(run, "list", "--status", typed)
    assert f"unknown status {typed!r}: did you mean {meant}" in message
    assert "use one of not_assessed" in message


def test_an_unknown_status_with_nothing_close_lists_the_scale(run, seeded):
    before = digest(seeded)
    message = refused(run, "update-status", "SEC-1", "done")
    assert message == ("alliance: unknown status 'done': use one of not_assessed, no_action, in_progress, partial, "
                       "implemented, stalled, abandoned\n")
    assert "did you mean implemented" in refused(run, "update-status", "SEC-1", "implemnted")
    assert digest(seeded) == before


@pytest.mark.parametrize(("typed", "meant"), [
    ("SE", "SEC (Security and Defense)"),            # by id
    ("climat", "CLIMATE (Climate and Energy)"),
    ("defense", "SEC (Security and Defense)"),       # by a word of the name
    ("economy", "ECON (Economic Security and Supply Chains)"),
    ("supply chains", "ECON (Economic Security and Supply Chains)"),
    ("Digital and Cyber security", "CYBER (Digital and Cybersecurity)"),  # by the name
])
def test_an_unknown_pillar_suggests_by_id_or_name(run, seeded, typed, meant):
    for command in (("list",), ("report",), ("add", "--title", "x")):
        message = refused(run, *command, "--pillar", typed)
        assert f"unknown pillar {typed!r}: did you mean {meant}" in message, message
        assert message.rstrip().endswith("use one of SEC, ECON, CYBER, CLIMATE")


def test_a_word_shared_by_names_suggests_each_pillar_that_has_it(run, seeded):
    message = refused(run, "edit", "SEC-1", "--pillar", "security")
    assert "did you mean SEC (Security and Defense), ECON (Economic Security and Supply Chains), CYBER" in message


def test_an_unknown_pillar_with_nothing_close(run, seeded):
    assert refused(run, "list", "--pillar", "moon") == \
        "alliance: unknown pillar 'moon': use one of SEC, ECON, CYBER, CLIMATE\n"


# --- relative dates -------------------------------------------------------------------

def last_date(run, rec_id: str = "SEC-1") -> str:
    return orjson.loads(run("show", rec_id, "--json").stdout)["history"][-1]["date"]


@pytest.mark.parametrize(("typed", "days"), [
    ("today", 0), ("TODAY", 0), ("yesterday", 1), ("Yesterday", 1), ("3 days ago", 3), ("1 day ago", 1),
    ("0 days ago", 0), (" 10  Days  AGO ", 10), ("1 week ago", 7), ("2 weeks ago", 14), ("52 WEEKS AGO", 364),
])
def test_relative_dates(run, seeded, typed, days):
    run("update-status", "SEC-1", "partial", "--date", typed)
    assert last_date(run) == (dt.date.today() - dt.timedelta(days=days)).isoformat()


def test_relative_dates_in_every_date_option(run, seeded):
    run("update-status", "SEC-1", "partial", "--date", "3 days ago")
    week_ago = orjson.loads(run("report", "--as-of", "1 week ago", "--json").stdout)
    assert week_ago["as_of"] == (dt.date.today() - dt.timedelta(days=7)).isoformat()
    changes = orjson.loads(run("report", "--since", "yesterday", "--json").stdout)["changes_since"]
    assert changes["since"] == (dt.date.today() - dt.timedelta(days=1)).isoformat()
    assert [e["id"] for e in orjson.loads(run("log", "--since", "4 days ago", "--json").stdout)] == ["SEC-1"]
    assert orjson.loads(run("log", "--since", "2 days ago", "--json").stdout) == []
    run("edit", "SEC-2", "--due", "today")
    assert orjson.loads(run("show", "SEC-2", "--json").stdout)["due"] == dt.date.today().isoformat()


@pytest.mark.parametrize(("typed", "why"), [
    ("-3 days ago", "negative"), ("-1 weeks ago", "negative"), ("30000 days ago", "before 1950"),
    ("99999999999999999999 weeks ago", "before 1950"), ("1" * 5000 + " days ago", "before 1950"),
    ("tomorrow", "cannot read"), ("3 months ago", "cannot read"), ("three days ago", "cannot read"),
    ("3 days", "cannot read"), ("days ago", "cannot read"),
])
def test_relative_dates_refused(run, seeded, typed, why):
    before = digest(seeded)
    message = refused(run, "update-status", "SEC-1", "partial", "--date", typed)
    assert why in message
    assert digest(seeded) == before
