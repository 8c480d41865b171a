"""Properties of the core, for any sequence of valid updates."""

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from alliance_cli.core.brief import load_brief, shipped_brief_path
from alliance_cli.core.history import status_at
from alliance_cli.core.statuses import NAMES
from alliance_cli.store import files as store
from alliance_cli.store.tracker import State, seed_tables

BRIEF = load_brief(shipped_brief_path())
IDS = [r["id"] for r in BRIEF["recommendations"]]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)

updates = st.lists(st.tuples(
    st.sampled_from(IDS),
    st.sampled_from(NAMES),
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date.today()),
    TEXT,
    st.lists(st.from_regex(r"https://[a-z]{1,10}\.example/[a-z0-9]{0,8}", fullmatch=True), max_size=2),
), max_size=25)


def fresh_state() -> State:
    return State(seed_tables(BRIEF, "2024-01-01T00:00:00.000000Z"), Path("memory.json"))


@settings(max_examples=60, deadline=None)
@given(updates)
def test_any_sequence_of_updates_keeps_the_invariants(steps):
    state = fresh_state()
    expected: dict[str, list[tuple[str, int, str]]] = {}
    for seq, (rec_id, status, day, note, urls) in enumerate(steps):
        before = sum(len(r["history"]) for r in state.recommendations())
        state.update_status(rec_id.lower(), status.upper(), date=day.isoformat(), note=note, evidence=tuple(urls))
        after = sum(len(r["history"]) for r in state.recommendations())
        assert after == before + 1  # each update adds exactly one event
        expected.setdefault(rec_id, []).append((day.isoformat(), seq, status))
    for rec in state.recommendations():
        # An independent model: the status of the latest event by date, then by order of recording.
        want = max(expected[rec["id"]])[2] if rec["id"] in expected else "not_assessed"
        assert status_at(rec["history"]) == want
    assert len(state.changes) == len(steps)  # and each is journaled


@settings(max_examples=40, deadline=None)
@given(updates)
def test_saving_and_loading_gives_the_same_state_and_bytes(steps):
    state = fresh_state()
    for rec_id, status, day, note, urls in steps:
        state.update_status(rec_id, status, date=day.isoformat(), note=note, evidence=tuple(urls))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.json"
        store.save_file(path, state.storage.data)
        first = path.read_bytes()
        loaded = store.load_file(path)
        assert loaded == state.storage.data
        store.save_file(path, loaded)
        assert path.read_bytes() == first


commands = st.lists(st.one_of(
    st.tuples(st.just("status"), st.sampled_from(IDS), st.sampled_from(NAMES),
              st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2025, 12, 31)), TEXT),
    st.tuples(st.just("due"), st.sampled_from(IDS), st.dates(min_value=dt.date(2024, 1, 1),
                                                             max_value=dt.date(2030, 12, 31))),
    st.tuples(st.just("title"), st.sampled_from(IDS), st.text("abc xyz", min_size=1, max_size=30).filter(str.strip)),
    st.tuples(st.just("undo")),
), min_size=1, max_size=8)


def _run_commands(path: Path, steps, *, through_index: bool) -> bytes:
    """Each step one writing command, as the CLI runs it, with a fixed clock and fixed event ids."""
    import itertools

    import pytest

    from alliance_cli import index
    from alliance_cli import tracker as tracker_module
    from alliance_cli.core import dates, journal
    from alliance_cli.store.tracker import Tracker

    clock, ids = itertools.count(), itertools.count()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dates, "now_stamp", lambda: f"2026-01-01T00:00:00.{next(clock):06d}Z")
        patch.setattr(tracker_module, "new_event_id", lambda: f"{next(ids):016x}")
        if not through_index:  # every command parses the whole file and serialises all of it
            patch.setattr(index, "read_index", lambda *args: None)
            patch.setattr(index, "rebuild", lambda *args, **kw: None)
        tracker = Tracker(path)
        tracker.read()
        for step in steps:
            with tracker.write(step[0]) as state:
                if step[0] == "status":
                    _, rec_id, status, day, note = step
                    state.update_status(rec_id, status, date=day.isoformat(), note=note)
                elif step[0] == "due":
                    state.edit_recommendation(step[1], {"due": step[2].isoformat()})
                elif step[0] == "title":
                    state.edit_recommendation(step[1], {"title": step[2]})
                elif (target := journal.undo_target(state.journal)) is not None:
                    state.revert(target)
    return path.read_bytes()


@settings(max_examples=30, deadline=None)
@given(commands)
def test_commands_through_the_index_save_the_bytes_of_whole_parses(steps):
    """The index's shortcuts (light documents, copied bytes) change nothing in the file."""
    with tempfile.TemporaryDirectory() as folder:
        fast = _run_commands(Path(folder) / "fast.json", steps, through_index=True)
        slow = _run_commands(Path(folder) / "slow.json", steps, through_index=False)
        assert fast == slow
        assert fast == store.dumps(store.load_file(Path(folder) / "fast.json"))
