"""Config checked completely (issue 18): every key of the shipped config.toml, given a wrong
type, an empty, negative, huge, NaN or non-ASCII value, is either refused by the parser as
one line naming the key, or is a value the program really accepts; nothing else ever
happens (no other exception), and a number never arrives as text nor text as a number."""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk import config as cfg
from kiosk.exceptions import ConfigError

SHIPPED = tomllib.loads(cfg.embedded_text())
BAD = ["", "   ", "x", "120", -1, 0, 10**20, math.nan, math.inf, "١٢٣", True, [], {}]


def keys(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from keys(value, (*path, key))
    elif isinstance(node, list) and node and isinstance(node[0], dict):
        for i, item in enumerate(node):
            yield from keys(item, (*path, i))
    else:
        yield path


def with_value(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(SHIPPED)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


CASES = [(path, value) for path in keys(SHIPPED) for value in BAD]


@pytest.mark.parametrize("path, value", CASES, ids=[f"{'.'.join(map(str, p))}={v!r}"
                                                       for p, v in CASES])
def test_every_key_refuses_what_would_break_later(path, value, tmp_path: Path):
    original = with_value(path, value)
    try:
        settings = cfg.Settings.model_validate(original)
    except Exception as exc:  # refused: it must be the parser's own kind of refusal
        assert type(exc).__name__ == "ValidationError", repr(exc)
        with pytest.raises(ConfigError) as info:
            cfg.parse(_toml(original), "site.toml", tmp_path)
        message = str(info.value)
        assert "\n" not in message and message.startswith("site.toml: ")
        return
    shipped = _at(SHIPPED, path)
    # Accepted: the value has the shipped value's type (TOML has types: no guessing), and
    # a number is a real one.
    assert kind(value) == kind(shipped) or isinstance(shipped, list), (path, value)
    if isinstance(value, float):
        assert math.isfinite(value), (path, value)
    if isinstance(value, str) and not value.strip():
        assert path[-1] not in ("name", "path", "timezone", "prefix", "id"), (path, value)
    assert settings is not None


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _toml(doc: dict[str, Any]) -> str:
    """Enough TOML for these documents (tomllib reads, it does not write)."""
    import json

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        if isinstance(v, float) and math.isinf(v):
            return "inf"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"
        raise TypeError(v)

    lines: list[str] = []

    def table(prefix: str, node: dict[str, Any]) -> None:
        plain = {k: v for k, v in node.items() if not isinstance(v, dict)
                 and not (isinstance(v, list) and v and isinstance(v[0], dict))}
        nested = {k: v for k, v in node.items() if k not in plain}
        if prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{json.dumps(k)} = {value(v)}" for k, v in plain.items())
        for k, v in nested.items():
            name = f"{prefix}.{json.dumps(k)}" if prefix else json.dumps(k)
            if isinstance(v, dict):
                table(name, v)
            else:
                for item in v:
                    lines.append(f"[[{name}]]")
                    lines.extend(f"{json.dumps(a)} = {value(b)}" for a, b in item.items())

    table("", doc)
    return "\n".join(lines) + "\n"
