"""The `alliance` command's entry point: apart from ``cli`` so that it runs before Typer loads."""

import gc
import sys


def version_line() -> str:
    from alliance_cli import __version__

    return f"alliance {__version__}"


def main() -> None:
    if sys.argv[1:] == ["--version"]:  # answered before Typer loads: a script may ask it often
        print(version_line())
        return
    # A command lives for a fraction of a second, and importing Typer and
    # pydantic and parsing a large tracker allocate hundreds of thousands of
    # objects with no cycles: the cyclic collector would only walk them again
    # and again (a quarter of the parse time). Off from the very start.
    gc.disable()
    try:
        from alliance_cli.store.files import crash_point

        crash_point("launched")  # tests: a Ctrl-C while the command is still loading
        from alliance_cli.cli import app
        from alliance_cli.cli.app import RunOptions

        app(prog_name="alliance", obj=RunOptions(own_process=True))
    except KeyboardInterrupt:  # before the command began (while Python loaded it): nothing to save
        sys.stderr.write("alliance: interrupted: nothing was saved\n")
        sys.exit(130)
