"""How a plan is kept in the store: its JSON text (``Plan.to_json``), zlib-compressed.

A plan's text repeats each exercise's cue in every session (about 7 KB a session, 226 KB for
the example's 8 weeks) and every revision keeps a whole plan (and a re-dosed one its forecast
too), so a store grew by ~450 KB with each log entry that changed a dose: 36 MB after 80 such
entries, with every command's integrity check and write growing alike. Compressed (zlib level
6, the library's default) the same plan is ~8 KB, 27× smaller. Stores written before schema 10
hold the text itself; both are read. A plan read back is remembered by its stored bytes, so
the few commands that read the same revision several times (a log entry reads the current one
four times) parse it once; a Plan is immutable, so sharing it is safe."""

from __future__ import annotations

import json
import threading
import zlib

from planner.store.plan import Plan, plan_from_dict

#: zlib's own default level: ~8 KB for the example's plan in ~2-5 ms (level 1: ~20 KB).
LEVEL = 6
#: Plans remembered by their stored bytes (a judgement call: a server's few athletes, each
#: with its current revision and forecast; a roster's batch reads each plan once).
REMEMBERED = 32

_memo: dict[bytes, Plan] = {}
_lock = threading.Lock()


def plan_blob(plan: Plan) -> bytes:
    """What the store keeps for ``plan``."""
    return zlib.compress(plan.to_json().encode(), LEVEL)


def _plan_text(value: bytes | str) -> str:
    """The plan's JSON text from what the store holds (compressed bytes, or an older store's
    text). Raises ValueError when it is neither."""
    if isinstance(value, str):
        return value
    try:
        return zlib.decompress(value).decode()
    except (zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"not a compressed plan: {exc}") from None


def read_plan(value: bytes | str) -> Plan:
    """The plan the store holds as ``value``. Raises ValueError, KeyError or TypeError when
    it is damaged (the store says which revision)."""
    if isinstance(value, str):
        return plan_from_dict(json.loads(value))
    found = _memo.get(value)
    if found is None:
        found = plan_from_dict(json.loads(_plan_text(value)))
        with _lock:
            if len(_memo) >= REMEMBERED:
                _memo.clear()
            _memo[value] = found
    return found
