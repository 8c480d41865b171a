"""The shipped brief against the brief's own text: each recommendation's quote, and its sources.

The brief's text is the PDF's extraction in ../shared/brief (see its README.md). It is not part
of this repository, so the checks that read it skip when it is not beside the checkout.

How a quote is compared with the brief's text (the normalisation, applied to the brief only;
a quote is stored already in this form):

1. Lines that are PDF noise are dropped: footnote URL lines (``https://…`` alone on a line,
   which make up the citation blocks) and the running page footer, the two lines
   "US-ROK Global Strategic Partnership in the Indo-Pacific" and "March 2024". So a quote may
   run across a page break.
2. A line break (with any blank lines around it) right after a hyphen or an em dash is
   removed and the dash kept: "US-\\nROK" reads "US-ROK", "threats—\\nfrom" reads
   "threats—from". Every line-final hyphen in this brief is a real compound hyphen
   (Indo-Pacific, non-traditional, wide-sweeping...), never a word split by hyphenation.
3. Every run of whitespace becomes one space.
4. The PDF's broken words that a quote spans are mended, and only these (BROKEN_WORDS):
   "miilitary" -> "military" and "an. observer" -> "an observer".

A quote is one passage of the brief, or several joined by " … " (the brief itself has no "…");
each passage must be found, and in the brief's order. Passages are joined where the brief makes
a recommendation in one place and argues it, with its footnotes, in another (a summary bullet
and the body paragraph that cites its sources).

A footnote URL is compared after dropping a trailing ")." or "." (the navy.mil footnote ends in
"…Japan)." in the text, and is shipped without them).
"""

import copy
import json
import re
from pathlib import Path

import pytest

from alliance_cli.core.brief import BriefError, load_brief, shipped_brief_path, validate_brief

SHIPPED = load_brief(shipped_brief_path())
RECOMMENDATIONS = SHIPPED["recommendations"]
BRIEF_DIR = Path(__file__).resolve().parents[2] / "shared" / "brief"
BRIEF_TEXT = BRIEF_DIR / "us-rok-global-strategic-partnership-2024.txt"

ELISION = " … "
URL_LINE = re.compile(r"\s*https?://\S+\s*")
PAGE_FOOTER = {"US-ROK Global Strategic Partnership in the Indo-Pacific", "March 2024"}
BROKEN_WORDS = {"miilitary": "military", "an. observer": "an observer"}


def normalise(text: str) -> str:
    text = re.sub(r"([-—])[ \t]*\n\s*", r"\1", text)
    text = " ".join(text.split())
    for broken, mended in BROKEN_WORDS.items():
        text = text.replace(broken, mended)
    return text


class Brief:
    """The brief's text, normalised, and its citation blocks (runs of URL lines), in order."""

    def __init__(self, raw: str):
        kept: list[str] = []
        self.blocks: list[list[str]] = []
        block_starts: list[int] = []  # how many kept lines come before each block
        in_block = False
        for line in raw.splitlines():
            if URL_LINE.fullmatch(line):
                if not in_block:
                    self.blocks.append([])
                    block_starts.append(len(kept))
                self.blocks[-1].append(line.strip())
                in_block = True
                continue
            in_block = False
            if line.strip() not in PAGE_FOOTER:
                kept.append(line)
        self.text = normalise("\n".join(kept))
        # Where each block sat, as an offset in the normalised text.
        self.block_at = [len(normalise("\n".join(kept[:n]))) for n in block_starts]

    def find_passages(self, quote: str) -> list[int]:
        """The offset of each passage of the quote, which must all be found, in order."""
        offsets, start = [], 0
        for passage in quote.split(ELISION):
            at = self.text.find(passage, start)
            assert at >= 0, f"not in the brief's text: {passage!r}"
            offsets.append(at)
            start = at + len(passage)
        return offsets


# The citation blocks, identified by ordinal, first URL and length. Each block is the footnotes
# of one stretch of pages, listed in the order of the claims they support:
#   1: the page from "a linchpin in the region" to the NCG section (military readiness, cost
#      sharing, the Defense Vision paragraph, the NCG);
#   2: the next page, to "pitfalls in their pursuit of" (joint exercises, NATO, the trilateral
#      drills, the opening of "Expanding Cooperation");
#   3: the stretch from "April 2023, the Biden and Yoon administrations" (cyber framework) to the
#      end of the climate section. The page before it (IPEF, the IRA and CHIPS Act, the CET
#      Dialogue, the Minerals Security Partnership, the first cyber paragraphs) has no block in
#      the text, so nothing cites those passages.
BLOCKS = {
    1: ("https://www.armscontrol.org/act/2022-10/news/north-korea-passes-nuclear-law", 16),
    2: ("https://www.wilsoncenter.org/article/south-koreas-important-achievement-nato-summit", 10),
    3: ("https://www.president.go.kr/download/644956452f9e3", 15),
}

# recommendation id -> {block ordinal: footnote numbers within the block (1 = its first URL)}.
# Derived by hand: the claims of each block's stretch were listed in reading order and matched
# one to one with the block's URLs (each URL's subject fixes its claim: the Washington Post
# drone article at "drone incursions", USNI at the ballistic missile defense drills, CEDI at the
# Clean Energy Demand Initiative...). Where a run of one URL could sit on either of two
# neighbouring claims, the quote was taken wide enough to hold the whole run. A recommendation
# gets the footnotes that fall inside its quoted passage; {} means none does (summary bullets,
# the page without a block, or a passage the brief does not footnote).
CITATIONS = {
    "SEC-1": {},
    "SEC-2": {1: (14, 15, 16)},        # Washington Declaration; NCG Framework signing (x2)
    "SEC-3": {2: (1, 2, 3)},           # ROK at the NATO summits (x2); NATO partners page
    "SEC-4": {2: (4, 5, 6, 7, 8)},     # Camp David preview; BMD drills (x2); aerial; naval
    "SEC-5": {1: (1, 2, 3, 4, 5)},     # nuclear posture law; drones; constitution; Defense Vision (x2)
    "SEC-6": {1: (6, 7, 8, 9)},        # Carnegie on cost sharing (x2); Reuters on early SMA talks (x2)
    "SEC-7": {},                       # the joint-exercise section cites nothing
    "SEC-8": {},
    "ECON-1": {},
    "ECON-2": {},
    "ECON-3": {},
    "ECON-4": {2: (9, 10)},            # the 2022 and 2023 Biden-Yoon joint statements
    "ECON-5": {},
    "ECON-6": {},
    "ECON-7": {},
    "CYBER-1": {3: (1, 2, 3, 4, 5, 6, 7, 8)},  # framework text (x2); 4th working group (x3); CISA-NIS
                                               # MOU; 7th cyber policy consultations (x2)
    "CLIMATE-1": {3: (15,)},           # the CEDI and CF Alliance public-private dialogue
    "CLIMATE-2": {3: (9, 10)},         # 2023 joint statement (net zero); NBR (joint research)
    "CLIMATE-3": {3: (11, 12, 13, 14)},  # nuclear energy cooperation (x2); COP28 tripling pledge (x2)
}
# Footnotes no quoted passage contains: the background a recommendation rests on, not its words.
UNATTACHED = {
    (1, 10): "Defense Vision, at the paragraph introducing the three defense sub-sections",
    (1, 11): "RAND, at the DPRK's WMD expansion and the ROK's eroding confidence",
    (1, 12): "RAND, the same paragraph",
    (1, 13): "AP, at South Korean public opinion on nuclear weapons",
}


def footnote(brief: Brief, block: int, number: int) -> str:
    url = brief.blocks[block - 1][number - 1]
    return url.removesuffix(").").removesuffix(".")


@pytest.fixture(scope="module")
def brief() -> Brief:
    if not BRIEF_TEXT.is_file():
        pytest.skip(f"the brief's text is not beside this checkout (looked for {BRIEF_TEXT})")
    return Brief(BRIEF_TEXT.read_text(encoding="utf-8"))


def by_id(recs):
    return pytest.mark.parametrize("rec", recs, ids=[r["id"] for r in recs])


@by_id(RECOMMENDATIONS)
def test_every_recommendation_has_a_clean_quote(rec):
    quote = rec.get("quote")
    assert isinstance(quote, str) and quote.strip(), f"{rec['id']} has no quote"
    assert quote == " ".join(quote.split()), f"{rec['id']}: the quote's whitespace is not normalised"
    assert all(quote.split(ELISION)), f"{rec['id']}: an empty passage"


@by_id(RECOMMENDATIONS)
def test_quote_is_the_briefs_own_words(rec, brief):
    brief.find_passages(rec["quote"])


def test_normalisation_is_no_looser_than_it_says(brief):
    # Each rule is needed by some quote, and no rule lets a rewording through.
    assert "miilitary" not in brief.text
    assert "non-traditional security dynamics" in brief.text
    assert "North Korea’s WMD program" in brief.text  # across a page break, footer and URLs
    assert "https://" not in brief.text and "March 2024" not in brief.text
    assert "Asglobal leaders" in brief.text  # a broken word no quote needs stays broken
    with pytest.raises(AssertionError):
        brief.find_passages("the maintenance of a strong US-ROK military readiness is vital")
    with pytest.raises(AssertionError):  # passages out of the brief's order
        brief.find_passages("Such collaborative platforms" + ELISION + "In February 2022")


def test_citation_blocks_are_the_ones_the_mapping_names(brief):
    assert len(brief.blocks) == len(BLOCKS)
    for ordinal, (first, length) in BLOCKS.items():
        assert (brief.blocks[ordinal - 1][0], len(brief.blocks[ordinal - 1])) == (first, length)


def test_every_footnote_is_accounted_for_once():
    assert set(CITATIONS) == {r["id"] for r in RECOMMENDATIONS}
    seen = list(UNATTACHED)
    for blocks in CITATIONS.values():
        seen += [(block, n) for block, numbers in blocks.items() for n in numbers]
    assert sorted(seen) == [(block, n) for block, (_, length) in BLOCKS.items() for n in range(1, length + 1)]


@by_id(RECOMMENDATIONS)
def test_sources_are_the_footnotes_of_the_quoted_passage(rec, brief):
    mapped = CITATIONS[rec["id"]]
    cited = {footnote(brief, block, n) for block, numbers in mapped.items() for n in numbers}
    for url in rec["sources"]:
        assert url in cited, f"{rec['id']}: {url} is not a footnote of its quoted passage"
    assert not cited - set(rec["sources"]), f"{rec['id']}: its passage also cites {cited - set(rec['sources'])}"
    # A block holds the footnotes of the text between the previous block and itself, so a
    # passage it cites must start there.
    offsets = brief.find_passages(rec["quote"])
    for block in mapped:
        start = brief.block_at[block - 2] if block > 1 else 0
        assert any(start <= at < brief.block_at[block - 1] for at in offsets), (
            f"{rec['id']}: no quoted passage sits before citation block {block}")


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
    data["recommendations"][0].pop("quote")
    validate_brief(data, "my-brief.json")


def test_a_new_tracker_shows_and_exports_each_quote(run):
    exported = json.loads(run("export").stdout)["recommendations"]
    assert [r["quote"] for r in exported] == [r["quote"] for r in RECOMMENDATIONS]
    first = RECOMMENDATIONS[0]
    assert json.loads(run("show", first["id"], "--json").stdout)["quote"] == first["quote"]
    assert first["quote"][:40] in " ".join(run("show", first["id"], "--format", "tsv").stdout.split())
    assert first["quote"][:40] in " ".join(run("show", first["id"], "--format", "markdown").stdout.split())
