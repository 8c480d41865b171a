"""Text that every output shares: control characters made visible, cells, JSON and TSV.

No Rich here: piped output, CSV, Markdown and HTML never pay for importing it.
"""

import re
import sys
from collections.abc import Iterable
from typing import IO

import orjson

from alliance_cli.core.statuses import NAMES

# C0 and C1 controls, DEL, line/paragraph separators (splitlines breaks on them), and
# the bidi marks, overrides and isolates that can reorder a line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """Control characters shown as escapes (``\\x1b``), never sent to the terminal."""
    if text.isprintable():  # the common case, at C speed: nothing to escape
        return text

    def visible(match: re.Match) -> str:
        ch = match.group()
        if keep_newlines and ch == "\n":
            return ch
        if ch in _NAMED:
            return _NAMED[ch]
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"

    return _CONTROL.sub(visible, text)


def write_json(data, out: IO | None = None) -> None:
    # Sorted keys: the same state prints the same bytes, whichever way it was read.
    out = out or sys.stdout
    out.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n")


def write_json_array(items: Iterable, out: IO | None = None) -> None:
    """The bytes of ``write_json(list(items))``, one item at a time: a long list is never held whole."""
    out = out or sys.stdout
    first = True
    for item in items:
        out.write("[\n  " if first else ",\n  ")
        out.write(orjson.dumps(item, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode().replace("\n", "\n  "))
        first = False
    out.write("[]\n" if first else "\n]\n")


def write_tsv(header: Iterable[str], rows: Iterable[Iterable], out: IO | None = None) -> None:
    """One record a line, tab-separated, nothing truncated: for cut, awk and sort."""
    out = out or sys.stdout
    out.write("\t".join(header) + "\n")
    lines = []
    for row in rows:
        cells = [v if type(v) is str else cell_text(v) for v in row]
        joined = "".join(cells)
        # One check per row at C speed; escaping cell by cell only when needed.
        lines.append("\t".join(cells if joined.isprintable() else map(clean, cells)))
        if len(lines) >= 1000:  # streamed in blocks: the first rows reach a pipe early
            out.write("\n".join(lines) + "\n")
            lines.clear()
    if lines:
        out.write("\n".join(lines) + "\n")


def cell_text(value) -> str:
    """A value as one cell's text (TSV and CSV): None empty, booleans true/false, lists space-separated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        try:
            return " ".join(value)  # the usual list: URLs or names
        except TypeError:
            return " ".join(cell_text(v) for v in value)
    return str(value)


BAR_WIDTH = 20


def bar(progress: float, *, plain: bool) -> str:
    filled = round(progress * BAR_WIDTH)
    full, empty = ("#", "-") if plain else ("█", "░")
    return full * filled + empty * (BAR_WIDTH - filled)


def breakdown(by_status: dict) -> str:
    return ", ".join(f"{n} {name}" for name in NAMES if (n := by_status[name]))
