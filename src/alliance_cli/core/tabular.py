"""Rows of a table a person made (CSV, TSV, JSON Lines, a spreadsheet's sheet), and their shared rules.

Pure: text or already-read cells in, ``Row`` objects out. A row is numbered as the
person sees it: a spreadsheet's row number (the header is row 1, or row 6 under the
preamble that alliance's own CSV exports start with), a JSON Lines file's line. So an
error can say ``recs.xlsx: row 7, column due: …`` and be found at once.

Cells of CSV, TSV and spreadsheets are strings; a JSON Lines row keeps JSON's types,
and each reader of rows says which it takes.
"""

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from alliance_cli.errors import InputError

# What alliance's CSV exports put before a cell that a spreadsheet would run as a
# formula (render.exports.neutralise, after OWASP): read back, the quote goes again.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class RowError(InputError):
    """A row (and, when one is to blame, a column) of an input file is refused."""

    def __init__(self, source: str, row: int, column: str | None, problem: str):
        where = f"row {row}, column {column}" if column else f"row {row}"
        super().__init__(f"{source}: {where}: {problem}")
        self.source, self.row, self.column, self.problem = source, row, column, problem


@dataclass(frozen=True)
class Row:
    number: int  # as the file shows it: a spreadsheet's row, a JSON Lines file's line
    cells: dict  # column name (lower case) -> value; a column the row leaves empty is absent
    typed: bool = False  # JSON Lines: a list is a JSON list, never text to split


@dataclass(frozen=True)
class Table:
    source: str  # the file's name, for messages
    header_row: int  # 0 for JSON Lines, which has none
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    preamble: tuple[tuple[str, str], ...] = ()  # an export's "# key: value" lines before the header


def decode(raw: bytes, source: str) -> str:
    """A file's text: UTF-8, with or without the byte order mark Excel writes."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text (byte {exc.start + 1}): save it as UTF-8 "
                         "(in Excel: CSV UTF-8)") from None


def delimited(text: str, source: str, delimiter: str) -> Table:
    """CSV (``delimiter=","``) or TSV (``"\\t"``) text, quoted as Excel quotes it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = []
    try:
        records.extend(reader)
    except csv.Error as exc:
        kind = "TSV" if delimiter == "\t" else "CSV"
        problem = f"not readable as {kind} (line {reader.line_num}: {exc})"
        raise RowError(source, len(records) + 1, None, problem) from None
    return from_cells(source, enumerate(records, start=1))


def from_cells(source: str, numbered: Iterable[tuple[int, list[str]]]) -> Table:
    """A table from (row number, cells) pairs: the first row that is neither empty nor part of
    an export's preamble (``# brief: …`` lines) is the header; empty rows are skipped."""
    header, header_row, rows, preamble = None, 0, [], []
    for number, cells in numbered:
        cells = ["" if cell is None else cell for cell in cells]
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            if _is_preamble(cells):
                key, _, value = cells[0][2:].partition(": ")
                preamble.append((key.strip(), value))
                continue
            header, header_row = _header(cells, source, number), number
            continue
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
            raise RowError(source, number, None, f"has {len(cells)} cells, the header names {len(header)} columns")
        unnamed = next((k for k, (name, cell) in enumerate(zip(header, cells, strict=False), start=1)
                        if not name and cell.strip()), None)
        if unnamed is not None:  # a value no column names would be lost without a word
            raise RowError(source, number, None, f"has a value in its cell {unnamed}, under no column name")
        values = {name: unquote(cell) for name, cell in zip(header, cells, strict=False) if name and cell.strip()}
        rows.append(Row(number, values))
    return Table(source, header_row, tuple(name for name in header or () if name), tuple(rows), tuple(preamble))


def _is_preamble(cells: list[str]) -> bool:
    filled = [cell for cell in cells if cell.strip()]
    return len(filled) == 1 and cells[0].startswith("# ")


def _header(cells: list[str], source: str, number: int) -> list[str]:
    names = [" ".join(cell.split()).lower().replace(" ", "_") for cell in cells]
    seen = set()
    for name in names:
        if name in seen:
            raise RowError(source, number, name, "this column appears twice")
        seen.add(name)
    return names


def json_lines(text: str, source: str) -> Table:
    """JSON Lines: one object per line (blank lines skipped); each line's number is its row."""
    import json

    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise RowError(source, number, None, f"not a JSON object ({exc.msg})") from None
        if type(value) is not dict:
            raise RowError(source, number, None, f"not a JSON object but {type(value).__name__}")
        rows.append(Row(number, {str(k).strip().lower(): v for k, v in value.items() if v is not None}, typed=True))
    return Table(source, 0, tuple(dict.fromkeys(name for row in rows for name in row.cells)), tuple(rows))


def check_columns(table: Table, known: tuple[str, ...], required: tuple[str, ...],
                  ignored: tuple[str, ...] = ()) -> None:
    """Every column is known (a typo is refused, never ignored) and the required ones are there."""
    for name in table.columns:
        if name not in known and name not in ignored:
            row = table.header_row or next(r.number for r in table.rows if name in r.cells)
            hint = " (is it separated by semicolons? CSV here is separated by commas)" if ";" in name else ""
            raise RowError(table.source, row, name, f"unknown column{hint} (the columns are {', '.join(known)})")
    if not table.rows:
        return
    for name in required:
        if table.header_row and name not in table.columns:
            raise RowError(table.source, table.header_row, name, "missing: the header must name it")
        for row in table.rows:
            if name not in row.cells:
                raise RowError(table.source, row.number, name, "empty: every row needs one")


def unquote(cell):
    """A cell as alliance's CSV exports wrote it, without the quote put before a formula-like start."""
    if type(cell) is str and cell.startswith("'") and cell[1:2] in _FORMULA_START and cell[1:2]:
        return cell[1:]
    return cell


def text_cell(row: Row, column: str, source: str, default: str = "") -> str:
    """A cell that holds text (JSON Lines: a string)."""
    value = row.cells.get(column, default)
    if type(value) is not str:
        raise RowError(source, row.number, column, f"must be text, found {type(value).__name__}")
    return value


def url_list(row: Row, column: str, source: str) -> list[str]:
    """URLs: in a cell, separated by spaces or newlines (as every CSV export writes them, since a URL
    holds no space); in JSON Lines, a list of strings."""
    value = row.cells.get(column, [])
    if type(value) is str and not row.typed:
        return value.split()
    if type(value) is list and all(type(item) is str for item in value):
        return [item.strip() for item in value if item.strip()]
    raise RowError(source, row.number, column, "must be a list of URLs")


def name_list(row: Row, column: str, source: str) -> list[str]:
    """Names (actors, initiatives): in a cell, separated by ``;`` or newlines, since a name holds
    spaces ("Nuclear Consultative Group"); in JSON Lines, a list of strings."""
    value = row.cells.get(column, [])
    if type(value) is str and not row.typed:
        return [name.strip() for name in re.split(r"[;\n]", value) if name.strip()]
    if type(value) is list and all(type(item) is str for item in value):
        return [item.strip() for item in value if item.strip()]
    raise RowError(source, row.number, column, "must be a list of names")
