import copy
import json
import re
from pathlib import Path

import pytest

from alliance_cli.core.brief import BriefError, load_brief, shipped_brief_path, validate_brief

SHIPPED = load_brief(shipped_brief_path())
BRIEF_TEXT = (Path(__file__).resolve().parents[2] / "shared" / "brief").glob("*.txt")


def test_shipped_brief_holds_every_recommendation():
    recs = SHIPPED["recommendations"]
    assert 15 <= len(recs) <= 20
    assert {r["pillar"] for r in recs} == {p["id"] for p in SHIPPED["pillars"]}
    for rec in recs:
        assert re.fullmatch(rf"{rec['pillar']}-\d+", rec["id"])
        assert len(rec["title"]) <= 70 and rec["text"] and rec["section"] and rec["actors"]
    summary_mechanisms = ["Nuclear Consultative Group", "Strategic Cybersecurity Cooperation Framework",
                          "Indo-Pacific Economic Framework", "Critical and Emerging Technologies",
                          "Clean Energy Demand Initiative"]
    key_text = " ".join(r["text"] + " ".join(r["initiatives"]) for r in recs if r["key"])
    assert all(m in key_text for m in summary_mechanisms)
    body = " ".join(r["text"] for r in recs if not r["key"])
    assert "Special Measures Agreement" in body and "Minerals Security Partnership" in body


def test_sources_are_the_briefs_own_citations():
    texts = list(BRIEF_TEXT)
    if not texts:
        pytest.skip("the brief's text (../shared/brief) is not beside this checkout")
    brief_text = texts[0].read_text(encoding="utf-8")
    for rec in SHIPPED["recommendations"]:
        for url in rec["sources"]:
            assert url in brief_text, f"{rec['id']}: {url} is not cited in the brief"


def broken(mutate):
    data = copy.deepcopy(SHIPPED)
    mutate(data)
    return data


@pytest.mark.parametrize("mutate, path, problem", [
    (lambda d: d.update(format=2), "format", "must be 1"),
    (lambda d: d["brief"].pop("title"), "brief.title", "missing"),
    (lambda d: d["brief"].update(published="March 2024"), "brief.published", "YYYY-MM"),
    (lambda d: d.update(pillars=[]), "pillars", "at least one"),
    (lambda d: d["recommendations"][3].update(pillar="MOON"), "recommendations[3].pillar", "unknown pillar"),
    (lambda d: d["recommendations"][2].update(title="x" * 71), "recommendations[2].title", "1 to 70"),
    (lambda d: d["recommendations"][1].update(key="yes"), "recommendations[1].key", "true or false"),
    (lambda d: d["recommendations"][0]["sources"].append("ftp://x"), "recommendations[0].sources[", "http(s)"),
    (lambda d: d["recommendations"][5].update(id=d["recommendations"][4]["id"]), "recommendations[5].id",
     "duplicate"),
    (lambda d: d["recommendations"][0].update(due="soon"), "recommendations[0].due", "ISO date"),
    (lambda d: d["recommendations"][0].update(colour="red"), "recommendations[0].colour", "unknown field"),
])
def test_validation_names_file_and_field_path(mutate, path, problem):
    with pytest.raises(BriefError) as caught:
        validate_brief(broken(mutate), "my-brief.json")
    message = str(caught.value)
    assert message.startswith("my-brief.json: ") and path in message and problem in message


def test_load_brief_reports_bad_json(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(BriefError, match="bad.json"):
        load_brief(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(SHIPPED), encoding="utf-8")
    assert load_brief(good) == SHIPPED
