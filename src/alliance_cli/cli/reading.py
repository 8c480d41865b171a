"""The commands that only read a tracker: path, statuses, list, show, report, log, export."""

from pathlib import Path
from typing import Annotated

import typer

from alliance_cli.cli.app import app, db_of, examples, export_meta, lazy, open_tracker
from alliance_cli.cli.completion import complete_id, complete_log_kind, complete_pillar, complete_status
from alliance_cli.cli.output import Output, output_options, write_output
from alliance_cli.errors import InputError
from alliance_cli.store import paths


@app.command(epilog=examples("alliance path", "alliance path | head -1",
                             "alliance --db team.json path"))
def path(ctx: typer.Context):
    """Print the tracker in use: its head file, then its folder of bodies."""
    from alliance_cli.store.tracker import Tracker

    for name in Tracker(paths.resolve(db_of(ctx))[0]).files():
        typer.echo(str(name))


@app.command(epilog=examples("alliance statuses", "alliance statuses --json"))
@output_options()
def statuses(ctx: typer.Context, *, out: Output):
    """The tracker's status scale, in order: labels, scores, classes, spellings and definitions."""
    from alliance_cli.render import terminal, text

    scale = open_tracker(ctx).read().scale
    out.emit({
        "json": lambda f: text.write_json(
            [{"status": s.id, "label": s.label, "score": s.score, "class": s.cls, "aliases": list(s.aliases),
              "definition": s.definition} for s in scale.statuses], f),
        "table": lambda f: terminal.statuses_table(scale, f),
        "tsv": lambda f: terminal.statuses_tsv(scale, f),
    })


@app.command("list", epilog=examples(
    "alliance list --pillar sec --status in-progress", "alliance list --key --search NCG",
    "alliance list --search '\"Freedom Edge\" trilateral'    # a phrase and a word",
    "alliance list --actor japan --initiative 'Camp David'", "alliance list --stale --overdue",
    "alliance list --limit 0 --format csv -o list.csv"))
@output_options("csv", "markdown")
def list_(
    ctx: typer.Context,
    pillar: Annotated[list[str] | None, typer.Option(
        "--pillar", "-p", metavar="PILLAR", help="Only this pillar; repeat for any of several.",
        autocompletion=complete_pillar)] = None,
    status: Annotated[list[str] | None, typer.Option(
        "--status", "-s", metavar="STATUS", help="Only this status; repeat for any of several.",
        autocompletion=complete_status)] = None,
    key: Annotated[bool, typer.Option("--key", help="Only the brief's key recommendations.")] = False,
    search: Annotated[str | None, typer.Option(
        "--search", metavar="TEXT",
        help="Only those holding every word of TEXT (or \"a phrase\") anywhere: id, title, text, section, "
             "actors, initiatives, notes, evidence, who said it; case and accents ignored.")] = None,
    actor: Annotated[list[str] | None, typer.Option(
        "--actor", metavar="NAME", help="Only those with an actor named so (whole words, any case); "
                                        "repeat for any of several.")] = None,
    initiative: Annotated[list[str] | None, typer.Option(
        "--initiative", metavar="NAME", help="Only those citing an initiative named so (whole words, any "
                                             "case); repeat for any of several.")] = None,
    overdue: Annotated[bool, typer.Option(
        "--overdue", help="Only those past their due date and still open (not in a closed status).")] = False,
    stale: Annotated[bool, typer.Option(
        "--stale", help="Only those the report calls 'not updated for N days' (N: the tracker's review_days).")]
    = False,
    stale_days: Annotated[int | None, typer.Option(
        "--stale-days", metavar="N", min=1,
        help="--stale with N days instead of the tracker's review_days, as report --stale-days.")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", "-n", metavar="N", min=0,
        help="At most N rows (0: all). Default: what fits the terminal, else all.")] = None,
    *, out: Output,
):
    """List recommendations with their current status."""
    from alliance_cli.core import dates, progress
    from alliance_cli.render import terminal, text

    state = open_tracker(ctx).read()
    day = dates.today()
    pillars = list(dict.fromkeys(state.pillar_id(p) for p in pillar or ()))
    statuses = list(dict.fromkeys(state.scale.parse(s) for s in status or ()))
    recs = progress.matching(state.recommendations(), pillars=set(pillars), key=key)
    recs = progress.flagged(recs, day, state.scale, stale_days or state.review_days,
                            stale=stale or stale_days is not None, overdue=overdue)
    recs = _found(state, recs, search, actor or [], initiative or [])
    rows = progress.select_rows(recs, day.isoformat(), state.scale.start, set(statuses))
    meta = export_meta(state, day, {"pillar": _one_or_all(pillars), "status": _one_or_all(statuses), "key": key,
                                    "search": search, "actor": _one_or_all(actor or []),
                                    "initiative": _one_or_all(initiative or []), "overdue": overdue,
                                    "stale": stale or stale_days is not None, "stale_days": stale_days,
                                    "limit": limit})
    def shown() -> list[dict]:  # rows may be made as they are asked for (progress.Rows): a table asks a screenful
        return rows[:limit or None]

    out.emit({
        "json": lambda f: text.write_json(shown(), f),
        "table": lambda f: terminal.list_table(rows, limit, f),
        "tsv": lambda f: terminal.list_tsv(shown(), f),
        "csv": lambda f: f.write(lazy("exports").list_csv(shown(), meta, {p["id"]: p["name"] for p in state.pillars})),
        "markdown": lambda f: f.write(lazy("exports").list_markdown(shown(), meta)),
    })


def _found(state, recs: list[dict], search: str | None, actors: list[str], initiatives: list[str]) -> list[dict]:
    """``recs`` filtered by what lives in the bodies (text, actors, notes...), read one body file at a
    time, only when asked: a plain `list` reads the head alone."""
    from alliance_cli.core import progress
    from alliance_cli.core import search as finding

    if search is None and not actors and not initiatives:
        return recs
    wanted = finding.terms(search) if search is not None else []
    if search is not None and not wanted:
        raise InputError("--search: give at least one word to look for")
    for option, names in (("--actor", actors), ("--initiative", initiatives)):
        if any(not finding.words(name) for name in names):
            raise InputError(f"{option}: give a name with at least one letter or digit")
    found = {head["id"] for head, whole in state.iter_full(recs)
             if (not actors or finding.names_match(whole["actors"], actors))
             and (not initiatives or finding.names_match(whole["initiatives"], initiatives))
             and finding.matches(whole, wanted)}
    return progress.matching(recs, ids=found)


def _one_or_all(values: list[str]):
    """A filter as an export states it: one value as itself, several as a list, none as None."""
    return values[0] if len(values) == 1 else (values or None)
@app.command(epilog=examples("alliance show SEC-2", "alliance show sec-2 --json", "alliance show SEC-2 -o SEC-2.md"))
@output_options("markdown")
def show(
    ctx: typer.Context,
    rec_id: Annotated[str, typer.Argument(
        metavar="ID", help="Recommendation id, e.g. SEC-1 (any case).", autocompletion=complete_id)],
    *, out: Output,
):
    """Everything about one recommendation, with its dated history."""
    from alliance_cli.core import dates, progress
    from alliance_cli.render import terminal, text

    state = open_tracker(ctx).read()
    rec = state.full(state.get(rec_id))
    detail = progress.recommendation_detail(rec, state.pillars, dates.today().isoformat(), state.scale.start)
    out.emit({
        "json": lambda f: text.write_json(detail, f),
        "table": lambda f: terminal.show_table(detail, f),
        "tsv": lambda f: terminal.show_plain(detail, f),
        "markdown": lambda f: f.write(lazy("exports").show_markdown(detail, export_meta(state, dates.today(),
                                                                                 {"id": rec["id"]}))),
    })


@app.command(epilog=examples(
    "alliance report", "alliance report --pillar sec --since '30 days ago'",
    "alliance report --as-of 2024-12-31 --compare 2023-12-31", "alliance report -o report.html",
    "alliance report --stale-days 365 --recent-days 90    # an annual review, a quarterly note"))
@output_options("csv", "markdown", "html")
def report(
    ctx: typer.Context,
    pillar: Annotated[str | None, typer.Option(
        "--pillar", "-p", metavar="PILLAR", help="Only this pillar.", autocompletion=complete_pillar)] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="DATE",
        help="Every status as it stood at the end of DATE (default today), over what was issued by then.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="DATE",
        help="Add what changed from DATE on: assessments, upgrades, downgrades, other changes, "
             "reassessments, new evidence.")] = None,
    compare: Annotated[str | None, typer.Option(
        "--compare", metavar="DATE",
        help="Add progress then (at DATE) and now per pillar, and what is no longer implemented.")] = None,
    stale_days: Annotated[int | None, typer.Option(
        "--stale-days", metavar="N", min=1,
        help="An open recommendation needs attention after N days without an update "
             "(default: the tracker's review_days, 180 unless its brief says).")] = None,
    recent_days: Annotated[int, typer.Option(
        "--recent-days", metavar="N", min=1, help="The window of 'Recent changes', in days up to the as-of date.")]
    = 30,
    *, out: Output,
):
    """Progress per pillar, key recommendations, recent changes and what needs attention."""
    from alliance_cli.core import dates, progress
    from alliance_cli.render import terminal, text

    end = dates.parse_date(as_of, what="--as-of date") if as_of else dates.today()
    start = _date_before(since, end, "--since") if since else None
    then = _date_before(compare, end, "--compare") if compare else None
    state = open_tracker(ctx).read()
    recs, pillars = state.recommendations(), state.pillars
    if pillar:
        wanted = state.pillar_id(pillar)
        recs = [r for r in recs if r["pillar"] == wanted]
        pillars = [p for p in pillars if p["id"] == wanted]
    data = progress.build_report(state.brief, pillars, recs, end, state.scale, since=start, compare=then,
                                 notes=state.notes, stale_days=stale_days or state.review_days,
                                 recent_days=recent_days)
    meta = export_meta(state, end, {"pillar": pillar and pillars[0]["id"], "since": start and start.isoformat(),
                                    "compare": then and then.isoformat()})
    out.emit({
        "json": lambda f: text.write_json({**data, "exported_at": meta["exported_at"],
                                           "filters": meta["filters"]}, f),
        "table": lambda f: terminal.report_table(data, f),
        "tsv": lambda f: terminal.report_plain(data, f),
        "csv": lambda f: f.write(lazy("exports").report_csv(data, meta)),
        "markdown": lambda f: f.write(lazy("exports").report_markdown(data, meta)),
        "html": lambda f: f.write(_html_report(state, data, meta, pillars, recs, end)),
    })


def _html_report(state, data, meta, pillars, recs, end) -> str:
    """The cover page also lists every recommendation with its latest note: only it reads every body."""
    from alliance_cli.core import progress

    every = progress.every_recommendation(recs, end, state.notes, state.scale)
    return lazy("html").report_html({**data, "recommendations": every}, meta,
                                    _timeline(pillars, recs, end, state.scale))


def _timeline(pillars, recs, end, scale):
    from alliance_cli.core import timeline

    return timeline.monthly_progress(pillars, recs, end, scale)


def _date_before(text: str, end, option: str):
    from alliance_cli.core import dates

    day = dates.parse_date(text, what=f"{option} date")
    if day > end:
        raise InputError(f"{option} date {day.isoformat()} is after the as-of date {end.isoformat()}")
    return day


# Without --limit, log on a terminal shows the newest so many (a pager holds them easily).
LOG_TERMINAL_ROWS = 50


@app.command(epilog=examples("alliance log", "alliance log SEC-6",
                             "alliance log --since '2 weeks ago' --format markdown",
                             "alliance log --kind edit --kind undo    # who changed what, and what was reverted"))
@output_options("csv", "markdown")
def log(
    ctx: typer.Context,
    rec_id: Annotated[str | None, typer.Argument(
        metavar="[ID]", help="Only this recommendation.", autocompletion=complete_id)] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="DATE", help="Only changes dated on or after DATE.")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", "-k", metavar="KIND", autocompletion=complete_log_kind,
        help="Only rows of this kind: status, add, edit, import, undo, resolve or init; repeat for any of "
             "several.")]
    = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", "-n", metavar="N", min=0,
        help=f"The newest N rows (0: all). Default: the newest {LOG_TERMINAL_ROWS} on a terminal, else all.")]
    = None,
    by: Annotated[str | None, typer.Option(
        "--by", metavar="WHO", help="Only status changes whose `by` contains WHO (any case).")] = None,
    *, out: Output,
):
    """Status changes and every other writing command (add, edit, import, undo), newest first."""
    from alliance_cli.core import dates, journal
    from alliance_cli.render import terminal, text

    state = open_tracker(ctx).read()
    wanted = state.get(rec_id)["id"] if rec_id else None
    start = dates.parse_date(since, what="--since date").isoformat() if since else None
    kinds = list(dict.fromkeys(_log_kind(k) for k in kind or ()))
    entries = journal.log_entries(state.recommendations(), state.journal_entries(), state.scale.start, wanted,
                                  start, set(kinds))
    if by is not None:  # who said it is in the bodies: read the notes of every change once
        said = {event for event, body in state.notes(journal.noted(entries)) if journal.said_by(body, by)}
        entries = [e for e in entries if e[1] is not None and journal.event_of(e) in said]
    total = len(entries)
    if limit is None and out.fmt == "table":
        limit = LOG_TERMINAL_ROWS
    entries = entries[:limit] if limit else entries  # the notes of the rows shown only are read
    notes = dict(state.notes(journal.noted(entries)))
    rows = journal.log_rows(entries, notes)  # made as they are written
    meta = export_meta(state, dates.today(), {"id": wanted, "since": start, "kind": _one_or_all(kinds),
                                              "limit": limit, "by": by})
    out.emit({
        "json": lambda f: text.write_json_array(rows, f),
        "table": lambda f: terminal.log_table(list(rows), f, total),
        "tsv": lambda f: terminal.log_tsv(rows, f),
        "csv": lambda f: f.write(lazy("exports").log_csv(list(rows), meta)),
        "markdown": lambda f: f.write(lazy("exports").log_markdown(list(rows), meta)),
    })


def _log_kind(typed: str) -> str:
    from alliance_cli.core.journal import LOG_KINDS

    found = typed.strip().lower()
    if found not in LOG_KINDS:
        from alliance_cli.core.suggest import close_matches

        close = close_matches(typed, {k: [k] for k in LOG_KINDS}, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise InputError(f"unknown log kind {typed!r}: {hint}use one of {', '.join(LOG_KINDS)}")
    return found


@app.command(epilog=examples("alliance export -o backup.json", "alliance export | jq '.recommendations | length'"))
def export(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE (atomically).")] = None,
):
    """Write the whole tracker: the brief, statuses and full histories (JSON)."""
    from alliance_cli.core import dates, exchange

    state = open_tracker(ctx).read()
    whole = ((head["seq"], rec) for head, rec in state.iter_full())
    write_output(exchange.export_parts(state.brief, state.pillars, dates.export_time(), whole, state.scale,
                                       state.review_days), output, db_of(ctx))
