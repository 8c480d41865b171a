"""'Did you mean': the closest of a few known values to what was typed.

A value can be matched by its id and by its name, or by one word of the name
(``security`` finds SEC, "Security and Defense"), as difflib measures closeness.
"""

import difflib


def close_matches(typed: str, spellings: dict[str, list[str]], *, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The values (keys of ``spellings``) with a spelling close to ``typed``, closest first."""
    wanted = _fold(typed)
    if not wanted:
        return []
    scored = []
    for order, (value, names) in enumerate(spellings.items()):
        whole = {_fold(name) for name in names}
        words = {word for name in whole for word in name.split() if len(word) >= 4}
        closeness = [difflib.SequenceMatcher(None, wanted, form).ratio() for form in whole]
        best = max(closeness + [difflib.SequenceMatcher(None, wanted, word).ratio() for word in words])
        if best >= cutoff:
            # Ties (a word found in several names) go to the closest id or whole name, then the given order.
            scored.append((-best, -max(closeness), order, value))
    return [value for *_, value in sorted(scored)[:n]]


def _fold(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())
