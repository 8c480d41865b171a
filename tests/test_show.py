import json


def test_show_everything_about_one(backdated, run):
    run("update-status", "ECON-3", "in_progress", "--note", "MSP talks", "-e", "https://example.org/msp",
        "--date", "2024-02-20")
    detail = json.loads(run("show", "econ-3", "--json").stdout)
    for field in ("id", "pillar", "pillar_name", "title", "text", "section", "key", "actors", "initiatives",
                  "sources", "due", "status", "last_updated", "history"):
        assert field in detail
    assert "Minerals Security Partnership" in detail["initiatives"]
    plain = run("show", "ECON-3").stdout
    assert "MSP talks" in plain and "https://example.org/msp" in plain and "in_progress" in plain
    table = run("show", "ECON-3", "--format", "table").stdout
    assert "MSP talks" in table and "History" in table


def test_show_unknown_id(run, seeded):
    result = run("show", "ECON-33", code=2)
    assert "did you mean ECON-3" in result.stderr
