"""Finding recommendations by the words people remember (``list --search``, ``--actor``, ``--initiative``).

Text is compared *folded*: case and accents ignored, compatibility forms merged
(full-width letters, ligatures), so ``securite`` finds "Sécurité" and ``ncg`` finds
"NCG". Accents are dropped by decomposing (NFKD) and removing the combining marks;
the result is then composed again (NFC), which gives Hangul its syllables back:
NFKD splits 한 into three jamo, and without the recomposition a query "하" would
match inside "한" (its first two jamo). Query and text are folded the same way.
"""

import re
import unicodedata
from collections.abc import Iterable

# A search's fields, beside every event's note, evidence and (when recorded) who said it.
SEARCHED_FIELDS = ("id", "title", "text", "section")
SEARCHED_LISTS = ("actors", "initiatives")
EVENT_FIELDS = ("note", "by")
# A query's terms: "a quoted phrase" or a word.
_TERM = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """``text`` for comparison: case-folded, without accents, compatibility forms merged, Hangul whole."""
    if text.isascii():  # the common case, at C speed
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def terms(query: str) -> list[str]:
    """The folded terms of a query: its words, and each "quoted phrase" as one term."""
    # A word keeps no stray quote: an unclosed "Freedom Edge is the words Freedom and Edge.
    found = [fold(phrase if phrase is not None else word.strip('"')) for phrase, word in
             ((m.group(1), m.group(2)) for m in _TERM.finditer(query))]
    return [" ".join(term.split()) for term in found if term.strip()]


def searched_text(rec: dict) -> str:
    """Everything a search looks in, of a whole recommendation (with its events), folded, one
    field a line: a term never matches across two fields."""
    parts = [rec[name] for name in SEARCHED_FIELDS]
    parts += [item for name in SEARCHED_LISTS for item in rec[name]]
    for event in rec["history"]:
        parts += [event.get(name, "") for name in EVENT_FIELDS]
        parts += event["evidence"]
    return "\n".join(fold(" ".join(part.split())) for part in parts if part)


def matches(rec: dict, wanted: list[str]) -> bool:
    """Whether every term of ``wanted`` (from ``terms``) is in the recommendation, each anywhere."""
    haystack = searched_text(rec)
    return all(term in haystack for term in wanted)


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


def names_match(names: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether any of ``names`` (actors, initiatives) holds any of ``wanted`` as whole words in a row:
    ``us`` finds "US" and "US-ROK Working Group" but not "Russia"; ``private`` finds "private sector"."""
    queries = [q for q in map(words, wanted) if q]
    for name in names:
        have = words(name)
        for query in queries:
            size = len(query)
            if any(have[i:i + size] == query for i in range(len(have) - size + 1)):
                return True
    return False
