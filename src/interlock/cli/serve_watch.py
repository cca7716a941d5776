"""``serve --watch`` and SIGHUP: re-apply the pipelines folder while the controller runs.

A running controller re-reads specs from the store when their config token changes, so a
reload is just :meth:`Interlock.apply` (all or nothing): an invalid folder stores nothing,
every problem is logged (``file:line: field: message``) and the previous config stays in
force. With ``--watch`` the folder is polled every :data:`POLL_SECONDS` (file sizes and
modification times first, then a content hash, so a ``touch`` alone changes nothing);
SIGHUP re-applies at once, with or without ``--watch``. No file-notification dependency:
polling a handful of small files is cheap, and works on every filesystem.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from interlock.abc import SyncReport
from interlock.app import Interlock
from interlock.config.loader import config_files
from interlock.controller.observe import Level, LogEntry, Sink
from interlock.errors import ConfigError, InterlockError

__all__ = ["POLL_SECONDS", "PipelineReloader", "applied_summary"]

POLL_SECONDS = 2.0
"""How often ``--watch`` looks at the folder: a saved edit is live within about this."""


def applied_summary(report: SyncReport) -> str:
    """``applied: 1 added, 2 changed`` (``applied: nothing changed`` when the same)."""
    parts = [
        f"{len(names)} {word}"
        for names, word in ((report.added, "added"), (report.changed, "changed"))
        if names
    ]
    return "applied: " + (", ".join(parts) if parts else "nothing changed")


class PipelineReloader:
    """Re-applies ``path`` on change (``watch``) or when asked (:meth:`request`, SIGHUP)."""

    def __init__(
        self,
        il: Interlock,
        path: Path | None,
        sink: Sink,
        *,
        watch: bool,
        interval: float = POLL_SECONDS,
    ) -> None:
        self.il = il
        self.path = path
        self.sink = sink
        self.watch = watch and path is not None
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._asked = threading.Event()
        self._stamp = _stamp(path)
        self._digest = _digest(path)
        self._thread = threading.Thread(target=self._run, name="interlock-reload", daemon=True)

    def start(self) -> None:
        """Start watching (and answering :meth:`request`) on a thread of its own."""
        self._thread.start()

    def stop(self) -> None:
        """Stop; waits for a reload in progress."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def request(self) -> None:
        """Re-apply soon (safe from a signal handler: it only sets events)."""
        self._asked.set()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval if self.watch else None)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.check()
            except Exception as exc:  # noqa: BLE001 - a reload must never end the controller
                self._log("error", f"reload failed: {exc}; kept the previous config")

    def check(self) -> None:
        """One look: re-apply if asked, or (watching) if the files' contents changed."""
        if self._asked.is_set():
            self._asked.clear()
            self.reload("SIGHUP")
            return
        if not self.watch:
            return
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        if _digest(self.path) != self._digest:
            self.reload("changed files")

    def reload(self, why: str) -> None:
        """Validate and apply the folder (all or nothing), logging what came of it."""
        if self.path is None:
            self._log("warning", f"{why}: no --pipelines folder to re-apply")
            return
        self._stamp, self._digest = _stamp(self.path), _digest(self.path)
        try:
            report = self.il.apply(self.path)
        except ConfigError as exc:
            for problem in exc.problems:
                self._log("error", str(problem), file=problem.file, line=problem.line)
            self._log("warning", f"{why}: {_count(exc)}; kept the previous config")
            return
        except InterlockError as exc:
            self._log("error", f"{why}: {exc}; kept the previous config")
            return
        self._log(
            "info",
            f"{why}: {applied_summary(report)}",
            added=list(report.added),
            changed=list(report.changed),
        )

    def _log(self, level: Level, message: str, **detail: object) -> None:
        self.sink.emit(
            LogEntry(
                at=self.il.clock.now(),
                level=level,
                event="config",
                message=message,
                detail={k: v for k, v in detail.items() if v is not None},
            )
        )


def _count(exc: ConfigError) -> str:
    count = len(exc.problems)
    return f"{count} problem{'s' if count != 1 else ''}"


def _files(path: Path | None) -> list[Path]:
    """What a reload reads (:func:`~interlock.config.loader.config_files`); none without a path."""
    return config_files(path) if path is not None else []


def _stamp(path: Path | None) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times: cheap, and changes with every save."""
    stamps = []
    for file in _files(path):
        try:
            stat = file.stat()
        except OSError:  # removed between listing and looking
            continue
        stamps.append((str(file), stat.st_size, stat.st_mtime_ns))
    return tuple(stamps)


def _digest(path: Path | None) -> str:
    """A hash of the names and contents, to tell whether a reload would see anything new."""
    digest = hashlib.sha256()
    for file in _files(path):
        try:
            content = file.read_bytes()
        except OSError:
            continue
        digest.update(str(file).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()
