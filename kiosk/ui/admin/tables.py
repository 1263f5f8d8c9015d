"""The statistics tables: a cell as text, the columns of `kiosk report`'s table, a table
sortable by any column, and the small read-only tables of Today."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding
from textual.widgets import (
    DataTable,
)

from kiosk.ui.admin.words import NONE

# -- formatting ------------------------------------------------------------------------------


def fmt(value: Any, kind: str = "n") -> str:
    """One cell as text: minutes to 0.1, shares as whole percent, yes/NO in words."""
    if value is None:
        return NONE
    if kind == "pct":
        return f"{value:.0%}"
    if kind == "bool":
        return "yes" if value else "NO"
    if kind == "min":
        return f"{value:.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    get: Callable[[dict[str, Any]], Any]
    kind: str = "n"


def _stat(part: str, name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda g: g[part][name]


def _field(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda g: g.get(name)


STAT_COLUMNS: tuple[Column, ...] = (
    Column("issued", "issued", _field("issued")),
    Column("served", "served", _field("served")),
    Column("no_show", "no-show", _field("no_show")),
    Column("expired", "exp.", _field("expired")),
    Column("transferred", "transf.", _field("transferred")),
    Column("wait_mean", "mean", _stat("wait_min", "mean"), "min"),
    Column("wait_median", "median", _stat("wait_min", "median"), "min"),
    Column("wait_p90", "p90", _stat("wait_min", "p90"), "min"),
    Column("wait_p95", "p95", _stat("wait_min", "p95"), "min"),
    Column("wait_max", "max", _stat("wait_min", "max"), "min"),
    Column("service_median", "svc med", _stat("service_min", "median"), "min"),
    Column("service_p90", "svc p90", _stat("service_min", "p90"), "min"),
    Column("within_target", "within", _field("within_target"), "pct"),
    Column("target_met", "met", _field("target_met"), "bool"),
    Column("overtakes", "overt.", _field("overtakes")),
)
"""The columns of `kiosk report`'s table: counts, then the wait (queue to call) in minutes,
the service time (call to finish), the share called within target and whether every class
met its standard, and how often patrons were overtaken."""

COUNTER_COLUMNS: tuple[Column, ...] = (
    # A counter never calls an expired ticket: that column would only ever say 0.
    *(c for c in STAT_COLUMNS if c.key != "expired"),
    Column("utilisation", "util.", _field("utilisation"), "pct"),
    Column("open_h", "open h", lambda g: None if g.get("open_min") is None
           else round(g["open_min"] / 60.0, 1), "min"),
)

LOG_TITLES = {"day": "day", "label": "label", "segment": "seg.", "service": "service",
              "class": "class", "counter": "counter", "outcome": "outcome",
              "queued": "queued", "called": "called", "ended": "ended",
              "wait_min": "wait min", "service_min": "svc min"}


# -- widgets -------------------------------------------------------------------------------


class SortableTable(DataTable[Any]):
    """A statistics table: a name column, then `columns`; rows keep their raw values and
    re-sort on a header click or `s` (first largest first, again to reverse). The sorted
    column's header carries ▼ or ▲, so the order never rests on colour."""

    BINDINGS: ClassVar[list[Any]] = [Binding("s", "sort_here", "Sort column")]

    def __init__(self, name_title: str, columns: Sequence[Column], *,
                 id: str | None = None) -> None:
        # No cell padding: each cell brings one leading space, so 16 columns fit 120 cells.
        super().__init__(id=id, cursor_type="cell", zebra_stripes=False, cell_padding=0)
        self.name_title = name_title
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
        self.add_column(self._title("name", self.name_title), key="name")
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
