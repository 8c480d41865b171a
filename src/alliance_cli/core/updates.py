"""Dated status updates in bulk (``update-status --from FILE``): rows in, checked updates out.

Every row is checked before anything is applied, so one bad row refuses the whole
file with its row number, its column and the reason. The store then applies the
updates in date order (the file's order within a date), inside one write: each
update's ``from`` is the status in force at its date, so the rows for one
recommendation chain, and a back-dated row falls into its place.
"""

from collections.abc import Callable
from dataclasses import dataclass

from alliance_cli.core import dates
from alliance_cli.core.model import FieldError, check_text, check_url
from alliance_cli.core.tabular import RowError, Table, check_columns, text_cell, url_list
from alliance_cli.errors import InputError

COLUMNS = ("id", "status", "date", "note", "evidence", "by")
REQUIRED = ("id", "status")


@dataclass(frozen=True)
class Update:
    row: int  # where it is in the file, for messages
    rec_id: str  # as the tracker spells it
    status: str  # as the scale names it
    date: str  # ISO
    note: str = ""
    evidence: tuple[str, ...] = ()
    by: str = ""

    def same_as(self) -> tuple:
        """What makes two updates one: the same recommendation, date, status, note and evidence."""
        return self.rec_id, self.date, self.status, self.note, self.evidence


def check_updates(table: Table, *, resolve_id: Callable[[str], str], parse_status: Callable[[str], str],
                  issued: Callable[[str], str] = lambda rec_id: "", today: str | None = None,
                  default_by: str = "") -> list[Update]:
    """Every row of ``table`` as an ``Update``, in the file's order; the first bad row raises
    ``RowError``. ``resolve_id`` and ``parse_status`` turn what was typed into the tracker's
    id and status, raising ``InputError`` (with its "did you mean") for an unknown one;
    ``issued`` gives a recommendation's issue date, before which no row may be dated. A row
    without ``by`` has ``default_by``."""
    check_columns(table, COLUMNS, REQUIRED)
    today = today or dates.today().isoformat()
    updates, seen = [], {}
    for row in table.rows:
        update = _check_row(table.source, row, resolve_id, parse_status, today, default_by.strip())
        if update.date < issued(update.rec_id):
            raise RowError(table.source, row.number, "date", (
                f"{update.rec_id} was issued on {issued(update.rec_id)}: a status on {update.date} cannot predate "
                f"it (change the issue date with `alliance edit {update.rec_id} --issued DATE`)"))
        earlier = seen.setdefault(update.same_as(), update.row)
        if earlier != update.row:
            raise RowError(table.source, row.number, None,
                           f"repeats row {earlier} (same id, date, status, note and evidence)")
        updates.append(update)
    return updates


def _check_row(source: str, row, resolve_id, parse_status, today: str, default_by: str) -> Update:
    def cell(column: str) -> str:
        return text_cell(row, column, source).strip()

    def checked(column: str, check, value):
        try:
            return check(value)
        except InputError as exc:
            raise RowError(source, row.number, column, str(exc)) from None
        except FieldError as exc:
            raise RowError(source, row.number, column, exc.problem) from None

    rec_id = checked("id", resolve_id, cell("id"))
    status = checked("status", parse_status, cell("status"))
    date = checked("date", lambda text: dates.parse_date(text).isoformat(), cell("date")) if cell("date") else today
    note = checked("note", lambda text: check_text(text, "note"), text_cell(row, "note", source))
    evidence = tuple(checked("evidence", lambda url: check_url(url, "evidence"), url)
                     for url in url_list(row, "evidence", source))
    by = checked("by", lambda text: check_text(text, "by"), cell("by")) or default_by
    return Update(row.number, rec_id, status, date, note, evidence, by)


def in_date_order(updates: list[Update]) -> list[Update]:
    """The order to apply them in: by date, then as the file has them."""
    return sorted(updates, key=lambda u: (u.date, u.row))


def summary(updates: list[Update]) -> str:
    """``N updates to M recommendations``."""
    count, recs = len(updates), len({u.rec_id for u in updates})
    return f"{count} update{'s' * (count != 1)} to {recs} recommendation{'s' * (recs != 1)}"
