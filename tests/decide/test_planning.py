"""When a run plans the next expected run: once, when it becomes current, never a cascade.

A table of (run, moment, signals) → the runs ``decide()`` asks the store to create.
"""

from __future__ import annotations

import pytest
from decide_support import at, pipeline

from interlock.decide import decide
from interlock.model import OpenRun, ReadingSet, RerunRequested, Run, RunState, Signal

TRIGGER_WITH_DEADLINE = """
pipeline: {id: orders}
schedule:
  timezone: UTC
  trigger: {key: orders-ready, check: exists, field: rows, deadline: "10:00"}
validation:
  rules: [{key: orders-ready, check: gte, field: rows, value: 1}]
job: {type: command, config: {command: ["true"]}}
"""


def planned(
    run: Run,
    clock: str,
    day: str = "2026-11-23",
    *,
    text: str | None = None,
    signals: tuple[Signal, ...] = (),
) -> list[tuple[str, str]]:
    """(partition, check time) of every run the decision plans."""
    spec = pipeline(text) if text else pipeline()
    decision = decide(spec, run, ReadingSet(), now=at(clock, day), signals=signals)
    return [
        (a.partition, a.check_at.isoformat()) for a in decision.actions if isinstance(a, OpenRun)
    ]


def cron_run(partition: str = "2026-11-23", **changes: object) -> Run:
    """A gold-revenue run planned by cron, never decided yet."""
    fields: dict[str, object] = {
        "pipeline_id": "gold-revenue",
        "partition": partition,
        "created_at": at("00:00"),
        "opened_by": "cron",
        **changes,
    }
    return Run(**fields)  # type: ignore[arg-type]


NEXT_DAY_FIRE = [("2026-11-24", "2026-11-24T08:00:00+00:00")]


@pytest.mark.parametrize(
    ("run", "clock", "day", "expected"),
    [
        pytest.param(
            cron_run(), "07:00", "2026-11-23", [], id="woken-before-its-fire-plans-nothing"
        ),
        pytest.param(cron_run(), "08:00", "2026-11-23", NEXT_DAY_FIRE, id="at-its-fire-plans-next"),
        pytest.param(
            cron_run(marks=frozenset({"planned-next"})),
            "08:00",
            "2026-11-23",
            [],
            id="planned-once-only",
        ),
        pytest.param(
            cron_run(),
            "09:30",
            "2026-11-25",
            [("2026-11-26", "2026-11-26T08:00:00+00:00")],
            id="decided-late-restarts-from-now-not-every-missed-day",
        ),
    ],
)
def test_cron_successor(run: Run, clock: str, day: str, expected: list[tuple[str, str]]) -> None:
    """A cron run plans the next fire once its own fire has come; late, it skips to now."""
    assert planned(run, clock, day) == expected


def test_rerun_of_an_old_partition_does_not_walk_to_today() -> None:
    """A rerun stub for last month plans at most today's expectations, not thirty days."""
    stub = Run(pipeline_id="gold-revenue", partition="2026-10-01", created_at=at("12:00"))
    result = planned(stub, "12:00", signals=(RerunRequested(reason="manual", at=at("12:00")),))
    assert result == [("2026-11-24", "2026-11-24T08:00:00+00:00")]


def test_trigger_opened_run_plans_tomorrow_when_it_opens() -> None:
    """A trigger pipeline with a deadline: the day's run plans the next one when it opens."""
    run = Run(
        pipeline_id="orders",
        partition="2026-11-23",
        created_at=at("00:00"),
        opened_by="schedule",
        state=RunState.PENDING,
    )
    assert planned(run, "06:00", text=TRIGGER_WITH_DEADLINE) == []
    assert planned(run, "10:00", text=TRIGGER_WITH_DEADLINE) == [
        ("2026-11-24", "2026-11-24T10:00:00+00:00")
    ]
