"""Named calendars: ``calendars/<name>.yaml`` files a pipeline refers to by name.

The format is the Go ``internal/calendar`` one (docs/go-compatibility.md, Calendars): ``name``
(required), ``days`` (week day names such as ``saturday``, any case; three-letter forms too) and
``dates`` (``YYYY-MM-DD``). Go loads these but never wires them to a pipeline; here
``schedule.calendar: us-federal`` excludes those days. ``description`` is allowed as a note.
"""

from __future__ import annotations

from interlock.config._check import Checker
from interlock.config._yaml import parse_yaml
from interlock.errors import ConfigProblem
from interlock.model.specs import CalendarSpec

__all__ = ["WEEKDAYS", "read_calendar"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""Day names in Python's numbering (Monday = 0)."""

_CALENDAR_KEYS = ("name", "description", "days", "dates")


def read_calendar(
    text: str, source: str
) -> tuple[CalendarSpec | None, list[ConfigProblem], int | None]:
    """One calendar document: the spec (or None), its problems, and the line of ``name``."""
    doc, problems = parse_yaml(text, source)
    if doc is None:
        return None, problems, None
    c = Checker(doc=doc, source=source, problems=problems)
    if doc.data is not None and not isinstance(doc.data, dict):
        c.expect((), doc.data, "a mapping", "write name, days and dates keys", line=1)
        return None, c.problems, None
    section = c.mapping((), doc.data or {}, _CALENDAR_KEYS) or {}
    name = c.string(("name",), section.get("name"), required=True)
    c.string(("description",), section.get("description"))
    weekdays = _weekdays(c, section.get("days"))
    dates = c.days(("dates",), section.get("dates"))
    if name is None or c.problems:
        return None, c.problems, None
    spec = CalendarSpec(
        name=name, weekdays=frozenset(weekdays), dates=frozenset(dates), source=source
    )
    return spec, [], doc.line(("name",))


def _weekdays(c: Checker, raw: object) -> list[int]:
    """Day names → Python weekday numbers; unknown names are reported."""
    numbers: list[int] = []
    for index, item in enumerate(c.sequence(("days",), raw) or []):
        text = c.string(("days", index), item, required=True)
        if text is None:
            continue
        wanted = text.strip().lower()
        matches = [i for i, day in enumerate(WEEKDAYS) if wanted in {day, day[:3]}]
        if matches:
            numbers.append(matches[0])
        else:
            fix = "use monday, tuesday, wednesday, thursday, friday, saturday or sunday"
            c.report(("days", index), f'unknown day "{text}"', fix)
    return numbers
