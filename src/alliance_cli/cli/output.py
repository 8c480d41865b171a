"""Output options shared by every command: --format, --json, --output and --no-pager.

One decorator adds them (as sqlite-utils does); the command receives an
``Output`` and hands it one writer per format it supports. ``auto`` is a Rich
table on a terminal and tab-separated text when piped; with ``--output FILE``
it follows the file's extension. Files are written atomically. On a terminal, output
taller than the screen goes through a pager (see ``pager``) unless --no-pager.
"""

import contextlib
import functools
import inspect
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Annotated

import typer

from alliance_cli.cli.app import db_of
from alliance_cli.errors import AllianceError, InputError

BY_SUFFIX = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown",
             ".html": "html", ".htm": "html", ".tsv": "tsv", ".txt": "tsv"}
Writer = Callable[[IO[str]], None]


class Output:
    def __init__(self, fmt: str, path: Path | None, db: str | None = None, page: bool = True):
        self.fmt = fmt
        self.path = path
        self.db = db  # the --db given, so that --output never lands on the tracker
        self.page = page

    def emit(self, writers: dict[str, Writer]) -> None:
        if self.path is None and self.page and sys.stdout.isatty():
            _paged(writers[self.fmt])
            return
        if self.fmt == "table" or self.path is None:
            writers[self.fmt](sys.stdout)  # streamed, not built up in memory
            return
        buffer = io.StringIO()
        writers[self.fmt](buffer)
        # Excel reads a CSV file as UTF-8 only with a byte order mark.
        encoding = "utf-8-sig" if self.fmt == "csv" else "utf-8"
        write_output(buffer.getvalue().encode(encoding), self.path, self.db)


def _paged(writer: Writer) -> None:
    """On a terminal: through the pager when taller than the screen; hints on stderr after it."""
    from alliance_cli.cli.pager import Gate

    gate = Gate(sys.stdout)
    hints = io.StringIO()
    try:
        with contextlib.redirect_stderr(hints):  # "showing N of M" comes after the output, not in it
            writer(gate)
    finally:
        gate.close()
        sys.stderr.write(hints.getvalue())


def resolve(fmt: str, as_json: bool, path: Path | None, allowed: tuple[str, ...], db: str | None = None,
            page: bool = True) -> Output:
    fmt = "json" if as_json else fmt.strip().lower()
    if fmt == "auto":
        if path is not None:
            fmt = BY_SUFFIX.get(path.suffix.lower(), "tsv")
        else:
            fmt = "table" if sys.stdout.isatty() else "tsv"
    if fmt not in allowed:
        raise InputError(f"unknown format {fmt!r} here: use one of auto, {', '.join(allowed)}")
    if fmt == "table" and path is not None:
        raise InputError("a table is drawn for the terminal: with --output use tsv, csv, markdown or json")
    return Output(fmt, path, db, page)


def output_options(*formats: str):
    """Add --format (one of ``formats``), --json and --output to a command; it gets ``out``."""
    allowed = ("table", "tsv", "json", *formats)

    def decorate(func):
        signature = inspect.signature(func)
        kept = [p for p in signature.parameters.values() if p.name != "out"]
        added = [_option("format_", "auto", str, "--format", "-f", metavar="FORMAT",
                         help=f"auto (table on a terminal, tsv when piped), {', '.join(allowed)}."),
                 _option("json_", False, bool, "--json", help="Same as --format json."),
                 _option("output", None, Path | None, "--output", "-o", metavar="FILE",
                         help="Write to FILE atomically; auto picks the format from its extension."),
                 _option("no_pager", False, bool, "--no-pager",
                         help="Never page: on a terminal, output taller than the screen goes through "
                              "$ALLIANCE_PAGER, $PAGER or less -FRX.")]
        # Typer hands the context to one parameter only: the command's own, else ours.
        own = next((p.name for p in kept if p.annotation is typer.Context), None)
        if own is None:
            added.append(inspect.Parameter("output_ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context))

        @functools.wraps(func)
        def wrapper(*args, format_: str = "auto", json_: bool = False, output: Path | None = None,
                    no_pager: bool = False, **kwargs):
            ctx = kwargs[own] if own else kwargs.pop("output_ctx")
            db = db_of(ctx)
            return func(*args, out=resolve(format_, json_, output, allowed, db, not no_pager), **kwargs)

        wrapper.__signature__ = signature.replace(parameters=kept + added)
        wrapper.__annotations__ = {p.name: p.annotation for p in kept + added}
        return wrapper

    return decorate


def _option(name, default, kind, *flags, **settings) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=Annotated[kind, typer.Option(*flags, **settings)])


def write_output(payload: bytes | list[bytes], path: Path | None, db: str | None) -> None:
    """To stdout, or atomically to a file (a reader never sees half of it)."""
    if path is None:
        sys.stdout.flush()
        sys.stdout.buffer.writelines([payload] if isinstance(payload, bytes) else payload)
        sys.stdout.flush()
        return
    from alliance_cli.store import files

    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: the directory {path.parent} does not exist")
    _refuse_tracker_files(path, db)
    try:
        # A report is made to be shared: it follows the umask, as any file a command creates.
        files.write_atomic(path, payload, mode=0o666 & ~_umask())
    except OSError as exc:
        raise AllianceError(f"cannot write {path}: {exc.strerror}") from None
    typer.echo(f"wrote {path}", err=True)


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _refuse_tracker_files(path: Path, db: str | None) -> None:
    """--output never lands on the tracker, its bodies, lock or backups: only its writer writes those."""
    from alliance_cli.store import layout, paths

    head = Path(os.path.realpath(paths.resolve(db)[0]))
    target = Path(os.path.realpath(path))
    ours = target == head or (target.parent == head.parent and target.name.startswith(head.name + "."))
    if ours or layout.bodies_dir(head) in target.parents:
        raise InputError(f"--output {path} is one of the tracker's own files: write the output elsewhere")
