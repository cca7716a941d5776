"""Every external JSON shape, once: the CLI's ``--json``, ``simulate`` lines, the HTTP API.

One pydantic model per shape, so a shape is defined in one place, documented field by field
and published as JSON Schema (``model_json_schema()``; the HTTP API's OpenAPI reuses the
same models). Each model is built from the domain objects by ``of(...)`` and printed by
:func:`dump` / :func:`dumps`.

The printed bytes are a public contract (scripts parse ``--json``; ``simulate --json`` lines
are compared byte for byte), so the models reproduce the historical encoding exactly: key
order is field order, times keep the format each shape always had (``isoformat()`` with
``+00:00`` for runs and explanations, ``Z`` for events, ``str()`` — a space between date
and time — for the job log's snake_case rows), and free-form values (event details,
reading values, job handles) pass through untouched to ``json.dumps(..., default=str)``.
That is why :func:`dump` uses pydantic's Python mode: its JSON mode would re-encode those
free-form values (a ``datetime`` inside a detail as ``...Z`` instead of ``str()``).

Pure: pydantic only, no I/O. Imported lazily by the CLI commands that print JSON, because
importing pydantic would otherwise slow every ``interlock`` start.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from interlock.decide.verdicts import SignalOutcome
from interlock.model import Event, Explanation, Run
from interlock.model.conditions import Evaluation
from interlock.schemas._base import Out as _Out
from interlock.schemas.checkers import CheckedReadingOut, CheckerOut, SensorCheckOut
from interlock.schemas.partitions import (
    BackfillDownstreamOut,
    BackfillPartitionOut,
    BackfillPlanOut,
    BackfillSkippedOut,
    PartitionOut,
    PartitionRunOut,
    PartitionsOut,
)

__all__ = [
    "SHAPES",
    "AttemptOut",
    "BackfillDownstreamOut",
    "BackfillPartitionOut",
    "BackfillPlanOut",
    "BackfillSkippedOut",
    "CheckedReadingOut",
    "CheckerOut",
    "DependenciesOut",
    "DependencyCheckOut",
    "DependencyRunOut",
    "EvaluationOut",
    "EventOut",
    "ExplainOut",
    "ExplanationOut",
    "GraphEdgeOut",
    "GraphNodeOut",
    "GraphOut",
    "JobLogOut",
    "LatestRunOut",
    "MigrationOut",
    "PartitionOut",
    "PartitionRunOut",
    "PartitionsOut",
    "PauseOut",
    "PipelineOut",
    "PipelineStateOut",
    "ProblemOut",
    "ReadingOut",
    "RevisionOut",
    "RunOut",
    "SensorCheckOut",
    "ServeLogOut",
    "SignalOutcomeOut",
    "StatusRunOut",
    "UpstreamOut",
    "dump",
    "dumps",
]

IsoTime = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str)]
"""``2026-11-22T08:00:00+00:00``: runs and explanations."""

ZuluTime = Annotated[
    datetime,
    PlainSerializer(lambda at: at.isoformat().replace("+00:00", "Z"), return_type=str),
]
"""``2026-11-22T08:00:00Z``: events, as ``simulate`` has always printed them."""

SpacedTime = Annotated[datetime, PlainSerializer(str, return_type=str)]
"""``2026-11-22 08:00:00+00:00``: the job log, as ``runs --json`` has always printed it."""


class RunOut(_Out):
    """One run: ``status --json`` items, ``runs --json`` runs, ``explain --json`` run."""

    pipeline: str = Field(description="The pipeline id.")
    partition: str = Field(description="The partition: 2026-11-22, 2026-11-22T08, ...|k=v.")
    state: str = Field(description="The run state (PENDING, WAITING, RUNNING, SUCCEEDED, ...).")
    attempt: int = Field(description="The current or last attempt, 1-based; 0 before a launch.")
    opened_at: IsoTime | None = Field(alias="openedAt", description="When the run opened.")
    finished_at: IsoTime | None = Field(
        alias="finishedAt", description="When the run reached a final state."
    )
    next_check_at: IsoTime | None = Field(
        alias="nextCheckAt", description="When the controller looks at the run again."
    )

    @classmethod
    def of(cls, run: Run) -> Self:
        """The run's external form."""
        return cls(
            pipeline=run.pipeline_id,
            partition=run.partition,
            state=run.state.value,
            attempt=run.attempt,
            opened_at=run.opened_at,
            finished_at=run.finished_at,
            next_check_at=run.next_check_at,
        )


class AttemptOut(_Out):
    """One row of the job log (``runs --json`` attempts), field names as stored."""

    model_config = ConfigDict(from_attributes=True)

    attempt_id: str = Field(description="pipeline/partition/attempt: the idempotency key.")
    pipeline_id: str = Field(description="The pipeline id.")
    partition: str = Field(description="The run's partition.")
    attempt: int = Field(description="The attempt number, 1-based.")
    reason: str = Field(description="Why it was launched: initial, retry, rerun ...")
    state: str = Field(description="decided, running, succeeded, failed, unknown ...")
    backend: str = Field(description="The job type that runs it (command, http, ...).")
    decided_at: SpacedTime = Field(description="When the launch was decided.")
    handle: Mapping[str, Any] | None = Field(description="The backend's handle of the job.")
    inputs: Mapping[str, Any] = Field(description="The readings the launch decision saw.")
    launched_at: SpacedTime | None = Field(description="When the backend accepted the job.")
    finished_at: SpacedTime | None = Field(description="When the job's outcome was recorded.")
    message: str | None = Field(description="The outcome's message.")
    output: Mapping[str, Any] | None = Field(description="What the job reported back.")

    @classmethod
    def of(cls, record: object) -> Self:
        """A store ``AttemptRecord`` (read by attribute, so this module needs no store)."""
        return cls.model_validate(record)


class JobLogOut(_Out):
    """``runs PIPELINE --json``: a pipeline's runs and its job log."""

    runs: list[RunOut] = Field(description="The runs, newest partition first.")
    attempts: list[AttemptOut] = Field(description="The attempts, by partition then number.")


class EventOut(_Out):
    """One event: ``events --json`` items and each ``simulate --json`` line."""

    at: ZuluTime = Field(description="When it happened (UTC, Z).")
    type: str = Field(description="The event type (JOB_TRIGGERED, SLA_BREACH, ...).")
    pipeline: str = Field(description="The pipeline id.")
    partition: str | None = Field(description="The partition, when the event has one.")
    message: str = Field(description="A sentence for a person.")
    detail: dict[str, Any] = Field(description="Structured detail, per event type.")

    @classmethod
    def of(cls, event: Event) -> EventOut:
        """The event's external form (constructed unchecked: one per ``simulate`` line)."""
        return EventOut.model_construct(
            at=event.at,
            type=str(event.type),
            pipeline=event.pipeline_id,
            partition=event.partition,
            message=event.message,
            detail=dict(event.detail),
        )


class EvaluationOut(_Out):
    """One evaluated condition node; a rule has ``key``, ``readingAt`` and ``value``.

    Built from :meth:`Evaluation.to_dict <interlock.model.conditions.Evaluation.to_dict>`, not
    beside it: that form is what the store persists with every decision, and the pure core
    cannot depend on pydantic, so the core builds the tree once and this model declares
    and checks it (a key added there and not here is refused: ``extra="forbid"``).
    """

    kind: str = Field(description="rule, all or any.")
    label: str = Field(description="The rule or group, as written.")
    passed: bool = Field(description="Whether the node holds.")
    reason: str = Field(description="Why, in words a person can act on.")
    key: str | None = Field(default=None, description="The sensor key a rule read.")
    reading_at: IsoTime | None = Field(
        default=None, alias="readingAt", description="When that reading arrived."
    )
    value: Any = Field(default=None, description="The value the rule saw.")
    children: list[EvaluationOut] | None = Field(default=None, description="A group's nodes.")

    @classmethod
    def of(cls, evaluation: Evaluation) -> Self:
        """The node's external form; a group has no rule keys, a rule no children."""
        return cls.model_validate(evaluation.to_dict())


class DependencyRunOut(_Out):
    """The upstream run a dependency waits on or failed on (``checks[i].blocking``)."""

    pipeline: str = Field(description="The upstream pipeline id.")
    partition: str = Field(description="The upstream run's partition.")
    state: str = Field(description="Its run state (WAITING, RUNNING, FAILED, ...).")
    attempt: int = Field(description="Its current or last attempt; 0 before a launch.")
    launched_at: IsoTime | None = Field(alias="launchedAt", description="When it launched.")
    finished_at: IsoTime | None = Field(alias="finishedAt", description="When it came to rest.")
    summary: str = Field(description="What it is doing or why it ended (its explanation).")


class UpstreamOut(_Out):
    """``checks[i].upstream`` (``explain --json`` only): the upstream run, and why, recursively.

    Set on an unmet check (WAITING, FAILED, or BLOCKED with a run to point at) whose
    upstream run ``explain`` followed: the run's ``state`` (null: no run yet), the
    ``summary`` and ``waitingFor`` stored with its latest decision (null: never decided),
    and its own ``dependencies`` in this same shape, so ``checks[j].upstream`` goes one
    level further up. ``cut`` is ``shown above`` (already in the tree: a diamond) or
    ``depth limit`` where the tree stops although it could go on; else empty.
    """

    pipeline: str = Field(description="The upstream pipeline id.")
    partition: str = Field(description="The upstream partition followed.")
    state: str | None = Field(description="Its run state; null when it has no run yet.")
    summary: str | None = Field(description="Its stored explanation's summary, if decided.")
    waiting_for: str | None = Field(alias="waitingFor", description="What it waits for.")
    dependencies: DependenciesOut | None = Field(description="Its own dependsOn, checked.")
    cut: str = Field(description="Why the tree stops here: shown above, depth limit, or ''.")


class DependencyCheckOut(_Out):
    """One dependency of a run, checked (``DependencyCheck.to_dict``, stored with the run)."""

    label: str = Field(description="listings, or fx (offset -1d) for a non-same mapping.")
    pipeline: str = Field(description="The upstream pipeline id.")
    status: Literal["WAITING", "ARRIVED", "FAILED", "BLOCKED", "SKIPPED"] = Field(
        description="Where the dependency stands."
    )
    accepts: list[str] = Field(description="The upstream states it accepts, sorted.")
    mapping: str = Field(description="same, offset -1d, all hours of the day, latest.")
    optional: bool = Field(description="Waited for only if the upstream is expected to run.")
    partitions: list[str] = Field(description="The upstream partitions looked at.")
    matched: list[str] = Field(description="The accepted upstream attempt ids.")
    blocking: DependencyRunOut | None = Field(description="The first run not accepted yet.")
    reason: str = Field(description="Why, in words: 'listings: RUNNING attempt 2 since ...'.")
    upstream: UpstreamOut | None = Field(None, description="explain --json: the upstream.")


class DependenciesOut(_Out):
    """``explanation.dependencies``: every ``dependsOn`` entry checked, and the verdict.

    Built from ``DependencyEvaluation.to_dict`` (what the store keeps with each decision)
    and validated as it is, for the reason :class:`EvaluationOut` gives. ``checks`` are in
    declaration order, ``allOf`` first.
    """

    passed: bool = Field(description="Whether the allOf/anyOf groups hold.")
    checks: list[DependencyCheckOut] = Field(description="Each dependency, checked.")


UpstreamOut.model_rebuild()  # it and DependenciesOut refer to each other


class ExplanationOut(_Out):
    """Why a run is where it is: ``explain --json``'s explanation, as stored with the run.

    Built from :meth:`Explanation.to_dict <interlock.model.Explanation.to_dict>` for the
    reason :class:`EvaluationOut` gives; a stored explanation validates the same way.
    """

    summary: str = Field(description="One sentence.")
    waiting_for: str = Field(alias="waitingFor", description="What the run waits for, if any.")
    until: IsoTime | None = Field(description="The next check, if one is planned.")
    validation: EvaluationOut | None = Field(description="The validation rules, evaluated.")
    trigger: EvaluationOut | None = Field(description="The trigger condition, evaluated.")
    validation_note: str = Field(
        "",
        alias="validationNote",
        description="Set when the rules decided nothing yet: 'not yet checked: waiting for …'.",
    )
    dependencies: DependenciesOut | None = Field(
        None, description="dependsOn, checked; null for a pipeline without dependencies."
    )
    checkers: list[str] = Field(
        default_factory=list,
        description="For each key the rules read whose state checker's last check failed:"
        " 'output: last checked 40 min ago, connection refused'.",
    )

    @classmethod
    def of(cls, explanation: Explanation) -> Self:
        """The explanation's external form (also: ``model_validate`` of a stored one)."""
        return cls.model_validate(explanation.to_dict())


class ExplainOut(_Out):
    """``explain --json``: the run and why."""

    run: RunOut = Field(description="The run (or the run that would open).")
    explanation: ExplanationOut = Field(description="The decision's explanation.")


class StatusRunOut(RunOut):
    """One ``status --json`` item: a run, plus its pipeline's direct upstreams.

    ``RunOut``'s keys unchanged (scripts reading them keep working) and ``upstreams``, the
    ids its ``dependsOn`` names, sorted; empty for a pipeline without dependencies.
    """

    upstreams: list[str] = Field(description="The pipeline's direct upstream ids, sorted.")

    @classmethod
    def with_upstreams(cls, run: Run, upstreams: Iterable[str]) -> Self:
        """The run's external form and its pipeline's direct upstreams."""
        base = RunOut.of(run).model_dump()
        return cls(**base, upstreams=sorted(upstreams))


class GraphNodeOut(_Out):
    """One pipeline of ``graph --json``."""

    id: str = Field(description="The pipeline id.")
    loaded: bool = Field(description="False for an upstream that is named but not stored.")
    paused: bool = Field(description="Whether it is paused (it launches nothing).")


class GraphEdgeOut(_Out):
    """One ``dependsOn`` entry of ``graph --json``: ``to`` needs ``from``."""

    from_: str = Field(alias="from", description="The upstream pipeline id.")
    to: str = Field(description="The downstream pipeline id (the one with dependsOn).")
    label: str = Field(description="The dependency's label in the downstream's explanation.")
    status: list[str] = Field(description="The upstream states it accepts, sorted.")
    mapping: str = Field(description="same, offset -1d, all hours of the day, latest.")
    optional: bool = Field(description="Waited for only if the upstream is expected to run.")
    group: Literal["allOf", "anyOf"] = Field(description="The dependsOn group it is in.")


class GraphOut(_Out):
    """``graph --json``: the nodes by id and the edges, by downstream in declaration order."""

    nodes: list[GraphNodeOut] = Field(description="The pipelines shown.")
    edges: list[GraphEdgeOut] = Field(description="The dependencies between them.")


class ProblemOut(_Out):
    """One problem of ``validate --json``."""

    file: str = Field(description="The file (or the paths given, when none was found).")
    line: int | None = Field(description="The 1-based line, when known.")
    field: str = Field(description="The dotted field, e.g. validation.rules[1].check.")
    message: str = Field(description="What is wrong.")
    fix: str = Field(description="How to fix it.")


class PipelineOut(_Out):
    """One valid pipeline of ``validate --json``."""

    id: str = Field(description="The pipeline id.")
    source: str = Field(description="The file it came from.")
    config_hash: str = Field(alias="configHash", description="The hash of its canonical config.")
    summary: str = Field(description="Schedule, trigger, rules and job in one line.")


class PauseOut(_Out):
    """Why and since when a pipeline launches nothing (``interlock pause``)."""

    at: IsoTime = Field(description="When it was paused.")
    by: str = Field(description="Who paused it (empty when not given).")
    reason: str = Field(description="Why (empty when not given).")


class LatestRunOut(_Out):
    """The newest opened run of a pipeline (else its planned one)."""

    partition: str = Field(description="The run's partition.")
    state: str = Field(description="The run state (PENDING, WAITING, RUNNING, SUCCEEDED, ...).")
    attempt: int = Field(description="The current or last attempt, 1-based; 0 before a launch.")


class PipelineStateOut(_Out):
    """One stored pipeline of ``pipelines --json``: its config in a line and its state."""

    id: str = Field(description="The pipeline id.")
    summary: str = Field(description="Schedule, trigger, rules and job in one line.")
    source: str = Field(description="The file it was applied from.")
    paused: PauseOut | None = Field(description="Set while it is paused: nothing launches.")
    latest_run: LatestRunOut | None = Field(
        alias="latestRun", description="Its newest opened run; null before any run exists."
    )
    next_check_at: IsoTime | None = Field(
        alias="nextCheckAt", description="When the controller looks at it next."
    )


class ReadingOut(_Out):
    """One accepted sensor reading of a key's history (newest first)."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="The history id; runs record it as the reading they saw.")
    scope: str = Field(description="The pipeline id; empty for a shared reading.")
    key: str = Field(description="The sensor key.")
    partition: str = Field(description="The partition; empty for an undated reading.")
    data: dict[str, Any] = Field(description="The reading as written.")
    received_at: IsoTime = Field(description="When Interlock accepted it.")


class MigrationOut(_Out):
    """``db upgrade --json``: the schema revision before and after."""

    from_: str | None = Field(alias="from", description="The revision before; null: empty.")
    to: str = Field(description="The revision after (the head).")
    changed: bool = Field(description="Whether a migration ran.")


class RevisionOut(_Out):
    """``db current --json``: the database's schema revision and the newest one."""

    revision: str | None = Field(description="The database's revision; null: never migrated.")
    head: str = Field(description="The newest revision this Interlock knows.")
    is_head: bool = Field(description="Whether the database is at the newest revision.")


class ServeLogOut(_Out):
    """One line of ``interlock serve --log-format json`` (one object per line, on stderr)."""

    at: ZuluTime = Field(description="When it happened (UTC, Z).")
    level: str = Field(description="debug, info, warning or error.")
    event: str = Field(
        description="open, launch, succeeded, failed, retry, adopted, relaunch, recover, an"
        " event type (SLA_BREACH, ...), or serve, config, log for the controller itself."
    )
    pipeline: str | None = Field(description="The pipeline id, when it concerns one.")
    partition: str | None = Field(description="The partition, when it concerns one run.")
    attempt: int | None = Field(description="The attempt number, when it concerns one.")
    message: str = Field(description="A sentence for a person (secrets already masked).")
    detail: dict[str, Any] = Field(
        description="Structured detail: the stored event's detail and its type, plus"
        " jobType, handle, durationSeconds, ... per event."
    )


class SignalOutcomeOut(_Out):
    """``rerun --json``, ``cancel --json``, ``job report --json``: what became of the request."""

    pipeline: str = Field(description="The pipeline id.")
    partition: str = Field(description="The partition of the run the request was for.")
    request: Literal["rerun", "cancel", "report"] = Field(description="What was asked.")
    outcome: Literal["accepted", "refused", "queued"] = Field(
        description=(
            "accepted: it took effect (exit 0); refused: it cannot take effect, nothing is"
            " changed (exit 1); queued: recorded, no controller has acted on it yet (exit 0)."
        )
    )
    message: str = Field(description="The line the command prints for a person.")
    attempt: int | None = Field(
        description="The attempt launched by a rerun, or the attempt reported on; else null."
    )
    forced: bool = Field(description="A rerun --force (it skipped the breaker and the checks).")

    @classmethod
    def of(cls, outcome: SignalOutcome) -> Self:
        """The outcome's external form."""
        return cls(
            pipeline=outcome.pipeline_id,
            partition=outcome.partition,
            request=outcome.request,
            outcome=outcome.outcome,
            message=outcome.message,
            attempt=outcome.attempt,
            forced=outcome.forced,
        )


SHAPES: Mapping[str, type[BaseModel]] = {
    "run": RunOut,
    "attempt": AttemptOut,
    "job-log": JobLogOut,
    "event": EventOut,
    "evaluation": EvaluationOut,
    "explanation": ExplanationOut,
    "explain": ExplainOut,
    "dependencies": DependenciesOut,
    "dependency-check": DependencyCheckOut,
    "dependency-run": DependencyRunOut,
    "upstream": UpstreamOut,
    "status-run": StatusRunOut,
    "graph": GraphOut,
    "graph-node": GraphNodeOut,
    "graph-edge": GraphEdgeOut,
    "problem": ProblemOut,
    "pipeline": PipelineOut,
    "pipeline-state": PipelineStateOut,
    "pause": PauseOut,
    "latest-run": LatestRunOut,
    "reading": ReadingOut,
    "migration": MigrationOut,
    "revision": RevisionOut,
    "serve-log": ServeLogOut,
    "signal-outcome": SignalOutcomeOut,
    "partitions": PartitionsOut,
    "partition": PartitionOut,
    "partition-run": PartitionRunOut,
    "backfill-plan": BackfillPlanOut,
    "backfill-partition": BackfillPartitionOut,
    "backfill-skipped": BackfillSkippedOut,
    "backfill-downstream": BackfillDownstreamOut,
    "sensor-check": SensorCheckOut,
    "checked-reading": CheckedReadingOut,
    "checker": CheckerOut,
}
"""Every external shape by name (for docs, tests and the HTTP API's OpenAPI)."""


def dump(value: BaseModel | Sequence[BaseModel]) -> Any:
    """The JSON-ready value of a model (or list): by alias, unset optional keys left out.

    Python mode, so free-form values reach ``json.dumps`` as they are (see the module doc).
    Only :class:`EvaluationOut` leaves fields unset; every other field is always given.
    """
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True, exclude_unset=True)
    return [item.model_dump(by_alias=True, exclude_unset=True) for item in value]


def dumps(value: BaseModel | Sequence[BaseModel], **options: Any) -> str:
    """``json.dumps`` of :func:`dump`; ``options`` as for ``json.dumps`` (``indent``, ...)."""
    return json.dumps(dump(value), default=str, **options)
