"""The fast folding (``planner.calendars.export.ics_folding``) is icalendar's: on random TEXT
lines with every character folding cares about (multi-octet characters, escapes at the 75-octet
edge), ``fold`` gives what icalendar's own ``_foldline`` gives, and the fast one is put in place
only while the two agree on its probes."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import vText
from icalendar.parser import content_line, string

from planner.calendars.export import ics_folding

LINES = st.text(alphabet=st.sampled_from([*"ab ,;:\\^\n\"'", "é", "·", "🦵", "中"]),
                max_size=400) | st.text(max_size=200)


@settings(max_examples=300, deadline=None, derandomize=bool(os.environ.get("CI")))
@given(st.text(alphabet="ABCDEFGHIJ-", min_size=1, max_size=20), LINES)
def test_fold_is_icalendars_folding(name: str, value: str) -> None:
    line = f"{name}:{vText(value).to_ical().decode()}"     # a content line: TEXT escaped
    assert ics_folding.fold(line) == string._foldline(line)


def test_the_fast_folding_stays_out_when_icalendar_folds_otherwise() -> None:
    theirs: Any = string._foldline

    def other(line: str, limit: int = 75, fold_sep: str = "\r\n ") -> str:
        return str(theirs(line, limit - 1, fold_sep))     # one octet shorter: disagrees

    with ics_folding.icalendar_folding():
        content_line._foldline = other   # type: ignore[attr-defined]
        string._foldline = other
        try:
            assert not ics_folding.use_fast_folding()
            assert content_line._foldline is other   # type: ignore[attr-defined]
        finally:
            string._foldline = theirs
            content_line._foldline = theirs   # type: ignore[attr-defined]
        assert ics_folding.use_fast_folding()
        assert content_line._foldline is ics_folding.fold   # type: ignore[attr-defined]
