"""The command line: a thin Typer layer over ``tracker``, ``progress`` and ``render``.

Errors from the core are turned into one line on stderr and an exit code in
one place (``AllianceGroup``); output formats are added to every command by
one decorator (``output_options``).
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from alliance_cli import paths
from alliance_cli.errors import EXIT_USAGE, AllianceError, InputError
from alliance_cli.output import Output, output_options, write_output

if TYPE_CHECKING:
    from alliance_cli.tracker import Tracker

# The core is imported inside each command, not here: `alliance --help` and
# every command pay only for what they use (start-up is most of a command's time).

def lazy(module: str):
    """A module of alliance_cli imported when a writer is called: only the chosen format pays for it."""
    import importlib

    return importlib.import_module(f"alliance_cli.{module}")


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
    # Plain help and usage errors (as gh's): no Rich layout to import for --help,
    # and a usage error is a few plain lines, never a box.
    cls=AllianceGroup, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None,
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


def open_tracker(ctx: typer.Context) -> "Tracker":
    from alliance_cli.tracker import Tracker

    path, is_default = paths.resolve(ctx.find_root().obj)
    if is_default:
        paths.make_default_dir(path)
    return Tracker(path, lock_timeout=paths.lock_timeout())


# --- commands ---------------------------------------------------------------

@app.command()
def path(ctx: typer.Context):
    """Print the tracker file in use."""
    typer.echo(str(paths.resolve(ctx.find_root().obj)[0]))


@app.command()
@output_options()
def statuses(*, out: Output):
    """The status scale, in order, with definitions and progress scores."""
    from alliance_cli import render
    from alliance_cli.statuses import SCALE

    out.emit({
        "json": lambda f: render.write_json(
            [{"status": s.name, "score": s.score, "definition": s.definition} for s in SCALE], f),
        "table": lambda f: render.statuses_table(),
        "tsv": render.statuses_tsv,
    })


@app.command("list")
@output_options("csv", "markdown")
def list_(
    ctx: typer.Context,
    pillar: Annotated[str | None, typer.Option("--pillar", "-p", metavar="PILLAR", help="Only this pillar.")] = None,
    status: Annotated[str | None, typer.Option("--status", "-s", metavar="STATUS", help="Only this status.")] = None,
    key: Annotated[bool, typer.Option("--key", help="Only the brief's key recommendations.")] = False,
    search: Annotated[str | None, typer.Option(
        "--search", metavar="TEXT", help="Only those whose id, title or text contain TEXT.")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", "-n", metavar="N",
        help="At most N rows (0: all). Default: what fits the terminal, else all.")] = None,
    *, out: Output,
):
    """List recommendations with their current status."""
    from alliance_cli import dates, progress, render
    from alliance_cli.statuses import parse_status

    state = open_tracker(ctx).read()
    day = dates.today()
    filters = {"pillar": state.pillar_id(pillar) if pillar else None,
               "status": parse_status(status) if status else None, "key": key, "search": search}
    rows = progress.select_rows(state.recommendations(complete=search is not None), day.isoformat(), **filters)
    meta = export_meta(state, day, {**filters, "limit": limit})
    shown = rows[:limit] if limit else rows
    out.emit({
        "json": lambda f: render.write_json(shown, f),
        "table": lambda f: render.list_table(rows, limit),
        "tsv": lambda f: render.list_tsv(shown, f),
        "csv": lambda f: f.write(lazy("exports").list_csv(shown, meta)),
        "markdown": lambda f: f.write(lazy("exports").list_markdown(shown, meta)),
    })


def export_meta(state, as_of, filters: dict) -> dict:
    """What every export says about itself: brief, as-of date, export time, filters used."""
    from alliance_cli import dates

    return {"brief": state.brief, "as_of": as_of.isoformat(), "exported_at": dates.export_time(),
            "filters": filters}


@app.command()
@output_options("markdown")
def show(ctx: typer.Context, rec_id: Annotated[str, typer.Argument(metavar="ID")], *, out: Output):
    """Everything about one recommendation, with its dated history."""
    from alliance_cli import dates, progress, render

    state = open_tracker(ctx).read()
    rec = state.get(rec_id)
    detail = progress.recommendation_detail(rec, state.pillars, dates.today().isoformat())
    out.emit({
        "json": lambda f: render.write_json(detail, f),
        "table": lambda f: render.show_table(detail),
        "tsv": lambda f: render.show_plain(detail, f),
        "markdown": lambda f: f.write(lazy("exports").show_markdown(detail, export_meta(state, dates.today(),
                                                                                 {"id": rec["id"]}))),
    })


@app.command("update-status")
def update_status(
    ctx: typer.Context,
    rec_id: Annotated[str, typer.Argument(metavar="ID", help="Recommendation id, e.g. SEC-1 (any case).")],
    status: Annotated[str, typer.Argument(metavar="STATUS", help="New status, e.g. implemented or in-progress.")],
    note: Annotated[str, typer.Option("--note", "-m", metavar="TEXT", help="What happened, in a sentence.")] = "",
    evidence: Annotated[list[str] | None, typer.Option(
        "--evidence", "-e", metavar="URL", help="An http(s) URL backing the change; repeat for several.")] = None,
    date: Annotated[str | None, typer.Option(
        "--date", "-d", metavar="DATE", help="When it happened (default today): 2024-01-11, 'Jan 11 2024'…")] = None,
):
    """Record a status change, with its date, a note and evidence."""
    with open_tracker(ctx).write(f"update-status {rec_id} {status}") as state:
        rec, event = state.update_status(rec_id, status, date=date, note=note, evidence=tuple(evidence or ()))
    typer.echo(f"{rec['id']}: {event['from']} -> {event['to']} (as of {event['date']})")


@app.command()
@output_options("csv", "markdown", "html")
def report(
    ctx: typer.Context,
    pillar: Annotated[str | None, typer.Option("--pillar", "-p", metavar="PILLAR", help="Only this pillar.")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE", help="Every status as it stood at the end of DATE (default today).")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="DATE", help="Add what changed from DATE on: upgrades, downgrades, new evidence.")] = None,
    compare: Annotated[str | None, typer.Option(
        "--compare", metavar="DATE",
        help="Add progress then (at DATE) and now per pillar, and what lost 'implemented'.")] = None,
    *, out: Output,
):
    """Progress per pillar, key recommendations, recent changes and what needs attention."""
    from alliance_cli import dates, progress, render

    end = dates.parse_date(as_of, what="--as-of date") if as_of else dates.today()
    start = _date_before(since, end, "--since") if since else None
    then = _date_before(compare, end, "--compare") if compare else None
    state = open_tracker(ctx).read()
    recs, pillars = state.recommendations(complete=False), state.pillars
    if pillar:
        wanted = state.pillar_id(pillar)
        recs = [r for r in recs if r["pillar"] == wanted]
        pillars = [p for p in pillars if p["id"] == wanted]
    data = progress.build_report(state.brief, pillars, recs, end, since=start, compare=then)
    meta = export_meta(state, end, {"pillar": pillar and pillars[0]["id"], "since": start and start.isoformat(),
                                    "compare": then and then.isoformat()})
    out.emit({
        "json": lambda f: render.write_json({**data, "exported_at": meta["exported_at"],
                                             "filters": meta["filters"]}, f),
        "table": lambda f: render.report_table(data),
        "tsv": lambda f: render.report_plain(data, f),
        "csv": lambda f: f.write(lazy("exports").report_csv(data, meta)),
        "markdown": lambda f: f.write(lazy("exports").report_markdown(data, meta)),
        "html": lambda f: f.write(lazy("html_report").report_html(
            data, meta, lazy("timeline").monthly_progress(pillars, recs, end))),
    })


@app.command()
@output_options("csv", "markdown")
def log(
    ctx: typer.Context,
    rec_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="Only this recommendation.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="DATE", help="Only changes dated on or after DATE.")] = None,
    *, out: Output,
):
    """Status changes and undos, newest first."""
    from alliance_cli import dates, journal, render

    state = open_tracker(ctx).read()
    wanted = state.get(rec_id)["id"] if rec_id else None
    start = dates.parse_date(since, what="--since date").isoformat() if since else None
    rows = journal.log_rows(state.recommendations(complete=False), state.journal, wanted, start)
    meta = export_meta(state, dates.today(), {"id": wanted, "since": start})
    out.emit({
        "json": lambda f: render.write_json(rows, f),
        "table": lambda f: render.log_table(rows),
        "tsv": lambda f: render.log_tsv(rows, f),
        "csv": lambda f: f.write(lazy("exports").log_csv(rows, meta)),
        "markdown": lambda f: f.write(lazy("exports").log_markdown(rows, meta)),
    })


@app.command()
def undo(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (required when stdin is not a terminal).")]
    = False,
):
    """Revert everything the last writing command did (the undo itself is journaled)."""
    from alliance_cli import journal, render

    tracker = open_tracker(ctx)
    # Read twice on purpose: the plan is shown and confirmed without the lock (a
    # person may take a while to answer), then checked again under it.
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


def _date_before(text: str, end, option: str):
    from alliance_cli import dates

    day = dates.parse_date(text, what=f"{option} date")
    if day > end:
        raise InputError(f"{option} date {day.isoformat()} is after the as-of date {end.isoformat()}")
    return day


# --- whole trackers ---------------------------------------------------------

@app.command()
def init(
    ctx: typer.Context,
    brief_file: Annotated[Path, typer.Option("--from", metavar="BRIEF.json", help="A brief file (or an export).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing tracker (kept aside).")] = False,
):
    """Start a tracker from a brief file (see the README for the format)."""
    from alliance_cli import dates, exchange, render

    # A brief file is an export without histories: one validation, one seeding.
    data = exchange.load_json(_read_input(str(brief_file)), str(brief_file))
    exchange.validate_export(data, str(brief_file))
    tracker = open_tracker(ctx)
    kept = tracker.replace(exchange.seed_from_export(data, dates.now_stamp()), force=force)
    if kept:
        typer.echo(f"previous tracker kept as {kept}", err=True)
    count = len(data["recommendations"])
    typer.echo(f"started {tracker.path}: {render.clean(data['brief']['title'])} ({count} recommendations)")


@app.command()
def export(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE (atomically).")] = None,
):
    """Write the whole tracker: the brief, statuses and full histories (JSON)."""
    from alliance_cli import dates, exchange

    state = open_tracker(ctx).read()
    write_output(exchange.export_parts(state, dates.export_time()), output)


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="An export file, or - for stdin.")],
):
    """Merge an export into this tracker: by recommendation id and by event id."""
    from alliance_cli import dates, exchange

    name = "<stdin>" if source == "-" else source
    data = exchange.load_json(_read_input(source), name)
    exchange.validate_export(data, name)
    from alliance_cli.tracker import TrackerExists

    tracker = open_tracker(ctx)
    if not tracker.path.exists():
        try:
            tracker.replace(exchange.seed_from_export(data, dates.now_stamp()), force=False)
        except TrackerExists:
            pass  # another command made it since we looked: merge into it below
        else:
            typer.echo(f"started {tracker.path} from {name}: {len(data['recommendations'])} recommendations")
            return
    with tracker.write(f"import {name}") as state:
        if data["brief"]["id"] != state.brief["id"]:
            raise InputError(f"{name} is an export of brief {data['brief']['id']!r}, this tracker holds "
                             f"{state.brief['id']!r}: use `alliance --db OTHER.json import` or `init --from`")
        counts = exchange.merge(state, data)
    typer.echo("merged {name}: {added} added, {updated} updated, {events} new events, {pillars} new pillars"
               .format(name=name, **counts))


def _read_input(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror}") from None


# --- adding and editing recommendations --------------------------------------

@app.command()
def add(
    ctx: typer.Context,
    pillar: Annotated[str, typer.Option("--pillar", "-p", metavar="PILLAR", help="Its pillar.")],
    title: Annotated[str, typer.Option("--title", "-t", metavar="TEXT", help="A short title (at most 70 characters).")],
    text: Annotated[str | None, typer.Option("--text", metavar="TEXT", help="The recommendation in full.")] = None,
    rec_id: Annotated[str | None, typer.Option(
        "--id", metavar="ID", help="Its id (default: next free PILLAR-N).")] = None,
    section: Annotated[str, typer.Option("--section", metavar="TEXT", help="Where in the brief it comes from.")] = "",
    key: Annotated[bool, typer.Option("--key", help="One of the brief's key recommendations.")] = False,
    due: Annotated[str | None, typer.Option(
        "--due", metavar="DATE", help="Date by which it should be implemented.")] = None,
    actor: Annotated[list[str] | None, typer.Option("--actor", metavar="NAME", help="Who must act; repeat.")] = None,
    initiative: Annotated[list[str] | None, typer.Option(
        "--initiative", metavar="NAME", help="A named mechanism; repeat.")] = None,
    source: Annotated[list[str] | None, typer.Option(
        "--source", metavar="URL", help="A supporting http(s) URL; repeat.")] = None,
):
    """Add a recommendation to the tracker."""
    from alliance_cli import dates, render
    from alliance_cli.tracker import check_text

    with open_tracker(ctx).write("add") as state:
        wanted = state.pillar_id(pillar)
        fields = {"id": rec_id or state.next_id(wanted), "pillar": wanted, "title": title,
                  "text": text if text is not None else title, "section": section, "key": key,
                  "actors": actor or [], "initiatives": initiative or [], "sources": source or []}
        if due:
            fields["due"] = dates.parse_date(due, allow_future=True, what="--due date").isoformat()
        for value in (title, fields["text"], section, *fields["actors"], *fields["initiatives"]):
            check_text(value, "text")
        doc = state.add_recommendation(fields)
    typer.echo(f"added {doc['id']}: {render.clean(doc['title'])}")


@app.command()
def edit(
    ctx: typer.Context,
    rec_id: Annotated[str, typer.Argument(metavar="ID")],
    title: Annotated[str | None, typer.Option("--title", "-t", metavar="TEXT")] = None,
    text: Annotated[str | None, typer.Option("--text", metavar="TEXT")] = None,
    pillar: Annotated[str | None, typer.Option("--pillar", "-p", metavar="PILLAR")] = None,
    section: Annotated[str | None, typer.Option("--section", metavar="TEXT")] = None,
    due: Annotated[str | None, typer.Option("--due", metavar="DATE", help="A date, or 'none' to clear it.")] = None,
    key: Annotated[bool | None, typer.Option("--key/--no-key")] = None,
):
    """Change a recommendation's title, text, pillar, section, due date or key flag."""
    from alliance_cli import dates
    from alliance_cli.tracker import check_text

    with open_tracker(ctx).write(f"edit {rec_id}") as state:
        fields = {name: value for name, value in
                  (("title", title), ("text", text), ("section", section), ("key", key)) if value is not None}
        for value in fields.values():
            if isinstance(value, str):
                check_text(value, "text")
        if pillar is not None:
            fields["pillar"] = state.pillar_id(pillar)
        if due is not None:
            fields["due"] = None if due.strip().lower() == "none" else dates.parse_date(
                due, allow_future=True, what="--due date").isoformat()
        if not fields:
            raise InputError("nothing to change: give --title, --text, --pillar, --section, --due or --key")
        rec = state.get(rec_id)
        changed = state.edit_recommendation(rec["id"], fields)
    typer.echo(f"{'edited' if changed else 'unchanged'}: {rec['id']}")


def main() -> None:
    """As `alliance` runs it (see ``launch``, the installed entry point)."""
    from alliance_cli import launch

    launch.main()
