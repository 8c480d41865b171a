"""The derived index: answers through it equal answers without it, and it is never trusted stale."""

import datetime as dt
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance_cli import index, store
from alliance_cli.tracker import Tracker

TODAY = dt.date.today()


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def scenario(run):
    run("update-status", "SEC-1", "implemented", "--date", ago(400), "-e", "https://example.org/1")
    run("update-status", "SEC-1", "stalled", "--date", ago(10), "--note", "paused")
    # Back-dated below the stalled: the stored "from" of the stalled event says not_assessed,
    # the ordered history says implemented -> stalled, a downgrade.
    run("update-status", "SEC-2", "stalled", "--date", ago(200))
    run("update-status", "SEC-2", "implemented", "--date", ago(300))
    run("update-status", "ECON-4", "no_action", "--date", ago(45))
    run("update-status", "ECON-1", "implemented", "--date", ago(29))
    run("update-status", "ECON-2", "partial", "--date", ago(30))
    run("update-status", "CYBER-1", "in_progress", "--date", ago(0))
    run("edit", "CLIMATE-1", "--due", ago(5))


COMMANDS = [["report", "--json"], ["list", "--json"], ["show", "SEC-2", "--json"], ["log", "--json"],
            ["report", "--json", "--as-of", ago(100)], ["report", "--json", "--since", ago(60)],
            ["report", "--json", "--compare", ago(250)], ["export"], ["report", "--format", "html"]]


def outputs(run):
    pinned = {"SOURCE_DATE_EPOCH": "1767225600"}
    return [run(*c, env=pinned).stdout for c in COMMANDS]


def test_answers_through_the_index_equal_answers_without_it(run, db):
    """Three ways to read: the index a save wrote, one rebuilt from the file, a whole parse."""
    scenario(run)
    idx = index.index_path(db)
    assert idx.exists()
    assert isinstance(Tracker(db).read().recommendations()[0]["history"], index.LazyHistory)
    with_index = outputs(run)
    written = json.loads(idx.read_bytes())

    idx.unlink()  # as after a git pull or a copy: the first read rebuilds it from the file
    assert outputs(run) == with_index
    rebuilt = json.loads(idx.read_bytes())
    assert sorted(rebuilt.pop("recs")) == sorted(written.pop("recs")) and rebuilt == written

    idx.unlink()
    db.write_text(json.dumps(json.loads(db.read_bytes()), indent=1))  # another layout: parsed whole
    assert not isinstance(Tracker(db).read().recommendations()[0]["history"], index.LazyHistory)
    assert outputs(run) == with_index
    assert not idx.exists()  # a read rebuilds the index only from alliance's own bytes


def test_a_save_through_lazy_histories_keeps_every_history(run, db):
    scenario(run)
    before = store.load_file(db)
    run("update-status", "ECON-3", "partial")
    after = store.load_file(db)
    changed = [k for k in after["recommendations"]
               if after["recommendations"][k]["history"] != before["recommendations"][k]["history"]]
    assert [after["recommendations"][k]["id"] for k in changed] == ["ECON-3"]
    assert db.read_bytes() == store.dumps(after)  # still the canonical bytes


def test_undoing_an_import_keeps_the_full_content_of_lazy_histories(run, db, tmp_path):
    other = tmp_path / "other.json"
    run("--db", str(other), "add", "-p", "SEC", "-t", "From the other copy")
    run("--db", str(other), "update-status", "SEC-9", "partial", "--note", "kept in the journal")
    exported = tmp_path / "export.json"
    run("--db", str(other), "export", "-o", str(exported))
    scenario(run)
    run("import", str(exported))
    run("list")  # the next command reads SEC-9's history lazily, through the index
    run("undo", "--yes")
    journal = store.load_file(db)["journal"]
    undo = max(journal.values(), key=lambda e: e["at"])
    removed = next(c for c in undo["changes"] if c["op"] == "remove_rec")
    assert [e["note"] for e in removed["content"]["history"]] == ["kept in the journal"]


def test_an_edit_of_a_field_alone_is_saved(run, db):
    scenario(run)
    run("edit", "SEC-1", "--title", "Only the title changes")
    saved = next(d for d in store.load_file(db)["recommendations"].values() if d["id"] == "SEC-1")
    assert saved["title"] == "Only the title changes" and len(saved["history"]) == 2
    assert json.loads(run("show", "SEC-1", "--json").stdout)["title"] == "Only the title changes"


def test_list_and_report_read_light_documents_and_the_rest_comes_from_the_file(run, db):
    scenario(run)
    full = {d["id"]: {k: v for k, v in d.items() if k != "history"}
            for d in store.load_file(db)["recommendations"].values()}
    assert b'"text"' not in index.index_path(db).read_bytes()  # the index holds no long text
    state = Tracker(db).read()
    light = {d["id"]: d for d in state.recommendations(complete=False)}
    assert all(set(d) <= {*index.LIGHT_KEYS, "history"} for d in light.values())
    assert {i: {k: d[k] for k in d if k != "history"} for i, d in light.items()} == {
        i: {k: v for k, v in f.items() if k in index.LIGHT_KEYS} for i, f in full.items()}
    assert {d["id"]: {k: v for k, v in d.items() if k != "history"} for d in state.recommendations()} == full
    assert state.get("sec-2")["text"] == full["SEC-2"]["text"]


def test_search_finds_words_that_are_only_in_the_text(run, db):
    scenario(run)
    climate_2 = next(d for d in store.load_file(db)["recommendations"].values() if d["id"] == "CLIMATE-2")
    word = next(w for w in climate_2["text"].split() if w.isalpha() and w.casefold() not in (
        climate_2["title"] + climate_2["id"]).casefold())
    found = [r["id"] for r in json.loads(run("list", "--search", word, "--json").stdout)]
    assert "CLIMATE-2" in found


def test_a_write_that_read_a_light_history_keeps_every_field(run, db):
    scenario(run)
    before = db.read_bytes()
    with Tracker(db).write("test") as state:
        doc = state.recommendations(complete=False)[0]
        assert "text" not in doc
        list(doc["history"])  # read, not changed
        state.update_status("ECON-3", "partial")
    after = store.load_file(db)
    assert db.read_bytes() == store.dumps(after)
    old = json.loads(before)
    keep = {k: d for k, d in old["recommendations"].items() if d["id"] != "ECON-3"}
    assert {k: after["recommendations"][k] for k in keep} == keep


def test_a_light_document_changed_without_completing_is_never_written(run, db):
    scenario(run)
    before = db.read_bytes()
    with pytest.raises(RuntimeError, match="light document"), Tracker(db).write("test") as state:
        doc_id = next(k for k, d in state.storage.data["recommendations"].items() if "text" not in d)
        state.recs.update({"history": []}, doc_ids=[int(doc_id)])  # a bug: not through State.get
    assert db.read_bytes() == before


def test_a_stale_or_broken_index_is_ignored(run, db):
    scenario(run)
    data = json.loads(db.read_text())
    doc = next(d for d in data["recommendations"].values() if d["id"] == "SEC-1")
    doc["title"] = "Edited by hand"
    db.write_text(json.dumps(data))  # an editor, git checkout, a copy...
    rows = {r["id"]: r for r in json.loads(run("list", "--json").stdout)}
    assert rows["SEC-1"]["title"] == "Edited by hand"
    run("update-status", "SEC-3", "partial")  # the next write rebuilds it
    assert index.read_index(db, 2) is not None
    index.index_path(db).write_bytes(b"\x00garbage")
    assert index.read_index(db, 2) is None
    assert json.loads(run("show", "SEC-3", "--json").stdout)["status"] == "partial"
    assert index.read_index(db, 2) is not None  # the read rebuilt it from the file


def test_the_index_is_private_and_cleans_its_temp_files(run, db):
    scenario(run)
    assert index.index_path(db).stat().st_mode & 0o777 == 0o600
    assert not [p for p in os.listdir(db.parent) if p.startswith(".alliance-tmp-")]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=12)
events = st.lists(st.fixed_dictionaries({
    "id": st.text(min_size=1, max_size=4), "note": st.text(max_size=20),
    "evidence": st.lists(st.text(max_size=8), max_size=2), "date": st.sampled_from(["2024-01-02", "2025-06-30"]),
    "recorded_at": st.sampled_from(["2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"]),
    "from": st.just("not_assessed"), "to": st.sampled_from(["partial", "stalled"])}), max_size=3)
recs = st.dictionaries(st.integers(1, 200).map(str), st.fixed_dictionaries(
    {"id": st.text(max_size=6), "due": st.text("0123456789-", min_size=1, max_size=10), "title": st.text(max_size=20),
     "history": events}), max_size=6)
tables = st.fixed_dictionaries({
    "meta": st.dictionaries(st.just("1"), st.dictionaries(st.text(max_size=5), json_values, max_size=3)),
    "recommendations": recs,
    "journal": st.dictionaries(st.integers(1, 50).map(str), st.dictionaries(st.text(max_size=5), json_values,
                                                                           max_size=3), max_size=4),
})


@settings(max_examples=150, deadline=None)
@given(tables)
def test_assemble_gives_exactly_the_canonical_bytes(data):
    payload, places = index.assemble(data)
    assert payload == store.dumps(data)
    for doc_id, (offset, length, doc_offset, doc_length) in places.items():
        assert json.loads(payload[offset:offset + length]) == data["recommendations"][doc_id]["history"]
        assert json.loads(payload[doc_offset:doc_offset + doc_length]) == data["recommendations"][doc_id]


def test_an_edit_to_a_value_of_the_same_length_is_saved(run, db):
    """A changed document's history is copied from the old file; its new fields must not be."""
    run("edit", "SEC-3", "--due", "2027-01-01")
    run("update-status", "SEC-2", "partial")  # a save through the index, SEC-3 untouched
    run("edit", "SEC-3", "--due", "2028-01-01")
    saved = next(d for d in store.load_file(db)["recommendations"].values() if d["id"] == "SEC-3")
    assert saved["due"] == "2028-01-01"
    assert json.loads(run("show", "SEC-3", "--json").stdout)["due"] == "2028-01-01"


@settings(max_examples=60, deadline=None)
@given(tables, st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["due", "title", "id", "history"])), max_size=4))
def test_a_save_through_the_index_gives_exactly_the_canonical_bytes(tmp_path_factory, data, edits):
    """Edited documents among copied ones, to values of the same length: bytes equal dumps.

    ("due" sorts before "history": an edit of it is in the bytes just before a copied history.)
    """
    data = {**data, "meta": {"1": {"schema": 2}}}
    path = tmp_path_factory.mktemp("save") / "t.json"
    store.save_file(path, data)
    tables = index.read_index(path, 2)
    assert tables is not None
    ids = sorted(tables[index.RECS])
    for n, field in edits:
        if not ids:
            break
        doc = index.complete(tables[index.RECS][ids[n % len(ids)]])
        if field == "history":
            doc["history"] = [{**e, "note": e["note"][::-1]} for e in doc["history"]]
        else:  # as many characters, other text (the same bytes when it was ASCII)
            doc[field] = "".join("x" if c != "x" else "y" for c in doc[field])
    payload, _ = index.assemble(tables)  # first: dumps below loads every lazy history
    assert payload == store.dumps(tables)


def test_export_is_written_one_recommendation_at_a_time_with_the_same_bytes(run, db, tmp_path):
    from alliance_cli import exchange

    scenario(run)
    run("update-status", "ECON-3", "partial", "--note", "a\nnote \u2028 with \"quotes\"")
    state = Tracker(db).read()
    parts = exchange.export_parts(state, "2026-01-01T00:00:00Z")
    assert not any(r["history"].loaded for r in state.recommendations(complete=False))  # nothing kept
    assert b"".join(parts) == store.dumps(exchange.export_data(Tracker(db).read(), "2026-01-01T00:00:00Z"))
    out = tmp_path / "export.json"
    run("export", "-o", str(out), env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert out.read_bytes() == run("export", env={"SOURCE_DATE_EPOCH": "1767225600"}).stdout_bytes


def test_a_file_not_in_alliances_bytes_is_read_whole_and_saved_canonical(run, db):
    scenario(run)
    index.index_path(db).unlink()
    text = db.read_text()
    assert text.count('"key": false') > 1
    db.write_text(text.replace('"key": false', '"key":  false', 1))  # one doc, by hand: still valid JSON
    run("list")  # a read: this file is not rebuilt into an index, so it is parsed whole
    assert not index.index_path(db).exists()
    run("update-status", "SEC-3", "partial")
    assert db.read_bytes() == store.dumps(store.load_file(db))


def test_a_refused_command_does_not_write_the_index_either(run, db):
    from conftest import tree_state

    scenario(run)
    index.index_path(db).unlink()
    before = tree_state(db.parent)
    result = run("update-status", "SEC-1", "done-ish", code=2)
    assert "unknown status" in result.stderr
    assert tree_state(db.parent) == before
