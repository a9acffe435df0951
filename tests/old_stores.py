"""Stores as older versions of periodize left them (the tests of upgrades start there)."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

from planner.store import database

#: The columns of ``revisions`` before schema 10 (which added ``uids``).
OLD_COLUMNS = "id, plan_id, number, created, note, profile, plan, undone"


def _text(value: bytes | str | None) -> str | None:
    """A plan as stores before schema 10 held it: its JSON text, not compressed."""
    return zlib.decompress(value).decode() if isinstance(value, bytes) else value


def downgrade(store: Path, version: int) -> None:
    """Make ``store`` what periodize wrote at schema ``version``: a file made by migrations 1
    to ``version`` holding the rows of ``store``'s tables, in the columns that schema has (plans
    as text before schema 10)."""
    assert 1 <= version < database.SCHEMA_VERSION
    old = store.with_name(f"{store.name}.old")
    raw = sqlite3.connect(old, isolation_level=None)
    raw.create_function("plan_text", 1, _text, deterministic=True)
    try:
        for step in range(1, version + 1):
            raw.executescript(database.MIGRATIONS[step])
        raw.execute(f"PRAGMA application_id = {database.APPLICATION_ID}")
        raw.execute(f"PRAGMA user_version = {version}")
        raw.execute("ATTACH DATABASE ? AS current", (str(store),))
        tables = [r[0] for r in raw.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table'")]
        for table in tables:
            names = [r[1] for r in raw.execute(f"PRAGMA main.table_info({table})")]
            values = ", ".join("plan_text(plan)" if n == "plan" and version < 10 else n
                               for n in names)
            raw.execute(f"INSERT OR REPLACE INTO main.{table} ({', '.join(names)}) "
                        f"SELECT {values} FROM current.{table}")
        raw.execute("DETACH DATABASE current")
    finally:
        raw.close()
    old.replace(store)
