"""After success: baseline, post-run rules, drift, late data, missing sensors; reruns.

A run that succeeded keeps being decided whenever one of its readings changes:

- a trigger reading newer than the one the job consumed is **late data** (once per new
  reading) and asks for a ``late-data`` rerun;
- a post-run reading whose ``driftField`` moved more than ``driftThreshold`` from the baseline
  captured at success is **drift** and asks for a ``data-drift`` rerun;
- otherwise a new post-run reading is checked against ``postRun.rules``;
- no post-run reading within ``sensorTimeout`` of success is ``POST_RUN_SENSOR_MISSING``.

While a rerun is in flight the previous success's baseline stays (the next success replaces
it): drift seen then is ``POST_RUN_DRIFT_INFLIGHT``, reported and not acted on — the rerun
under way may or may not have read the new data, and the baseline captured at its success
will absorb the move, so this is the one moment it is visible.

Reruns go through one gate, :func:`interlock.decide.reruns.request_rerun`.
"""

from __future__ import annotations

from typing import Any

from interlock.decide.reruns import request_rerun
from interlock.decide.step import Step
from interlock.events import EventType
from interlock.model import RunMark, RunState
from interlock.model.durations import format_duration
from interlock.rules.checks import to_number
from interlock.rules.evaluate import evaluate

__all__ = ["post_run_missing", "watch_after_success", "watch_in_flight"]


def watch_after_success(step: Step) -> None:
    """SUCCEEDED / SHADOWED: late data first, then drift or post-run rules."""
    if _late_data(step):
        return
    _post_run(step)


def _late_data(step: Step) -> bool:
    trigger = step.pipeline.schedule.trigger
    cursor = step.run.trigger_cursor
    if trigger is None:
        return False
    newest = max((r.updated_at for k, r in step.view.items() if k in trigger.keys), default=None)
    if newest is None or (cursor is not None and newest <= cursor):
        return False
    step.update(trigger_cursor=newest)
    if not evaluate(trigger.condition, step.view, step.now, partition=step.run.partition).passed:
        return False
    consumed_at = step.run.launched_at or step.now
    if step.dry_run:
        step.emit(
            EventType.DRY_RUN_LATE_DATA,
            "dry run: trigger data changed after the would-be launch",
            triggeredAt=consumed_at.isoformat(),
            lateBy=format_duration(newest - consumed_at),
        )
        return True
    step.emit(
        EventType.LATE_DATA_ARRIVAL,
        "trigger data changed after the job consumed it",
        readingAt=newest.isoformat(),
        launchedAt=consumed_at.isoformat(),
    )
    request_rerun(step, "late-data")
    return True


def _fresh_post_run(step: Step) -> dict[str, Any]:
    """Post-run readings newer than the cursor (then moves the cursor past them): key → data."""
    post_run = step.pipeline.post_run
    if post_run is None or not post_run.keys:
        return {}
    cursor = step.run.post_run_cursor
    fresh = {
        k: r
        for k, r in step.view.items()
        if k in post_run.keys and (cursor is None or r.updated_at > cursor)
    }
    if fresh:
        step.update(post_run_cursor=max(r.updated_at for r in fresh.values()))
    return {k: fresh[k].data for k in sorted(fresh)}


def watch_in_flight(step: Step) -> None:
    """RUNNING after an earlier success (a rerun): report drift from its baseline, once."""
    if not step.run.baseline:
        return
    for key, data in _fresh_post_run(step).items():
        detail = _drift_detail(step, key, data)
        if detail is not None:
            step.emit(
                EventType.POST_RUN_DRIFT_INFLIGHT,
                f"{key}.{detail['driftField']} drifted by {detail['delta']:g} while attempt "
                f"{step.run.attempt} is running; reported only",
                source="post-run",
                **detail,
            )


def _post_run(step: Step) -> None:
    fresh = _fresh_post_run(step)
    if not fresh:
        return
    step.mark(RunMark.POST_RUN_SEEN)
    for key, data in fresh.items():
        if _drift(step, key, data):
            return
    post_run = step.pipeline.post_run
    if step.dry_run or post_run is None:
        return
    result = evaluate(post_run.condition, step.view, step.now, partition=step.run.partition)
    if result.passed:
        step.emit(EventType.POST_RUN_PASSED, "post-run rules hold")
    else:
        step.emit(
            EventType.POST_RUN_FAILED,
            "; ".join(e.reason for e in result.failing()),
            failing=[e.label for e in result.failing()],
        )


def _drift_detail(step: Step, key: str, current: Any) -> dict[str, Any] | None:
    """The drift of ``key``'s ``driftField`` from the baseline, if beyond the threshold."""
    post_run = step.pipeline.post_run
    before = step.run.baseline.get(key)
    if post_run is None or before is None:
        return None
    field = post_run.drift_field
    previous, now_value = to_number(before.get(field)), to_number(current.get(field))
    if previous is None or now_value is None:
        return None
    delta = now_value - previous
    if abs(delta) <= post_run.drift_threshold:
        return None
    return {
        "previousCount": previous,
        "currentCount": now_value,
        "delta": delta,
        "driftThreshold": post_run.drift_threshold,
        "driftField": field,
        "sensorKey": key,
    }


def _drift(step: Step, key: str, current: Any) -> bool:
    detail = _drift_detail(step, key, current)
    if detail is None:
        return False
    field, delta = detail["driftField"], detail["delta"]
    if step.dry_run:
        step.emit(EventType.DRY_RUN_DRIFT, f"dry run: {field} drifted by {delta:g}", **detail)
        return True
    step.emit(
        EventType.POST_RUN_DRIFT,
        f"{key}.{field} drifted by {delta:g} after success",
        source="post-run",
        **detail,
    )
    request_rerun(step, "data-drift")
    return True


def post_run_missing(step: Step) -> None:
    """No post-run reading arrived within ``sensorTimeout`` of success: say so once."""
    post_run, run = step.pipeline.post_run, step.run
    if (
        post_run is None
        or not post_run.keys
        or step.dry_run
        or run.state is not RunState.SUCCEEDED
        or run.finished_at is None
        or step.marked(RunMark.POST_RUN_SEEN)
        or step.marked(RunMark.POST_RUN_MISSING)
        or step.now < run.finished_at + post_run.sensor_timeout
    ):
        return
    step.mark(RunMark.POST_RUN_MISSING)
    step.emit(
        EventType.POST_RUN_SENSOR_MISSING,
        f"no post-run reading within {format_duration(post_run.sensor_timeout)} of success",
        sensorTimeout=format_duration(post_run.sensor_timeout),
        ruleKeys=", ".join(sorted(post_run.keys)),
        actionHint="check the post-run sensors' producers",
    )
