import json

import pytest

from alliance_cli.core.statuses import DEFAULT_SCALE
from alliance_cli.errors import InputError


def test_scale_is_ordered_and_defined(run):
    rows = json.loads(run("statuses", "--json").stdout)
    assert [r["status"] for r in rows] == ["not_assessed", "no_action", "in_progress", "partial",
                                          "implemented", "stalled", "abandoned"]
    assert all(r["definition"] for r in rows)
    assert {r["status"]: r["score"] for r in rows if r["score"]} == {
        "in_progress": 0.25, "partial": 0.5, "implemented": 1.0}
    assert "Nobody has assessed it yet" in run("statuses").stdout


def test_parse_and_downgrade():
    scale = DEFAULT_SCALE
    assert [scale.parse(n.upper().replace("_", " ")) for n in scale.names] == list(scale.names)
    assert scale.parse("InProgress") == scale.parse("in - progress") == "in_progress"
    with pytest.raises(InputError):
        scale.parse("finished")
    assert scale.is_downgrade("implemented", "stalled") and scale.is_downgrade("partial", "in_progress")
    assert not scale.is_downgrade("in_progress", "implemented") and not scale.is_downgrade("no_action", "stalled")
