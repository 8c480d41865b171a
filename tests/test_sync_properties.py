"""Three analysts, random writing commands, syncs in random order: one tracker, the model's.

Each example starts a team (a bare repository and three clones), plays 20 rounds of
random steps (an update, an edit, an undo of the analyst's own last command, or a
sync), then lets everyone sync until all have everything. The three trackers must be
byte-identical, hold every event recorded and not undone exactly once, and the titles
the model says. Edits are shared out so that no two analysts edit one recommendation:
here every merge is clean (conflicts have their own tests in ``test_sync``).
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teamgit import git_sandbox, start_team

NAMES = ["Ana", "Ben", "Cai"]
RECS = ["SEC-1", "SEC-6", "ECON-2", "CYBER-1"]  # where everyone's updates meet
OWNED = {"Ana": "SEC-3", "Ben": "ECON-4", "Cai": "CLIMATE-2"}  # each one's to edit
STATUSES = ["in_progress", "partial", "implemented", "stalled"]
DATES = ["2024-03-01", "2024-06-15", "2025-01-10"]

STEP = st.tuples(st.sampled_from(range(len(NAMES))), st.sampled_from(["update", "update", "edit", "undo", "sync"]),
                 st.sampled_from(RECS), st.sampled_from(STATUSES), st.sampled_from(DATES))


class Model:
    """What the team's tracker must end as: events (by their unique notes) and titles."""

    def __init__(self, titles: dict[str, str]):
        self.events: set[tuple] = set()
        self.titles = dict(titles)
        self.last: dict[int, tuple | None] = {}  # each analyst's undoable last command, until they sync

    def update(self, who: int, event: tuple) -> None:
        self.events.add(event)
        self.last[who] = ("event", event)

    def edit(self, who: int, rec: str, title: str) -> None:
        self.last[who] = ("title", rec, self.titles[rec])
        self.titles[rec] = title

    def undo(self, who: int) -> None:
        done = self.last.pop(who)
        if done[0] == "event":
            self.events.discard(done[1])
        else:
            self.titles[done[1]] = done[2]


@pytest.fixture(autouse=True)
def sandbox(tmp_path_factory, monkeypatch):
    git_sandbox(tmp_path_factory.mktemp("git-sandbox"), monkeypatch)


@settings(max_examples=3, deadline=None, report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=20, max_size=20))
def test_three_analysts_syncing_in_any_order_end_with_the_models_tracker(run, tmp_path_factory, steps):
    team = start_team(run, tmp_path_factory.mktemp("team"), NAMES)
    recs = {r["id"]: r for r in team[0].export()["recommendations"]}
    model = Model({rec: recs[rec]["title"] for rec in OWNED.values()})
    for number, (who, action, rec, status, date) in enumerate(steps):
        analyst = team[who]
        if action == "update":
            note = f"{analyst.name} round {number}"  # unique: the model knows each event by it
            analyst("update-status", rec, status, "--date", date, "--note", note)
            model.update(who, (rec, date, status, note))
        elif action == "edit":
            title = f"{OWNED[analyst.name]} as {analyst.name} put it in round {number}"
            analyst("edit", OWNED[analyst.name], "--title", title)
            model.edit(who, OWNED[analyst.name], title)
        elif action == "undo" and model.last.get(who):
            analyst("undo", "--yes")
            model.undo(who)
        elif action == "sync":
            analyst("sync")
            model.last[who] = None  # what was shared stays shared (an undo is the journal's to order)
    for analyst in team + team[:-1]:  # the last to sync has everything; then the others take it
        analyst("sync")

    shared = team[0].tracked_bytes()
    assert all(analyst.tracked_bytes() == shared for analyst in team[1:])
    final = {r["id"]: r for r in team[-1].export()["recommendations"]}
    events = [(rec, e["date"], e["to"], e["note"]) for rec, r in final.items() for e in r["history"]]
    assert len(events) == len(set(events))  # none twice
    assert set(events) == model.events
    assert {rec: final[rec]["title"] for rec in OWNED.values()} == model.titles
