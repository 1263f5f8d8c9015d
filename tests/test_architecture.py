"""The house rules, read from the source: one way to the store, dependencies one way, one
clock, files you can read in one sitting.

Each test walks kiosk/ and printers/ with `ast` (so a lazy import inside a function counts
as much as one at the top) and names every place that breaks a rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import REPO

SOURCE_ROOTS = ("kiosk", "printers")


@dataclass(frozen=True)
class Module:
    name: str
    """Dotted: kiosk.store.base."""
    path: Path
    tree: ast.Module

    def rel(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"


def modules() -> Iterator[Module]:
    for root in SOURCE_ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield Module(".".join(parts), path, ast.parse(path.read_text("utf-8"), str(path)))


MODULES = list(modules())


def imports(module: Module) -> Iterator[tuple[str, ast.AST]]:
    """Every module name it imports, anywhere in the file (functions included)."""
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, node
            for alias in node.names:  # `from kiosk import store` imports kiosk.store
                yield f"{base}.{alias.name}", node


def within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


# -- one way to the store ---------------------------------------------------------------------

STORE = ("kiosk.store",)
REPORTS_ENGINE = ("kiosk.reports",)
SQL_CALLS = {"execute", "executemany", "executescript"}
CENTRAL = ("kiosk.central",)
"""The central PostgreSQL's own SQL (kiosk sync): it runs statements on its psycopg
connection, never on the store's (no `.conn`, no sqlite3 there either)."""
STORE_NAMES = ("store", "db")
"""`.db` and `.query()` are SQL only on these (`args.db` is an option, `screen.query()` a
DOM search)."""
WRITE_SQL = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "COMMIT", "ROLLBACK",
             "CREATE", "DROP", "ALTER", "PRAGMA")


def on_store(node: ast.Attribute) -> bool:
    base = ast.unparse(node.value).lower()
    return any(name in base.split(".")[-1] for name in STORE_NAMES)


def sql_leaks(module: Module) -> list[str]:
    """Where a module outside the store touches the store's connection or runs SQL; for the
    reports engine, where it would write."""
    if within(module.name, *STORE):
        return []
    found = []
    reports = within(module.name, *REPORTS_ENGINE)
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute) and not reports and (
                node.attr == "conn" or node.attr == "db" and on_store(node)):
            found.append(f"{module.rel(node)}: .{node.attr} (the store's connection)")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and not reports and not within(module.name, *CENTRAL)
              and (node.func.attr in SQL_CALLS
                                   or node.func.attr == "query" and on_store(node.func))):
            found.append(f"{module.rel(node)}: .{node.func.attr}() (SQL)")
        elif reports and isinstance(node, ast.Constant) and isinstance(node.value, str):
            words = node.value.replace("(", " ").split()  # SQL here is written in capitals
            writes = [w for w in WRITE_SQL if w in words]
            if writes:
                found.append(f"{module.rel(node)}: {writes[0]} in the reports engine")
    for name, node in imports(module):
        if within(name, "sqlite3", "sqlite_utils") and not reports:
            found.append(f"{module.rel(node)}: imports {name}")
    return found


def test_no_sql_on_the_store_outside_the_store_and_the_reports_engine():
    """Only kiosk/store runs SQL; the reports engine reads through the store's connection
    and writes nothing itself (its cache goes through `Store.put_report_cache`)."""
    found = [leak for module in MODULES for leak in sql_leaks(module)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("name", "source", "leaks"), [
    ("kiosk.ui.leak", "def f(store):\n    store.conn.execute('SELECT 1')\n", 2),
    ("kiosk.ui.leak", "def f(store):\n    return list(store.db.query('SELECT 1'))\n", 2),
    ("kiosk.ui.fine", "def f(args, screen):\n    screen.query('#x')\n    return args.db\n", 0),
    ("kiosk.views", "import sqlite3\n", 1),
    ("kiosk.reports.leak", "SQL = 'INSERT INTO report_cache VALUES (1)'\n", 1),
    ("kiosk.reports.fine", "def f(store):\n    store.conn.execute('SELECT 1')\n", 0),
    ("kiosk.store.fine", "def f(self):\n    self.conn.execute('DELETE FROM x')\n", 0),
    ("kiosk.central.fine", "def f(pg):\n    pg.execute('INSERT INTO events VALUES (1)')\n", 0),
    ("kiosk.central.leak", "def f(store):\n    store.conn.execute('SELECT 1')\n", 1),
    ("kiosk.central.leak", "import sqlite3\n", 1),
])
def test_the_sql_check_sees_a_leak_where_there_is_one(name, source, leaks):
    module = Module(name, REPO / (name.replace(".", "/") + ".py"), ast.parse(source))
    assert len(sql_leaks(module)) == leaks


# -- dependencies one way -------------------------------------------------------------------

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # (layer, its packages), lowest first: a module may import its own layer and lower ones.
    ("rules", ("kiosk", "kiosk.queue", "kiosk.consoles", "kiosk.rows", "kiosk.clock",
               "kiosk.exceptions",
               "kiosk.config", "kiosk.i18n", "kiosk.survey")),
    ("host", ("kiosk.host",)),
    ("store", ("kiosk.store",)),
    ("reports", ("kiosk.reports",)),
    ("read side", ("kiosk.views", "kiosk.follow")),
    ("devices", ("printers", "kiosk.speech", "kiosk.announcer", "kiosk.demo",
                 "kiosk.doctor", "kiosk.central")),
    ("faces", ("kiosk.ui", "kiosk.web", "kiosk.cli", "kiosk.__main__")),
)
FACES = ("kiosk.ui", "kiosk.web", "kiosk.cli")
SCREEN_LIBRARIES = ("textual", "textual_serve", "textual_plotext", "rich")
PURE_RULES = ("kiosk.queue", "kiosk.rows")
PURE_STDLIB = ("__future__", "dataclasses", "collections", "typing", "math", "bisect",
               "heapq", "itertools", "functools", "json", "kiosk.queue", "kiosk.rows")


def layer_of(name: str) -> int | None:
    best: tuple[int, int] | None = None  # (length of the matching package, layer)
    for rank, (_layer, packages) in enumerate(LAYERS):
        for package in packages:
            # "kiosk" alone is the package's docstring; its modules have layers of their own.
            matches = name == package if package == "kiosk" else within(name, package)
            if matches and (best is None or len(package) > best[0]):
                best = (len(package), rank)
    return None if best is None else best[1]


def test_dependencies_point_one_way():
    """Rules < store < reports < read side < devices < faces: nothing imports a layer above
    its own, so the store, the read side, the devices and the reports never import a screen
    or the command line."""
    found = []
    for module in MODULES:
        mine = layer_of(module.name)
        assert mine is not None, f"{module.name} belongs to no layer: add it to LAYERS"
        for name, node in imports(module):
            theirs = layer_of(name)
            if theirs is not None and theirs > mine and within(name, "kiosk", "printers"):
                found.append(f"{module.rel(node)}: {LAYERS[mine][0]} {module.name} imports "
                             f"{LAYERS[theirs][0]} {name}")
    assert not found, "\n".join(found)


def test_features_never_import_the_command_line():
    """The CLI imports the features and registers their verbs; no feature imports it."""
    found = [f"{m.rel(node)}: {m.name} imports {name}"
             for m in MODULES if not within(m.name, "kiosk.cli", "kiosk.__main__")
             for name, node in imports(m) if within(name, "kiosk.cli")]
    assert not found, "\n".join(found)


def test_only_the_faces_import_screen_libraries():
    found = [f"{m.rel(node)}: {m.name} imports {name}"
             for m in MODULES if not within(m.name, *FACES)
             for name, node in imports(m) if within(name, "textual", "textual_serve",
                                                     "textual_plotext")]
    assert not found, "\n".join(found)
    read_side = [f"{m.rel(node)}: {m.name} imports {name}"
                 for m in MODULES if within(m.name, "kiosk.views", "kiosk.follow")
                 for name, node in imports(m) if within(name, *SCREEN_LIBRARIES)]
    assert not read_side, "\n".join(read_side)


def test_the_rules_are_pure():
    """The queue rules and the typed rows import no I/O: no file, socket, clock or store."""
    found = [f"{m.rel(node)}: {m.name} imports {name}"
             for m in MODULES if within(m.name, *PURE_RULES)
             for name, node in imports(m) if not within(name, *PURE_STDLIB)]
    assert not found, "\n".join(found)


def test_the_screens_do_not_import_each_other():
    """Each screen is its own room: the patron kiosk, the staff console, the board and the
    admin share kiosk/ui's common modules, never each other's."""
    screens = ("kiosk.ui.patron", "kiosk.ui.staff", "kiosk.ui.board", "kiosk.ui.admin",
               "kiosk.ui.rate")
    found = []
    for module in MODULES:
        own = next((s for s in screens if within(module.name, s)), None)
        if own is None:
            continue
        for name, node in imports(module):
            other = next((s for s in screens if within(name, s)), None)
            if other is not None and other != own:
                found.append(f"{module.rel(node)}: {module.name} imports {name}")
    assert not found, "\n".join(found)


# -- one clock --------------------------------------------------------------------------------

WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
              ("date", "today"), ("time", "time"), ("time", "time_ns")}


def test_nothing_reads_the_wall_clock_but_kiosk_clock():
    """Time comes from an injected `kiosk.clock.Clock` (tests and demo days run in seconds);
    monotonic timers for durations are fine."""
    found = []
    for module in MODULES:
        if module.name == "kiosk.clock":
            continue
        for node in ast.walk(module.tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and (node.func.value.id, node.func.attr) in WALL_CLOCK):
                found.append(f"{module.rel(node)}: {node.func.value.id}.{node.func.attr}()")
    assert not found, "\n".join(found)


# -- rooms you can name -----------------------------------------------------------------------

MOST_LINES = 800
REASON = "Long because:"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_files_stay_readable(module: Module):
    """No file above ~800 lines without a reason written at its top."""
    text = module.path.read_text("utf-8")
    lines = text.count("\n")
    head = "\n".join(text.splitlines()[:40])
    assert lines <= MOST_LINES or REASON in head, (
        f"{module.path.relative_to(REPO)} has {lines} lines: split it, or say at its top why"
        f" not ('{REASON} ...')")
