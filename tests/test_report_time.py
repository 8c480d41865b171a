import json

# Back-dated on purpose: recorded in an order different from the dates.
EVENTS = [
    ("SEC-1", "implemented", "2024-06-01"),
    ("SEC-1", "in_progress", "2024-01-15"),
    ("SEC-2", "partial", "2024-03-01"),
    ("SEC-2", "stalled", "2024-09-01"),
    ("ECON-1", "in_progress", "2024-03-01"),
    ("ECON-1", "implemented", "2024-03-01"),  # same day: the later record wins
    ("CYBER-1", "no_action", "2023-12-31"),
]

# Computed by hand from EVENTS: status of each recommendation at the end of each date.
EXPECTED = {
    "2023-12-31": {"SEC-1": "not_assessed", "SEC-2": "not_assessed", "ECON-1": "not_assessed", "CYBER-1": "no_action"},
    "2024-01-15": {"SEC-1": "in_progress", "SEC-2": "not_assessed", "ECON-1": "not_assessed", "CYBER-1": "no_action"},
    "2024-03-01": {"SEC-1": "in_progress", "SEC-2": "partial", "ECON-1": "implemented", "CYBER-1": "no_action"},
    "2024-08-31": {"SEC-1": "implemented", "SEC-2": "partial", "ECON-1": "implemented", "CYBER-1": "no_action"},
    "2024-09-01": {"SEC-1": "implemented", "SEC-2": "stalled", "ECON-1": "implemented", "CYBER-1": "no_action"},
}
# SEC pillar progress by hand (8 recommendations): SEC-1 and SEC-2 scores over 8.
SEC_PROGRESS = {"2023-12-31": 0.0, "2024-01-15": 0.25 / 8, "2024-03-01": 0.75 / 8, "2024-08-31": 1.5 / 8,
                "2024-09-01": 1.0 / 8}


def record(run):
    for rec_id, status, date in EVENTS:
        run("update-status", rec_id, status, "--date", date)


def test_as_of_matches_the_hand_computed_table(backdated, run):
    record(run)
    for day, want in EXPECTED.items():
        data = json.loads(run("report", "--json", "--as-of", day).stdout)
        assert data["as_of"] == day
        key = {k["id"]: k["status"] for k in data["key"]}  # all four are key recommendations
        assert {rid: key[rid] for rid in want} == want, day
        sec = next(p for p in data["pillars"] if p["id"] == "SEC")
        assert sec["progress"] == round(SEC_PROGRESS[day], 4), day
        cyber = next(p for p in data["pillars"] if p["id"] == "CYBER")
        assert cyber["by_status"][want["CYBER-1"]] == 1


def test_since_splits_upgrades_downgrades_and_evidence(backdated, run):
    record(run)
    run("update-status", "CLIMATE-1", "partial", "--date", "2024-10-01", "-e", "https://example.org/cedi")
    data = json.loads(run("report", "--json", "--as-of", "2024-12-31", "--since", "2024-06-01").stdout)
    since = data["changes_since"]
    # CLIMATE-1 left not_assessed: a first assessment, not an upgrade.
    assert [c["id"] for c in since["upgrades"]] == ["SEC-1"]
    assert [(c["id"], c["from"], c["kind"]) for c in since["assessments"]] == [
        ("CLIMATE-1", "not_assessed", "assessment")]
    assert [(c["id"], c["from"], c["to"]) for c in since["downgrades"]] == [("SEC-2", "partial", "stalled")]
    assert [c["id"] for c in since["new_evidence"]] == ["CLIMATE-1"]
    plain = run("report", "--as-of", "2024-12-31", "--since", "2024-06-01").stdout
    assert "Downgrades since 2024-06-01" in plain and "SEC-2" in plain


def test_compare_lists_what_lost_implemented(backdated, run):
    record(run)
    run("update-status", "SEC-1", "stalled", "--date", "2025-02-01")
    data = json.loads(run("report", "--json", "--as-of", "2025-03-01", "--compare", "2024-12-31").stdout)
    compare = data["compare"]
    sec = next(p for p in compare["pillars"] if p["id"] == "SEC")
    assert (sec["then"], sec["now"]) == (round(1.0 / 8, 4), 0.0) and sec["change"] == round(-1.0 / 8, 4)
    assert [(x["id"], x["status_now"]) for x in compare["lost_implemented"]] == [("SEC-1", "stalled")]
    assert "Lost 'implemented' since 2024-12-31" in run("report", "--as-of", "2025-03-01",
                                                        "--compare", "2024-12-31").stdout


def test_time_options_are_checked(run, seeded):
    assert "after the as-of date" in run("report", "--as-of", "2024-01-01", "--since", "2024-02-01", code=2).stderr
    assert "in the future" in run("report", "--as-of", "2999-01-01", code=2).stderr
    assert "cannot read --compare date" in run("report", "--compare", "soon", code=2).stderr
