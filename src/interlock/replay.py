"""``interlock simulate``: replay a JSONL timeline through one pipeline on a virtual clock.

Input, one JSON object per line, in time order (a public, stable format)::

    {"at": "2026-11-22T08:05:00Z", "key": "upstream-complete", "data": {"status": "ready"}}
    {"at": "2026-11-22T08:05:00Z", "key": "rows", "data": {"count": 5}, "partition": "2026-11-22"}
    {"at": "2026-11-22T08:40:00Z", "job": "succeeded"}
    {"at": "2026-11-22T08:40:00Z", "job": "failed", "category": "PERMANENT", "message": "bad SQL"}
    {"at": "2026-11-22T09:00:00Z", "rerun": "2026-11-22", "reason": "manual"}

``job`` lines report the outcome of the latest launch. Blank lines and lines starting with
``#`` are ignored. Output: every event, in order, as
``{"at", "type", "pipeline", "partition", "message", "detail"}``. Without ``until`` the clock
stops one day after the last input line. It runs the same ``decide()`` as the controller.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from interlock.errors import InputError
from interlock.model import Event
from interlock.simulate import Simulation
from interlock.specs import PipelineSpec

__all__ = ["event_json", "parse_timeline", "replay"]

_JOB_STATES = ("succeeded", "failed", "running")


def _time(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise InputError("needs an ISO 8601 time string", field=f"{where}.at")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{value!r} is not an ISO 8601 time", field=f"{where}.at") from exc
    if moment.utcoffset() is None:
        raise InputError(f"{value!r} has no time zone (add Z or an offset)", field=f"{where}.at")
    return moment


def parse_timeline(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Parse and check every line; errors name the line number and field."""
    items: list[dict[str, Any]] = []
    previous: datetime | None = None
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        where = f"line {number}"
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON: {exc.msg}", field=where) from exc
        if not isinstance(item, dict):
            raise InputError("each line must be a JSON object", field=where)
        item["at"] = _time(item.get("at"), where)
        if previous is not None and item["at"] < previous:
            raise InputError("lines must be in time order", field=f"{where}.at")
        previous = item["at"]
        _check_kind(item, where)
        items.append(item)
    return items


def _check_kind(item: Mapping[str, Any], where: str) -> None:
    if "key" in item:
        if not isinstance(item["key"], str) or not isinstance(item.get("data"), dict):
            raise InputError("a reading needs a string 'key' and an object 'data'", field=where)
    elif "job" in item:
        if item["job"] not in _JOB_STATES:
            raise InputError(f"'job' must be one of {', '.join(_JOB_STATES)}", field=f"{where}.job")
    elif "rerun" not in item:
        raise InputError(
            "a line needs 'key' (a reading), 'job' (an outcome) or 'rerun'", field=where
        )


def replay(
    spec: PipelineSpec, items: list[dict[str, Any]], *, until: datetime | None = None
) -> list[Event]:
    """Run the timeline and return every event."""
    if not items:
        return []
    sim = Simulation(spec, start=items[0]["at"])
    for item in items:
        at = item["at"]
        if "key" in item:
            sim.put_reading(item["key"], item["data"], at=at, partition=item.get("partition"))
        elif "job" in item:
            sim.job_outcome(
                item["job"], at=at, category=item.get("category"), message=item.get("message", "")
            )
        else:
            sim.rerun(str(item["rerun"]), at=at, reason=item.get("reason", "manual"))
    sim.advance_to(until or items[-1]["at"] + timedelta(days=1))
    return sim.events


def event_json(event: Event) -> dict[str, Any]:
    """One output line."""
    return {
        "at": event.at.isoformat().replace("+00:00", "Z"),
        "type": str(event.type),
        "pipeline": event.pipeline_id,
        "partition": event.partition,
        "message": event.message,
        "detail": dict(event.detail),
    }
