"""The controller's side of job backends: launch, recover after a crash, poll.

Everything that touches a backend goes through :class:`JobRunner`, which turns backend
answers and errors into signals for ``decide()``:

=====================================  ==========================================
backend answer                          signal
=====================================  ==========================================
``launch`` returned a handle            ``LaunchRecorded``
``launch`` raised JobPermanentError     ``LaunchFailed`` (PERMANENT)
``launch`` raised JobTemporaryError     ``LaunchFailed`` (TRANSIENT)
``find`` found the attempt              ``LaunchRecorded`` (the crash came after launch)
``find`` says never launched            launch again with the same attempt id
``find`` cannot tell                    ``LaunchUnknown`` → INFRA_FAILURE, no relaunch
``status``                              ``JobReported``
``status`` raised JobTemporaryError     ``JobReported(running)``; retried next poll
=====================================  ==========================================
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from interlock.controller.clock import Clock
from interlock.errors import JobError, JobPermanentError
from interlock.jobs import JobBackend, JobHandle, JobRequest
from interlock.jobs.templates import expand, template_variables
from interlock.model import (
    JobReported,
    LaunchFailed,
    LaunchJob,
    LaunchRecorded,
    LaunchUnknown,
    Run,
    Signal,
)
from interlock.specs import PipelineSpec
from interlock.store.sqlalchemy import SqlStore

__all__ = ["JobRunner"]

log = logging.getLogger("interlock.jobs")


class JobRunner:
    """Owns the job backends of one controller, one instance per ``job.type``."""

    def __init__(self, store: SqlStore, factory: Callable[[str], JobBackend]) -> None:
        self.store = store
        self._factory = factory
        self._backends: dict[str, JobBackend] = {}

    def backend(self, job_type: str) -> JobBackend:
        """The backend for ``job_type``, created on first use."""
        if job_type not in self._backends:
            self._backends[job_type] = self._factory(job_type)
        return self._backends[job_type]

    def close(self) -> None:
        """Close every backend."""
        for backend in self._backends.values():
            backend.close()

    def request(self, spec: PipelineSpec, run: Run, attempt: int, attempt_id: str) -> JobRequest:
        """Expand the job config templates for one attempt."""
        job = spec.job
        if job is None:  # pragma: no cover - decide never launches a pipeline without a job
            raise JobPermanentError(f"pipeline {spec.id!r} has no job")
        variables = template_variables(spec.id, run.partition, attempt, attempt_id)
        config = expand(job.config, variables, os.environ)
        return JobRequest(
            pipeline_id=spec.id,
            partition=run.partition,
            attempt=attempt,
            attempt_id=attempt_id,
            config=config,
        )

    def launch(self, spec: PipelineSpec, run: Run, launch: LaunchJob, clock: Clock) -> None:
        """Call the backend for a decided launch and record the outcome as a signal."""
        handle: JobHandle | None = None
        signal: Signal
        try:
            request = self.request(spec, run, launch.attempt, launch.attempt_id)
            handle = self.backend(spec.job.type if spec.job else "").launch(request)
            signal = LaunchRecorded(
                attempt=launch.attempt, at=clock.now(), handle=_handle_json(handle)
            )
        except JobError as exc:
            category = "PERMANENT" if isinstance(exc, JobPermanentError) else "TRANSIENT"
            log.warning("launch of %s failed: %s", launch.attempt_id, exc)
            signal = LaunchFailed(
                attempt=launch.attempt, at=clock.now(), message=str(exc), category=category
            )
        self.store.finish_launch(
            run,
            signal,
            handle=_handle_json(handle) if handle is not None else None,
            message=getattr(signal, "message", None),
            now=clock.now(),
        )

    def recover(self, spec: PipelineSpec, run: Run, now: datetime) -> Signal | None:
        """A run found in LAUNCHING without an answer: ask the backend what happened.

        Returns None when the backend is sure the attempt never started (safe to launch it
        with the same attempt id), else the signal to decide on.
        """
        job_type = spec.job.type if spec.job else ""
        try:
            request = self.request(spec, run, run.attempt, run.attempt_id)
            handle = self.backend(job_type).find(request)
        except NotImplementedError:
            return LaunchUnknown(
                attempt=run.attempt, at=now, message=f"backend {job_type!r} cannot look up attempts"
            )
        except JobError as exc:
            return LaunchUnknown(attempt=run.attempt, at=now, message=str(exc))
        if handle is None:
            return None
        return LaunchRecorded(attempt=run.attempt, at=now, handle=_handle_json(handle))

    def poll(
        self, spec: PipelineSpec, run: Run, now: datetime
    ) -> tuple[JobReported, dict[str, Any] | None]:
        """Ask the backend how the current attempt is doing; also the job-log update."""
        record = self.store.get_attempt(run.attempt_id)
        if record is None or record.handle is None:
            return JobReported(attempt=run.attempt, status="running", at=now), None
        handle = JobHandle(
            backend=str(record.handle.get("backend", record.backend)),
            attempt_id=run.attempt_id,
            data=record.handle.get("data", {}),
        )
        try:
            request = self.request(spec, run, run.attempt, run.attempt_id)
            status = self.backend(record.backend).status(handle, request)
        except JobError as exc:
            log.warning("status of %s unavailable: %s", run.attempt_id, exc)
            return JobReported(
                attempt=run.attempt, status="running", at=now, message=str(exc)
            ), None
        update: dict[str, Any] | None = None
        if status.state != "running":
            update = {
                "state": status.state,
                "finished_at": now,
                "message": status.message,
                "output": dict(status.output),
            }
        reported = JobReported(
            attempt=run.attempt,
            status=status.state,
            at=now,
            category=status.category,
            message=status.message,
        )
        return reported, update


def _handle_json(handle: JobHandle) -> Mapping[str, Any]:
    return {"backend": handle.backend, "attemptId": handle.attempt_id, "data": dict(handle.data)}
