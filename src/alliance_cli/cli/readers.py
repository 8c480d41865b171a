"""Reading the tables people give alliance: CSV, TSV, JSON Lines and Excel workbooks.

The file (or stdin, ``-``) is read here; what its text means is ``core.tabular``'s.
The format follows the extension, else ``--format``, else the content: a first
character ``{`` is JSON Lines, a tab in the first line TSV, anything else CSV.
A workbook's cells become text as a CSV file would hold them (dates as ISO dates,
whole numbers without ``.0``, booleans as true/false).
"""

import datetime as dt
import sys
from pathlib import Path

from alliance_cli.core import tabular
from alliance_cli.core.tabular import Table
from alliance_cli.errors import InputError

BY_SUFFIX = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
             ".xlsx": "xlsx", ".xlsm": "xlsx"}
FORMATS = ("csv", "tsv", "jsonl", "xlsx")
PILLAR_SHEET = "pillars"


def source_name(source: str) -> str:
    return "<stdin>" if source == "-" else source


def read_input(source: str) -> bytes:
    """A file's bytes, or stdin's for ``-``."""
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror}") from None


def format_of(source: str, given: str | None, raw: bytes, allowed: tuple[str, ...]) -> str:
    if given is not None:
        fmt = given.strip().lower()
        if fmt not in allowed:
            raise InputError(f"unknown input format {given!r}: use one of {', '.join(allowed)}")
        return fmt
    suffix = Path(source).suffix.lower() if source != "-" else ""
    if suffix == ".xls":
        raise InputError(f"{source} is an old Excel file (.xls): save it as .xlsx or as CSV UTF-8")
    fmt = BY_SUFFIX.get(suffix) or _sniff(raw)
    if fmt not in allowed:
        raise InputError(f"{source_name(source)}: {fmt} is not read here: give one of {', '.join(allowed)} "
                         f"(by its extension, or with --format)")
    return fmt


def _sniff(raw: bytes) -> str:
    if raw.startswith(b"PK\x03\x04"):
        return "xlsx"
    text = raw.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return "jsonl"
    return "tsv" if b"\t" in text.split(b"\n", 1)[0] else "csv"


def read_table(source: str, fmt: str, raw: bytes) -> Table:
    """The table a file holds (a workbook's: its first sheet)."""
    if fmt == "xlsx":
        book = _open_workbook(raw, source_name(source))
        try:
            return _sheet_table(book.worksheets[0], source_name(source))
        finally:
            book.close()
    text = tabular.decode(raw, source_name(source))
    if fmt == "jsonl":
        return tabular.json_lines(text, source_name(source))
    return tabular.delimited(text, source_name(source), "\t" if fmt == "tsv" else ",")


def read_workbook(raw: bytes, source: str) -> tuple[Table, Table | None]:
    """A workbook's main sheet (the one named ``recommendations``, else the first that is not
    ``pillars``) and its ``pillars`` sheet, if it has one."""
    book = _open_workbook(raw, source)
    try:
        sheets = {sheet.title.strip().lower(): sheet for sheet in book.worksheets}
        pillars = sheets.get(PILLAR_SHEET)
        main = sheets.get("recommendations") or next((s for s in book.worksheets if s is not pillars), None)
        if main is None:
            raise InputError(f"{source}: the workbook has no sheet of recommendations")
        return (_sheet_table(main, source),
                _sheet_table(pillars, f"{source}, sheet {pillars.title}") if pillars is not None else None)
    finally:
        book.close()


def _open_workbook(raw: bytes, source: str):
    import io
    import zipfile

    from openpyxl import load_workbook  # heavy: only when a workbook is read

    try:
        # data_only: a formula's cell gives the value Excel saved with it, never the formula.
        return load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(f"{source}: not an Excel workbook (.xlsx) that alliance can read ({exc})") from None


def _sheet_table(sheet, source: str) -> Table:
    rows = ((number, [_cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1))
    return tabular.from_cells(source, rows)


def _cell_text(value) -> str:
    """A workbook cell as a CSV file would hold it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
