"""Issue #10's acceptance test: a brief with its own scale (an excluded class, aliases), years of an
audit board's annexes replayed from one CSV through `update-status --from`, checked against a table
worked out by hand; the same file given again is refused whole, the tracker byte-identical."""

import json

from conftest import digest, tree_state

SCALE = [
    {"id": "not_assessed", "label": "Not yet assessed", "score": 0, "class": "open", "definition": "Not looked at."},
    {"id": "under_implementation", "label": "Under implementation", "aliases": ["UI"], "score": 0.5,
     "class": "open", "definition": "Work under way."},
    {"id": "closure_requested", "label": "Closure requested", "score": 0.75, "class": "open",
     "definition": "The administration asks the board to close it."},
    {"id": "implemented", "label": "Implemented", "score": 1, "class": "closed_implemented",
     "definition": "Closed: implemented."},
    {"id": "not_implemented", "label": "Closed, not implemented", "score": 0, "class": "closed_not_implemented",
     "definition": "Closed without being implemented."},
    {"id": "overtaken", "label": "Overtaken by events", "aliases": ["moot", "OBE"], "score": 0, "class": "excluded",
     "definition": "No longer relevant: left out of the rate."},
]


def brief() -> dict:
    def rec(rec_id, **fields):
        return {"id": rec_id, "pillar": rec_id[0], "title": f"Recommendation {rec_id}", "text": f"Do {rec_id}.",
                "section": "", "key": False, "actors": [], "initiatives": [], "sources": [], **fields}

    return {"format": 1, "statuses": SCALE,
            "brief": {"id": "board-2016", "title": "Annual audit report 2016", "author": "Board",
                      "publisher": "Board of Audit", "published": "2016-01"},
            "pillars": [{"id": "A", "name": "Finance", "description": ""},
                        {"id": "B", "name": "Procurement", "description": ""}],
            "recommendations": [rec("A-1"), rec("A-2"), rec("A-3"), rec("B-1"), rec("B-2", issued="2019-06-01"),
                                rec("B-3", issued="2020-03-01")]}


# Five annual annexes in one file, in no particular order, in the board's own words.
ANNEXES = """id,status,date,note,evidence,by
B-2,implemented,2020-11-30,Contracts re-tendered,,Board
A-1,Closure requested,2018-11-30,Plan adopted,https://example.org/a1,Administration
A-1,UI,2016-11-30,Plan drafted,,Administration
A-2,moot,2018-11-30,Overtaken by the 2018 reform,,Board
A-1,Under implementation,2017-11-30,Plan still in draft,,Board
A-3,not implemented,2017-11-30,Rejected by the ministry,,Board
B-1,closure_requested,2019-11-30,,,Administration
A-2,ui,2016-11-30,,,Board
B-1,UI,2020-11-30,The board disagrees,,Board
B-2,UI,2019-11-30,,,Board
A-1,implemented,2019-11-30,Closed by the board,,Board
B-3,UI,2020-11-30,,,Board
"""


def report(run, *args) -> dict:
    return json.loads(run("report", "--json", *args).stdout)


def test_years_of_annexes_replayed_from_a_csv(run, tmp_path, db):
    (tmp_path / "board.json").write_text(json.dumps(brief()))
    run("init", "--from", str(tmp_path / "board.json"))
    annexes = tmp_path / "annexes.csv"
    annexes.write_text(ANNEXES)
    assert run("update-status", "--from", str(annexes)).stdout == f"12 updates to 6 recommendations from {annexes}\n"

    # By hand: the final statuses, and A-1's chain (its rows were scattered through the file).
    listed = {r["id"]: r["status"] for r in json.loads(run("list", "--json").stdout)}
    assert listed == {"A-1": "implemented", "A-2": "overtaken", "A-3": "not_implemented",
                      "B-1": "under_implementation", "B-2": "implemented", "B-3": "under_implementation"}
    a1 = json.loads(run("show", "A-1", "--json").stdout)["history"]
    assert [(e["date"], e["from"], e["to"], e["by"]) for e in a1] == [
        ("2016-11-30", "not_assessed", "under_implementation", "Administration"),
        ("2017-11-30", "under_implementation", "under_implementation", "Board"),
        ("2018-11-30", "under_implementation", "closure_requested", "Administration"),
        ("2019-11-30", "closure_requested", "implemented", "Board")]

    # Now: six issued, A-2 excluded; A-1 1 + A-3 0 + B-1 0.5 + B-2 1 + B-3 0.5 = 3 over 5.
    overall = report(run)["overall"]
    assert {k: overall[k] for k in ("progress", "implemented", "total", "denominator", "excluded")} == {
        "progress": 0.6, "implemented": 2, "total": 6, "denominator": 5, "excluded": 1}
    assert "denominator: 5 recommendations (1 of 6 excluded: 1 overtaken)" in run("report").stdout

    # At the end of 2018, B-2 and B-3 were not issued yet: A-1 0.75 + A-3 0 + B-1 0 over 3 (A-2 excluded).
    then = report(run, "--as-of", "2018-12-31")
    assert {k: then["overall"][k] for k in ("progress", "implemented", "total", "denominator")} == {
        "progress": 0.25, "implemented": 0, "total": 4, "denominator": 3}
    assert [(p["id"], p["progress"], p["total"]) for p in then["pillars"]] == [("A", 0.375, 3), ("B", 0.0, 1)]

    # Since 2017: one reassessment (A-1 kept its status in 2017); leaving the start is an assessment,
    # newest first, rows of one date in the order the file gave them (B-1 before B-2).
    since = report(run, "--since", "2017-01-01")["changes_since"]
    assert [(c["id"], c["date"]) for c in since["reassessments"]] == [("A-1", "2017-11-30")]
    assert [(c["id"], c["date"]) for c in since["assessments"]] == [
        ("B-3", "2020-11-30"), ("B-2", "2019-11-30"), ("B-1", "2019-11-30"), ("A-3", "2017-11-30")]

    # The same annexes again: refused whole, at the first row applied, and nothing written.
    before = tree_state(tmp_path)
    again = run("update-status", "--from", str(annexes), code=2)
    assert again.stderr.startswith(f"alliance: {annexes}: row 4: A-1 already has this update")
    assert again.stderr.count("\n") == 1 and tree_state(tmp_path) == before

    # A new annex that repeats one old row is refused whole too: its new row is not recorded.
    (tmp_path / "2021.csv").write_text("id,status,date,note,evidence,by\nB-3,implemented,2021-11-30,,,Board\n"
                                       "B-1,UI,2020-11-30,The board disagrees,,Board\n")
    tracker = digest(db)  # the head and every body file
    assert "row 3: B-1 already has this update" in run("update-status", "--from", str(tmp_path / "2021.csv"),
                                                        code=2).stderr
    assert digest(db) == tracker

    # And one row dated before its recommendation was issued.
    (tmp_path / "early.csv").write_text("id,status,date\nB-1,implemented,2021-01-01\nB-3,UI,2020-01-15\n")
    early = run("update-status", "--from", str(tmp_path / "early.csv"), code=2).stderr
    assert early.startswith(f"alliance: {tmp_path / 'early.csv'}: row 3, column date: B-3 was issued on "
                            "2020-03-01: a status on 2020-01-15 cannot predate it")
    assert digest(db) == tracker
