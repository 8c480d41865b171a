"""The command line: a thin Typer layer over ``tracker``, ``progress`` and ``render``.

Errors from the core are turned into one line on stderr and an exit code in
one place (``AllianceGroup``); output formats are added to every command by
one decorator (``output_options``).
"""

import functools
import inspect
import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from alliance_cli import dates, journal, paths, progress, render
from alliance_cli.errors import EXIT_USAGE, AllianceError, InputError
from alliance_cli.statuses import parse_status
from alliance_cli.tracker import Tracker

TERMINAL_LIMIT = 50


class AllianceGroup(TyperGroup):
    def parse_args(self, ctx, args):
        for arg in args:
            if any("\udc80" <= ch <= "\udcff" for ch in arg):
                typer.echo(f"alliance: argument {arg!r} is not valid UTF-8", err=True)
                ctx.exit(EXIT_USAGE)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except AllianceError as exc:
            typer.echo(f"alliance: {exc}", err=True)
            ctx.exit(exc.exit_code)


app = typer.Typer(
    cls=AllianceGroup, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Track the implementation of a policy brief's recommendations.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="PATH", help="Tracker file to use (default: ALLIANCE_DB, then the user data dir).")] = None,
):
    ctx.obj = db


def open_tracker(ctx: typer.Context) -> Tracker:
    path, is_default = paths.resolve(ctx.find_root().obj)
    if is_default:
        paths.make_default_dir(path)
    return Tracker(path, lock_timeout=paths.lock_timeout())


# --- output formats ---------------------------------------------------------

FORMATS = ("auto", "table", "tsv", "json")


def output_options(func):
    """Add --format and --json to a command; it receives ``fmt`` already resolved.

    ``auto`` is a Rich table on a terminal and tab-separated text when piped.
    """
    signature = inspect.signature(func)
    kept = [p for p in signature.parameters.values() if p.name != "fmt"]
    added = [
        inspect.Parameter("format_", inspect.Parameter.KEYWORD_ONLY, default="auto", annotation=Annotated[
            str, typer.Option("--format", "-f", help="auto, table, tsv or json.", show_default=True)]),
        inspect.Parameter("json_", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
            bool, typer.Option("--json", help="Same as --format json.")]),
    ]

    @functools.wraps(func)
    def wrapper(*args, format_: str = "auto", json_: bool = False, **kwargs):
        return func(*args, fmt=resolve_format(format_, json_), **kwargs)

    wrapper.__signature__ = signature.replace(parameters=kept + added)
    wrapper.__annotations__ = {p.name: p.annotation for p in kept + added}
    return wrapper


def resolve_format(fmt: str, as_json: bool) -> str:
    if as_json:
        return "json"
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "auto":
        return "table" if sys.stdout.isatty() else "tsv"
    return fmt


# --- commands ---------------------------------------------------------------

@app.command()
def path(ctx: typer.Context):
    """Print the tracker file in use."""
    typer.echo(str(paths.resolve(ctx.find_root().obj)[0]))


@app.command()
@output_options
def statuses(fmt: str):
    """The status scale, in order, with definitions and progress scores."""
    from alliance_cli.statuses import SCALE

    if fmt == "json":
        render.write_json([{"status": s.name, "score": s.score, "definition": s.definition} for s in SCALE])
    elif fmt == "table":
        render.statuses_table()
    else:
        render.statuses_tsv()


@app.command("list")
@output_options
def list_(
    ctx: typer.Context,
    pillar: Annotated[str | None, typer.Option("--pillar", "-p", help="Only this pillar.")] = None,
    status: Annotated[str | None, typer.Option("--status", "-s", help="Only this status.")] = None,
    key: Annotated[bool, typer.Option("--key", help="Only the brief's key recommendations.")] = False,
    search: Annotated[str | None, typer.Option(
        "--search", help="Only those whose id, title or text contain TEXT.")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", "-n", help=f"At most N rows (0: all). Default {TERMINAL_LIMIT} on a terminal, else all.")] = None,
    *, fmt: str,
):
    """List recommendations with their current status."""
    state = open_tracker(ctx).read()
    wanted_status = parse_status(status) if status else None
    wanted_pillar = state.pillar_id(pillar) if pillar else None
    needle = search.casefold() if search else None
    day = dates.today().isoformat()
    rows = []
    for rec in state.recommendations():
        if (wanted_pillar and rec["pillar"] != wanted_pillar) or (key and not rec["key"]):
            continue
        if needle and not any(needle in rec[f].casefold() for f in ("id", "title", "text")):
            continue
        row = progress.rec_row(rec, day)
        if wanted_status is None or row["status"] == wanted_status:
            rows.append(row)
    if fmt == "json":
        render.write_json(rows)
    elif fmt == "table":
        shown = rows if limit == 0 else rows[: limit or TERMINAL_LIMIT]
        render.list_table(shown, len(rows))
    else:
        render.list_tsv(rows if not limit else rows[:limit])


@app.command()
@output_options
def show(ctx: typer.Context, rec_id: Annotated[str, typer.Argument(metavar="ID")], *, fmt: str):
    """Everything about one recommendation, with its dated history."""
    state = open_tracker(ctx).read()
    detail = recommendation_detail(state, state.get(rec_id))
    if fmt == "json":
        render.write_json(detail)
    elif fmt == "table":
        render.show_table(detail)
    else:
        render.show_plain(detail)


def recommendation_detail(state, rec) -> dict:
    from alliance_cli import history

    row = progress.rec_row(rec, dates.today().isoformat())
    pillar_name = next((p["name"] for p in state.pillars if p["id"] == rec["pillar"]), rec["pillar"])
    return {**{k: v for k, v in rec.items() if k != "history"}, "due": rec.get("due"),
            "pillar_name": pillar_name, "status": row["status"], "last_updated": row["last_updated"],
            "history": history.ordered(rec["history"])}


@app.command("update-status")
def update_status(
    ctx: typer.Context,
    rec_id: Annotated[str, typer.Argument(metavar="ID", help="Recommendation id, e.g. SEC-1 (any case).")],
    status: Annotated[str, typer.Argument(help="New status, e.g. implemented or in-progress.")],
    note: Annotated[str, typer.Option("--note", "-m", help="What happened, in a sentence.")] = "",
    evidence: Annotated[list[str] | None, typer.Option(
        "--evidence", "-e", help="An http(s) URL backing the change; repeat for several.")] = None,
    date: Annotated[str | None, typer.Option(
        "--date", "-d", help="When it happened (default today): 2024-01-11, 'Jan 11 2024'…")] = None,
):
    """Record a status change, with its date, a note and evidence."""
    with open_tracker(ctx).write(f"update-status {rec_id} {status}") as state:
        rec, event = state.update_status(rec_id, status, date=date, note=note, evidence=tuple(evidence or ()))
    typer.echo(f"{rec['id']}: {event['from']} -> {event['to']} (as of {event['date']})")


@app.command()
@output_options
def report(
    ctx: typer.Context,
    pillar: Annotated[str | None, typer.Option("--pillar", "-p", help="Only this pillar.")] = None,
    *, fmt: str,
):
    """Progress per pillar, key recommendations, recent changes and what needs attention."""
    state = open_tracker(ctx).read()
    recs = state.recommendations()
    pillars = state.pillars
    if pillar:
        wanted = state.pillar_id(pillar)
        recs = [r for r in recs if r["pillar"] == wanted]
        pillars = [p for p in pillars if p["id"] == wanted]
    data = progress.build_report(state.brief, pillars, recs, dates.today())
    if fmt == "json":
        render.write_json(data)
    elif fmt == "table":
        render.report_table(data)
    else:
        render.report_plain(data)


@app.command()
@output_options
def log(
    ctx: typer.Context,
    rec_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="Only this recommendation.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only changes dated on or after DATE.")] = None,
    *, fmt: str,
):
    """Status changes and undos, newest first."""
    state = open_tracker(ctx).read()
    wanted = state.get(rec_id)["id"] if rec_id else None
    start = dates.parse_date(since, what="--since date").isoformat() if since else None
    rows = journal.log_rows(state.recommendations(), state.journal, wanted, start)
    if fmt == "json":
        render.write_json(rows)
    elif fmt == "table":
        render.log_table(rows)
    else:
        render.log_tsv(rows)


@app.command()
def undo(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (required when stdin is not a terminal).")]
    = False,
):
    """Revert everything the last writing command did (the undo itself is journaled)."""
    tracker = open_tracker(ctx)
    target = journal.undo_target(tracker.read().journal)
    if target is None:
        raise AllianceError("nothing to undo: no writing command is left in the journal")
    typer.echo(f"will revert: {render.clean(target['command'])} (recorded {target['at']})")
    for change in target["changes"]:
        typer.echo(f"  {render.clean(journal.describe(change))}")
    if not yes:
        if not sys.stdin.isatty():
            raise InputError("undo asks for confirmation: run it in a terminal, or pass --yes")
        if not typer.confirm("Revert it?", default=False, err=True):
            raise AllianceError("undo cancelled: nothing changed")
    with tracker.write("undo") as state:
        current = journal.undo_target(state.journal)
        if current is None or current.doc_id != target.doc_id:
            raise AllianceError("the tracker changed while you were deciding: run undo again")
        state.revert(current)
    typer.echo(f"undone: {render.clean(target['command'])}")


def main() -> None:
    app(prog_name="alliance")
