"""The shipped brief's `quote` field."""

import copy

import pytest

from alliance_cli.brief import BriefError, load_brief, shipped_brief_path, validate_brief
from alliance_cli.migrations import RECS
from alliance_cli.tracker import seed_tables

SHIPPED = load_brief(shipped_brief_path())


@pytest.mark.parametrize("quote", [7, None, True, ["a sentence"]])
def test_quote_must_be_a_string(quote):
    data = copy.deepcopy(SHIPPED)
    data["recommendations"][0]["quote"] = quote
    with pytest.raises(BriefError) as caught:
        validate_brief(data, "my-brief.json")
    message = str(caught.value)
    assert message.startswith("my-brief.json: recommendations[0].quote: must be a string"), message


def test_quote_is_optional():
    data = copy.deepcopy(SHIPPED)
    data["recommendations"][0].pop("quote", None)
    data["recommendations"][1]["quote"] = "Any words at all."
    validate_brief(data, "my-brief.json")


def test_a_new_tracker_keeps_each_quote():
    data = copy.deepcopy(SHIPPED)
    data["recommendations"][0]["quote"] = "The brief's own words."
    recs = seed_tables(data, "2024-03-01T00:00:00Z")[RECS]
    assert recs["1"]["quote"] == "The brief's own words."
