"""How a backend declares its ``job.config``: a pydantic model, checked by ``interlock validate``.

A config that cannot launch must fail when the file is validated, not at 3 a.m. when the job
is due. So each backend subclasses :class:`JobConfig` with one field per key it reads
(``camelCase`` in YAML, ``snake_case`` in Python); unknown keys are refused (a misspelt
``urll`` is caught, with "did you mean"), and :meth:`JobConfig.issues` also checks every
``${...}`` placeholder against the template grammar of :mod:`interlock.jobs.templates`.

Values the validating machine cannot judge are left for launch: whether ``cwd`` exists or
an executable is on ``PATH``, and ``${env:NAME}`` (the controller's environment may differ).
Template strings are accepted wherever a string goes, so a duration or URL written as a
placeholder is checked once it is expanded. Pure: pydantic and the pure core only.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails

from interlock.backends import JobConfigIssue
from interlock.jobs.templates import RUN_VARIABLES, placeholder_problems
from interlock.model.durations import parse_duration

__all__ = ["Duration", "JobConfig", "Scalar", "has_placeholder"]

Scalar = str | int | float | bool
"""A YAML scalar a backend turns into text (a header value, a status value)."""

_PLACEHOLDERS = (*(f"${{{name}}}" for name in RUN_VARIABLES), "${dim:NAME}", "${env:NAME}")


def has_placeholder(text: str) -> bool:
    """True when ``text`` holds a ``${...}`` or ``$INTERLOCK_`` template, checked at launch."""
    return "${" in text or "$INTERLOCK_" in text


def _positive_duration(value: str | float) -> str | float:
    """A duration (``10m``, ``300ms``) or a number of seconds, > 0; a template passes."""
    if isinstance(value, str):
        if has_placeholder(value):
            return value
        seconds = parse_duration(value).total_seconds()  # ValueError names the problem
    else:
        seconds = value
    if seconds <= 0:
        message = f"{value!r} must be positive"
        raise ValueError(message)
    return value


Duration = Annotated[str | int | float, AfterValidator(_positive_duration)]
"""A positive duration, written ``"10m"`` or as a number of seconds."""


class JobConfig(BaseModel):
    """The base of every backend's config model: strict types, camelCase keys, no strangers.

    Give every field a ``description`` phrased as what to write ("an http(s) URL"): it is
    the fix ``interlock validate`` prints for a value of the wrong shape.
    """

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, strict=True, frozen=True, populate_by_name=False
    )

    @classmethod
    def issues(cls, config: Mapping[str, Any]) -> list[JobConfigIssue]:
        """Every problem in ``config``: its keys and values, then its placeholders."""
        found: list[JobConfigIssue] = []
        try:
            cls.model_validate(config)
        except ValidationError as exc:
            found = _validation_issues(cls, exc.errors(), config)
        return found + _placeholder_issues(config, ())

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The keys this config accepts, as written in YAML."""
        return tuple(field.alias or name for name, field in cls.model_fields.items())


def _validation_issues(
    model: type[JobConfig], errors: list[ErrorDetails], config: Mapping[str, Any]
) -> list[JobConfigIssue]:
    """One issue per offending place, the most telling error of a union's members first.

    A union (``list[str] | str``) fails once per member; the member that got furthest into
    the value (``command[2]``) says more than the others (``command``), and a value check
    ("not a failure category") more than a type mismatch at the same place.
    """
    by_path: dict[tuple[str | int, ...], list[ErrorDetails]] = {}
    for error in errors:
        path = _data_path(error["loc"], config, error["type"])
        by_path.setdefault(path, []).append(error)
    deeper = {path[:1] for path in by_path if len(path) > 1}
    issues = [
        _issue(model, min(found, key=_rank), path, config)
        for path, found in by_path.items()
        if path not in deeper
    ]
    return _without_misspelt_missing(issues)


def _without_misspelt_missing(issues: list[JobConfigIssue]) -> list[JobConfigIssue]:
    """``urll`` given, ``url`` missing: one mistake, reported once (as "did you mean")."""
    meant = {
        match
        for issue in issues
        if issue.at_key and issue.unknown
        for match in _close(issue.unknown, issue.known)
    }
    return [
        issue
        for issue in issues
        if issue.message != "missing required field" or issue.path[-1] not in meant
    ]


def _close(name: str, known: tuple[str, ...]) -> list[str]:
    """The key ``name`` was probably meant to be (as ``config``'s "did you mean" finds it)."""
    exact = [key for key in known if key.lower() == name.lower().replace("_", "")]
    return exact or difflib.get_close_matches(name, known, n=1, cutoff=0.6)


def _rank(error: ErrorDetails) -> int:
    return 0 if error["type"].startswith("value_error") else 1


def _issue(
    model: type[JobConfig],
    error: ErrorDetails,
    path: tuple[str | int, ...],
    config: Mapping[str, Any],
) -> JobConfigIssue:
    """The issue a person reads: pydantic's wording turned into the loader's."""
    kind = error["type"]
    if kind == "extra_forbidden":
        known = model.keys() if len(path) == 1 else ()
        return JobConfigIssue(
            path, f"unknown key `{path[-1]}`", at_key=True, unknown=str(path[-1]), known=known
        )
    if kind == "missing":
        where = ".".join(str(part) for part in ("job.config", *path[:-1]))
        fix = f"add `{path[-1]}:` under `{where}`"
        return JobConfigIssue(path, "missing required field", fix, at_key=True)
    description = _description(model, path)
    fix = f"write {description}" if description else "see the backend's config keys"
    if kind.startswith("value_error"):
        return JobConfigIssue(path, str(error["msg"]).removeprefix("Value error, "), fix)
    if description and len(path) == 1:
        got = _shown(_at(config, path))
        return JobConfigIssue(path, f"must be {description}, got {got}", fix)
    return JobConfigIssue(path, str(error["msg"]).replace("Input should be", "must be"), fix)


def _data_path(
    loc: tuple[str | int, ...], config: Mapping[str, Any], kind: str
) -> tuple[str | int, ...]:
    """``loc`` without the parts that name no place in the data (a union member's tag)."""
    path: list[str | int] = []
    value: Any = config
    for index, part in enumerate(loc):
        present = (isinstance(value, Mapping) and part in value) or (
            isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        )
        if present:
            value = value[part]
            path.append(part)
        elif kind == "missing" and index == len(loc) - 1:
            path.append(part)  # the absent key itself
    return tuple(path)


def _description(model: type[JobConfig], path: tuple[str | int, ...]) -> str:
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    field = fields.get(str(path[0])) if path else None
    return (field.description or "") if field is not None else ""


def _at(config: Mapping[str, Any], path: tuple[str | int, ...]) -> object:
    value: Any = config
    for part in path:
        value = value[part]
    return value


def _shown(value: object) -> str:
    """A wrong value as a person recognises it: a scalar as written, else its YAML type."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return repr(value)
    if value is None:
        return "null"
    return "a list" if isinstance(value, list) else "a mapping"


def _placeholder_issues(value: object, path: tuple[str | int, ...]) -> list[JobConfigIssue]:
    """Every placeholder that can never expand, walking the config as expansion does."""
    if isinstance(value, str):
        problems = placeholder_problems(value)
        return [_placeholder_issue(path, token, problem) for token, problem in problems]
    if isinstance(value, Mapping):
        return [
            issue
            for key, item in value.items()
            for issue in _placeholder_issues(item, (*path, str(key)))
        ]
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [
            issue
            for index, item in enumerate(value)
            for issue in _placeholder_issues(item, (*path, index))
        ]
    return []


def _placeholder_issue(path: tuple[str | int, ...], token: str, problem: str) -> JobConfigIssue:
    if problem == "unterminated":
        fix = "close it with `}`, or write `$${` for a literal `${`"
        return JobConfigIssue(path, "unterminated '${'", fix)
    message = f"unknown placeholder {token}"
    return JobConfigIssue(
        path, message, unknown=token, known=_PLACEHOLDERS, listing="known placeholders"
    )
