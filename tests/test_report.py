import datetime as dt
import json

from alliance_cli.core.brief import load_brief, shipped_brief_path
from alliance_cli.core.statuses import DEFAULT_SCALE

SHIPPED_RECS = load_brief(shipped_brief_path())["recommendations"]

TODAY = dt.date.today()


def days_ago(n):
    return (TODAY - dt.timedelta(days=n)).isoformat()


def report(run, *args):
    return json.loads(run("report", "--json", *args).stdout)


def test_empty_report_states_rule_and_denominator(run):
    data = report(run)
    assert data["overall"] == {**data["overall"], "progress": 0.0, "implemented": 0, "total": len(SHIPPED_RECS)}
    assert data["rule"] == DEFAULT_SCALE.rule() and data["as_of"] == TODAY.isoformat()
    plain = run("report").stdout
    total = len(SHIPPED_RECS)
    assert f"denominator: {total} recommendations" in plain and f"0/{total} implemented" in plain


def test_progress_is_the_mean_score_per_pillar(run):
    run("update-status", "CLIMATE-1", "implemented", "--date", days_ago(3))
    run("update-status", "CLIMATE-2", "partial", "--date", days_ago(3))
    run("update-status", "CLIMATE-3", "in_progress", "--date", days_ago(3))
    data = report(run)
    climate = next(p for p in data["pillars"] if p["id"] == "CLIMATE")
    assert climate["progress"] == round((1 + 0.5 + 0.25) / 3, 4)
    assert climate["implemented"] == 1 and climate["total"] == 3
    assert data["overall"]["progress"] == round(1.75 / len(SHIPPED_RECS), 4)
    assert "CLIMATE" in run("report").stdout and "58%" in run("report").stdout


def test_key_recent_and_attention(run):
    run("update-status", "SEC-2", "implemented", "--date", days_ago(100))
    run("update-status", "SEC-2", "stalled", "--date", days_ago(5), "--note", "talks paused")
    run("update-status", "ECON-3", "in_progress", "--date", days_ago(400))
    run("update-status", "ECON-4", "partial", "--date", days_ago(60))
    data = report(run)
    assert {k["id"] for k in data["key"]} >= {"SEC-1", "SEC-2", "CYBER-1"}
    assert [c["id"] for c in data["recent"]] == ["SEC-2"]
    assert data["recent"][0]["downgrade"] is True
    attention = {a["id"]: a["reasons"] for a in data["attention"]}
    assert attention["SEC-2"][0] == "stalled" and attention["SEC-2"][1].startswith("downgraded from implemented")
    assert attention["ECON-3"] == ["not updated for 400 days"]
    assert "ECON-4" not in attention
    plain = run("report").stdout
    assert "(downgrade)" in plain and "talks paused" in plain and "not updated for 400 days" in plain


def test_pillar_filter(run):
    data = report(run, "--pillar", "cyber")
    assert [p["id"] for p in data["pillars"]] == ["CYBER"] and data["overall"]["total"] == 1
    run("report", "--pillar", "nope", code=2)


def test_table_report_renders(run):
    run("update-status", "CYBER-1", "implemented", "--date", days_ago(2))
    out = run("report", "--format", "table", env={"COLUMNS": "100", "NO_COLOR": "1"}).stdout
    bars = [line for line in out.splitlines() if "░" in line or "█" in line]
    assert [line.split()[0] for line in bars] == ["Overall", "SEC", "ECON", "CYBER", "CLIMATE"]
    assert "█" * 20 in next(line for line in bars if line.startswith("CYBER"))  # drawn, not "#"
    assert "#" not in "".join(bars)
    assert f"denominator: {len(SHIPPED_RECS)} recommendations" in " ".join(out.split())  # wrapped, never cut
    assert "Needs attention" in out and "Recent changes" in out
