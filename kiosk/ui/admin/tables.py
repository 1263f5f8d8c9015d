"""The statistics tables: a cell as text, the columns of `kiosk report`'s table, a table
sortable by any column, and the small read-only tables of Today. Column titles are admin
words (`col_KEY` in the catalogue), looked up each time a table is drawn."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.widgets import (
    DataTable,
)

from kiosk.ui.admin.words import NONE, bind, say_bindings, w

# -- formatting ------------------------------------------------------------------------------


def fmt(value: Any, kind: str = "n") -> str:
    """One cell as text: minutes to 0.1, shares as whole percent, yes/NO in words (the
    admin's language)."""
    if value is None:
        return NONE
    if kind == "pct":
        return f"{value:.0%}"
    if kind == "bool":
        return w("yes") if value else w("no")
    if kind == "min":
        return f"{value:.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclass(frozen=True)
class Column:
    """A statistics column: its report key (its title is the admin word `col_KEY`), how a
    group's value is read, and how it is shown (`fmt`)."""

    key: str
    get: Callable[[dict[str, Any]], Any]
    kind: str = "n"

    @property
    def title(self) -> str:
        return w(f"col_{self.key}")


def _stat(part: str, name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda g: g[part][name]


def _field(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda g: g.get(name)


STAT_COLUMNS: tuple[Column, ...] = (
    Column("issued", _field("issued")),
    Column("served", _field("served")),
    Column("no_show", _field("no_show")),
    Column("expired", _field("expired")),
    Column("transferred", _field("transferred")),
    Column("wait_mean", _stat("wait_min", "mean"), "min"),
    Column("wait_median", _stat("wait_min", "median"), "min"),
    Column("wait_p90", _stat("wait_min", "p90"), "min"),
    Column("wait_p95", _stat("wait_min", "p95"), "min"),
    Column("wait_max", _stat("wait_min", "max"), "min"),
    Column("service_median", _stat("service_min", "median"), "min"),
    Column("service_p90", _stat("service_min", "p90"), "min"),
    Column("within_target", _field("within_target"), "pct"),
    Column("target_met", _field("target_met"), "bool"),
    Column("overtakes", _field("overtakes")),
)
"""The columns of `kiosk report`'s table: counts, then the wait (queue to call) in minutes,
the service time (call to finish), the share called within target and whether every class
met its standard, and how often patrons were overtaken."""

COUNTER_COLUMNS: tuple[Column, ...] = (
    # A counter never calls an expired ticket: that column would only ever say 0.
    *(c for c in STAT_COLUMNS if c.key != "expired"),
    Column("utilisation", _field("utilisation"), "pct"),
    Column("open_h", lambda g: None if g.get("open_min") is None
           else round(g["open_min"] / 60.0, 1), "min"),
)


BOOKING_COLUMNS: tuple[Column, ...] = (
    Column("booked", _field("booked")),
    Column("booking_cancelled", _field("cancelled")),
    Column("checked_in", _field("checked_in")),
    Column("late", _field("late")),
    Column("booking_no_show", _field("no_show")),
    Column("pending", _field("pending")),
    Column("offered", _field("offered")),
    Column("slot_utilisation", _field("slot_utilisation"), "pct"),
    Column("punctuality_median", _stat("punctuality_min", "median"), "min"),
    Column("punctuality_p90", _stat("punctuality_min", "p90"), "min"),
    Column("punctual_share", _field("punctual_share"), "pct"),
)
"""The booked slots (the report's `appointments`, overall and per service): what became of
the bookings, the places taken of those offered, and the punctuality of the appointments
(called minus the slot's start, minutes) with the share called on time."""


def titles(*keys: str) -> list[str]:
    """Column titles in the admin's language, by key (`col_KEY`)."""
    return [w(f"col_{k}") for k in keys]


# -- widgets -------------------------------------------------------------------------------


class SortableTable(DataTable[Any]):
    """A statistics table: a name column, then `columns`; rows keep their raw values and
    re-sort on a header click or `s` (first largest first, again to reverse). The sorted
    column's header carries ▼ or ▲, so the order never rests on colour."""

    BINDINGS: ClassVar[list[Any]] = [bind("s", "sort_here", "key_sort")]

    def __init__(self, name_key: str, columns: Sequence[Column], *,
                 id: str | None = None) -> None:
        # No cell padding: each cell brings one leading space, so 16 columns fit 120 cells.
        super().__init__(id=id, cursor_type="cell", zebra_stripes=False, cell_padding=0)
        say_bindings(self)
        self.name_key = name_key
        """The name column's title: the admin word `col_NAME_KEY` ("service", "hour")."""
        self.spec = tuple(columns)
        self.items: list[tuple[str, dict[str, Any]]] = []
        self.sort_key: str | None = None
        self.descending = True

    def on_mount(self) -> None:
        self._fill()

    def set_items(self, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
        self.items = list(items)
        self._fill()

    def value(self, row: int, key: str) -> Any:
        """The raw value behind a cell of the table as sorted now."""
        name, group = self.ordered()[row]
        if key == "name":
            return name
        return next(c for c in self.spec if c.key == key).get(group)

    def ordered(self) -> list[tuple[str, dict[str, Any]]]:
        if self.sort_key is None:
            return list(self.items)
        if self.sort_key == "name":
            return sorted(self.items, key=lambda item: item[0], reverse=self.descending)
        column = next(c for c in self.spec if c.key == self.sort_key)
        present = [i for i in self.items if column.get(i[1]) is not None]
        absent = [i for i in self.items if column.get(i[1]) is None]
        present.sort(key=lambda item: column.get(item[1]), reverse=self.descending)
        return present + absent  # "no value" stays last either way

    def sort_by(self, key: str) -> None:
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, key != "name"
        self._fill()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))

    def action_sort_here(self) -> None:
        column = self.cursor_column
        keys = ["name", *(c.key for c in self.spec)]
        if 0 <= column < len(keys):
            self.sort_by(keys[column])

    def _title(self, key: str, title: str) -> Text:
        justify = "left" if key == "name" else "right"
        if key != self.sort_key:
            return Text(f" {title}", justify=justify)
        return Text(f" {title}{'▼' if self.descending else '▲'}", style="underline",
                    justify=justify)

    def _fill(self) -> None:
        cursor = self.cursor_coordinate
        self.clear(columns=True)
        self.add_column(self._title("name", w(f"col_{self.name_key}")), key="name")
        for column in self.spec:
            self.add_column(self._title(column.key, column.title), key=column.key)
        for name, group in self.ordered():
            self.add_row(Text(f" {name}"), *(Text(f" {fmt(c.get(group), c.kind)}",
                                                   justify="right") for c in self.spec))
        if self.row_count:
            self.cursor_coordinate = self.validate_cursor_coordinate(cursor)


def plain_table(table: DataTable[Any], columns: Sequence[str], rows: Sequence[Sequence[Any]],
                right: Sequence[int] = ()) -> None:
    """Refill a small read-only table (the Today view)."""
    if not table.columns:
        for title in columns:
            table.add_column(title)
    table.clear()
    for row in rows:
        table.add_row(*(Text(str(v), justify="right" if i in right else "left")
                        for i, v in enumerate(row)))
