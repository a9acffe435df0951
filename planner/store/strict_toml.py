"""Strict reading of TOML tables: every key known, every value of the right type, errors that name
the field by its dotted path. Shared by the profile and the catalogue loaders."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

from planner.errors import InputError, closest
from planner.store.reading import read_regular

T = TypeVar("T")

#: No profile or catalogue needs more than four levels; deeper text is a mistake or an attack
#: (the parser recurses once per level, and so would anything printing the value).
MAX_DEPTH = 16

_TYPE_WORDS = {str: "text", int: "a whole number", bool: "true or false", list: "a list",
               dict: "a table", float: "a number"}


def read_toml(path: Path, what: str, max_bytes: int = 1_000_000) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into an InputError that names the file: only a
    regular file of at most ``max_bytes``, UTF-8, valid TOML, nested at most ``MAX_DEPTH``."""
    data = read_regular(path, what, max_bytes, f"files up to {max_bytes:,} bytes are read")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(what, str(path), "a UTF-8 TOML text file is expected") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(what, str(path), f"it is not valid TOML: {exc}") from None
    except RecursionError:    # the parser recurses once per level of [[[...]]] or {a={...}}
        table = None
    if table is None or _depth(table) > MAX_DEPTH:
        raise InputError(what, str(path), f"TOML nested at most {MAX_DEPTH} levels deep")
    return table


def _depth(value: Any) -> int:
    """How deeply tables and lists nest in ``value`` (a scalar is 0), without recursing."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        if isinstance(item, dict):
            stack += [(inner, level + 1) for inner in item.values()]
        elif isinstance(item, list):
            stack += [(inner, level + 1) for inner in item]
    return deepest


def reject_unknown(table: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
    """Refuse keys that the reader does not know, suggesting the closest known one."""
    known = list(allowed)
    for key in table:
        if key not in known:
            where = f"{path}.{key}" if path else key
            raise InputError(where, key, "unknown key" + closest(key, known)
                             + f"; known keys: {', '.join(known)}")


def take(table: Mapping[str, Any], key: str, kind: type[T], path: str, default: Any = ...) -> T:
    """table[key] checked against ``kind``; missing keys take ``default`` or are an error."""
    where = f"{path}.{key}" if path else key
    if key not in table:
        if default is ...:
            wanted = _TYPE_WORDS.get(kind, kind.__name__)
            raise InputError(where, "(missing)", f"{wanted} is required")
        return default  # type: ignore[no-any-return]
    value = table[key]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]
    if not ok:
        raise InputError(where, value, f"{_TYPE_WORDS.get(kind, kind.__name__)} is expected")
    return cast(T, value)


def take_int(table: Mapping[str, Any], key: str, path: str, low: int, high: int,
             default: Any = ...) -> int:
    """An integer within [low, high]."""
    value = take(table, key, int, path, default)
    if not low <= value <= high:
        where = f"{path}.{key}" if path else key
        raise InputError(where, value, f"a whole number from {low} to {high} is expected")
    return value


def take_choice(table: Mapping[str, Any], key: str, path: str, choices: Iterable[str],
                default: Any = ...) -> str:
    """A string that must be one of ``choices``."""
    options = list(choices)
    value = take(table, key, str, path, default)
    if value not in options:
        where = f"{path}.{key}" if path else key
        raise InputError(where, value, "one of " + ", ".join(options) + closest(value, options))
    return value
