"""A tracker's status scale: its order, labels, spellings, scores and classes.

Every brief may bring its own scale (an audit board's "Under implementation",
GAO's open / closed-implemented / closed-not-implemented); without one a
tracker uses ``DEFAULT_SCALE``, the seven statuses alliance has always had.

A status's *class* says what it means for the figures:

* ``open``: still being worked on; it may go stale and may be downgraded;
* ``closed_implemented``: done (counted as implemented);
* ``closed_not_implemented``: closed without being done (counted, with its score);
* ``excluded``: moot, withdrawn, overtaken by events: left out of the denominator.

Closed and excluded recommendations never need attention. A recommendation starts
in the scale's first ``open`` status (``Scale.start``).
"""

import re
from dataclasses import dataclass

from alliance_cli.errors import InputError

CLASSES = ("open", "closed_implemented", "closed_not_implemented", "excluded")
ID_PATTERN = r"[a-z][a-z0-9_]*"  # a skeleton keeps statuses between spaces
ID_MAX = 40


@dataclass(frozen=True)
class Status:
    id: str
    label: str
    score: float
    definition: str
    cls: str = "open"
    aliases: tuple[str, ...] = ()
    attention: bool = False  # always listed under "Needs attention" while in it (stalled)

    def as_dict(self) -> dict:
        """The status as a brief file's ``statuses`` block writes it."""
        out = {"id": self.id, "label": self.label, "score": self.score, "definition": self.definition,
               "class": self.cls, "aliases": list(self.aliases)}
        if self.attention:
            out["attention"] = True
        return out


def fold(text: str) -> str:
    """A spelling's key: case, spaces, hyphens and underscores ignored ('In-progress' = 'inprogress')."""
    return re.sub(r"[\s_-]+", "", text).casefold()


class Scale:
    """An ordered status scale; ``parse`` takes any spelling of a status."""

    def __init__(self, statuses: tuple[Status, ...]):
        self.statuses = statuses
        self.by_id = {s.id: s for s in statuses}
        self.names = tuple(self.by_id)
        self.start = next(s.id for s in statuses if s.cls == "open")
        self._spellings = {fold(spelling): s.id for s in statuses for spelling in (s.id, s.label, *s.aliases)}
        # Asked of every recommendation by a report: sets and a dict, not a walk of the statuses.
        self.open = frozenset(s.id for s in statuses if s.cls == "open")
        self.marked = frozenset(s.id for s in statuses if s.attention)
        self._scores = {s.id: s.score for s in statuses}

    @classmethod
    def from_dicts(cls, items: list[dict]) -> "Scale":
        return cls(tuple(Status(d["id"], d["label"], float(d["score"]), d["definition"], d["class"],
                                tuple(d.get("aliases", ())), bool(d.get("attention", False))) for d in items))

    def as_dicts(self) -> list[dict]:
        return [s.as_dict() for s in self.statuses]

    def __eq__(self, other) -> bool:
        return isinstance(other, Scale) and self.statuses == other.statuses

    def __hash__(self) -> int:
        return hash(self.statuses)

    def parse(self, text: str) -> str:
        """Accept an id, label or alias in any case: 'in-progress', 'In progress', 'IN_PROGRESS'."""
        found = self._spellings.get(fold(text))
        if found is None:
            from alliance_cli.core.suggest import close_matches

            # 'implementd', 'progress' and 'stall' are close to a status; 'done' is close to none
            # (a looser cutoff would offer 'abandoned', which holds its letters).
            close = close_matches(text, {s.id: [s.id, s.label, *s.aliases] for s in self.statuses}, cutoff=0.7)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise InputError(f"unknown status {text!r}: {hint}use one of {', '.join(self.names)}")
        return found

    def score(self, status: str) -> float:
        return self._scores[status]

    def cls(self, status: str) -> str:
        return self.by_id[status].cls

    def label(self, status: str) -> str:
        return self.by_id[status].label

    def is_open(self, status: str) -> bool:
        return status in self.open

    def is_downgrade(self, before: str, after: str) -> bool:
        """A change that lowers the score (implemented -> stalled)."""
        return self._scores[after] < self._scores[before]

    def best_first(self) -> list[str]:
        """The order a reader asks in: what is done, what is under way, the rest, the start last."""
        rest = [s for s in self.statuses if s.id != self.start]
        rest.sort(key=lambda s: (s.cls == "excluded", -s.score, s.cls != "closed_implemented"))
        return [s.id for s in rest] + [self.start]

    def rule(self) -> str:
        """How progress is computed, in one line, from the scale itself."""
        scored = [s for s in self.statuses if s.score and s.cls != "excluded"]
        scored.sort(key=lambda s: -s.score)
        parts = [f"{s.id} {s.score:g}" for s in scored]
        excluded = [s.id for s in self.statuses if s.cls == "excluded"]
        rule = f"progress = mean over recommendations of: {', '.join(parts)}, any other status 0"
        if excluded:
            rule += f"; {', '.join(excluded)} left out of the denominator"
        return rule


DEFAULT_SCALE = Scale((
    Status("not_assessed", "Not assessed", 0.0,
           "Nobody has assessed it yet; this is not the same as 'no action'."),
    Status("no_action", "No action", 0.0,
           "Assessed: no step has been taken towards it."),
    Status("in_progress", "In progress", 0.25,
           "Work has started (talks, drafts, announcements) but nothing is in effect."),
    Status("partial", "Partial", 0.5,
           "Part of it is in effect, or it is in effect in a weaker form."),
    Status("implemented", "Implemented", 1.0,
           "It is in effect as recommended, on evidence.", "closed_implemented"),
    Status("stalled", "Stalled", 0.0,
           "Work had started but has stopped or gone backwards.", attention=True),
    Status("abandoned", "Abandoned", 0.0,
           "Explicitly dropped or made moot by the parties.", "closed_not_implemented"),
))
