"""Three-way merges: git's merge driver, and the conflicts a merge leaves to settle.

``merge-driver`` is what git runs for a tracker's files (``%O %A %B %P``); it needs no
tracker of its own. ``conflicts`` lists what a merge (the driver's or `import --base`'s)
could not decide, and ``conflicts resolve`` settles one, as a journaled, undoable change.
"""

from pathlib import Path
from typing import Annotated

import typer

from alliance_cli.cli.app import app, examples, open_tracker
from alliance_cli.cli.output import Output, output_options
from alliance_cli.errors import EXIT_FAILURE, InputError


@app.command("merge-driver", epilog=examples(
    "alliance merge-driver base.json ours.json theirs.json tracker.json",
    "alliance merge-driver %O %A %B %P    # as git's merge.alliance.driver"))
def merge_driver(
    base: Annotated[Path, typer.Argument(metavar="BASE", help="The common ancestor's version (git's %O).")],
    ours: Annotated[Path, typer.Argument(metavar="OURS", help="Our version, replaced by the merge (git's %A).")],
    theirs: Annotated[Path, typer.Argument(metavar="THEIRS", help="Their version (git's %B).")],
    name: Annotated[str | None, typer.Argument(metavar="PATH", help="The file's path in the repository (git's %P).")]
    = None,
):
    """Merge three versions of a tracker file (its head or a body file) into OURS, as git's merge driver.

    Exit 0: merged cleanly. Exit 1: merged, with conflicts recorded in OURS (see `alliance
    conflicts`); OURS still loads. Exit 2: not tracker files (OURS untouched). Register it with
    git config merge.alliance.driver 'alliance merge-driver %O %A %B %P'.
    """
    from alliance_cli.render.text import clean
    from alliance_cli.store import merging

    label = name or str(ours)
    found = merging.merge_files(base, ours, theirs, label)
    if found:
        from alliance_cli.core.merge import label as conflict_label

        named = ", ".join(" ".join(conflict_label(c)) for c in found[:3]) + (" …" if len(found) > 3 else "")
        typer.echo(clean(f"alliance: {label}: {len(found)} conflict{'s' if len(found) > 1 else ''} "
                         f"({named}): see `alliance conflicts`"), err=True)
        raise typer.Exit(EXIT_FAILURE)


conflicts_app = typer.Typer(help="List the conflicts a merge left to settle, and settle them.",
                            no_args_is_help=False, rich_markup_mode=None)
app.add_typer(conflicts_app, name="conflicts")


@conflicts_app.callback(invoke_without_command=True, epilog=examples(
    "alliance conflicts", "alliance conflicts --json",
    "alliance conflicts resolve SEC-3 title --theirs"))
@output_options()
def conflicts(ctx: typer.Context, *, out: Output):
    """List the open conflicts: per field, both sides' values and the value kept until it is settled."""
    if ctx.invoked_subcommand is not None:
        return
    from alliance_cli.core.merge import label
    from alliance_cli.render import terminal, text

    tracker = open_tracker(ctx)
    found = tracker.read(create=False).conflicts() if tracker.exists() else []  # none yet: none to list
    out.emit({
        "json": lambda f: text.write_json([{"id": label(c)[0], "field": label(c)[1], "ours": c["ours"],
                                            "theirs": c["theirs"], "base": c["base"]} for c in found], f),
        "table": lambda f: terminal.conflicts_table(found, f),
        "tsv": lambda f: terminal.conflicts_tsv(found, f),
    })


@conflicts_app.command(epilog=examples(
    "alliance conflicts resolve SEC-3 title --theirs", "alliance conflicts resolve ECON-2 due --value 2025-06-30",
    "alliance conflicts resolve pillar:SEC name --ours"))
def resolve(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(
        metavar="ID", help="As `alliance conflicts` lists it: SEC-3, pillar:SEC, brief.")],
    field: Annotated[str, typer.Argument(
        metavar="FIELD", help="As `alliance conflicts` lists it: title, due, event:…, note:…")],
    ours: Annotated[bool, typer.Option("--ours", help="Keep our side's value.")] = False,
    theirs: Annotated[bool, typer.Option("--theirs", help="Keep their side's value.")] = False,
    value: Annotated[str | None, typer.Option(
        "--value", metavar="V", help="Give it this value instead (a date or 'none' for due, true/false for key, "
                                     "a JSON array for actors, initiatives and sources).")] = None,
):
    """Settle one conflict: the field takes one side's value or a new one (undo reopens it)."""
    from alliance_cli.core.merge import label
    from alliance_cli.render.text import clean
    from alliance_cli.store import merging

    if (ours, theirs, value is not None).count(True) != 1:
        raise InputError("choose one of --ours, --theirs or --value V")
    tracker = open_tracker(ctx)
    with tracker.write(f"conflicts resolve {subject} {field}") as state:
        record = merging.find_conflict(state, subject, field)
        chosen = record["ours"] if ours else record["theirs"] if theirs else _typed(state, record, value)
        merging.settle(state, record, chosen)
    typer.echo(clean(f"settled: {' '.join(label(record))}"))


def _typed(state, record: dict, text: str):
    """A value typed for a field, read as that field's option would read it."""
    from alliance_cli.core import dates

    field = record["field"]
    if field == "recommendation":
        if text.strip().lower() not in ("removed", "kept"):
            raise InputError("--value for a recommendation kept on one side and removed on the other: removed or kept")
        return text.strip().lower()
    if field == "note" or field.startswith("event:"):
        raise InputError(f"an event is one side's or the other's: settle {field} with --ours or --theirs")
    if field == "key":
        if text.strip().lower() not in ("true", "false"):
            raise InputError(f"--value for key: true or false, not {text!r}")
        return text.strip().lower() == "true"
    if field == "due":
        return None if text.strip().lower() == "none" else dates.parse_date(
            text, allow_future=True, what="--value date").isoformat()
    if field == "pillar" and record["rec"] is not None:
        return state.pillar_id(text)
    if field in ("actors", "initiatives", "sources"):
        try:
            import json

            items = json.loads(text)
        except ValueError:
            items = None
        if type(items) is not list or not all(type(i) is str for i in items):
            raise InputError(f"--value for {field}: a JSON array of strings, e.g. '[\"US\", \"ROK\"]'")
        return items
    return text
