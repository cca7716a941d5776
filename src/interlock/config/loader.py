"""Load pipeline and calendar YAML files into specs, with errors a person can fix.

The schema is the Go Interlock's, field for field (camelCase, docs/go-compatibility.md, Config
schema), so Go configs load unchanged; the values come out as the frozen specs of
:mod:`interlock.model.specs`. Where the Go version logs an invalid config and ignores the
pipeline, we refuse to load: every problem in every file is collected and raised as one
:class:`~interlock.errors.ConfigError`, each with its file, 1-based line, field path
(``validation.rules[2].check``), message and fix. Nothing else escapes: YAML syntax errors,
wrong types and unreadable files all become problems.

Beyond Go (each one an error a Go user would want rather than a silent fallback):

* unknown keys anywhere are errors, with a "did you mean `expectedDuration`?" fix;
* an unknown ``timezone``, a ``validation.trigger`` other than ALL/ANY, an unparseable or
  non-positive duration, and a malformed clock time are errors, not UTC / ALL / a default;
* durations also accept ``d`` and ``w``; ``schedule.calendar`` names a calendar loaded from
  ``calendars/*.yaml``, and ``schedule.exclude.holidays`` takes country codes (``US-NY``);
* a rule item may be a nested group ``{allOf: [...]}`` or ``{anyOf: [...]}`` (recursively),
  so ``A and (B or C)`` is one pipeline; Go configs never use these keys;
* ``job.type: mock`` (for tests and demos) and ``job.pollInterval`` (default 60s);
* pipeline ids must be unique across the files loaded together;
* ``dependsOn`` / ``onUpstreamRerun`` / ``job.maxUpstreamReruns`` make a pipeline wait for
  others (docs/dependencies.md); the graph of a directory is checked as a whole;
* ``partitions`` / ``complete`` / ``backfill`` / ``job.maxSelfHeals`` declare the partitions
  kept done (docs/partitions.md);
* ``sensors`` lists the state checkers Interlock runs for a pipeline, and the project's
  ``sensors/*.yaml`` the shared ones (docs/checkers.md, :func:`load_sensors`).

Scalars follow YAML 1.2 as Go's ``yaml.v3`` does (``deadline: 10:00`` is a string, not
sexagesimal 600; ``yes`` is a string). See :mod:`interlock.config._yaml`.

Limits, each a problem naming itself rather than a crash or a long stall: a file is at most
:data:`MAX_FILE_BYTES` (1 MiB), nests at most :data:`~interlock.config._yaml.MAX_NESTING`
(64) mappings and lists deep, rule groups at most
:data:`~interlock.config._rules.MAX_RULE_GROUP_DEPTH` (16) deep, a duration is at most
:data:`~interlock.config._check.MAX_DURATION` (36500d, 100 years), and an integer fits in 64
bits (Go's ``int64`` or ``uint64``). Problems print on one line whatever the values hold.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from interlock.config._build import build_pipeline
from interlock.config._calendars import read_calendar
from interlock.config._check import Checker
from interlock.config._graph import check_dependency_graph
from interlock.config._sensors import read_shared_sensors
from interlock.config._yaml import parse_yaml
from interlock.errors import ConfigError, ConfigProblem
from interlock.model.checkers import SensorCheckSpec
from interlock.model.specs import CalendarSpec, PipelineSpec

__all__ = [
    "MAX_FILE_BYTES",
    "YAML_SUFFIXES",
    "config_files",
    "load_calendars",
    "load_pipeline_file",
    "load_pipelines",
    "load_sensors",
    "parse_pipeline",
    "parse_shared_sensors",
    "shared_sensors_dir",
]

YAML_SUFFIXES = (".yaml", ".yml")
"""File name endings that hold pipelines or calendars (as in Go)."""

MAX_FILE_BYTES = 1024 * 1024
"""The largest pipeline or calendar file read: 1 MiB, some 200 times the largest example.

Bigger files are refused unread, as one problem: the pure-Python parser that words syntax
errors takes seconds per MiB, and no hand-written pipeline comes close.
"""


_SharedRead = tuple[tuple[SensorCheckSpec, ...], list[ConfigProblem]]
"""Shared checkers read from a file or a folder, and the problems found on the way."""


class _Loaded(NamedTuple):
    """One file's outcome: the spec (or None), its problems, and its ``pipeline.id`` line."""

    spec: PipelineSpec | None
    problems: list[ConfigProblem]
    id_line: int | None


def parse_pipeline(
    text: str, *, source: str = "<string>", calendars: Mapping[str, CalendarSpec] | None = None
) -> PipelineSpec:
    """Parse one pipeline document.

    :param source: the file name shown in problems and kept as ``PipelineSpec.source``.
    :param calendars: named calendars that ``schedule.calendar`` may refer to.
    :raises ConfigError: listing every problem in the document.
    """
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise ConfigError([_too_large(source, size)])
    loaded = _parse(text, source, calendars or {})
    if loaded.spec is None:
        raise ConfigError(loaded.problems)
    return loaded.spec


def load_pipeline_file(
    path: Path, *, calendars: Mapping[str, CalendarSpec] | None = None
) -> PipelineSpec:
    """Read and parse one pipeline file. :raises ConfigError: listing every problem."""
    loaded = _load_file(Path(path), calendars or {})
    if loaded.spec is None:
        raise ConfigError(loaded.problems)
    return loaded.spec


def load_pipelines(path: Path, *, check_graph: bool = True) -> tuple[PipelineSpec, ...]:
    """Load one pipeline file, or every ``*.yaml`` / ``*.yml`` file of a directory.

    Subdirectories are not read; files are taken in name order. Calendars come from
    ``<dir>/calendars/`` or else ``<dir>/../calendars/`` when one exists; the shared
    checkers of :func:`shared_sensors_dir` are checked too (their problems are raised
    here, so ``validate`` and ``apply`` refuse a bad one), and :func:`load_sensors` reads
    them.

    A directory is a whole dependency graph: its ``dependsOn`` entries are checked against
    each other (:func:`~interlock.config._graph.check_dependency_graph`: unknown ids,
    cycles, mappings the upstream cannot serve). One file is not, since its upstreams live
    elsewhere; nor is a directory with ``check_graph=False``, for a caller that checks a
    bigger set (``apply`` adds the stored pipelines).

    :raises ConfigError: listing every problem in every file, and duplicate pipeline ids.
    """
    path = Path(path)
    files, problems = _yaml_files(path)
    calendar_dir = _calendar_dir(path.parent if path.is_file() else path)
    calendars: dict[str, CalendarSpec] = {}
    if calendar_dir is not None:
        calendars, calendar_problems = _read_calendars(calendar_dir)
        problems.extend(calendar_problems)
    loaded = [_load_file(file, calendars) for file in files]
    sensors_dir = shared_sensors_dir(path)
    if sensors_dir is not None:
        problems.extend(_read_shared_sensors(sensors_dir)[1])
    for outcome in loaded:
        problems.extend(outcome.problems)
    problems.extend(_duplicate_ids(loaded))
    specs = tuple(outcome.spec for outcome in loaded if outcome.spec is not None)
    if check_graph and path.is_dir():
        problems.extend(check_dependency_graph(specs, complete=len(specs) == len(files)))
    if problems:
        raise ConfigError(problems)
    return specs


def config_files(path: Path) -> list[Path]:
    """Every file :func:`load_pipelines` reads for ``path``: its pipelines and calendars.

    For watching a folder (``serve --watch``): exactly what a reload would see, by name.
    """
    path = Path(path)
    files, _ = _yaml_files(path)
    calendar_dir = _calendar_dir(path.parent if path.is_file() else path)
    if calendar_dir is not None:
        files.extend(_yaml_files(calendar_dir)[0])
    sensors_dir = shared_sensors_dir(path)
    if sensors_dir is not None:
        files.extend(_yaml_files(sensors_dir)[0])
    return sorted(files)


def load_calendars(path: Path) -> dict[str, CalendarSpec]:
    """Load named calendars from a ``*.yaml`` file or a directory of them.

    :returns: calendars by ``name``.
    :raises ConfigError: listing every problem, including a name used twice.
    """
    calendars, problems = _read_calendars(Path(path))
    if problems:
        raise ConfigError(problems)
    return calendars


def shared_sensors_dir(pipelines: Path) -> Path | None:
    """Where a project keeps its shared checkers: ``sensors/`` beside its pipelines.

    Looked up as calendars are: ``<dir>/sensors/``, else ``<dir>/../sensors/`` (the layout
    of ``interlock init``: ``pipelines/`` and ``sensors/`` side by side), for the directory
    given to :func:`load_pipelines` (or the one holding the file given). None when neither
    exists: a project without shared checkers.
    """
    directory = Path(pipelines)
    directory = directory.parent if directory.is_file() else directory
    for candidate in (directory / "sensors", directory.parent / "sensors"):
        if candidate.is_dir():
            return candidate
    return None


def load_sensors(path: Path) -> tuple[SensorCheckSpec, ...]:
    """The shared checkers of a ``sensors/*.yaml`` file or directory, in file order.

    Shared checkers are not stored: ``apply`` checks them (through :func:`load_pipelines`)
    and the controller reads them from the project it serves, so the files are the one
    source. A key checked twice across the files is a problem.

    :raises ConfigError: listing every problem in every file.
    """
    specs, problems = _read_shared_sensors(Path(path))
    if problems:
        raise ConfigError(problems)
    return specs


def parse_shared_sensors(text: str, *, source: str = "<string>") -> tuple[SensorCheckSpec, ...]:
    """Parse one shared checker document (``sensors:`` and no pipeline).

    :raises ConfigError: listing every problem in the document.
    """
    specs, problems = _parse_shared(text, source)
    if problems:
        raise ConfigError(problems)
    return specs


def _parse_shared(text: str, source: str) -> _SharedRead:
    """The checkers of one shared document, or its problems."""
    doc, problems = parse_yaml(text, source)
    if doc is None:
        return (), problems
    checker = Checker(doc=doc, source=source, problems=problems)
    specs = read_shared_sensors(checker, doc.data)
    if checker.problems:
        return (), sorted(checker.problems, key=lambda p: p.line or 0)
    return specs, []


def _read_shared_sensors(path: Path) -> _SharedRead:
    """Every shared checker under ``path``, and the problems (a key in two files is one)."""
    files, problems = _yaml_files(path)
    specs: list[SensorCheckSpec] = []
    first: dict[str, SensorCheckSpec] = {}
    for file in files:
        text, problem = _read_text(file)
        file_specs, file_problems = ((), [problem]) if problem else _parse_shared(text, str(file))
        problems.extend(file_problems)
        for spec in file_specs:
            earlier = first.setdefault(spec.key, spec)
            if earlier is not spec:
                message = f"shared checker key `{spec.key}` is already checked in "
                message += f"{earlier.source}:{earlier.line}"
                fix = "give each shared checker its own key"
                problems.append(
                    ConfigProblem(
                        file=spec.source, line=spec.line, field="sensors", message=message, fix=fix
                    )
                )
                continue
            specs.append(spec)
    return tuple(specs), problems


def _parse(text: str, source: str, calendars: Mapping[str, CalendarSpec]) -> _Loaded:
    """Parse and build one document, collecting its problems."""
    doc, problems = parse_yaml(text, source)
    if doc is None:
        return _Loaded(None, problems, None)
    checker = Checker(doc=doc, source=source, problems=problems)
    spec = build_pipeline(checker, doc.data, calendars)
    if spec is None or checker.problems:
        return _Loaded(None, sorted(checker.problems, key=lambda p: p.line or 0), None)
    spec = replace(spec, source=source, config_hash=_config_hash(doc.data))
    return _Loaded(spec, [], doc.line(("pipeline", "id")))


def _config_hash(data: object) -> str:
    """sha256 hex of the canonical JSON of a parsed document: equal configs, equal hashes."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _load_file(path: Path, calendars: Mapping[str, CalendarSpec]) -> _Loaded:
    """Read one file and parse it; an unreadable file is a problem, not an exception."""
    text, problem = _read_text(path)
    if problem is not None:
        return _Loaded(None, [problem], None)
    return _parse(text, str(path), calendars)


def _read_text(path: Path) -> tuple[str, ConfigProblem | None]:
    """The UTF-8 text of ``path``, or a problem saying why it cannot be read.

    Reads at most one byte past :data:`MAX_FILE_BYTES`, so a huge file (or ``/dev/zero``)
    costs no more than a large one.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return "", ConfigProblem(
            file=str(path), line=None, field="", message=f"cannot read: {reason}"
        )
    if len(data) > MAX_FILE_BYTES:
        return "", _too_large(str(path), size if size > MAX_FILE_BYTES else None)
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        fix = "save the file as UTF-8"
        problem = ConfigProblem(
            file=str(path), line=line, field="", message="not UTF-8 text", fix=fix
        )
        return "", problem


def _too_large(source: str, size: int | None) -> ConfigProblem:
    """The problem of a file over :data:`MAX_FILE_BYTES` (``size`` is None for a stream)."""
    shown = f"{size:,} bytes" if size is not None else f"over {MAX_FILE_BYTES:,} bytes"
    return ConfigProblem(
        file=source,
        line=None,
        field="",
        message=f"file is {shown}; the limit is {MAX_FILE_BYTES:,} bytes (1 MiB)",
        fix="split it: one pipeline per file (a pipeline file is usually a few KB)",
    )


def _yaml_files(path: Path) -> tuple[list[Path], list[ConfigProblem]]:
    """``path`` itself, or the ``*.yaml`` / ``*.yml`` files directly in it, sorted by name."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())
        return files, []
    if path.is_file():
        return [path], []
    problem = ConfigProblem(
        file=str(path), line=None, field="", message="no such file or directory"
    )
    return [], [problem]


def _calendar_dir(directory: Path) -> Path | None:
    """``<dir>/calendars`` or ``<dir>/../calendars``, whichever exists first."""
    for candidate in (directory / "calendars", directory.parent / "calendars"):
        if candidate.is_dir():
            return candidate
    return None


def _read_calendars(path: Path) -> tuple[dict[str, CalendarSpec], list[ConfigProblem]]:
    """Every calendar under ``path`` by name, and the problems found on the way."""
    files, problems = _yaml_files(path)
    calendars: dict[str, CalendarSpec] = {}
    for file in files:
        text, problem = _read_text(file)
        if problem is not None:
            problems.append(problem)
            continue
        calendar, file_problems, name_line = read_calendar(text, str(file))
        problems.extend(file_problems)
        if calendar is None:
            continue
        if calendar.name in calendars:
            first = calendars[calendar.name].source
            message = f'duplicate calendar name "{calendar.name}" (also in {first})'
            fix = "give each calendar its own name"
            problems.append(
                ConfigProblem(
                    file=str(file), line=name_line, field="name", message=message, fix=fix
                )
            )
            continue
        calendars[calendar.name] = calendar
    return calendars, problems


def _duplicate_ids(loaded: Iterable[_Loaded]) -> list[ConfigProblem]:
    """A problem for each pipeline whose id an earlier file already uses."""
    first: dict[str, _Loaded] = {}
    problems: list[ConfigProblem] = []
    for outcome in loaded:
        spec = outcome.spec
        if spec is None:
            continue
        earlier = first.setdefault(spec.id, outcome)
        if earlier is outcome or earlier.spec is None:
            continue
        where = f"{earlier.spec.source}:{earlier.id_line}"
        problems.append(
            ConfigProblem(
                file=spec.source,
                line=outcome.id_line,
                field="pipeline.id",
                message=f'duplicate pipeline id "{spec.id}" (also in {where})',
                fix="give each pipeline its own pipeline.id",
            )
        )
    return problems
