"""Build :class:`ScheduleSpec` from ``schedule``, and the time readers other sections share.

Times are where Go is most forgiving and we are strictest: an unknown zone is an error (Go
uses UTC), a clock time must parse (``HH:MM``, or ``:MM`` where a deadline may be hourly), a
cron must have five fields and fire, and calendars and holiday sets must exist.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import lru_cache
from zoneinfo import available_timezones

from interlock.config._check import Checker
from interlock.config._rules import RULE_KEYS, compile_rule
from interlock.config._yaml import YamlPath
from interlock.model.specs import (
    CalendarSpec,
    EvaluationSpec,
    ExcludeSpec,
    ScheduleSpec,
    TriggerSpec,
)
from interlock.timing.calendar import holiday_set_problem, parse_clock, zone
from interlock.timing.schedule import cron_problem

__all__ = ["build_schedule", "read_clock", "read_evaluation", "read_timezone"]

_SCHEDULE_KEYS = (
    "cron",
    "timezone",
    "trigger",
    "evaluation",
    "include",
    "exclude",
    "calendar",
    "time",
)
_EVALUATION_KEYS = ("window", "interval")
_EXCLUDE_KEYS = ("weekends", "dates", "holidays")


def build_schedule(c: Checker, raw: object, calendars: Mapping[str, CalendarSpec]) -> ScheduleSpec:
    """``schedule``: cron, zone, trigger, evaluation window, calendars and start time."""
    path: YamlPath = ("schedule",)
    section = c.mapping(path, raw, _SCHEDULE_KEYS) or {}
    return ScheduleSpec(
        cron=_cron(c, section.get("cron")),
        timezone=read_timezone(c, (*path, "timezone"), section.get("timezone")),
        trigger=_trigger(c, section.get("trigger")),
        evaluation=read_evaluation(c, (*path, "evaluation"), section.get("evaluation")),
        include_dates=_include(c, section.get("include")),
        exclude=_exclude(c, section.get("exclude")),
        calendar=_calendar(c, section.get("calendar"), calendars),
        time=read_clock(c, (*path, "time"), section.get("time"), hour_required=True),
    )


def _cron(c: Checker, raw: object) -> str | None:
    """``schedule.cron``: exactly five fields that fire (see :mod:`interlock.timing.schedule`)."""
    path: YamlPath = ("schedule", "cron")
    cron = c.string(path, raw)
    if not cron:
        return None
    problem = cron_problem(cron)
    if problem is not None:
        c.report(path, problem, 'e.g. "0 8 * * *" fires at 08:00 every day')
        return None
    return " ".join(cron.split())


def read_timezone(c: Checker, path: YamlPath, raw: object) -> str:
    """An IANA zone name (``""`` or absent means UTC); an unknown name is an error."""
    name = c.string(path, raw)
    if not name:
        return "UTC"
    try:
        zone(name)
    except ValueError:
        close = difflib.get_close_matches(name, _zone_names(), n=1, cutoff=0.6)
        fix = f"did you mean `{close[0]}`?" if close else "use an IANA name such as Europe/Berlin"
        c.report(path, f'unknown time zone "{name}"', fix)
        return "UTC"
    return name


@lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    """Every zone name the tz database knows (read once, for suggestions)."""
    return tuple(sorted(available_timezones()))


def read_clock(c: Checker, path: YamlPath, raw: object, *, hour_required: bool) -> str | None:
    """``"HH:MM"`` (or ``":MM"``, minutes past every hour, unless ``hour_required``)."""
    text = c.string(path, raw)
    if text is None:
        return None
    forms = '"HH:MM"' if hour_required else '"HH:MM", or ":MM" for every hour'
    try:
        hour, _ = parse_clock(text)
    except ValueError:
        c.report(path, f'"{text}" is not a clock time', f"use {forms}")
        return None
    if hour is None and hour_required:
        c.report(path, f'"{text}" needs an hour', 'use "HH:MM", e.g. "08:00"')
        return None
    return text.strip()


def _trigger(c: Checker, raw: object) -> TriggerSpec | None:
    """``schedule.trigger``: one rule whose reading opens a run, and its ``deadline``."""
    path: YamlPath = ("schedule", "trigger")
    section = c.mapping(path, raw, (*RULE_KEYS, "deadline"))
    if section is None:
        return None
    rule = compile_rule(c, path, section)
    deadline = read_clock(c, (*path, "deadline"), section.get("deadline"), hour_required=False)
    return None if rule is None else TriggerSpec(condition=rule, deadline=deadline)


def read_evaluation(c: Checker, path: YamlPath, raw: object) -> EvaluationSpec:
    """``evaluation``: window and interval, both > 0, defaulting to 1h / 5m."""
    section = c.mapping(path, raw, _EVALUATION_KEYS) or {}
    window = c.duration((*path, "window"), section.get("window"))
    interval = c.duration((*path, "interval"), section.get("interval"))
    defaults = EvaluationSpec()
    return EvaluationSpec(window=window or defaults.window, interval=interval or defaults.interval)


def _include(c: Checker, raw: object) -> tuple[str, ...]:
    """``schedule.include.dates``: the inclusion calendar, a non-empty list of dates."""
    path: YamlPath = ("schedule", "include")
    section = c.mapping(path, raw, ("dates",))
    if section is None:
        return ()
    dates_raw = section.get("dates")
    if dates_raw is None or dates_raw == []:
        fix = 'list the dates, e.g. dates: ["2026-01-31"], or remove `include`'
        c.report((*path, "dates"), "must not be empty", fix)
        return ()
    return c.days((*path, "dates"), dates_raw)


def _exclude(c: Checker, raw: object) -> ExcludeSpec:
    """``schedule.exclude``: weekends, dates, and holiday sets (``US``, ``US-NY``)."""
    path: YamlPath = ("schedule", "exclude")
    section = c.mapping(path, raw, _EXCLUDE_KEYS) or {}
    return ExcludeSpec(
        weekends=bool(c.boolean((*path, "weekends"), section.get("weekends"))),
        dates=frozenset(c.days((*path, "dates"), section.get("dates"))),
        holidays=_holidays(c, (*path, "holidays"), section.get("holidays")),
    )


def _holidays(c: Checker, path: YamlPath, raw: object) -> tuple[str, ...]:
    """A holiday set code or a list of them, each supported by the ``holidays`` package."""
    if isinstance(raw, str):
        items: list[tuple[YamlPath, object]] = [(path, raw)]
    else:
        items = [((*path, i), item) for i, item in enumerate(c.sequence(path, raw) or [])]
    codes: list[str] = []
    for item_path, item in items:
        code = c.string(item_path, item, required=True)
        problem = holiday_set_problem(code) if code else None
        if problem is not None:
            c.report(item_path, problem)  # the message already says how to fix it
        elif code:
            codes.append(code.strip())
    return tuple(codes)


def _calendar(
    c: Checker, raw: object, calendars: Mapping[str, CalendarSpec]
) -> CalendarSpec | None:
    """``schedule.calendar``: the name of a loaded calendar (``calendars/*.yaml``)."""
    path: YamlPath = ("schedule", "calendar")
    name = c.string(path, raw)
    if not name:
        return None
    if name in calendars:
        return calendars[name]
    if calendars:
        fix = "known calendars: " + ", ".join(f"`{known}`" for known in sorted(calendars))
    else:
        fix = "no calendars are loaded: add calendars/<name>.yaml beside the pipelines directory"
    c.report(path, f'unknown calendar "{name}"', fix)
    return None
