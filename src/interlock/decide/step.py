"""The mutable scratchpad of one ``decide()`` call.

``decide()`` is pure, but building a Decision out of many small transitions is clearer with
one local accumulator than with tuples threaded through every helper. A :class:`Step` never
leaves the call: ``decide()`` turns it into a frozen :class:`~interlock.model.Decision`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from interlock.model import Action, Event, Reading, Run, RunState
from interlock.model.conditions import Evaluation
from interlock.model.dependencies import UpstreamState

if TYPE_CHECKING:
    from interlock.decide.dependencies import DependencyEvaluation
from interlock.model.specs import PipelineSpec

__all__ = ["Step"]


@dataclass
class Step:
    """Inputs of one decision plus what it has decided so far."""

    pipeline: PipelineSpec
    run: Run
    view: Mapping[str, Reading]
    upstream: Mapping[str, UpstreamState]
    now: datetime
    events: list[Event] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    summary: str = ""
    waiting_for: str = ""
    validation: Evaluation | None = None
    trigger: Evaluation | None = None
    dependencies: DependencyEvaluation | None = None
    slots: int | None = None
    """Free launch slots of the pipeline for this run (``backfill.maxConcurrent``); None:
    no limit."""
    awaiting_slot: bool = False
    """The run would launch but no slot is free: it is woken when one frees, not polled."""

    def emit(self, event_type: str, message: str = "", **detail: Any) -> None:
        """Append an event for this run at ``now``; ``None`` details are dropped."""
        self.events.append(
            Event(
                type=event_type,
                pipeline_id=self.run.pipeline_id,
                partition=self.run.partition,
                at=self.now,
                message=message,
                detail={k: v for k, v in detail.items() if v is not None},
            )
        )

    def update(self, **changes: Any) -> None:
        """Replace fields of the run (it stays frozen; this swaps in a new value)."""
        self.run = replace(self.run, **changes)

    def move(self, state: RunState, summary: str) -> None:
        """Enter ``state`` and say why."""
        self.update(state=state)
        self.summary = summary

    def marked(self, mark: str) -> bool:
        """Tell whether the once-only cursor ``mark`` is set on this run."""
        return mark in self.run.marks

    def mark(self, mark: str) -> None:
        """Set a once-only cursor so the matching alert never repeats for this run."""
        self.update(marks=self.run.marks | {mark})

    def unmark(self, mark: str) -> None:
        """Clear a cursor whose condition ended (the next occurrence is reported again)."""
        if mark in self.run.marks:
            self.update(marks=self.run.marks - {mark})

    @property
    def no_free_slot(self) -> bool:
        """A launch now would exceed ``maxConcurrent`` (a real launch: a job, not a dry run)."""
        return (
            self.slots is not None
            and self.slots <= 0
            and self.pipeline.job is not None
            and not self.dry_run
        )

    @property
    def dry_run(self) -> bool:
        """Shadow mode: record what would happen, never launch."""
        return self.pipeline.dry_run
