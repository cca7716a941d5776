"""The log of ``interlock serve``: entries from the controller rendered as text or JSON lines.

The controller reports what happened as :class:`~interlock.controller.observe.LogEntry`
values; this module only renders them, one line per entry on stderr:

- ``text`` (the default; ``--log-format auto`` picks it)::

    2026-12-01T08:00:03Z launch    orders-daily 2026-12-01 attempt 1 (command) pid=4242
    2026-12-01T08:00:04Z succeeded orders-daily 2026-12-01 attempt 1 after 1.2s: job succeeded

- ``json``: one :class:`interlock.schemas.ServeLogOut` object per line (``at``, ``level``,
  ``event``, ``pipeline``, ``partition``, ``attempt``, ``message``, ``detail``), for log
  collectors. The keys are a public contract, like every ``--json`` output.

The controller's own stdlib log records (``interlock.*`` loggers: a run that could not be
decided, a lease taken over) go through the same renderer (:class:`LoggingBridge`), so a
JSON log stays all JSON. Entries carry what the store keeps (masked at the job-runner
boundary), never a job request, so secrets do not reach the log.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from interlock.controller.observe import LEVELS, Level, LogEntry, Sink

__all__ = [
    "FORMATS",
    "LogFormat",
    "LoggingBridge",
    "Renderer",
    "bridge_logging",
    "format_json",
    "format_text",
    "renderer",
]

LogFormat = Literal["auto", "text", "json"]
FORMATS: tuple[LogFormat, ...] = ("auto", "text", "json")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HANDLE_TEXT_LIMIT = 160


def format_text(entry: LogEntry) -> str:
    """``<at> <event> <pipeline> <partition> attempt N <message>``: one line for a person."""
    parts = [_zulu(entry.at), f"{entry.event:<9}"]
    parts += [p for p in (entry.pipeline, entry.partition) if p]
    if entry.attempt is not None:
        parts.append(f"attempt {entry.attempt}")
    parts.append(_text_message(entry))
    return _one_line(" ".join(p for p in parts if p))


def format_json(entry: LogEntry) -> str:
    """One :class:`~interlock.schemas.ServeLogOut` object, compact, on one line."""
    from interlock.schemas import ServeLogOut, dumps  # noqa: PLC0415 - pydantic: slow start

    out = ServeLogOut(
        at=entry.at.astimezone(UTC),
        level=entry.level,
        event=entry.event,
        pipeline=entry.pipeline,
        partition=entry.partition,
        attempt=entry.attempt,
        message=entry.message,
        detail=dict(entry.detail),
    )
    return dumps(out)


class Renderer:
    """A :class:`~interlock.controller.observe.Sink` printing entries at or above a level.

    Thread-safe (launches report from worker threads); a closed or broken stream loses
    the log line, never stops the controller.
    """

    def __init__(self, stream: TextIO, *, json_lines: bool, level: Level = "info") -> None:
        self.stream = stream
        self.json_lines = json_lines
        self.level = level
        self._lock = threading.Lock()

    def emit(self, entry: LogEntry) -> None:
        """Print ``entry`` unless it is below the level."""
        if LEVELS.index(entry.level) < LEVELS.index(self.level):
            return
        line = format_json(entry) if self.json_lines else format_text(entry)
        with self._lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed or a broken pipe: drop the line
                pass


def renderer(stream: TextIO, log_format: LogFormat = "auto", level: Level = "info") -> Renderer:
    """The renderer for ``--log-format`` (``auto`` is text, for a person at a terminal)."""
    return Renderer(stream, json_lines=log_format == "json", level=level)


class LoggingBridge(logging.Handler):
    """Stdlib log records of ``interlock.*`` as ``log`` entries through the same sink."""

    def __init__(self, sink: Sink) -> None:
        super().__init__()
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        """Turn ``record`` into an entry; its traceback, if any, goes into the detail."""
        detail: dict[str, Any] = {"logger": record.name}
        if record.exc_info:
            detail["exception"] = logging.Formatter().formatException(record.exc_info)
        entry = LogEntry(
            at=datetime.fromtimestamp(record.created, UTC),
            level=_level_of(record.levelno),
            event="log",
            message=record.getMessage(),
            detail=detail,
        )
        self.sink.emit(entry)


@contextmanager
def bridge_logging(sink: Sink, level: Level = "info") -> Iterator[None]:
    """Route the ``interlock`` loggers to ``sink`` while the block runs."""
    logger = logging.getLogger("interlock")
    handler = LoggingBridge(sink)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _level_of(levelno: int) -> Level:
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    return "info" if levelno >= logging.INFO else "debug"


def _text_message(entry: LogEntry) -> str:
    detail = entry.detail
    if entry.event == "launch":
        text = f"({detail.get('jobType') or 'job'})"
        reason = detail.get("reason")
        if reason and reason != "initial":
            text += f" for {reason}"
        handle = _handle_text(detail.get("handle"))
        return f"{text} {handle}" if handle else text
    if entry.event in ("succeeded", "failed") and "durationSeconds" in detail:
        return f"after {_seconds(detail['durationSeconds'])}: {entry.message}"
    if entry.event == "log" and "exception" in detail:
        last = str(detail["exception"]).strip().splitlines()[-1:]
        return f"{entry.message}: {last[0]}" if last else entry.message
    return entry.message


def _handle_text(handle: object) -> str:
    """``pid=4242 dir=...``: the scalar values of a job handle's data, shortened."""
    if not isinstance(handle, Mapping):
        return ""
    data = handle.get("data")
    if not isinstance(data, Mapping):
        return ""
    pairs = [
        f"{key}={value}"
        for key, value in data.items()
        if isinstance(value, str | int | float | bool)
    ]
    text = " ".join(pairs)
    if len(text) > _HANDLE_TEXT_LIMIT:
        return text[: _HANDLE_TEXT_LIMIT - 1] + "…"
    return text


def _seconds(value: object) -> str:
    seconds = float(value) if isinstance(value, int | float) else 0.0
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{rest:02d}s" if hours else f"{minutes}m{rest:02d}s"


def _zulu(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _one_line(text: str) -> str:
    """Control characters (a newline in a job's message) escaped: one entry, one line."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
