"""Typed readers over a parsed YAML document that record problems instead of raising.

Each reader takes the path of a value, checks its type and range, and returns the typed value
or ``None``; a problem goes into :attr:`Checker.problems` with the value's line, so a file
with ten mistakes reports ten problems in one pass. The builder (:mod:`._build`) composes
these readers and never touches raw YAML types itself.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from interlock.config._yaml import YamlDocument, YamlPath, render_path
from interlock.errors import ConfigProblem
from interlock.model.durations import DurationTooLargeError, parse_duration

__all__ = ["MAX_DURATION", "Checker", "suggestion"]

MAX_DURATION = timedelta(days=36500)
"""The longest duration any config field accepts: 100 years (36500d).

Nothing real waits a century, and a window near the ``timedelta`` maximum (999999999d)
would overflow the date arithmetic (``now + window`` past year 9999) while the controller
runs, long after loading let it through; 100 years keeps every such sum in range.
"""

_LONGEST = f"{MAX_DURATION.days}d (100 years)"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION_FIX = "use a duration such as 30s, 5m, 1h30m or 2d"


def _kind(value: object) -> str:
    """How a person would name the YAML type of ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "a mapping"


def _add_fix(path: YamlPath) -> str:
    """``add `id:` under `pipeline:``` — where a missing field goes."""
    *parent, name = path
    if not parent:
        return f"add `{name}:` at the top level"
    return f"add `{name}:` under `{render_path(tuple(parent))}`"


def _squash(name: str) -> str:
    """``max_retries`` / ``MaxRetries`` → ``maxretries``: the spelling-insensitive form."""
    return name.replace("_", "").replace("-", "").lower()


def suggestion(name: str, allowed: Iterable[str], *, listing: str = "allowed keys") -> str:
    """``did you mean `expectedDuration`?`` for a misspelt name, else ``<listing>: `a`, `b```."""
    options = list(allowed)
    exact = [option for option in options if _squash(option) == _squash(name)]
    close = exact or difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    return f"{listing}: " + ", ".join(f"`{option}`" for option in options)


@dataclass
class Checker:
    """Reads one document, collecting every problem with its file, line and field path."""

    doc: YamlDocument
    source: str
    problems: list[ConfigProblem] = field(default_factory=list)

    def report(
        self,
        path: YamlPath,
        message: str,
        fix: str = "",
        *,
        at_key: bool = False,
        line: int | None = None,
    ) -> None:
        """Record a problem at the value of ``path``, at its key (``at_key``), or at ``line``.

        Nothing is recorded under a value the YAML layer already reported (it reads as null,
        and "missing required field" on top would only repeat the first problem).
        """
        if self.doc.is_invalid(path):
            return
        if line is None:
            line = self.doc.key_line(path) if at_key else self.doc.line(path)
        problem = ConfigProblem(
            file=self.source, line=line, field=render_path(path), message=message, fix=fix
        )
        self.problems.append(problem)

    def expect(
        self, path: YamlPath, value: object, wanted: str, fix: str, *, line: int | None = None
    ) -> None:
        """Record a wrong-type problem: ``job.config must be a mapping, got a list``."""
        subject = "" if path else "the document "
        self.report(path, f"{subject}must be {wanted}, got {_kind(value)}", fix, line=line)

    def mapping(
        self, path: YamlPath, value: object, allowed: Iterable[str]
    ) -> Mapping[str, object] | None:
        """``value`` as a mapping whose keys are all in ``allowed`` (each stranger reported)."""
        if value is None:
            return None
        if not isinstance(value, dict):
            self.expect(path, value, "a mapping", "write `key: value` lines indented under it")
            return None
        names = tuple(allowed)
        for key in value:
            if key not in names:
                message = f"unknown key `{key}`"
                self.report((*path, key), message, suggestion(key, names), at_key=True)
        return {key: item for key, item in value.items() if key in names}

    def sequence(self, path: YamlPath, value: object) -> list[object] | None:
        """``value`` as a list (``None`` when absent or of another type)."""
        if value is None:
            return None
        if not isinstance(value, list):
            self.expect(path, value, "a list", "write one `- item` per line")
            return None
        return value

    def string(self, path: YamlPath, value: object, *, required: bool = False) -> str | None:
        """A string; ``required`` also rejects a missing or blank one."""
        if value is None:
            if required and path and isinstance(path[-1], int):
                self.report(path, "empty list item", "write a value or remove the `-` line")
            elif required:
                self.report(path, "missing required field", _add_fix(path), at_key=True)
            return None
        if not isinstance(value, str):
            fix = f'quote it: "{value}"' if isinstance(value, int | float) else "write a string"
            self.expect(path, value, "a string", fix)
            return None
        if required and not value.strip():
            self.report(path, "must not be empty", "write a non-empty value")
            return None
        return value

    def boolean(self, path: YamlPath, value: object) -> bool | None:
        """A YAML boolean (``true``/``false``); strings such as ``"yes"`` are refused."""
        if value is None or isinstance(value, bool):
            return value
        self.expect(path, value, "a boolean", "write true or false, without quotes")
        return None

    def integer(self, path: YamlPath, value: object, low: int, high: int) -> int | None:
        """An integer in ``[low, high]``, else ``job.maxRetries: 11 out of range [0,10]`` (Go)."""
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.expect(path, value, "an integer", f"write a whole number from {low} to {high}")
            return None
        if not low <= value <= high:
            message = f"{value} out of range [{low},{high}]"  # the field is the problem's
            self.report(path, message, f"use a value from {low} to {high}")
            return None
        return value

    def number(self, path: YamlPath, value: object, *, minimum: float) -> float | None:
        """A finite number ≥ ``minimum`` (booleans are not numbers here)."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.expect(path, value, "a number", f"write a number ≥ {minimum:g}")
            return None
        if not math.isfinite(value) or value < minimum:
            message = f"must be a finite number ≥ {minimum:g}, got {value}"
            self.report(path, message, f"write a number ≥ {minimum:g}")
            return None
        return float(value)

    def duration(
        self, path: YamlPath, value: object, *, allow_zero: bool = False, capped: bool = True
    ) -> timedelta | None:
        """A duration string (Go syntax plus ``d``/``w``), > 0 (or ≥ 0 with ``allow_zero``).

        At most :data:`MAX_DURATION`: longer ones, even those no ``timedelta`` can hold, are
        reported as too large. ``capped=False`` is for a field with a tighter maximum of its
        own, checked by the caller: a value too long for a ``timedelta`` comes back as
        ``timedelta.max``, for that check to refuse.
        """
        if value is None:
            return None
        if not isinstance(value, str):
            fix = f'did you mean "{value}s"?' if isinstance(value, int) else _DURATION_FIX
            if isinstance(value, bool):
                fix = _DURATION_FIX
            self.expect(path, value, "a duration string", fix)
            return None
        try:
            parsed = parse_duration(value)
        except DurationTooLargeError:  # saturate, keeping the sign for the checks below
            parsed = timedelta.min if value.strip().startswith("-") else timedelta.max
        except ValueError:
            message = f'invalid Go duration "{value}"'
            self.report(path, message, _DURATION_FIX)
            return None
        if parsed < timedelta(0) or (parsed == timedelta(0) and not allow_zero):
            bound = "≥ 0" if allow_zero else "> 0"
            self.report(path, f"must be {bound}, got {value!r}", _DURATION_FIX)
            return None
        if capped and parsed > MAX_DURATION:
            message = f"{value.strip()} is too large; the largest accepted is {_LONGEST}"
            self.report(path, message, f"use at most {MAX_DURATION.days}d")
            return None
        return parsed

    def day(self, path: YamlPath, value: object) -> str | None:
        """A calendar date written ``YYYY-MM-DD`` (quoted or not)."""
        text = value if isinstance(value, str) else None
        valid = text is not None and _DATE.match(text) is not None
        if valid and text is not None:
            try:
                date.fromisoformat(text)
            except ValueError:
                valid = False
        if not valid or text is None:
            message = f'invalid format "{value}" (expected YYYY-MM-DD)'
            self.report(path, message, 'write a real date such as "2026-01-31"')
            return None
        return text

    def days(self, path: YamlPath, value: object) -> tuple[str, ...]:
        """A list of ``YYYY-MM-DD`` dates; bad entries are reported and dropped."""
        items = self.sequence(path, value) or []
        parsed = (self.day((*path, index), item) for index, item in enumerate(items))
        return tuple(day for day in parsed if day is not None)
