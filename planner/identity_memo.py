"""Results remembered by the identity of a shared, never-changed object (a session's tuple of
doses): a roster's sessions share a few dozen such tuples (``dosing.session_doses`` hands out
the same one for the same prescription), and hashing one by content (a dozen frozen Doses of
eleven fields each) cost more than the lookup it served. An object read back from a store is a
new one: it is simply remembered once more."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

#: Entries held before the memo starts again (a judgement call: a roster makes a few hundred).
LIMIT = 4096


class IdentityMemo(Generic[V]):
    """``make()`` for ``(shared, key)``, made once per object ``shared`` and ``key``."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        # (id(shared), key) -> (shared, value); holding ``shared`` keeps its id from being reused
        self._held: dict[tuple[int, Hashable], tuple[object, V]] = {}

    def get(self, shared: object, key: Hashable, make: Callable[[], V]) -> V:
        found = self._held.get((id(shared), key))
        if found is not None and found[0] is shared:
            return found[1]
        if len(self._held) >= self.limit:
            self._held.clear()
        value = make()
        self._held[id(shared), key] = (shared, value)
        return value
