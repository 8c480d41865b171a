"""The command line: a thin Typer layer over the store, the core and the renderers.

Errors are turned into one line on stderr and an exit code in one place
(``AllianceGroup``); output formats are added to every command by one decorator
(``output.output_options``). The commands live in ``reading`` and ``writing``.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from alliance_cli.errors import EXIT_INTERRUPTED, EXIT_USAGE, AllianceError
from alliance_cli.store import paths

if TYPE_CHECKING:
    from alliance_cli.store.tracker import Tracker

# The core is imported inside each command, not here: `alliance --help` and
# every command pay only for what they use (start-up is most of a command's time).

def lazy(module: str):
    """A renderer imported when its format is chosen: only the chosen format pays for it."""
    import importlib

    return importlib.import_module(f"alliance_cli.render.{module}")


def examples(*lines: str) -> str:
    """A command's epilog: its examples, one a line, never rewrapped (click's \\b)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  $ {line}" for line in lines)


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
            from alliance_cli.render.text import clean

            # A message quotes what was typed with repr(), which leaves the printable
            # fillers (U+3164...) raw: one line, every invisible character escaped.
            typer.echo(f"alliance: {clean(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:  # outside a write (which says for itself): nothing was being saved
            typer.echo("alliance: interrupted: nothing was saved", err=True)
            ctx.exit(EXIT_INTERRUPTED)


app = typer.Typer(
    # Plain help and usage errors (as gh's): no Rich layout to import for --help,
    # and a usage error is a few plain lines, never a box.
    # Shell completion: --install-completion, --show-completion; ids, statuses and
    # pillars complete from the tracker in use (see ``completion``).
    cls=AllianceGroup, no_args_is_help=True, add_completion=True, pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Track the implementation of a policy brief's recommendations.",
    epilog=examples("alliance list --pillar sec", "alliance update-status SEC-6 in-progress --date yesterday",
                    "alliance report -o report.html", "alliance COMMAND --help    # its options and examples"),
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from alliance_cli import launch

        typer.echo(launch.version_line())
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="PATH",
        help="The tracker to use, by its head file (default: ALLIANCE_DB, then the user data dir).")] = None,
    version: Annotated[bool, typer.Option(
        "--version", is_eager=True, expose_value=False, callback=_print_version,
        help="Print alliance's version and exit.")] = False,
):
    ctx.obj = RunOptions(db=db, own_process=isinstance(ctx.obj, RunOptions) and ctx.obj.own_process)


@dataclass
class RunOptions:
    """What one run of the command line was given: ``--db``, and whether the process is
    alliance's own (``launch.main``), not a host such as a test runner."""

    db: str | None = None
    own_process: bool = False


def db_of(ctx: typer.Context) -> str | None:
    """The ``--db`` given to this run, from any of its contexts."""
    options = ctx.find_root().obj
    return options.db if isinstance(options, RunOptions) else None


def open_tracker(ctx: typer.Context) -> "Tracker":
    from alliance_cli.store.tracker import Tracker

    path, is_default = paths.resolve(db_of(ctx))
    if is_default:
        paths.make_default_dir(path)
    # In its own process alliance keeps Ctrl-C held once a change is saved, so that the
    # rest of the run (its last line, the interpreter's exit) is never cut short.
    return Tracker(path, lock_timeout=paths.lock_timeout(), hold_interrupts=ctx.find_root().obj.own_process,
                   notify=lambda message: typer.echo(f"alliance: {message}", err=True))


def export_meta(state, as_of, filters: dict) -> dict:
    """What every export says about itself: brief, as-of date, export time, filters used."""
    from alliance_cli.core import dates

    return {"brief": state.brief, "as_of": as_of.isoformat(), "exported_at": dates.export_time(),
            "filters": filters}


def main() -> None:
    """As `alliance` runs it (see ``launch``, the installed entry point)."""
    from alliance_cli import launch

    launch.main()
