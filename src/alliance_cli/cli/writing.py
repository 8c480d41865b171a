"""The commands that change a tracker: update-status, undo, init, import, add, edit.

Each runs inside ``Tracker.write``: one lock around the whole read-change-write,
one journal entry, one commit, and nothing written when it refuses.
"""

import sys
from pathlib import Path
from typing import Annotated

import typer

from alliance_cli.cli.app import app, examples, open_tracker
from alliance_cli.cli.completion import complete_id, complete_pillar, complete_status
from alliance_cli.errors import AllianceError, InputError


@app.command("update-status", epilog=examples(
    "alliance update-status sec-6 in-progress --note '12th SMA talks opened'",
    "alliance update-status SEC-2 implemented --date 2024-01-30 -e https://example.org/ncg",
    "alliance update-status CYBER-1 partial --date '3 days ago'"))
def update_status(
    ctx: typer.Context,
    rec_id: Annotated[str, typer.Argument(
        metavar="ID", help="Recommendation id, e.g. SEC-1 (any case).", autocompletion=complete_id)],
    status: Annotated[str, typer.Argument(
        metavar="STATUS", help="New status, e.g. implemented or in-progress.", autocompletion=complete_status)],
    note: Annotated[str, typer.Option("--note", "-m", metavar="TEXT", help="What happened, in a sentence.")] = "",
    evidence: Annotated[list[str] | None, typer.Option(
        "--evidence", "-e", metavar="URL", help="An http(s) URL backing the change; repeat for several.")] = None,
    date: Annotated[str | None, typer.Option(
        "--date", "-d", metavar="DATE",
        help="When it happened (default today): 2024-04-11, 'Apr 11 2024', yesterday, '3 days ago'…")] = None,
    by: Annotated[str, typer.Option(
        "--by", metavar="WHO", help="Who assessed or claimed it: 'Board', 'Administration', an analyst.")] = "",
):
    """Record a status change, with its date, a note, evidence and who said it."""
    with open_tracker(ctx).write(f"update-status {rec_id} {status}") as state:
        rec, event = state.update_status(rec_id, status, date=date, note=note, evidence=tuple(evidence or ()),
                                         by=by)
    typer.echo(f"{rec['id']}: {event['from']} -> {event['to']} (as of {event['date']})")


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
                             "alliance init --from backup.json --force"))
def init(
    ctx: typer.Context,
    brief_file: Annotated[Path, typer.Option("--from", metavar="BRIEF.json", help="A brief file (or an export).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing tracker (kept aside).")] = False,
):
    """Start a tracker from a brief file (see the README for the format)."""
    from alliance_cli.core import dates, exchange
    from alliance_cli.render.text import clean
    from alliance_cli.store.tracker import seed_whole

    # A brief file is an export without histories: one validation, one seeding.
    data = exchange.load_json(_read_input(str(brief_file)), str(brief_file))
    exchange.validate_export(data, str(brief_file))
    tracker = open_tracker(ctx)
    kept = tracker.replace(seed_whole(data, dates.now_stamp()), force=force)
    if kept:
        typer.echo(f"previous tracker kept as {kept}", err=True)
    count = len(data["recommendations"])
    typer.echo(f"started {tracker.path}: {clean(data['brief']['title'])} ({count} recommendations)")


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
    from alliance_cli.core import dates, exchange
    from alliance_cli.store.tracker import TrackerExists, seed_whole

    name = "<stdin>" if source == "-" else source
    data = exchange.load_json(_read_input(source), name)
    exchange.validate_export(data, name)
    ancestor = None
    if base is not None:
        ancestor = exchange.load_json(_read_input(str(base)), str(base))
        exchange.validate_export(ancestor, str(base))
        if ancestor["brief"]["id"] != data["brief"]["id"]:
            raise InputError(f"--base {base} is an export of brief {ancestor['brief']['id']!r}, {name} of "
                             f"{data['brief']['id']!r}: give the export both copies started from")
    tracker = open_tracker(ctx)
    if not tracker.exists() and ancestor is None:
        try:
            tracker.replace(seed_whole(data, dates.now_stamp()), force=False)
        except TrackerExists:
            pass  # another command made it since we looked: merge into it below
        else:
            typer.echo(f"started {tracker.path} from {name}: {len(data['recommendations'])} recommendations")
            return
    if ancestor is not None and not tracker.exists():
        raise InputError(f"{tracker.path} does not exist: a three-way import merges into a tracker "
                         "(import without --base to start one)")
    with tracker.write(f"import {name}") as state:
        if data["brief"]["id"] != state.brief["id"]:
            raise InputError(f"{name} is an export of brief {data['brief']['id']!r}, this tracker holds "
                             f"{state.brief['id']!r}: use `alliance --db OTHER.json import` or `init --from`")
        counts = exchange.merge(state, data) if ancestor is None else exchange.merge_three_way(state, ancestor, data)
    if ancestor is None:
        typer.echo("merged {name}: {added} added, {updated} updated, {events} new events, {pillars} new pillars"
                   .format(name=name, **counts))
        return
    typer.echo("merged {name} three ways: {added} added, {updated} updated, {removed} removed, {events} new events, "
               "{undone} undone, {pillars} new pillars, {conflicts} conflicts".format(name=name, **counts))
    if counts["conflicts"]:
        typer.echo(f"alliance: {counts['conflicts']} conflicts to settle: see `alliance conflicts`", err=True)


def _read_input(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror}") from None


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
