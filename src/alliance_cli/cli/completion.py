"""Shell completion of recommendation ids, statuses and pillars, from the tracker in use.

The shell runs ``alliance`` on every Tab, so each callback is fast and silent: it
reads the tracker only if it exists (a completion never creates one), and when
there is none, or it cannot be read, it offers nothing and says nothing.

A candidate keeps the case the user typed (``sec-`` completes to ``sec-1``, ``in-`` to
``in-progress``: every command takes them), so that no shell filters it out for a case it did not type.
"""

import typer

from alliance_cli.store import paths


def _state(ctx: typer.Context):
    """The tracker's read-only state, or None: never created, never an error on the terminal."""
    try:
        from alliance_cli.store.tracker import Tracker

        # During completion no command runs, so the root callback has not stored --db
        # in ctx.obj; its parsed value is in the root's params.
        return Tracker(paths.resolve(ctx.find_root().params.get("db"))[0], lock_timeout=0).read(create=False)
    except Exception:  # a broken tracker: the command itself will say what is wrong
        return None


def _offer(incomplete: str, candidates, fold=str.upper) -> list[tuple[str, str]]:
    """(value, help) for each candidate that starts with what was typed, in the typed case."""
    typed = fold(incomplete)
    return [(_as_typed(incomplete, value), _help(help_text)) for value, help_text in candidates
            if fold(value).startswith(typed)]


def _as_typed(incomplete: str, value: str) -> str:
    # What was typed stays as typed; typed in lower case, the rest follows (sec-1, not sEC-1).
    completed = incomplete + value[len(incomplete):]
    return completed.lower() if incomplete.islower() else completed


def _help(text: str) -> str:
    from alliance_cli.render.text import clean

    text = clean(" ".join(text.split()))
    if "[" in text:
        # Typer renders zsh's and fish's descriptions as Rich markup: a title such
        # as "[/] x" would end the completion in a MarkupError, "[bold]" would apply.
        from rich.markup import escape

        text = escape(text)
    return text


def complete_id(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    state = _state(ctx)
    if state is None:
        return []
    return _offer(incomplete, ((rec["id"], rec["title"]) for rec in state.recommendations()))


def complete_pillar(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    state = _state(ctx)
    if state is None:
        return []
    return _offer(incomplete, ((p["id"], p["name"]) for p in state.pillars))


def _status_key(text: str) -> str:
    # The spellings Scale.parse takes (in-progress, In progress), one character for one.
    return text.lower().replace("-", "_").replace(" ", "_")


def complete_status(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """The tracker's own scale; the default one when there is no tracker to read."""
    from alliance_cli.core.statuses import DEFAULT_SCALE

    state = _state(ctx)
    scale = DEFAULT_SCALE if state is None else state.scale
    return _offer(incomplete, ((s.id, s.definition) for s in scale.statuses), fold=_status_key)


def complete_id_or_status(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """``update-status ID... STATUS``: an id first, then another id or the status."""
    # Completion parses what is typed so far: the last word (or the only one) is taken as the STATUS.
    typed = [*(ctx.params.get("rec_ids") or ()), *([ctx.params["status"]] if ctx.params.get("status") else [])]
    ids = complete_id(ctx, incomplete)
    return [*ids, *complete_status(ctx, incomplete)] if typed else ids


def complete_log_kind(incomplete: str) -> list[tuple[str, str]]:
    from alliance_cli.core.journal import LOG_KINDS

    helps = {"status": "status changes", "add": "recommendations added", "edit": "recommendations edited",
             "import": "imports", "undo": "undos", "resolve": "merge conflicts settled",
             "init": "trackers started"}
    return _offer(incomplete, ((kind, helps.get(kind, kind)) for kind in LOG_KINDS), fold=str.lower)
