"""Finding recommendations: `list --search`, `--actor`, `--initiative`, `--overdue`, `--stale` (issue 10, item 8)."""

import datetime as dt
import json
import shutil

import pytest

from alliance_cli.core import search

from conftest import digest


def ids(run, *args, **kwargs) -> list[str]:
    return [r["id"] for r in json.loads(run("list", "--json", *args, **kwargs).stdout)]


def days_ago(n: int) -> str:
    return (dt.date.today() - dt.timedelta(days=n)).isoformat()


# --- folding --------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "stored"), [
    ("securite", "Sécurité"), ("SÉCURITÉ", "sécurité"), ("strasse", "Straße"), ("ncg", "NCG"),
    ("ｎｃｇ", "NCG"),          # full-width letters, as an IME may type them
    ("ﬁnance", "finance"),      # a ligature
    ("한국", "한국"), ("대한민국", "대한민국"),
    ("한국", "\u1112\u1161\u11ab\u1100\u116e\u11a8"),  # the same word stored as jamo (NFD)
])
def test_folding_ignores_case_accents_and_forms(typed, stored):
    assert search.fold(typed) in search.fold(stored)


def test_a_hangul_query_matches_whole_syllables_only():
    # NFKD splits 한 into ㅎ ㅏ ㄴ: without composing again, "하" would be found inside "한".
    assert search.fold("하") not in search.fold("한국")
    assert search.fold("한") in search.fold("대한민국")
    assert search.fold("Sécurité") == "securite" and search.fold("한국") == "한국"


def test_terms_are_words_and_quoted_phrases():
    assert search.terms('  NCG   "Freedom  Edge" Sécurité ') == ["ncg", "freedom edge", "securite"]
    assert search.terms('"Freedom Edge') == ["freedom", "edge"]  # an unclosed quote: two words
    assert search.terms('""  ') == []


def whole(**fields) -> dict:
    rec = {"id": "SEC-1", "title": "A title", "text": "", "section": "", "actors": [], "initiatives": [],
           "history": []}
    return {**rec, **fields}


def event(note: str = "", evidence=(), by: str | None = None) -> dict:
    found = {"note": note, "evidence": list(evidence)}
    return found if by is None else {**found, "by": by}


@pytest.mark.parametrize("rec", [
    whole(id="NCG-1"), whole(title="The NCG"), whole(text="the NCG Framework"),
    whole(section="Annex NCG, para. 3"), whole(actors=["NCG secretariat"]), whole(initiatives=["NCG"]),
    whole(history=[event("NCG Framework signed")]),
    whole(history=[event(evidence=["https://example.org/ncg-framework"])]),
    whole(history=[event(by="NCG board")]),
])
def test_every_searched_field_is_searched(rec):
    assert search.matches(rec, search.terms("ncg"))
    assert not search.matches(rec, search.terms("ncg nowhere"))


def test_every_word_must_match_somewhere_but_a_phrase_within_one_field():
    rec = whole(title="Freedom of navigation", history=[event("Cutting edge drills")])
    assert search.matches(rec, search.terms("freedom edge"))  # each word anywhere
    assert not search.matches(rec, search.terms('"freedom edge"'))  # a phrase in one field
    rec = whole(history=[event("Freedom\nEdge  held")])  # whitespace inside a field is one space
    assert search.matches(rec, search.terms('"freedom edge"'))
    # Nor across the end of one field and the start of the next.
    assert not search.matches(whole(title="Keep freedom", text="Edge cases"), search.terms('"freedom edge"'))


def test_names_match_whole_words():
    assert search.names_match(["US", "ROK"], ["us"])
    assert search.names_match(["private sector"], ["Private"])
    assert search.names_match(["US-ROK Nuclear Consultative Group Framework"], ["nuclear consultative group"])
    assert not search.names_match(["Russia"], ["us"])
    assert not search.names_match(["Japan"], ["jap"])
    assert search.names_match(["Japan", "Ministère des Armées"], ["armees", "nobody"])  # any of them
    assert search.names_match(["대한민국 국방부"], ["국방부"])


# --- list --search --------------------------------------------------------------

def test_search_finds_through_notes_as_the_issue_asks(backdated, run):
    assert ids(run, "--search", "NCG Framework signed") == []  # "signed" is in no text of the brief
    run("update-status", "SEC-2", "implemented", "--date", "2024-01-30", "--note", "NCG Framework signed",
        "--evidence", "https://www.defense.gov/News/Releases/Release/Article/3676776/")
    assert ids(run, "--search", "NCG") == ["SEC-2"]
    assert ids(run, "--search", "ncg framework SIGNED") == ["SEC-2"]
    assert ids(run, "--search", "Freedom Edge") == []
    run("update-status", "SEC-4", "in-progress", "--date", "2024-06-27",
        "--note", "First Freedom Edge trilateral exercise held")
    assert ids(run, "--search", "Freedom Edge") == ["SEC-4"]
    assert ids(run, "--search", '"Freedom Edge" exercise') == ["SEC-4"]
    assert ids(run, "--search", '"edge freedom"') == []
    assert ids(run, "--search", "defense.gov") == ["SEC-2"]  # evidence
    run("update-status", "SEC-5", "in-progress", "--date", "2024-07-01", "--by", "Board of Audit and Inspection")
    assert ids(run, "--search", "board audit") == ["SEC-5"]  # who said it
    assert ids(run, "--search", "Test Analyst") == []  # who typed it (recorded_by) is not searched
    # The section and the lists of the brief are searched too.
    assert ids(run, "--search", "Camp David") == ["SEC-4"]
    assert ids(run, "--search", '"Climate & Energy Policy"') == ["CLIMATE-1", "CLIMATE-2", "CLIMATE-3"]
    assert ids(run, "--search", '"Military Training Exercises"') == ["SEC-7"]  # only in its section


def test_search_ignores_accents_and_finds_korean(run):
    run("add", "--pillar", "SEC", "--id", "SEC-9", "--title", "Coopération de sécurité",
        "--text", "한미 동맹의 안보 협력을 강화한다")
    run("update-status", "SEC-9", "in-progress", "--note", "국방부 발표")
    assert ids(run, "--search", "cooperation securite") == ["SEC-9"]
    assert ids(run, "--search", "SÉCURITÉ") == ids(run, "--search", "securite") == ["SEC-9"]
    assert ids(run, "--search", "동맹") == ["SEC-9"]
    assert ids(run, "--search", "국방부") == ["SEC-9"]  # in a note
    assert ids(run, "--search", "하") == []  # not inside the syllable 한
    assert ids(run, "--search", "sécurité", "--pillar", "econ") == []  # with the other filters


def test_search_and_filters_in_every_format_state_the_filters(backdated, run):
    run("update-status", "SEC-2", "implemented", "--date", "2024-01-30", "--note", "NCG Framework signed")
    csv = run("list", "--search", "NCG", "--actor", "ROK", "--stale", "--format", "csv").stdout
    assert "# filters: search=NCG; actor=ROK; stale=true" in csv
    assert "SEC-2" not in csv  # implemented is never stale
    assert run("list", "--search", "NCG").stdout.splitlines()[1].startswith("SEC-2\t")
    assert "SEC-2" in run("list", "--search", "NCG", "--format", "markdown").stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--search", "  "], "--search: give at least one word"),
    (["--actor", "-"], "--actor: give a name with at least one letter or digit"),
    (["--initiative", ""], "--initiative: give a name"),
])
def test_empty_searches_are_refused(run, seeded, args, message):
    before = digest(seeded)
    result = run("list", *args, code=2)
    assert result.stdout == "" and result.stderr.startswith(f"alliance: {message}")
    assert len(result.stderr.splitlines()) == 1 and digest(seeded) == before


def test_only_a_search_reads_the_bodies(run, seeded):
    """The bodies are read when a filter needs them, never for a plain list."""
    run("update-status", "SEC-6", "in-progress", "--date", "2024-04-23")
    shutil.rmtree(seeded.with_name(seeded.name + ".bodies"))
    assert len(ids(run)) == 19
    assert ids(run, "--stale", "--key") == [] and ids(run, "--stale") == ["SEC-6"]
    for args in (["--search", "x"], ["--actor", "US"], ["--initiative", "NATO"]):
        result = run("list", *args, code=1)
        assert "lacks the body of" in result.stderr


# --- list --actor, --initiative -----------------------------------------------

def test_actor_and_initiative_filters(run):
    assert ids(run, "--actor", "japan") == ["SEC-4", "SEC-8", "ECON-5"]
    assert ids(run, "--actor", "NATO", "--actor", "Japan") == ["SEC-3", "SEC-4", "SEC-8", "ECON-5"]  # any
    assert ids(run, "--actor", "private") == ["ECON-1", "ECON-4", "ECON-6", "CLIMATE-1", "CLIMATE-3"]
    assert ids(run, "--actor", "jap") == []  # whole words
    assert len(ids(run, "--actor", "us")) == 19
    assert ids(run, "--initiative", "ipef") == ["ECON-1"]
    assert ids(run, "--initiative", "Nuclear Consultative Group") == ["SEC-2"]
    assert ids(run, "--initiative", "defense vision", "--actor", "nato") == ["SEC-3"]  # both filters
    run("edit", "SEC-7", "--actor", "Ministère des Armées")
    assert ids(run, "--actor", "ministere des armees") == ["SEC-7"]


# --- list --overdue, --stale ------------------------------------------------------

def test_overdue_is_past_due_and_still_open(run):
    run("edit", "SEC-1", "--due", days_ago(1))
    run("edit", "SEC-2", "--due", days_ago(10))
    run("edit", "SEC-3", "--due", days_ago(10))
    run("edit", "SEC-4", "--due", (dt.date.today() + dt.timedelta(days=5)).isoformat())
    run("edit", "SEC-5", "--due", dt.date.today().isoformat())  # due today: not yet overdue
    run("update-status", "SEC-2", "implemented")
    run("update-status", "SEC-3", "abandoned")
    assert ids(run, "--overdue") == ["SEC-1"]
    run("update-status", "SEC-3", "stalled")
    assert ids(run, "--overdue") == ["SEC-1", "SEC-3"]
    attention = json.loads(run("report", "--json").stdout)["attention"]
    flagged = {a["id"] for a in attention if any(r.startswith("overdue") for r in a["reasons"])}
    assert flagged == {"SEC-1", "SEC-3"}  # the report's rule is the same


def test_stale_is_what_the_report_calls_not_updated(run):
    run("update-status", "SEC-1", "in-progress", "--date", days_ago(400))
    run("update-status", "SEC-2", "partial", "--date", days_ago(181))
    run("update-status", "SEC-3", "partial", "--date", days_ago(180))  # exactly the threshold: not yet
    run("update-status", "SEC-4", "implemented", "--date", days_ago(400))  # done: never stale
    run("update-status", "SEC-5", "in-progress", "--date", days_ago(400))
    run("update-status", "SEC-5", "in-progress", "--date", days_ago(3))  # updated since
    report = json.loads(run("report", "--json").stdout)
    not_updated = [a["id"] for a in report["attention"] if any("not updated" in r for r in a["reasons"])]
    assert not_updated == ["SEC-1", "SEC-2"]
    assert ids(run, "--stale") == not_updated
    run("edit", "SEC-2", "--due", days_ago(1))
    assert ids(run, "--stale", "--overdue") == ["SEC-2"]  # both at once: each must hold


def test_stale_days_changes_the_threshold_as_the_report_s_does(run):
    run("update-status", "SEC-1", "in-progress", "--date", days_ago(100))
    run("update-status", "SEC-2", "partial", "--date", days_ago(40))
    assert ids(run, "--stale") == []
    assert ids(run, "--stale-days", "90") == ["SEC-1"]  # --stale-days alone means --stale
    assert ids(run, "--stale", "--stale-days", "30") == ["SEC-1", "SEC-2"]
    report = json.loads(run("report", "--json", "--stale-days", "30").stdout)
    assert [a["id"] for a in report["attention"] if any("not updated" in r for r in a["reasons"])] == [
        "SEC-1", "SEC-2"]
    assert "stale_days=30" in run("list", "--stale-days", "30", "--format", "csv").stdout
    assert "--stale-days" in run("list", "--stale-days", "0", code=2).stderr


def test_overdue_and_stale_follow_the_tracker_s_own_scale(run, tmp_path):
    """A brief's own scale: its closed and excluded classes are never overdue nor stale."""
    from alliance_cli.core.brief import load_brief, shipped_brief_path

    brief = load_brief(shipped_brief_path())
    brief["statuses"] = [
        {"id": "open", "label": "Open", "score": 0, "class": "open", "definition": "Not yet acted on."},
        {"id": "under_way", "label": "Under implementation", "score": 0.5, "class": "open",
         "definition": "Being implemented."},
        {"id": "closed", "label": "Closed", "score": 1, "class": "closed_implemented", "definition": "Done."},
        {"id": "moot", "label": "Overtaken by events", "aliases": ["overtaken"], "score": 0, "class": "excluded",
         "definition": "No longer relevant."},
    ]
    for rec in brief["recommendations"][:4]:
        rec["due"] = days_ago(300)
    path = tmp_path / "brief.json"
    path.write_text(json.dumps(brief), encoding="utf-8")
    other = str(tmp_path / "own.json")
    run("--db", other, "init", "--from", str(path))
    run("--db", other, "update-status", "SEC-1", "under implementation", "--date", days_ago(200))
    run("--db", other, "update-status", "SEC-2", "closed", "--date", days_ago(200))
    run("--db", other, "update-status", "SEC-3", "overtaken", "--date", days_ago(200))
    assert ids(run, "--overdue", env={"ALLIANCE_DB": other}) == ["SEC-1", "SEC-4"]  # SEC-4: still in the start
    assert ids(run, "--stale", env={"ALLIANCE_DB": other}) == ["SEC-1"]  # the start status is not "not updated"
