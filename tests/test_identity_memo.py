"""IdentityMemo: a value made once per shared object and key, never given for another object
with equal content's id, and started again past its limit (counted, never timed)."""

from __future__ import annotations

from planner.identity_memo import IdentityMemo


def test_made_once_per_object_and_key_and_again_past_the_limit() -> None:
    memo: IdentityMemo[int] = IdentityMemo(limit=2)
    made: list[object] = []

    def make(value: int) -> int:
        made.append(value)
        return value

    shared, equal = [1, 2], [1, 2]
    assert shared == equal and shared is not equal
    assert memo.get(shared, "a", lambda: make(1)) == 1
    assert memo.get(shared, "a", lambda: make(9)) == 1          # remembered
    assert memo.get(equal, "a", lambda: make(2)) == 2           # another object: made anew
    assert memo.get(shared, "b", lambda: make(3)) == 3          # another key; limit passed
    assert made == [1, 2, 3]
    assert memo.get(shared, "a", lambda: make(4)) == 4          # started again
    assert len(memo._held) <= 2
