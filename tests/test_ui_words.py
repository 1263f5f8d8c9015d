"""Every word a screen shows comes from the catalogues (issue 20, point 7): a scan of the
string literals in kiosk/ui/ that fails on any that a user would read.

What counts as a word a user reads: a literal with two letters or more that has a space
between words or starts with a capital ("Sort column", "Export"), anywhere; and a
single-word literal ("issued") where it goes straight onto the screen: the first argument of
a widget or of rich Text, a Binding's description, a table column's title, a list of column
titles, a chart's title. Not words: docstrings, CSS, `__all__`, an app's TITLE (the program's
name for the window manager), log records and exception texts (for the log, in English),
rich style names, catalogue keys, ids and selectors."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from kiosk import config as cfg

UI = Path(cfg.__file__).parent / "ui"
WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")
STYLE_WORDS = {"bold", "italic", "underline", "reverse", "dim", "strike", "not", "on"}
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical"}
WIDGETS = {"Static", "Label", "Button", "Tab", "Text", "Banner", "Choice", "notify", "say",
           "update", "append"}
"""Calls whose first argument is shown as it is (Choice's second: its value comes first)."""
COLUMN_TITLES = {"Column": 1, "plain_table": 1, "add_column": 0}
"""Calls with a column title (or a list of them) at this position."""


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        for stmt in getattr(node, "body", []) if isinstance(getattr(node, "body", None),
                                                            list) else []:
            if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)):
                found.add(id(stmt.value))  # module, class, function and attribute docstrings
    return found


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _exempt(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """Inside CSS, `__all__`, a log call or a raise."""
    while id(node) in parents:
        node = parents[id(node)]
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Assign) and any(
                getattr(target, "id", "") in {"DEFAULT_CSS", "CSS", "__all__", "TITLE"}
                for target in node.targets):
            return True
        if isinstance(node, ast.Call) and _name(node.func) in LOG_CALLS and isinstance(
                node.func, ast.Attribute) and _name(node.func.value) in {"log", "logger",
                                                                         "logging", "LOG"}:
            return True
    return False


def _shown_whole(node: ast.Constant, parents: dict[int, ast.AST]) -> bool:
    """A literal that goes onto the screen as it is (see the module docstring)."""
    parent = parents.get(id(node))
    if isinstance(parent, ast.List | ast.Tuple):  # a list of column titles
        call = parents.get(id(parent))
        return isinstance(call, ast.Call) and _name(call.func) in COLUMN_TITLES
    if isinstance(parent, ast.Assign):
        return any(getattr(target, "attr", getattr(target, "id", "")) == "title_text"
                   for target in parent.targets)
    if not isinstance(parent, ast.Call) or node not in parent.args:
        return isinstance(parent, ast.keyword) and parent.arg in {"placeholder", "prompt",
                                                                   "description", "title"}
    name, at = _name(parent.func), parent.args.index(node)
    if name == "Binding":
        return at == 2
    if name == "Choice":
        return at == 1
    if name in COLUMN_TITLES:
        return at == COLUMN_TITLES[name]
    return name in WIDGETS and at == 0


def user_visible_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each literal in the file a user would read."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = _docstrings(tree)
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        words = WORD.findall(text)
        if id(node) in docstrings or not words or set(words) <= STYLE_WORDS:
            continue
        if _exempt(node, parents):
            continue
        sentence = bool(re.search(r"[A-Za-z]{2,}\s+[A-Za-z]", text)) or bool(
            re.match(r"\W*[A-Z][a-z]", text))
        if sentence or _shown_whole(node, parents):
            found.append((node.lineno, text))
    return sorted(found)


def test_no_screen_shows_a_word_that_is_not_from_a_catalogue():
    found = [f"{path.relative_to(UI.parent.parent)}:{line}: {text!r}"
             for path in sorted(UI.rglob("*.py")) for line, text in user_visible_literals(path)]
    assert not found, "\n".join(found)


def test_the_scan_finds_what_it_should(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('''"""Docstring words are fine."""
import logging
log = logging.getLogger(__name__)
DEFAULT_CSS = "Screen { height: 1fr; }"
a = Static("Hello there")
b = Binding("s", "sort_here", "Sort column")
c = plain_table(table, ["class", "target"], rows)
d = Column("issued", "issued", get)
e = Static(t(lang, "staff.title"), id="title")
log.error("store probe failed: %s", exc)
text.append(label, "bold underline")
raise ValueError("unknown action")
''', "utf-8")
    found = [text for _line, text in user_visible_literals(sample)]
    assert found == ["Hello there", "Sort column", "class", "target", "issued"], found
