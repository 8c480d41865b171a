"""Text that every output shares: control and invisible characters made visible, cells, JSON and TSV.

No Rich here: piped output, CSV, Markdown and HTML never pay for importing it.
"""

import re
import sys
from collections.abc import Iterable
from typing import IO

import orjson

# What never reaches the output as it is: every control (Cc: C0, DEL, C1), format
# (Cf: bidi marks and overrides, zero-width characters, the soft hyphen, U+061C,
# U+FEFF, tag characters...), line and paragraph separator (Zl, Zp: splitlines
# breaks on them) character, the whole tag block U+E0000-U+E007F (assigned or not),
# and the fillers that print as nothing although Unicode calls them letters. Any of
# them would let two notes or ids that look the same differ, or reorder a line.
_INVISIBLE_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp"))
_FILLERS = "\u115f\u1160\u3164\uffa0"
_FILLER = re.compile(f"[{_FILLERS}]")
_SUSPECT = re.compile("[^\x20-\x7e]")  # the slow path looks at every character outside printable ASCII
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def is_plain(text: str) -> bool:
    """Whether ``clean`` leaves ``text`` as it is: at C speed, for every cell."""
    # isprintable() is False for Cc, Cf, Zl and Zp (and for spaces other than
    # " ", which are left alone), but True for the fillers, which are letters.
    return text.isprintable() and (text.isascii() or _FILLER.search(text) is None)


def is_invisible(ch: str) -> bool:
    """One character that ``clean`` shows as an escape."""
    import unicodedata

    return (unicodedata.category(ch) in _INVISIBLE_CATEGORIES or ch in _FILLERS
            or 0xE0000 <= ord(ch) <= 0xE007F)


def escape(ch: str) -> str:
    """A character's visible escape, as Python writes it: ``\\x1b``, ``\\u200b``, ``\\U000e0041``."""
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """Invisible and control characters shown as escapes (``\\x1b``, ``\\u200b``), never output.

    Only what is shown changes: the stored text stays exact (``show --json`` and
    ``export`` give it byte for byte).
    """
    if is_plain(text):  # the common case, at C speed: nothing to escape
        return text

    def visible(match: re.Match) -> str:
        ch = match.group()
        if keep_newlines and ch == "\n":
            return ch
        if ch.isprintable() and ch not in _FILLERS:  # Korean, accents...: most of what gets here
            return ch
        return escape(ch) if is_invisible(ch) else ch  # other spaces (U+00A0...) stay

    return _SUSPECT.sub(visible, text)


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
        lines.append("\t".join(cells if is_plain(joined) else map(clean, cells)))
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


def bar(progress: float) -> str:
    """Progress as a plain bar of ``#`` and ``-``, for the piped report."""
    filled = round(progress * BAR_WIDTH)
    return "#" * filled + "-" * (BAR_WIDTH - filled)


def breakdown(by_status: dict) -> str:
    """"6 not_assessed, 1 implemented", in the scale's order (``by_status`` keeps it)."""
    return ", ".join(f"{n} {name}" for name, n in by_status.items() if n)


def rule_line(report: dict) -> str:
    """How the figures are made: the scale's scores, the denominator and what it leaves out."""
    overall = report["overall"]
    line = f"Rule: {report['rule']}; denominator: {overall['denominator']} recommendations"
    if overall["excluded"]:
        left_out = {s["id"] for s in report["statuses"] if s["class"] == "excluded"}
        why = ", ".join(f"{n} {name}" for name, n in overall["by_status"].items() if n and name in left_out)
        line += f" ({overall['excluded']} of {overall['total']} excluded: {why})"
    return line + "."


def implemented_of(summary: dict) -> str:
    """"3/17 implemented": out of the denominator, as the rate is."""
    return f"{summary['implemented']}/{summary['denominator']} implemented"


# The report's sections of what changed since a date, each kind under its own heading.
SINCE_SECTIONS = (("Assessments", "assessments"), ("Upgrades", "upgrades"), ("Downgrades", "downgrades"),
                  ("Other changes (same score)", "other"), ("Reassessments", "reassessments"),
                  ("New evidence", "new_evidence"))


def recent_title(report: dict) -> str:
    return f"Recent changes (last {report['windows']['recent_days']} days to {report['as_of']})"


def tone_of(status: str, scale) -> str:
    """Which colour a brief's own status takes: its class's, or when open its score's (the
    terminal and the HTML page each give every tone their own colour)."""
    s = scale.by_id[status]
    if s.cls != "open":
        return s.cls
    if status == scale.start:
        return "start"
    return "advanced" if s.score >= 0.5 else "started" if s.score > 0 else "stuck"
