"""The `alliance` command's entry point: apart from ``cli`` so that it runs before Typer loads."""

import gc
import os
import sys


def version_line() -> str:
    from alliance_cli import __version__

    return f"alliance {__version__}"


def main() -> None:
    """`alliance` as a process: run the command, then leave at once.

    The interpreter's teardown would free, one by one, every object the command
    made (tens of thousands for a large tracker: about 30 ms at 5,000
    recommendations), for a process that is ending anyway. Nothing is lost by
    leaving without it: every save has written, synced and renamed its files
    before its command returns, the lock is a descriptor the kernel releases,
    a pager has been waited for, and stdout and stderr are flushed here.
    """
    code = run(own_process=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (| head): as Click does, say nothing
            code = code or 1
    os._exit(code)


def run(argv: list[str] | None = None, *, own_process: bool = False) -> int:
    """Run one command (``argv``, default ``sys.argv[1:]``) and return its exit code.

    ``own_process``: the process is alliance's alone, so a Ctrl-C may be held back
    once a change is saved (see ``store.tracker``). A host that runs many commands
    (a test worker) calls this without it.
    """
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # answered before Typer loads: a script may ask it often
        print(version_line())
        return 0
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

        app(args, prog_name="alliance", obj=RunOptions(own_process=own_process))
    except SystemExit as done:
        return _exit_code(done.code)
    except KeyboardInterrupt:  # before the command began (while Python loaded it): nothing to save
        sys.stderr.write("alliance: interrupted: nothing was saved\n")
        return 130
    return 0


def _exit_code(code) -> int:
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)  # as sys.exit("message") does
    return 1
