"""``interlock simulate``: replay a JSONL timeline through pipelines on a virtual clock.

Input, one JSON object per line, in time order (a public, stable format)::

    {"at": "2026-11-22T08:05:00Z", "key": "upstream-complete", "data": {"status": "ready"}}
    {"at": "2026-11-22T08:05:00Z", "key": "rows", "data": {"count": 5}, "partition": "2026-11-22"}
    {"at": "2026-11-22T08:40:00Z", "job": "succeeded"}
    {"at": "2026-11-22T08:40:00Z", "job": "failed", "category": "PERMANENT", "message": "bad SQL"}
    {"at": "2026-11-22T09:00:00Z", "rerun": "2026-11-22", "reason": "manual"}

``job`` lines report the outcome of the latest launch (or, with ``"partition"``, of that
partition's launch). Blank lines and lines starting with ``#`` are ignored. Output: every
event, in order, as ``{"at", "type", "pipeline", "partition", "message", "detail"}``. Without
``until`` the clock stops one day after the last input line. It runs the same ``decide()`` as
the controller.

Several pipelines (``interlock simulate DIR``, a directory of pipeline files) run on one
virtual clock, their ``dependsOn`` included: a run coming to rest wakes the downstream runs
that map to its partition, as the controller does. Every line may then carry
``"pipeline": ID``::

    {"at": "2026-11-22T08:05:00Z", "key": "rows", "data": {"count": 5}, "pipeline": "listings"}
    {"at": "2026-11-22T08:40:00Z", "job": "succeeded", "pipeline": "listings"}
    {"at": "2026-11-22T08:41:00Z", "job": "failed", "pipeline": "searches", "partition": "..."}
    {"at": "2026-11-23T09:00:00Z", "rerun": "2026-11-22", "pipeline": "listings", "reason": "fix"}

- a reading with ``pipeline`` is that pipeline's own; without it, it is seen by every
  pipeline whose rules, trigger or post-run checks name its key (with one pipeline: by it,
  as before);
- a ``job`` or ``rerun`` line needs ``pipeline`` when more than one pipeline is simulated
  (``line 7.pipeline: name the pipeline: 3 are simulated``); an id that is not loaded is
  refused with a did-you-mean. A ``job`` line reports the latest launch of that pipeline (of
  its run of ``partition``, when given);
- with a single pipeline file, ``pipeline`` may be given and must be its id.

Events keep their shape; their ``pipeline`` says whose they are.

Every line is checked as the store checks what it is given, so a timeline replays only what
the controller would accept; the first bad line stops the replay with one error naming the
line and the field (``line 7.at: ...``, ``line 9.data: ...``):

- the file is UTF-8 text; a line is at most :data:`MAX_LINE_CHARS` characters and nests at
  most :data:`MAX_LINE_DEPTH` levels (reading data may nest 64);
- ``at`` is an ISO 8601 time with a zone, from :data:`EARLIEST` up to (not including)
  :data:`LATEST`, and never earlier than the line before;
- a reading has a non-empty string ``key`` and an object ``data`` without NaN or Infinity
  (``1e400`` reads as Infinity); ``partition``, when given, is a valid partition
  (``2026-11-22``, ``2026-11-22T08``, ``2026-11-22|region=eu``) and is used in its canonical
  form, as the store does;
- ``job`` is ``succeeded``, ``failed`` or ``running``; ``category`` one of
  :data:`FAILURE_CATEGORIES`; ``rerun`` a valid partition; ``message`` and ``reason`` strings;
- optional fields may be ``null`` (absent); any other field is refused, not ignored.

Lines are read, checked and replayed one at a time, and events are printed as they happen,
so a timeline of any length runs in constant memory. The cost is that a bad line is found
only when the replay reaches it: the events printed before the error are those of the lines
before it, and the exit status is non-zero.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TextIO, TypeVar

from interlock.errors import InputError, did_you_mean
from interlock.model import FAILURE_CATEGORIES, Event
from interlock.model.limits import check_reading
from interlock.model.partitions import parse_partition
from interlock.model.specs import PipelineSpec
from interlock.simulation.desired import check_declared_partition
from interlock.simulation.engine import Simulation
from interlock.simulation.graph import GraphSimulation

__all__ = [
    "EARLIEST",
    "FAILURE_CATEGORIES",
    "LATEST",
    "MAX_LINE_CHARS",
    "MAX_LINE_DEPTH",
    "check_line",
    "check_reading_line",
    "event_json",
    "iter_timeline",
    "parse_time",
    "parse_timeline",
    "read_lines",
    "replay",
    "run_timeline",
]

_JOB_STATES = ("succeeded", "failed", "running")


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""Times outside [EARLIEST, LATEST) are refused: Python's datetimes end at years 1 and 9999,
and a replay computes windows, deadlines, cron fires and "one day after the last line" from
each ``at``, which must stay representable."""

MAX_LINE_CHARS = 4 << 20
"""Characters in one line (4 Mi): room for the store's 1 MiB of reading data, escaped. Lines
are read at most this long, so one huge line cannot exhaust memory either."""

MAX_LINE_DEPTH = 65
"""Nesting of one line: the line object, and reading data nested up to 64 levels as the
store allows. Python's ``json`` overflows its stack at about 1,000 levels."""

_FIELDS = {
    "key": frozenset({"at", "key", "data", "partition"}),
    "job": frozenset({"at", "job", "category", "message", "partition"}),
    "rerun": frozenset({"at", "rerun", "reason"}),
}
_EVERY_LINE = frozenset({"pipeline"})
"""Fields any line may carry besides its kind's own (named apart in the unknown-field error)."""
_KIND_NAMES = {"key": "a reading", "job": "a job line", "rerun": "a rerun line"}
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
"""A JSON string (skipped whole: brackets inside it do not nest) or a bracket."""
"""Refuses NaN and Infinity in reading data, as the store does before storing; built once."""


def _shown(value: object, limit: int = 60) -> str:
    """``repr`` of a user's value for an error message: one line, and not a megabyte long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


# Reading lines ----------------------------------------------------------------------------


def read_lines(handle: TextIO) -> Iterator[str]:
    """The lines of ``handle``, one at a time, none read longer than :data:`MAX_LINE_CHARS`.

    An overlong line is yielded cut short (so :func:`iter_timeline` can name it) and ends the
    reading. Open the file with ``errors="surrogateescape"``: a byte that is not UTF-8 then
    reaches :func:`iter_timeline` on its own line instead of failing a whole read buffer.
    """
    while True:
        line = handle.readline(MAX_LINE_CHARS + 2)
        if not line:
            return
        yield line
        if len(line) > MAX_LINE_CHARS and len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
            return


def _line_text(line: str, where: str) -> str:
    """The line without surrounding blanks, once it is short, valid UTF-8 text."""
    if len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
        raise InputError(f"longer than {MAX_LINE_CHARS:,} characters", field=where)
    if not line.isascii():
        try:
            line.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(line[exc.start])
            what = (
                f"byte 0x{code - 0xDC00:02x}"
                if 0xDC80 <= code <= 0xDCFF
                else f"a lone surrogate U+{code:04X}"
            )
            raise InputError(
                f"not UTF-8 text: {what} at character {exc.start + 1}", field=where
            ) from exc
    return line.strip()


def _parse_object(text: str, where: str) -> dict[str, Any]:
    """One line's JSON object; too deep a line is refused before ``json`` recurses into it."""
    if text.count("[") + text.count("{") > MAX_LINE_DEPTH:  # cheap bound on the nesting
        _check_depth(text, where)
    try:
        item = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", field=where) from exc
    except (ValueError, RecursionError) as exc:  # a 5,000-digit integer; the depth is checked
        raise InputError(f"not JSON Interlock can read: {exc}", field=where) from exc
    if not isinstance(item, dict):
        raise InputError("each line must be a JSON object", field=where)
    return item


def _check_depth(text: str, where: str) -> None:
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_LINE_DEPTH:
                raise InputError(
                    f"nested deeper than {MAX_LINE_DEPTH} levels (reading data may nest "
                    f"{MAX_LINE_DEPTH - 1})",
                    field=where,
                )
        elif bracket in ("]", "}"):
            depth -= 1


def iter_timeline(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Check lines lazily: ``(line number, checked line)`` in order, one line held at a time.

    :raises InputError: at the first bad line, naming its number and field.
    """
    previous: datetime | None = None
    for number, line in enumerate(lines, start=1):
        where = f"line {number}"
        text = _line_text(line, where)
        if not text or text.startswith("#"):
            continue
        item = _parse_object(text, where)
        previous = check_line(item, where, previous)
        yield number, item


def parse_timeline(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Parse and check every line; errors name the line number and field."""
    return [item for _, item in iter_timeline(lines)]


# Checking one line ------------------------------------------------------------------------


def parse_time(value: object, field: str) -> datetime:
    """An ``at`` (or ``--until``): ISO 8601 with a zone, within [EARLIEST, LATEST)."""
    if not isinstance(value, str):
        raise InputError("needs an ISO 8601 time string", field=field)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{_shown(value)} is not an ISO 8601 time", field=field) from exc
    if moment.utcoffset() is None:
        raise InputError(f"{_shown(value)} has no time zone (add Z or an offset)", field=field)
    if not EARLIEST <= moment < LATEST:
        raise InputError(
            f"{_shown(value)} is outside the simulated years {EARLIEST.year} to {LATEST.year - 1}",
            field=field,
        )
    return moment


def check_line(item: dict[str, Any], where: str, previous: datetime | None = None) -> datetime:
    """Check one parsed line in place and return its time.

    On return ``item["at"]`` is a datetime, partitions are canonical and ``null`` optional
    fields are gone, so the replay reads the line with plain defaults.

    :raises InputError: naming ``where`` and the field, e.g. ``line 7.category``.
    """
    at = parse_time(item.get("at"), f"{where}.at")
    if previous is not None and at < previous:
        raise InputError("lines must be in time order", field=f"{where}.at")
    item["at"] = at
    kind = next((k for k in _FIELDS if k in item), None)
    if kind is None:
        raise InputError(
            "a line needs 'key' (a reading), 'job' (an outcome) or 'rerun'", field=where
        )
    unknown = sorted(set(item) - _FIELDS[kind] - _EVERY_LINE)
    if unknown:
        allowed = ", ".join(sorted(_FIELDS[kind]))
        raise InputError(
            f"unknown field {_shown(unknown[0])} ({_KIND_NAMES[kind]} has {allowed}); "
            "any line may also name its 'pipeline'",
            field=where,
        )
    for name in [n for n, v in item.items() if v is None and n not in ("at", kind)]:
        del item[name]  # an optional field given as null is absent
    {"key": check_reading_line, "job": _check_job, "rerun": _check_rerun}[kind](item, where)
    _check_string(item, "pipeline", where, empty=False)
    return at


def check_reading_line(item: dict[str, Any], where: str) -> None:
    """The store's checks of one reading, applied to a timeline line (``partition`` made canonical).

    :func:`interlock.model.limits.check_reading` is the very check the store applies before it
    stores a reading, so ``simulate`` refuses exactly what the store refuses. The key is kept
    as written (the simulation resolves its ``#date`` suffix itself).
    """
    key, data = item.get("key"), item.get("data")
    if not isinstance(key, str) or not isinstance(data, dict):
        raise InputError("a reading needs a string 'key' and an object 'data'", field=where)
    checked = check_reading(key, item.get("partition"), data, where=where)
    if checked.partition is None:
        item.pop("partition", None)
    else:
        item["partition"] = checked.partition


def _canonical_partition(
    item: dict[str, Any], name: str, where: str, *, required: bool = False
) -> None:
    value = item.get(name)
    if value is None and not required:
        return
    if not isinstance(value, str):
        raise InputError("a partition must be a string such as 2026-11-22", field=f"{where}.{name}")
    try:
        item[name] = str(parse_partition(value))
    except InputError as exc:
        raise InputError(str(exc).removeprefix("partition: "), field=f"{where}.{name}") from exc


def _check_job(item: dict[str, Any], where: str) -> None:
    if item["job"] not in _JOB_STATES:
        raise InputError(f"'job' must be one of {', '.join(_JOB_STATES)}", field=f"{where}.job")
    category = item.get("category")
    if category is not None and category not in FAILURE_CATEGORIES:
        raise InputError(
            f"{_shown(category)} is not a failure category (use one of "
            f"{', '.join(FAILURE_CATEGORIES)})",
            field=f"{where}.category",
        )
    _check_string(item, "message", where, empty=True)
    _canonical_partition(item, "partition", where)


def _check_rerun(item: dict[str, Any], where: str) -> None:
    _canonical_partition(item, "rerun", where, required=True)
    _check_string(item, "reason", where, empty=False)


def _check_string(item: Mapping[str, Any], name: str, where: str, *, empty: bool) -> None:
    value = item.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {type(value).__name__}", field=f"{where}.{name}")
    if not value and not empty:
        raise InputError("must not be empty", field=f"{where}.{name}")


# Replaying --------------------------------------------------------------------------------


@contextmanager
def _replaying(where: str, time_field: str) -> Iterator[None]:
    """Name the line (or ``--until``) whose replay failed, as a last resort.

    :func:`parse_time` keeps every ``at`` far from the edges of Python's datetimes, but a
    config's windows and durations are added to it and may still pass year 9999; and an
    :class:`InputError` from deep in a decision would otherwise not say which line caused it.
    """
    try:
        yield
    except OverflowError as exc:
        raise InputError(
            f"the replay ran past the dates Python can represent ({exc}); keep times and "
            f"the pipeline's durations within the years {EARLIEST.year} to {LATEST.year - 1}",
            field=time_field,
        ) from exc
    except InputError as exc:
        if exc.field.startswith(where):
            raise  # already names the line and its field
        raise InputError(str(exc), field=where) from exc


def run_timeline(
    spec: PipelineSpec | Sequence[PipelineSpec],
    lines: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    on_event: Callable[[Event], None],
    until: datetime | None = None,
) -> None:
    """Replay checked ``(number, line)`` pairs as they come, handing each event to ``on_event``.

    ``spec`` is one pipeline, or several simulated together (their ``dependsOn`` included).
    Nothing is retained but the simulation's runs and latest readings, so memory does not
    grow with the number of lines or events.
    """
    specs = [spec] if isinstance(spec, PipelineSpec) else list(spec)
    if len(specs) > 1:
        _run(
            lambda at: GraphSimulation(specs, start=at, on_event=on_event, record=False),
            _feed_graph,
            specs,
            lines,
            until=until,
        )
    else:
        _run(
            lambda at: Simulation(specs[0], start=at, on_event=on_event, record=False),
            _feed,
            specs,
            lines,
            until=until,
        )


class _Clocked(Protocol):
    def advance_to(self, until: datetime) -> None: ...


_S = TypeVar("_S", bound=_Clocked)


def _run(
    start: Callable[[datetime], _S],
    feed: Callable[[_S, Mapping[str, Any]], None],
    specs: Sequence[PipelineSpec],
    lines: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    until: datetime | None,
) -> None:
    """Feed each line to the simulation ``start`` makes at the first line's time, then run on.

    Without ``until`` the clock stops one day after the last line.
    """
    sim: _S | None = None
    last: tuple[int, datetime] | None = None
    for number, item in lines:
        with _replaying(f"line {number}", f"line {number}.at"):
            _check_target(item, specs, f"line {number}")
            item = check_declared_partition(item, specs, f"line {number}")  # noqa: PLW2901
            if sim is None:
                sim = start(item["at"])
            feed(sim, item)
        last = (number, item["at"])
    if sim is None or last is None:
        return
    where = "--until" if until is not None else f"line {last[0]}"
    with _replaying(where, "--until" if until is not None else f"{where}.at"):
        sim.advance_to(until or last[1] + timedelta(days=1))


def _check_target(item: Mapping[str, Any], specs: Sequence[PipelineSpec], where: str) -> None:
    """A line's ``pipeline`` names a loaded pipeline; a job or rerun line needs one of several."""
    target = item.get("pipeline")
    if target is None:
        if len(specs) > 1 and "key" not in item:
            raise InputError(
                f"name the pipeline: {len(specs)} are simulated "
                f"({', '.join(sorted(s.id for s in specs))})",
                field=f"{where}.pipeline",
            )
        return
    known = [s.id for s in specs]
    if target not in known:
        raise InputError(
            f"no pipeline {_shown(target)} is simulated{did_you_mean(target, known)}",
            field=f"{where}.pipeline",
        )


def _feed_graph(graph: GraphSimulation, item: Mapping[str, Any]) -> None:
    at, target = item["at"], item.get("pipeline")
    if "key" in item:
        graph.put_reading(
            item["key"], item["data"], at=at, partition=item.get("partition"), pipeline=target
        )
    elif "job" in item:
        graph.job_outcome(
            item["job"],
            at=at,
            pipeline=target,
            category=item.get("category"),
            message=item.get("message", ""),
            partition=item.get("partition"),
        )
    else:
        graph.rerun(item["rerun"], at=at, pipeline=target, reason=item.get("reason", "manual"))


def _feed(sim: Simulation, item: Mapping[str, Any]) -> None:
    at = item["at"]
    if "key" in item:
        sim.put_reading(item["key"], item["data"], at=at, partition=item.get("partition"))
    elif "job" in item:
        sim.job_outcome(
            item["job"],
            at=at,
            category=item.get("category"),
            message=item.get("message", ""),
            partition=item.get("partition"),
        )
    else:
        sim.rerun(item["rerun"], at=at, reason=item.get("reason", "manual"))


def replay(
    spec: PipelineSpec | Sequence[PipelineSpec],
    items: Iterable[Mapping[str, Any]],
    *,
    until: datetime | None = None,
) -> list[Event]:
    """Run checked lines (from :func:`parse_timeline`) and return every event."""
    events: list[Event] = []
    run_timeline(spec, enumerate(items, start=1), on_event=events.append, until=until)
    return events


def event_json(event: Event) -> dict[str, Any]:
    """One output line: the :class:`interlock.schemas.EventOut` form of the event.

    Imported on the first event, not with this module: the CLI imports replay for every
    ``simulate``, and pydantic would slow the start of the text output for nothing.
    """
    from interlock.schemas import EventOut, dump  # noqa: PLC0415 - see the docstring

    line: dict[str, Any] = dump(EventOut.of(event))
    return line
