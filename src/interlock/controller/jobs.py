"""The controller's side of job backends: launch, recover after a crash, poll.

Everything that touches a backend goes through :class:`JobRunner`, which turns backend
answers and errors into signals for ``decide()``:

=====================================  ==========================================
backend answer                          signal
=====================================  ==========================================
``launch`` returned a handle            ``LaunchRecorded``
``launch`` raised JobRefusedError       ``LaunchFailed`` (AUTH: never retried)
``launch`` raised JobPermanentError     ``LaunchFailed`` (PERMANENT)
``launch`` raised JobTemporaryError     ``LaunchFailed`` (TRANSIENT)
``launch`` raised JobOutcomeUnknown     ``LaunchUnknown`` → INFRA_FAILURE, no relaunch
``find`` found the attempt              ``LaunchRecorded`` (the crash came after launch)
``find`` says never launched            launch again with the same attempt id
``find`` raised JobTemporaryError       asked again later (the run stays LAUNCHING)
``find`` cannot tell                    ``LaunchUnknown`` → INFRA_FAILURE, no relaunch
``status``                              ``JobReported``
``status`` raised JobRefusedError       ``JobReported(running, unavailable, refused)``
``status`` raised JobTemporaryError     ``JobReported(running, unavailable)``; next poll
=====================================  ==========================================

This is also the redaction boundary. :meth:`JobRunner.request` expands the config and keeps
the environment values it used as ``JobRequest.secrets``; every handle, message and output
tail a backend returns, and every error text, is passed through ``request.redact`` before it
becomes a signal, an attempt row, an event or a log line. Backends still get the real values.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from interlock.abc import AttemptOutcome, AttemptRecord, ControllerStore, LaunchAnswer
from interlock.controller.clock import Clock
from interlock.decide.job_status import AUTH
from interlock.errors import (
    JobError,
    JobOutcomeUnknownError,
    JobPermanentError,
    JobRefusedError,
    JobTemporaryError,
)
from interlock.jobs import JobBackend, JobHandle, JobLogs, JobRequest
from interlock.jobs.base import ExitWatcher
from interlock.jobs.templates import expand_with_secrets, redact, template_variables
from interlock.model import (
    JobReported,
    LaunchFailed,
    LaunchJob,
    LaunchRecorded,
    LaunchUnknown,
    Run,
    Signal,
)
from interlock.model.specs import PipelineSpec

__all__ = ["JobRunner"]

log = logging.getLogger("interlock.jobs")


class JobRunner:
    """Owns the job backends of one controller, one instance per ``job.type``."""

    def __init__(self, store: ControllerStore, factory: Callable[[str], JobBackend]) -> None:
        self.store = store
        self._factory = factory
        self._backends: dict[str, JobBackend] = {}
        self._watches: list[Callable[[], None]] = []

    def backend(self, job_type: str) -> JobBackend:
        """The backend for ``job_type``, created on first use."""
        if job_type not in self._backends:
            self._backends[job_type] = self._factory(job_type)
        return self._backends[job_type]

    def close(self) -> None:
        """Stop watching for exits, then close every backend."""
        for stop in self._watches:
            stop()
        self._watches.clear()
        for backend in self._backends.values():
            backend.close()

    def watch_exits(self, job_types: Iterable[str], on_exit: Callable[[str], None]) -> None:
        """Ask each backend of ``job_types`` that can (:class:`ExitWatcher`) to report exits.

        Backends are built now, not at their first launch, so a restarted controller hears
        the jobs its predecessor started. One that cannot be built is left to its polls.
        """
        for job_type in sorted(set(job_types)):
            try:
                backend = self.backend(job_type)
            except JobError as exc:
                log.warning("job.type %s: exits are noticed by polls only: %s", job_type, exc)
                continue
            if isinstance(backend, ExitWatcher):
                stop = backend.watch_exits(on_exit)
                if stop is not None:
                    self._watches.append(stop)

    def request(self, spec: PipelineSpec, run: Run, attempt: int, attempt_id: str) -> JobRequest:
        """Expand the job config templates for one attempt (the backend reshapes it first)."""
        job = spec.job
        if job is None:  # pragma: no cover - decide never launches a pipeline without a job
            raise JobPermanentError(f"pipeline {spec.id!r} has no job")
        variables = template_variables(spec.id, run.partition, attempt, attempt_id)
        config = self.backend(job.type).prepare(job.config)
        expansion = expand_with_secrets(config, variables, os.environ)
        return JobRequest(
            pipeline_id=spec.id,
            partition=run.partition,
            attempt=attempt,
            attempt_id=attempt_id,
            config=expansion.config,
            secrets=expansion.secrets,
        )

    def launch(self, spec: PipelineSpec, run: Run, launch: LaunchJob, clock: Clock) -> None:
        """Call the backend for a decided launch and record the outcome as a signal."""
        answer = self.call(spec, run, launch, clock)
        self.store.finish_launches([answer], now=clock.now())

    def call(self, spec: PipelineSpec, run: Run, launch: LaunchJob, clock: Clock) -> LaunchAnswer:
        """Call the backend for a decided launch; the answer is for the caller to record."""
        stored: Mapping[str, Any] | None = None
        secrets: frozenset[str] = frozenset()
        signal: Signal
        try:
            request = self.request(spec, run, launch.attempt, launch.attempt_id)
            secrets = request.secrets
            handle = self.backend(spec.job.type if spec.job else "").launch(request)
            stored = _handle_json(handle, secrets)
            signal = LaunchRecorded(attempt=launch.attempt, at=clock.now(), handle=stored)
        except JobOutcomeUnknownError as exc:  # it may have started: raised, never resent
            message = redact(str(exc), secrets)
            log.warning("launch of %s has an unknown outcome: %s", launch.attempt_id, message)
            signal = LaunchUnknown(attempt=launch.attempt, at=clock.now(), message=message)
        except JobError as exc:
            message = redact(str(exc), secrets)
            log.warning("launch of %s failed: %s", launch.attempt_id, message)
            signal = LaunchFailed(
                attempt=launch.attempt, at=clock.now(), message=message, category=_category(exc)
            )
        return LaunchAnswer(run, signal, stored, getattr(signal, "message", None))

    def logs(self, spec: PipelineSpec, run: Run, record: AttemptRecord) -> JobLogs | None:
        """An attempt's whole output from its backend, masked as everything else here.

        None when the backend keeps no logs. The secrets masked are those of the job config
        as stored now, expanded in this process's environment, as :meth:`poll` does.

        :raises JobPermanentError: the config no longer expands here (an unset variable: its
            value could not be masked) or the backend has no files for the attempt.
        """
        try:
            request = self.request(spec, run, record.attempt, record.attempt_id)
        except JobError as exc:  # never show what could not be masked
            msg = f"cannot mask the job's secrets, so its logs are not shown: {exc}"
            raise JobPermanentError(msg) from exc
        data = record.handle.get("data", {}) if record.handle else {}
        handle = JobHandle(backend=record.backend, attempt_id=record.attempt_id, data=data)
        found = self.backend(record.backend).logs(handle)
        if found is None:
            return None
        return JobLogs(
            stdout=request.redact(found.stdout),
            stderr=request.redact(found.stderr),
            where=request.redact(found.where),
        )

    def recover(self, spec: PipelineSpec, run: Run, now: datetime) -> Signal | None:
        """A run found in LAUNCHING without an answer: ask the backend what happened.

        Returns None when the backend is sure the attempt never started (safe to launch it
        with the same attempt id), else the signal to decide on.
        """
        job_type = spec.job.type if spec.job else ""
        try:
            request = self.request(spec, run, run.attempt, run.attempt_id)
        except JobError as exc:  # the config no longer expands: nothing secret was filled in
            return LaunchUnknown(attempt=run.attempt, at=now, message=str(exc))
        try:
            handle = self.backend(job_type).find(request)
        except NotImplementedError as exc:
            why = str(exc) or f"backend {job_type!r} cannot look up attempts"
            return LaunchUnknown(attempt=run.attempt, at=now, message=request.redact(why))
        except JobTemporaryError as exc:  # cannot ask now: the caller asks again later
            raise JobTemporaryError(request.redact(str(exc)), delay=exc.delay) from exc
        except JobError as exc:
            return LaunchUnknown(attempt=run.attempt, at=now, message=request.redact(str(exc)))
        if handle is None:
            return None
        return LaunchRecorded(
            attempt=run.attempt, at=now, handle=_handle_json(handle, request.secrets)
        )

    def poll(
        self, spec: PipelineSpec, run: Run, now: datetime
    ) -> tuple[JobReported, AttemptOutcome | None]:
        """Ask the backend how the current attempt is doing; also the job-log update."""
        record = self.store.get_attempt(run.attempt_id)
        if record is None or record.handle is None:
            return JobReported(attempt=run.attempt, status="running", at=now), None
        handle = JobHandle(
            backend=str(record.handle.get("backend", record.backend)),
            attempt_id=run.attempt_id,
            data=record.handle.get("data", {}),
        )
        secrets: frozenset[str] = frozenset()
        try:
            request = self.request(spec, run, run.attempt, run.attempt_id)
            secrets = request.secrets
            status = self.backend(record.backend).status(handle, request)
        except JobError as exc:
            message = redact(str(exc), secrets)
            log.warning("status of %s unavailable: %s", run.attempt_id, message)
            unavailable = JobReported(
                attempt=run.attempt,
                status="running",
                at=now,
                message=message,
                unavailable=True,
                refused=isinstance(exc, JobRefusedError),
            )
            return unavailable, None
        message = redact(status.message, secrets)
        reported = JobReported(
            attempt=run.attempt,
            status=status.state,
            at=now,
            category=status.category,
            message=message,
            phase=status.phase,
            state_value=redact(status.value, secrets),
            unrecognised=status.unrecognised,
        )
        if status.state == "running":
            return reported, None
        output = redact(status.output, secrets)
        ended = min(status.finished_at, now) if status.finished_at is not None else now
        return reported, AttemptOutcome(
            attempt_id=run.attempt_id, state=status.state, at=ended, message=message, output=output
        )


def _category(exc: JobError) -> str:
    """The failure category of a launch error: AUTH, PERMANENT or TRANSIENT."""
    if isinstance(exc, JobRefusedError):
        return AUTH
    return "PERMANENT" if isinstance(exc, JobPermanentError) else "TRANSIENT"


def _handle_json(handle: JobHandle, secrets: frozenset[str]) -> dict[str, Any]:
    """The handle as stored with the attempt and in its signal, secrets masked."""
    data = redact(dict(handle.data), secrets)
    return {"backend": handle.backend, "attemptId": handle.attempt_id, "data": data}
