"""The commands that change a tracker: update-status, undo, init, import, add, edit.

Each runs inside ``Tracker.write``: one lock around the whole read-change-write,
one journal entry, one commit, and nothing written when it refuses.
"""

import sys
from pathlib import Path
from typing import Annotated

import typer

from alliance_cli.cli.app import app, examples, open_tracker
from alliance_cli.cli.completion import complete_id, complete_id_or_status, complete_pillar, complete_status
from alliance_cli.errors import AllianceError, InputError


@app.command("update-status", epilog=examples(
    "alliance update-status sec-6 in-progress --note '12th SMA talks opened'",
    "alliance update-status SEC-2 implemented --date 2024-07-11 --by Board -e https://x.org/ncg",
    "alliance update-status CYBER-1 partial --date '3 days ago'",
    "alliance update-status SEC-1 SEC-4 in-progress --date 2024-08-18    # several at once",
    "alliance update-status --from annex-2024.csv    # id,status,date,note,evidence,by",
    "alliance update-status --from - --format jsonl < updates.jsonl"))
def update_status(
    ctx: typer.Context,
    rec_ids: Annotated[list[str] | None, typer.Argument(
        metavar="ID", show_default=False,
        help="Recommendation id, e.g. SEC-1 (any case); several for one status at once.",
        autocompletion=complete_id_or_status)] = None,
    status: Annotated[str | None, typer.Argument(
        metavar="STATUS", show_default=False, help="New status, e.g. implemented or in-progress.",
        autocompletion=complete_status)] = None,
    note: Annotated[str, typer.Option("--note", "-m", metavar="TEXT", help="What happened, in a sentence.")] = "",
    evidence: Annotated[list[str] | None, typer.Option(
        "--evidence", "-e", metavar="URL", help="An http(s) URL backing the change; repeat for several.")] = None,
    date: Annotated[str | None, typer.Option(
        "--date", "-d", metavar="DATE",
        help="When it happened (default today): 2024-04-11, 'Apr 11 2024', yesterday, '3 days ago'…")] = None,
    by: Annotated[str, typer.Option(
        "--by", metavar="WHO", help="Who assessed or claimed it: 'Board', 'Administration', an analyst "
                                    "(with --from: for the rows whose by is empty).")] = "",
    from_file: Annotated[str | None, typer.Option(
        "--from", metavar="FILE|-",
        help="Record the dated updates of a CSV, TSV, JSON Lines or .xlsx file (- for stdin), columns id, "
             "status, date, note, evidence (URLs separated by spaces), by: all of them or, if one row is "
             "refused, none.")] = None,
    input_format: Annotated[str | None, typer.Option(
        "--format", metavar="FORMAT",
        help="The --from file's format: csv, tsv, jsonl or xlsx (default: its extension, else its content).")]
    = None,
):
    """Record a status change, with its date, a note, evidence and who said it (for several ids, or from a file)."""
    words = [*(rec_ids or ()), *([status] if status is not None else [])]
    if from_file is not None:
        if words or note or evidence or date is not None:
            raise InputError("--from FILE gives each update's id, status, date, note and evidence: "
                             "give no ID, STATUS, --note, --evidence or --date with it")
        _update_from(ctx, from_file, input_format, by)
        return
    if input_format is not None:
        raise InputError("--format is the format of a --from file: give --from FILE with it")
    if not rec_ids or status is None:
        raise InputError("give a recommendation ID and a STATUS (or several ids, then one status), "
                         "or --from FILE: see `alliance update-status --help`")
    with open_tracker(ctx).write(f"update-status {' '.join(words)}") as state:
        _refuse_repeated_ids(state, rec_ids)
        done = [state.update_status(rec_id, status, date=date, note=note, evidence=tuple(evidence or ()), by=by)
                for rec_id in rec_ids]
    for rec, event in done:
        typer.echo(f"{rec['id']}: {event['from']} -> {event['to']} (as of {event['date']})")
    if len(done) > 1:
        typer.echo(f"{len(done)} updates to {len(done)} recommendations")


def _refuse_repeated_ids(state, rec_ids: list[str]) -> None:
    seen = set()
    for typed in rec_ids:
        rec_id = state.get(typed)["id"]
        if rec_id in seen:
            raise InputError(f"{rec_id} is given twice: give each recommendation once")
        seen.add(rec_id)


def _update_from(ctx: typer.Context, source: str, input_format: str | None, by: str) -> None:
    """Every row of a file, checked first, applied in date order: one journal entry, one undo."""
    from alliance_cli.cli import meter, readers
    from alliance_cli.core import updates

    name = readers.source_name(source)
    raw = readers.read_input(source)
    fmt = readers.format_of(source, input_format, raw, readers.FORMATS)
    with meter.Meter(f"reading {name}") as progress:
        table = readers.read_table(source, fmt, raw)
        with open_tracker(ctx).write(f"update-status --from {name}") as state:
            checked = updates.check_updates(table, resolve_id=lambda typed: state.get(typed)["id"],
                                            parse_status=state.scale.parse, default_by=by,
                                            issued=lambda rec_id: state.get(rec_id)["issued"])
            progress.stage("updating", total=len(checked))
            state.update_many(checked, name, progress.advance)
            progress.stage("saving")
    typer.echo(f"{updates.summary(checked)} from {name}" if checked else f"no updates in {name}: nothing changed")


@app.command(epilog=examples("alliance undo", "alliance undo --yes    # in a script",
                             "alliance undo --anyone    # the latest command, whoever recorded it"))
def undo(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (required when stdin is not a terminal).")]
    = False,
    anyone: Annotated[bool, typer.Option(
        "--anyone", help="Revert the latest command of anyone's, not only your own (see `recorded_by`).")] = False,
):
    """Revert everything your last writing command did (the undo itself is journaled)."""
    from alliance_cli.core import journal
    from alliance_cli.render.text import clean
    from alliance_cli.store.identity import recorded_by

    tracker = open_tracker(ctx)
    user = None if anyone else recorded_by(tracker.path)
    # Read twice on purpose: the plan is shown and confirmed without the lock (a
    # person may take a while to answer), then checked again under it.
    entries = tracker.read().journal_entries()
    target = journal.undo_target(entries, user)
    if target is None:
        whose = "" if user is None else f" of yours ({user}; `--anyone` for anyone's)"
        raise AllianceError(f"nothing to undo: no writing command{clean(whose)} is left in the journal")
    _refuse_overtaken(entries, target)
    who = f" by {target['recorded_by']}" if target.get("recorded_by") else ""
    typer.echo(f"will revert: {clean(target['command'])} (recorded {target['at']}{clean(who)})")
    for change in target["changes"]:
        typer.echo(f"  {clean(journal.describe(change))}")
    if not yes:
        if not sys.stdin.isatty():
            raise InputError("undo asks for confirmation: run it in a terminal, or pass --yes")
        if not typer.confirm("Revert it?", default=False, err=True):
            raise AllianceError("undo cancelled: nothing changed")
    with tracker.write("undo") as state:
        current = journal.undo_target(state.journal_entries(), user)
        if current is None or current["id"] != target["id"]:
            raise AllianceError("the tracker changed while you were deciding: run undo again")
        _refuse_overtaken(state.journal_entries(), current)
        state.revert(current)
    typer.echo(f"undone: {clean(target['command'])}")


def _refuse_overtaken(entries: list, target) -> None:
    """Reverting an older command would undo what a later one did to the same thing."""
    from alliance_cli.core import journal
    from alliance_cli.render.text import clean

    later = journal.overtaken_by(entries, target)
    if later is not None:
        who = f" by {later['recorded_by']}" if later.get("recorded_by") else ""
        raise AllianceError(clean(f"cannot undo `{target['command']}`: a later command, `{later['command']}`"
                                  f"{who}, changed the same thing since; undo that first (`alliance undo "
                                  "--anyone`), or change it back with edit"))



# --- whole trackers ---------------------------------------------------------

@app.command(epilog=examples("alliance --db team.json init --from my-brief.json",
                             "alliance init --from backup.json --force",
                             "alliance init --from recs.xlsx --title 'Audit board 2015' --published 2015-06",
                             "alliance init --from recs.csv --pillars pillars.csv"))
def init(
    ctx: typer.Context,
    brief_file: Annotated[Path, typer.Option(
        "--from", metavar="FILE",
        help="A brief file (or an export), or a table of recommendations: .csv, .tsv or .xlsx, with the "
             "columns id, pillar, title, text, section, key, actors, initiatives, sources, due, issued.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing tracker (kept aside).")] = False,
    pillars_file: Annotated[Path | None, typer.Option(
        "--pillars", metavar="FILE",
        help="With a table: its pillars (columns id, name, description), .csv, .tsv or .xlsx. Default: the "
             "workbook's sheet 'pillars', else the pillar column (names from a pillar_name column).")] = None,
    title: Annotated[str | None, typer.Option(
        "--title", metavar="TEXT", help="With a table: the brief's title (default: the file's name).")] = None,
    author: Annotated[str | None, typer.Option(
        "--author", metavar="TEXT", help="With a table: the brief's author.")] = None,
    publisher: Annotated[str | None, typer.Option(
        "--publisher", metavar="TEXT", help="With a table: who published the brief.")] = None,
    published: Annotated[str | None, typer.Option(
        "--published", metavar="DATE", help="With a table: when, YYYY-MM or YYYY-MM-DD (default: today).")]
    = None,
    brief_id: Annotated[str | None, typer.Option(
        "--brief-id", metavar="ID", help="With a table: the brief's id (default: from the file's name).")] = None,
):
    """Start a tracker from a brief file or a table of recommendations (see the README)."""
    from alliance_cli.cli.meter import Meter
    from alliance_cli.core import dates, exchange
    from alliance_cli.render.text import clean
    from alliance_cli.store.tracker import seed_whole

    given = {"title": title, "author": author, "publisher": publisher, "published": published, "id": brief_id}
    statuses_left = False
    with Meter(f"reading {brief_file}") as progress:
        if _is_table(brief_file):
            data, statuses_left = _brief_from_table(brief_file, pillars_file, given)
        else:
            if pillars_file is not None or any(value is not None for value in given.values()):
                raise InputError("--pillars, --title, --author, --publisher, --published and --brief-id are for "
                                 f"a table of recommendations (.csv, .tsv, .xlsx); {brief_file} is a brief file")
            # A brief file is an export without histories: one validation, one seeding.
            data = exchange.load_json(_read_input(str(brief_file)), str(brief_file))
            exchange.validate_export(data, str(brief_file))
        progress.stage("saving")
        tracker = open_tracker(ctx)
        kept = tracker.replace(seed_whole(data, dates.now_stamp()), force=force)
    if statuses_left:
        typer.echo(f"alliance: the status column of {brief_file} is not loaded (a status needs a date): record "
                   "the statuses with `alliance update-status --from FILE`", err=True)
    if kept:
        typer.echo(f"previous tracker kept as {kept}", err=True)
    count = len(data["recommendations"])
    typer.echo(f"started {tracker.path}: {clean(data['brief']['title'])} ({count} recommendations)")


TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".xlsx", ".xlsm", ".xls")


def _is_table(path: Path) -> bool:
    return path.suffix.lower() in TABLE_SUFFIXES


def _brief_from_table(path: Path, pillars_file: Path | None, given: dict) -> tuple[dict, bool]:
    """A brief from a table of recommendations (and its pillars), read here, made in ``core.brief_sheet``;
    and whether the table held statuses, which are not loaded."""
    from alliance_cli.cli import readers
    from alliance_cli.core import brief_sheet
    from alliance_cli.core.statuses import DEFAULT_SCALE, fold

    tables = ("csv", "tsv", "xlsx")
    raw = _read_input(str(path))
    fmt = readers.format_of(str(path), None, raw, tables)
    if fmt == "xlsx":
        table, pillars = readers.read_workbook(raw, str(path))
    else:
        table, pillars = readers.read_table(str(path), fmt, raw), None
    if pillars_file is not None:
        raw = _read_input(str(pillars_file))
        pillars = readers.read_table(str(pillars_file), readers.format_of(str(pillars_file), None, raw, tables), raw)
    data = brief_sheet.brief_from_table(table, brief_sheet.brief_info(table, path.stem, given), pillars)
    # A brief made from a table has the default scale: its statuses start at its start.
    start = fold(DEFAULT_SCALE.start)
    return data, any(fold(str(row.cells.get("status", start))) != start for row in table.rows)


@app.command("import", epilog=examples("alliance import theirs-export.json",
                                       "alliance --db /tmp/theirs.json export | alliance import -",
                                       "alliance import theirs-export.json --base both-started-from.json"))
def import_(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="An export file, or - for stdin.")],
    base: Annotated[Path | None, typer.Option(
        "--base", metavar="FILE", help="The export both copies started from: merge three ways (what each "
                                       "side changed since), not as a union.")] = None,
):
    """Merge an export into this tracker: by recommendation id and by event id.

    Without --base, a union: nothing is removed, and the export's fields win. With --base,
    a three-way merge: one-sided changes and removals are taken, two-sided ones are conflicts.
    """
    from alliance_cli.cli.meter import Meter
    from alliance_cli.core import exchange

    name = "<stdin>" if source == "-" else source
    with Meter(f"reading {name}") as progress:
        data = exchange.load_json(_read_input(source), name)
        exchange.validate_export(data, name)
        ancestor = None
        if base is not None:
            ancestor = exchange.load_json(_read_input(str(base)), str(base))
            exchange.validate_export(ancestor, str(base))
            if ancestor["brief"]["id"] != data["brief"]["id"]:
                raise InputError(f"--base {base} is an export of brief {ancestor['brief']['id']!r}, {name} of "
                                 f"{data['brief']['id']!r}: give the export both copies started from")
        progress.stage("merging")
        tracker = open_tracker(ctx)
        counts = _merge_into(tracker, data, name, ancestor)
    if counts is None:
        typer.echo(f"started {tracker.path} from {name}: {len(data['recommendations'])} recommendations")
        return
    if ancestor is None:
        typer.echo("merged {name}: {added} added, {updated} updated, {events} new events, {pillars} new pillars"
                   .format(name=name, **counts))
        return
    typer.echo("merged {name} three ways: {added} added, {updated} updated, {removed} removed, {events} new events, "
               "{undone} undone, {pillars} new pillars, {conflicts} conflicts".format(name=name, **counts))
    if counts["conflicts"]:
        typer.echo(f"alliance: {counts['conflicts']} conflicts to settle: see `alliance conflicts`", err=True)


def _merge_into(tracker, data: dict, name: str, ancestor: dict | None) -> dict | None:
    """Merge an export into the tracker (three ways from ``ancestor`` if given); into none yet,
    start it from the export, and return None."""
    from alliance_cli.core import dates, exchange
    from alliance_cli.store.tracker import TrackerExists, seed_whole

    if not tracker.exists() and ancestor is None:
        try:
            tracker.replace(seed_whole(data, dates.now_stamp()), force=False)
        except TrackerExists:
            pass  # another command made it since we looked: merge into it below
        else:
            return None
    if ancestor is not None and not tracker.exists():
        raise InputError(f"{tracker.path} does not exist: a three-way import merges into a tracker "
                         "(import without --base to start one)")
    with tracker.write(f"import {name}") as state:
        if data["brief"]["id"] != state.brief["id"]:
            raise InputError(f"{name} is an export of brief {data['brief']['id']!r}, this tracker holds "
                             f"{state.brief['id']!r}: use `alliance --db OTHER.json import` or `init --from`")
        return exchange.merge(state, data) if ancestor is None else exchange.merge_three_way(state, ancestor, data)


# --- adding and editing recommendations --------------------------------------

@app.command(epilog=examples(
    "alliance add --pillar sec --title 'Set up a trilateral cyber working group'",
    "alliance add -p econ -t 'Coordinate export controls' --key --due 2025-12-31 --actor US"))
def add(
    ctx: typer.Context,
    pillar: Annotated[str, typer.Option(
        "--pillar", "-p", metavar="PILLAR", help="Its pillar.", autocompletion=complete_pillar)],
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
    issued: Annotated[str | None, typer.Option(
        "--issued", metavar="DATE", help="When it was issued (default today); no status can predate it.")] = None,
):
    """Add a recommendation to the tracker."""
    from alliance_cli.core import dates
    from alliance_cli.render.text import clean

    with open_tracker(ctx).write("add") as state:
        wanted = state.pillar_id(pillar)
        fields = {"id": rec_id or state.next_id(wanted), "pillar": wanted, "title": title,
                  "text": text if text is not None else title, "section": section, "key": key,
                  "actors": actor or [], "initiatives": initiative or [], "sources": source or [],
                  "issued": (dates.parse_date(issued, what="--issued date") if issued else dates.today()).isoformat()}
        if due:
            fields["due"] = dates.parse_date(due, allow_future=True, what="--due date").isoformat()
        doc = state.add_recommendation(fields)
    typer.echo(f"added {doc['id']}: {clean(doc['title'])}")


@app.command(epilog=examples(
    "alliance edit SEC-3 --title 'Consider ROK roles with NATO and in AUKUS Pillar II'",
    "alliance edit ECON-2 --due none --no-key", "alliance edit CYBER-1 --pillar sec",
    "alliance edit SEC-4 --actor US --actor ROK --actor Japan --initiative 'Freedom Edge'",
    "alliance edit SEC-5 --no-actors --source https://example.org/a --section 'Annex B, para. 12'"))
def edit(
    ctx: typer.Context,
    rec_id: Annotated[str, typer.Argument(
        metavar="ID", help="Recommendation id, e.g. SEC-1 (any case).", autocompletion=complete_id)],
    title: Annotated[str | None, typer.Option(
        "--title", "-t", metavar="TEXT", help="A new short title (at most 70 characters).")] = None,
    text: Annotated[str | None, typer.Option("--text", metavar="TEXT", help="The recommendation in full.")] = None,
    pillar: Annotated[str | None, typer.Option(
        "--pillar", "-p", metavar="PILLAR", help="Move it to this pillar (its id stays).",
        autocompletion=complete_pillar)] = None,
    section: Annotated[str | None, typer.Option(
        "--section", metavar="TEXT", help="Where in the brief it comes from ('' to clear it).")] = None,
    due: Annotated[str | None, typer.Option(
        "--due", metavar="DATE", help="Date by which it should be implemented, or 'none' to clear it.")] = None,
    key: Annotated[bool | None, typer.Option(
        "--key/--no-key", help="Mark it as one of the brief's key recommendations, or not (default: unchanged).")]
    = None,
    issued: Annotated[str | None, typer.Option(
        "--issued", metavar="DATE", help="When it was issued; no status can predate it.")] = None,
    actor: Annotated[list[str] | None, typer.Option(
        "--actor", metavar="NAME", help="Who must act; repeat. Replaces the whole list.")] = None,
    no_actors: Annotated[bool, typer.Option("--no-actors", help="Clear the list of actors.")] = False,
    initiative: Annotated[list[str] | None, typer.Option(
        "--initiative", metavar="NAME", help="A named mechanism; repeat. Replaces the whole list.")] = None,
    no_initiatives: Annotated[bool, typer.Option("--no-initiatives", help="Clear the list of initiatives.")]
    = False,
    source: Annotated[list[str] | None, typer.Option(
        "--source", metavar="URL", help="A supporting http(s) URL; repeat. Replaces the whole list.")] = None,
    no_sources: Annotated[bool, typer.Option("--no-sources", help="Clear the list of sources.")] = False,
):
    """Change a recommendation's title, text, pillar, section, due date, issue date, key flag, actors,
    initiatives or sources."""
    from alliance_cli.core import dates

    with open_tracker(ctx).write(f"edit {rec_id}") as state:
        fields = {name: value for name, value in
                  (("title", title), ("text", text), ("section", section), ("key", key)) if value is not None}
        if pillar is not None:
            fields["pillar"] = state.pillar_id(pillar)
        if due is not None:
            fields["due"] = None if due.strip().lower() == "none" else dates.parse_date(
                due, allow_future=True, what="--due date").isoformat()
        if issued is not None:
            fields["issued"] = dates.parse_date(issued, what="--issued date").isoformat()
        for name, values, clear in (("actors", actor, no_actors), ("initiatives", initiative, no_initiatives),
                                    ("sources", source, no_sources)):
            listed = _names(name, values, clear)
            if listed is not None:
                fields[name] = listed
        if not fields:
            raise InputError("nothing to change: give --title, --text, --pillar, --section, --due, --issued, "
                             "--key, --actor, --initiative or --source")
        rec = state.get(rec_id)
        changed = state.edit_recommendation(rec["id"], fields)
    typer.echo(f"{'edited' if changed else 'unchanged'}: {rec['id']}")


# The option that sets each list, as errors name it.
LIST_OPTIONS = {"actors": "--actor", "initiatives": "--initiative", "sources": "--source"}


def _names(field: str, values: list[str] | None, clear: bool) -> list[str] | None:
    """The new value of a list field from its option and its --no-… flag; None to leave it as it is.
    Values are trimmed; a blank one is refused (--no-… clears), a URL is checked here to name the option."""
    from alliance_cli.core.model import FieldError, check_text, check_url

    option = LIST_OPTIONS[field]
    if clear and values:
        raise InputError(f"{option} and --no-{field} contradict each other: give one of them")
    if clear:
        return []
    if values is None:
        return None
    check = check_url if field == "sources" else check_text
    kept = []
    for value in values:
        try:
            check(value.strip(), option)
        except FieldError as exc:
            raise InputError(f"{option}: {exc.problem}") from None
        if not value.strip():
            raise InputError(f"{option}: a value must not be blank (--no-{field} clears the list)")
        kept.append(value.strip())
    return list(dict.fromkeys(kept))  # each once, in the order given


def _read_input(source: str) -> bytes:
    """A file's bytes, or stdin's for ``-`` (``cli.readers``, imported only by the commands that read one)."""
    from alliance_cli.cli.readers import read_input

    return read_input(source)
