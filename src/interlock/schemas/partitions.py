"""``partitions --json`` and ``backfill --json``: desired partitions and the work on them."""

from __future__ import annotations

from typing import Self

from pydantic import Field

from interlock.model import Run
from interlock.schemas._base import Out as _Out

__all__ = [
    "BackfillDownstreamOut",
    "BackfillPartitionOut",
    "BackfillPlanOut",
    "BackfillSkippedOut",
    "PartitionOut",
    "PartitionRunOut",
    "PartitionsOut",
]


class PartitionRunOut(_Out):
    """The run working on (or last working on) a partition."""

    state: str = Field(description="The run's state (PENDING, WAITING, RUNNING, ...).")
    attempt: int = Field(description="Its current or last attempt, 0 before the first launch.")
    reason: str = Field(description="Why it was opened or rerun: backfill, missing-output, ...")
    why: str = Field(description="What it is doing or waiting for, as explain says.")

    @classmethod
    def of(cls, run: Run, why: str) -> Self:
        """The shape of ``run``."""
        return cls(state=run.state.value, attempt=run.attempt, reason=run.attempt_reason, why=why)


class PartitionOut(_Out):
    """One desired partition of ``partitions --json``."""

    partition: str = Field(description="The canonical partition: DATE[THH]|name=value...")
    state: str = Field(description="done, missing, waiting, running, failed or stale.")
    run: PartitionRunOut | None = Field(description="Its run, or null when it has none.")


class PartitionsOut(_Out):
    """``partitions --json``: counts by state over the selection, and the listed partitions."""

    pipeline: str = Field(description="The pipeline id.")
    dimensions: list[str] = Field(description="The dimension names, in declaration order.")
    total: int = Field(description="How many desired partitions the selection holds.")
    counts: dict[str, int] = Field(description="Partitions per state; every state is a key.")
    partitions: list[PartitionOut] = Field(
        description="The listed partitions, oldest first: those not done, or the --state ones."
    )
    truncated: bool = Field(description="True when --limit cut the list short.")


class BackfillPartitionOut(_Out):
    """One partition ``backfill`` queues (or would queue)."""

    partition: str = Field(description="The canonical partition.")
    state: str = Field(description="Its state now: missing, failed, stale, or done.")
    reason: str = Field(
        description=(
            "The attempt's reason: backfill (a new run), manual-backfill, or"
            " backfill-no-downstream (with --no-downstream)."
        )
    )


class BackfillSkippedOut(_Out):
    """One partition of the range ``backfill`` leaves alone."""

    partition: str = Field(description="The canonical partition.")
    state: str = Field(description="Its state now.")
    why: str = Field(description="Why it is not queued (done, a run works on it, refused).")


class BackfillDownstreamOut(_Out):
    """A downstream partition fed by a queued one."""

    pipeline: str = Field(description="The downstream pipeline id.")
    partition: str = Field(description="Its partition, mapped through dependsOn.")


class BackfillPlanOut(_Out):
    """``backfill --json``: the plan, and how many partitions were queued."""

    pipeline: str = Field(description="The pipeline backfilled.")
    from_: str = Field(alias="from", description="The first date, inclusive (YYYY-MM-DD).")
    to: str = Field(description="The last date, inclusive (YYYY-MM-DD).")
    planned: list[BackfillPartitionOut] = Field(
        description="The partitions queued (or to queue), in the order they are due."
    )
    skipped: list[BackfillSkippedOut] = Field(description="The partitions left alone.")
    downstream: list[BackfillDownstreamOut] = Field(
        description=(
            "Downstream partitions fed by the planned ones, recursively, once each: they rerun"
            " when their upstream succeeds again. Empty with --no-downstream (none will)."
        )
    )
    queued: int = Field(description="How many partitions were queued (0 for a dry run).")
    dry_run: bool = Field(
        alias="dryRun", description="True when nothing was queued on purpose (--dry-run)."
    )
