"""Typed iCalendar values made once per content, and the content line icalendar makes of each
once: the memo behind ``ics.py``'s fast path.

A roster's calendars repeat most of their property values: a session's DESCRIPTION is shared
with other sessions and athletes at the same level and week, SUMMARY, CATEGORIES, STATUS and
SEQUENCE take a handful of values, athletes in one zone start at the same wall times, and every
calendar of a zone carries the same VTIMEZONE lines. icalendar escapes, formats and folds each
of them anew for every event (about 9 µs a line, ~370 lines a plan: measured with cProfile
over a 200-athlete roster). Here each such value is made once per content (``Memo.value``), and
``MemoCalendar`` asks icalendar for its content line once per value and name, then reuses that
line with the octets icalendar folded it into. iCalendar is still written by icalendar: every
line is icalendar's own ``Component.content_line`` and ``Contentline.to_ical`` of the value;
only repeating them is saved. ``tests/test_ics_memo.py`` checks the bytes against the plain
path (``ics.plain_icalendar``) on random texts and plans.

Safe because a value in the memo is never changed after it is made (the components holding
them are built, serialised and dropped; the VTIMEZONEs are shared and never changed either),
and a line is reused only for the very object it was made from (checked with ``is``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from icalendar import Calendar, Component
    from icalendar.parser import Contentline

T = TypeVar("T")
_WORDS = ("BEGIN", "END")

#: Values held before the memo starts again: a judgement call between memory (~1.3 KB a value
#: with its line, measured) and making lines again. A 1,000-athlete roster makes ~7,000 (start
#: times in each zone, plan ids, ~100 texts).
LIMIT = 20_000


class Memo:
    """Values by content (``value``), and for each value held its content lines by name."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.calendar: type[Calendar] | None = None     # see memo_calendar
        self._words: dict[tuple[str, bytes], Contentline] = {}    # BEGIN:VEVENT and the like
        self._components: dict[int, Component] = {}                # see hold
        self._values: dict[Hashable, Any] = {}
        # id(value) -> (value, {name: line}); holding the value keeps its id from being reused
        self._lines: dict[int, tuple[Any, dict[str, Contentline]]] = {}

    def clear(self) -> None:
        self._values.clear()
        self._lines.clear()
        self._words.clear()
        self._components.clear()

    def value(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value made by ``make`` for ``key`` (its name and content), made once."""
        found = self._values.get(key)
        if found is None:
            if len(self._values) >= self.limit:
                self.clear()
            found = self._values[key] = make()
            self._lines[id(found)] = (found, {})
        return found

    def hold(self, component: Component) -> None:
        """Memoise the lines of every value of a component made elsewhere and shared, never
        changed (a VTIMEZONE), once per component."""
        if id(component) in self._components:
            return
        self._components[id(component)] = component
        for name, value in component.property_items(sorted=False):
            if name not in _WORDS and id(value) not in self._lines:
                self._lines[id(value)] = (value, {})

    def line(self, name: str, value: object, make: Callable[[str, Any], Contentline]
             ) -> Contentline:
        """``make(name, value)``, the content line of ``name`` with ``value``, once per held
        value (looked up first: most lines are of held values)."""
        held = self._lines.get(id(value))
        if held is not None and held[0] is value:
            lines = held[1]
            found = lines.get(name)
            if found is None:
                found = lines[name] = _folded(make(name, value))
            return found
        if name in _WORDS and type(value) is bytes:   # icalendar makes these values anew each time
            word = self._words.get((name, value))
            if word is None:
                word = self._words[name, value] = _folded(make(name, value))
            return word
        return make(name, value)


_FOLDED: type | None = None


def _folded(line: Contentline) -> Contentline:
    """``line`` carrying the octets icalendar's ``to_ical`` makes of it (folded), made once."""
    global _FOLDED
    if _FOLDED is None:
        from icalendar.parser import Contentline

        class Folded(Contentline):
            """A content line that keeps what its ``to_ical`` gave the first time."""

            __slots__ = ("ical",)
            ical: bytes

            def to_ical(self) -> bytes:
                return self.ical

        _FOLDED = Folded
    folded: Any = _FOLDED(line, strict=getattr(line, "strict", False))
    folded.ical = line.to_ical()  # type: ignore[no-untyped-call]
    return folded  # type: ignore[no-any-return]


def memo_calendar(memo: Memo) -> type[Calendar]:
    """A ``Calendar`` whose content lines come through ``memo`` (one class per memo)."""
    if memo.calendar is None:
        from icalendar import Calendar

        class MemoCalendar(Calendar):
            """icalendar's Calendar, asking ``memo`` before making a property's line."""

            def content_line(self, name: str, value: Any, sorted: bool = True
                             ) -> Contentline:
                if not sorted:
                    line: Contentline = super().content_line(name, value, sorted=sorted)
                    return line
                return memo.line(name, value, super().content_line)

        memo.calendar = MemoCalendar
    return memo.calendar
