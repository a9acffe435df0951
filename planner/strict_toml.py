"""Strict reading of TOML tables: every key known, every value of the right type, errors that name
the field by its dotted path. Shared by the profile and the catalogue loaders."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

from planner.errors import InputError, closest

T = TypeVar("T")

_TYPE_WORDS = {str: "text", int: "a whole number", bool: "true or false", list: "a list",
               dict: "a table", float: "a number"}


def read_toml(path: Path, what: str, max_bytes: int = 1_000_000) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into an InputError that names the file."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(what, str(path), "the file does not exist") from None
    except OSError as exc:
        raise InputError(what, str(path), f"the file cannot be read ({exc.strerror})") from None
    if path.is_dir():
        raise InputError(what, str(path), "give a file, not a folder")
    if size > max_bytes:
        raise InputError(what, str(path), f"files up to {max_bytes:,} bytes are read")
    try:
        with path.open("rb") as handle:   # at most max_bytes + 1: /dev/zero reports size 0
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise InputError(what, str(path), f"files up to {max_bytes:,} bytes are read")
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(what, str(path), "a UTF-8 TOML text file is expected") from None
    except OSError as exc:
        raise InputError(what, str(path), f"the file cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(what, str(path), f"it is not valid TOML: {exc}") from None


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
