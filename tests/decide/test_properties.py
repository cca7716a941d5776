"""Safety properties of ``decide()``, checked over generated inputs."""

from __future__ import annotations

from datetime import timedelta

from decide_support import at, pipeline
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.decide import decide
from interlock.model import JobReported, Reading, ReadingSet, RerunRequested, Run, RunState
from interlock.rules.evaluate import evaluate

GOLD = pipeline()
BASE = at("08:00")

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 5000),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(
        ["ready", "READY", "1000", BASE.isoformat(), (BASE - timedelta(hours=3)).isoformat()]
    ),
)
readings = st.lists(
    st.builds(
        lambda key, field, value, minutes: Reading(
            key=key, data={field: value}, updated_at=BASE + timedelta(minutes=minutes)
        ),
        st.sampled_from(["upstream-complete", "row-count", "freshness", "other"]),
        st.sampled_from(["status", "count", "updatedAt"]),
        values,
        st.integers(-300, 300),
    ),
    max_size=6,
)
states = st.sampled_from(list(RunState))
signals = st.lists(
    st.one_of(
        st.builds(
            JobReported,
            attempt=st.integers(0, 3),
            status=st.sampled_from(["running", "succeeded", "failed"]),
            at=st.just(BASE),
            category=st.sampled_from([None, "PERMANENT"]),
        ),
        st.builds(
            RerunRequested,
            reason=st.sampled_from(["manual", "late-data", "data-drift"]),
            at=st.just(BASE),
        ),
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(
    readings=readings,
    state=states,
    minutes=st.integers(-120, 600),
    attempt=st.integers(0, 3),
    sigs=signals,
)
def test_never_launches_unless_the_condition_holds_now(
    readings: list[Reading],
    state: RunState,
    minutes: int,
    attempt: int,
    sigs: list[JobReported | RerunRequested],
) -> None:
    """Whatever the state, readings and signals: a launch implies the rules hold at ``now``."""
    now = BASE + timedelta(minutes=minutes)
    run = Run(
        pipeline_id="gold-revenue",
        partition="2026-11-23",
        state=state,
        created_at=at("07:00"),
        opened_by="cron",
        opened_at=BASE,
        window_closes_at=BASE + timedelta(hours=1),
        attempt=attempt,
        launched_at=BASE,
    )
    view = ReadingSet.of(readings)
    decision = decide(GOLD, run, view, now=now, signals=sigs)
    if decision.launches:
        assert evaluate(GOLD.validation, view.view("2026-11-23"), now).passed
    assert len(decision.launches) <= 1
    for launch in decision.launches:
        assert launch.attempt > attempt
    if decision.next_check_at is not None:
        assert decision.next_check_at > now
