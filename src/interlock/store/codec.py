"""JSON round-trips for the values the store keeps in JSON columns (runs, signals, events).

Kept apart from the SQL so the encoding is one small, testable place: a run written and read
back must be equal to the original (a property test checks it).

The typed vocabulary of a run (:class:`~interlock.model.OpenedBy`,
:class:`~interlock.model.FailureCategory`, :class:`~interlock.model.RunMark`) is stored as
the enums' values, which are the strings every earlier version wrote, so a database written
before the enums existed reads back unchanged and re-encodes to the same JSON
(``tests/store/test_vocabulary_compat.py`` reads one). The one spelling that did change,
the hyphenated SLA marks of the first versions (``sla-breach``), is read as today's
(``sla_breach``, :data:`~interlock.model.LEGACY_MARKS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from interlock.model import (
    LEGACY_MARKS,
    CancelRequested,
    FailureCategory,
    JobReported,
    LaunchFailed,
    LaunchRecorded,
    LaunchUnknown,
    OpenedBy,
    RerunRecord,
    RerunRequested,
    Run,
    RunState,
    Signal,
)
from interlock.model.conditions import AllOf, AnyOf, Condition, Rule

__all__ = [
    "condition_from_json",
    "condition_to_json",
    "run_from_json",
    "run_to_json",
    "signal_from_json",
    "signal_to_json",
]

_TIMES = (
    "created_at",
    "opened_at",
    "window_closes_at",
    "next_check_at",
    "launched_at",
    "finished_at",
    "first_reading_at",
    "sla_warning_at",
    "sla_breach_at",
    "post_run_cursor",
    "trigger_cursor",
)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _category(value: str | None) -> FailureCategory | None:
    """A stored failure category; a word no version should have stored reads as TRANSIENT.

    Before the categories were typed, a job's reported word was stored as it came; one
    outside the list was retried like ``TRANSIENT``, so reading it as that keeps the run
    readable and decided the same way.
    """
    return None if value is None else FailureCategory.reported(value)


def _marks(stored: Any) -> frozenset[str]:
    """Stored marks, with the first versions' spellings read as today's (``sla-breach``)."""
    return frozenset(LEGACY_MARKS.get(mark, mark) for mark in stored)


def _rerun_to_json(rerun: RerunRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"reason": rerun.reason, "at": rerun.at.isoformat()}
    data["attempt"] = rerun.attempt
    if rerun.cause:
        data["cause"] = rerun.cause
    return data


def run_to_json(run: Run) -> dict[str, Any]:
    """Everything of a run as JSON-ready values."""
    data: dict[str, Any] = {
        "pipeline_id": run.pipeline_id,
        "partition": run.partition,
        "state": run.state.value,
        "opened_by": str(run.opened_by),
        "attempt": run.attempt,
        "attempt_reason": run.attempt_reason,
        "failure_category": None if run.failure_category is None else str(run.failure_category),
        "reruns": [_rerun_to_json(r) for r in run.reruns],
        "marks": sorted(str(mark) for mark in run.marks),
        "baseline": {k: dict(v) for k, v in run.baseline.items()},
        "version": run.version,
    }
    if run.status_refusals:  # absent in runs stored before it existed, and when zero
        data["status_refusals"] = run.status_refusals
    if run.upstream_seen:  # likewise: only pipelines with dependsOn have it
        data["upstream_seen"] = {k: list(v) for k, v in run.upstream_seen.items()}
    for name in _TIMES:
        value = getattr(run, name)
        data[name] = value.isoformat() if value is not None else None
    return data


def run_from_json(data: Mapping[str, Any]) -> Run:
    """The inverse of :func:`run_to_json`."""
    times = {name: _time(data.get(name)) for name in _TIMES}
    created = times.pop("created_at")
    if created is None:  # pragma: no cover - every stored run has one
        msg = "stored run has no created_at"
        raise ValueError(msg)
    return Run(
        pipeline_id=data["pipeline_id"],
        partition=data["partition"],
        state=RunState(data["state"]),
        created_at=created,
        opened_by=OpenedBy(data.get("opened_by", "")),
        attempt=int(data.get("attempt", 0)),
        attempt_reason=data.get("attempt_reason", ""),
        failure_category=_category(data.get("failure_category")),
        reruns=tuple(
            RerunRecord(
                reason=r["reason"],
                at=datetime.fromisoformat(r["at"]),
                attempt=r["attempt"],
                cause=r.get("cause", ""),
            )
            for r in data.get("reruns", ())
        ),
        upstream_seen={k: tuple(v) for k, v in data.get("upstream_seen", {}).items()},
        marks=_marks(data.get("marks", ())),
        baseline=data.get("baseline", {}),
        status_refusals=int(data.get("status_refusals", 0)),
        version=int(data.get("version", 0)),
        **times,
    )


def signal_to_json(signal: Signal) -> tuple[str, dict[str, Any]]:
    """``(kind, payload)`` for the signals inbox."""
    payload: dict[str, Any] = {k: v for k, v in vars(signal).items() if k != "at"}
    payload["at"] = signal.at.isoformat()
    if "handle" in payload:
        payload["handle"] = dict(payload["handle"])
    return type(signal).__name__, payload


_KINDS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        JobReported,
        LaunchRecorded,
        LaunchFailed,
        LaunchUnknown,
        RerunRequested,
        CancelRequested,
    )
}


def signal_from_json(kind: str, payload: Mapping[str, Any]) -> Signal:
    """The inverse of :func:`signal_to_json`."""
    cls = _KINDS[kind]
    values = dict(payload)
    values["at"] = datetime.fromisoformat(values["at"])
    result: Signal = cls(**values)
    return result


def condition_to_json(condition: Condition) -> dict[str, Any]:
    """A condition tree as plain JSON (``complete_index.condition``)."""
    if isinstance(condition, Rule):
        return {
            "kind": "rule",
            "key": condition.key,
            "check": condition.check,
            "field": condition.field,
            "value": condition.value,
        }
    return {"kind": condition.kind, "children": [condition_to_json(c) for c in condition.children]}


def condition_from_json(data: Mapping[str, Any]) -> Condition:
    """The inverse of :func:`condition_to_json`."""
    if data["kind"] == "rule":
        return Rule(key=data["key"], check=data["check"], field=data["field"], value=data["value"])
    children = tuple(condition_from_json(c) for c in data["children"])
    return AllOf(children=children) if data["kind"] == "all" else AnyOf(children=children)
