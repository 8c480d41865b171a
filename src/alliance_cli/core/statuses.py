"""The status scale: its order, definitions, progress scores and spellings."""

from dataclasses import dataclass

from alliance_cli.errors import InputError


@dataclass(frozen=True)
class Status:
    name: str
    score: float
    definition: str


# Order matters: it is the order of every breakdown the tool prints.
SCALE: tuple[Status, ...] = (
    Status("not_assessed", 0.0,
           "Nobody has assessed it yet; this is not the same as 'no action'."),
    Status("no_action", 0.0,
           "Assessed: no step has been taken towards it."),
    Status("in_progress", 0.25,
           "Work has started (talks, drafts, announcements) but nothing is in effect."),
    Status("partial", 0.5,
           "Part of it is in effect, or it is in effect in a weaker form."),
    Status("implemented", 1.0,
           "It is in effect as recommended, on evidence."),
    Status("stalled", 0.0,
           "Work had started but has stopped or gone backwards."),
    Status("abandoned", 0.0,
           "Explicitly dropped or made moot by the parties."),
)

BY_NAME = {s.name: s for s in SCALE}
NAMES = tuple(BY_NAME)
DEFAULT = "not_assessed"
SCORE_RULE = ("progress = mean over recommendations of: implemented 1, partial 0.5, "
              "in_progress 0.25, any other status 0")


def parse_status(text: str) -> str:
    """Accept 'in-progress', 'In progress', 'IN_PROGRESS' for in_progress."""
    key = "_".join(text.strip().lower().replace("-", " ").replace("_", " ").split())
    if key not in BY_NAME:
        from alliance_cli.core.suggest import close_matches

        # 'implementd', 'progress' and 'stall' are close to a status; 'done' is close to none
        # (a looser cutoff would offer 'abandoned', which holds its letters).
        close = close_matches(text, {name: [name] for name in NAMES}, cutoff=0.7)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise InputError(f"unknown status {text!r}: {hint}use one of {', '.join(NAMES)}")
    return key


def score(status: str) -> float:
    return BY_NAME[status].score


def is_downgrade(before: str, after: str) -> bool:
    """A downgrade is a change that lowers the progress score (implemented -> stalled)."""
    return score(after) < score(before)
