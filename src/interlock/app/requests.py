"""Requests to the controller: ``rerun``, ``cancel`` and ``job report``, checked and answered.

Each request is first checked by the same pure verdict the controller applies
(:mod:`interlock.decide.verdicts`), so a request that cannot take effect is refused before
anything is recorded; an accepted one is recorded as a signal on its run, and
:meth:`SignalRequests.await_outcome` reads back what the controller made of it.
:class:`SignalRequests` is a part of :class:`~interlock.app.Interlock`, kept apart so the
facade stays readable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Literal, Protocol

from interlock.abc import Store
from interlock.controller.clock import Clock
from interlock.decide.verdicts import (
    RERUN_EVENTS,
    Request,
    SignalOutcome,
    SignalReceipt,
    cancel_outcome,
    cancel_verdict,
    report_outcome,
    report_verdict,
    rerun_outcome,
    rerun_verdict,
)
from interlock.errors import InputError, RequestRefusedError
from interlock.model import CancelRequested, JobReported, RerunRequested, Run, Signal
from interlock.model.limits import check_message, check_partition, check_reason, check_text
from interlock.model.specs import PipelineSpec

__all__ = ["SignalRequests"]

_CLOCK_SKEW = timedelta(minutes=1)
"""How far a controller's clock may lag the requester's when their answer is looked up."""


class _Installation(Protocol):
    """What the requests need of the facade they are part of."""

    store: Store
    clock: Clock

    def spec(self, pipeline_id: str) -> PipelineSpec: ...

    def outcome(self, receipt: SignalReceipt) -> SignalOutcome | None: ...

    def _parse_run_id(self, run_id: str) -> tuple[str, str, int | None]: ...


class SignalRequests:
    """``report_job``, ``rerun``, ``cancel`` and reading back their outcome."""

    def report_job(
        self: _Installation,
        run_id: str,
        status: Literal["succeeded", "failed", "running"],
        *,
        message: str = "",
        category: str | None = None,
    ) -> SignalReceipt:
        """An external job reports its outcome; ``run_id`` is ``pipeline/partition[/attempt]``.

        :raises InputError: for a malformed run id or an unknown pipeline.
        :raises RequestRefusedError: when the report cannot change the run (no launched
            attempt, an attempt that does not exist or already ended); nothing is recorded.
        """
        pipeline_id, partition, given = self._parse_run_id(run_id)
        message = check_message(message, field="message")
        run = self.store.get_run(pipeline_id, partition)
        why = report_verdict(run, given, status)
        if why is not None or run is None:
            raise RequestRefusedError(
                f"job report for {pipeline_id}/{partition} refused: {why}",
                request="report",
                pipeline_id=pipeline_id,
                partition=partition,
                attempt=given,
            )
        attempt = run.attempt if given is None else given
        now = self.clock.now()
        signal = JobReported(
            attempt=attempt, status=status, at=now, message=message, category=category
        )
        return _record(self.store, "report", pipeline_id, partition, signal, attempt)

    def _parse_run_id(self: _Installation, run_id: str) -> tuple[str, str, int | None]:
        parts = check_text(run_id, field="run_id", what="run id", limit=None).split("/")
        if len(parts) not in (2, 3):
            raise InputError(f"{run_id!r} is not PIPELINE/PARTITION[/ATTEMPT]", field="run_id")
        pipeline_id, partition = parts[0], check_partition(parts[1], field="run_id")
        self.spec(pipeline_id)
        if len(parts) == 2:
            return pipeline_id, partition, None
        if not parts[2].isdigit():
            raise InputError(f"attempt {parts[2]!r} is not a number", field="run_id")
        return pipeline_id, partition, int(parts[2])

    def rerun(
        self: _Installation,
        pipeline_id: str,
        partition: str,
        *,
        reason: str = "manual",
        force: bool = False,
    ) -> SignalReceipt:
        """Ask for the partition to run again (budgets and the freshness breaker apply).

        The request is checked first by the verdict the controller applies
        (:func:`interlock.decide.verdicts.rerun_verdict`). ``force`` (an operator's) skips
        the freshness breaker and the future, unproducible-partition and calendar checks,
        never the rerun budget; the rerun is then recorded as forced.

        :raises InputError: for an unknown pipeline, a malformed partition or reason.
        :raises RequestRefusedError: when the controller would reject it; nothing recorded.
        """
        spec = self.spec(pipeline_id)
        part = check_partition(partition)
        reason = check_reason(reason)
        now = self.clock.now()
        run = self.store.get_run(pipeline_id, part) or Run(
            pipeline_id=pipeline_id, partition=part, created_at=now
        )
        view = self.store.load_readings(spec, part).view(part)
        verdict = rerun_verdict(spec, run, view, now, reason=reason, force=force)
        if verdict.rejection is not None:
            hint = " (a forced rerun, --force, overrides this)" if verdict.forceable else ""
            raise RequestRefusedError(
                f"rerun of {pipeline_id} {part} refused: {verdict.rejection}{hint}",
                request="rerun",
                pipeline_id=pipeline_id,
                partition=part,
            )
        signal = RerunRequested(reason=reason, at=now, force=force)
        return _record(self.store, "rerun", pipeline_id, part, signal, run.attempt)

    def cancel(
        self: _Installation, pipeline_id: str, partition: str, *, reason: str = ""
    ) -> SignalReceipt:
        """Cancel the partition's run (a running job is left alone; no new launch happens).

        :raises InputError: for an unknown pipeline, a malformed partition or reason.
        :raises RequestRefusedError: when it has no run or the run is already final.
        """
        self.spec(pipeline_id)
        part = check_partition(partition)
        reason = check_message(reason, field="reason")
        run = self.store.get_run(pipeline_id, part)
        why = cancel_verdict(run)
        if why is not None or run is None:
            raise RequestRefusedError(
                f"cannot cancel {pipeline_id} {part}: {why}",
                request="cancel",
                pipeline_id=pipeline_id,
                partition=part,
            )
        now = self.clock.now()
        signal = CancelRequested(at=now, reason=reason)
        return _record(self.store, "cancel", pipeline_id, part, signal, run.attempt)

    def await_outcome(
        self: _Installation,
        receipt: SignalReceipt,
        *,
        timeout: float = 5.0,
        poll: float = 0.2,
        sleep: Callable[[float], None] | None = None,
    ) -> SignalOutcome:
        """Wait up to ``timeout`` seconds for a controller to act on a recorded request.

        Polls :meth:`outcome` every ``poll`` seconds (``sleep`` is injectable: a test steps
        its controller there). When no controller took the request in time the outcome is
        ``queued``: it stays recorded and the next controller acts on it.
        """
        deadline = time.monotonic() + timeout
        while True:
            outcome = self.outcome(receipt)
            if outcome is not None:
                return outcome
            if time.monotonic() >= deadline:
                return receipt.outcome(
                    "queued",
                    "recorded; no controller has acted on it yet (is `interlock serve` running?)",
                )
            (sleep or time.sleep)(poll)

    def outcome(self: _Installation, receipt: SignalReceipt) -> SignalOutcome | None:
        """What became of a recorded request; None while no controller has consumed it.

        A signal is consumed in the transaction that commits the decision which applied
        it, so once it is no longer pending the run and its events show the answer.
        """
        signal = receipt.signal
        probe = Run(
            pipeline_id=receipt.pipeline_id, partition=receipt.partition, created_at=signal.at
        )
        if any(pending == signal for _, pending in self.store.pending_signals(probe)):
            return None
        run = self.store.get_run(receipt.pipeline_id, receipt.partition)
        if run is None:  # pragma: no cover - a signal's run is never deleted
            return None
        if isinstance(signal, RerunRequested):
            events = self.store.list_events(
                types=RERUN_EVENTS, pipeline_id=receipt.pipeline_id, since=signal.at - _CLOCK_SKEW
            )
            mine = [e for e in events if e.partition == receipt.partition]
            result = rerun_outcome(run, mine, receipt.attempt)
        elif isinstance(signal, JobReported):
            result = report_outcome(run, receipt.attempt, signal.status)
        else:
            result = cancel_outcome(run)
        return receipt.outcome(
            "accepted" if result.accepted else "refused", result.message, attempt=result.attempt
        )


def _record(  # noqa: PLR0913, PLR0917 - the receipt's fields, in its order
    store: Store,
    request: Request,
    pipeline_id: str,
    partition: str,
    signal: Signal,
    attempt: int,
) -> SignalReceipt:
    """Record an accepted request on its run; the receipt reads its outcome back later."""
    store.add_signal(pipeline_id, partition, signal, signal.at)
    return SignalReceipt(
        request=request,
        pipeline_id=pipeline_id,
        partition=partition,
        signal=signal,
        attempt=attempt,
    )
