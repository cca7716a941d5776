"""The typed vocabulary of a run: its spellings, its helpers, and that the core uses it.

The values are stored, so they are pinned here: changing one would strand every run stored
with the old spelling (``tests/store/test_vocabulary_compat.py`` reads such a database).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from interlock.model import (
    FAILURE_CATEGORIES,
    LEGACY_MARKS,
    STATE_SEEN_PREFIX,
    FailureCategory,
    OpenedBy,
    RunMark,
)

SRC = Path(__file__).parents[2] / "src" / "interlock"

# A mark, an opened_by or a run's failure category written as a bare string literal.
BARE = re.compile(
    r"""\b(?:un)?marke?d?\(\s*f?["']"""
    r"""|marks\s*[-|]\s*\{\s*["']"""
    r"""|marks\s*=\s*frozenset\(\{\s*["']"""
    r"""|opened_by\s*(?:==|!=|=)\s*["']"""
    r"""|failure_category\s*(?:==|!=|=)\s*["']"""
)


def test_stored_spellings_are_pinned() -> None:
    """Each member's value is the string earlier versions stored."""
    assert {m.name: m.value for m in RunMark} == {
        "PLANNED_NEXT": "planned-next",
        "SCHEDULE_MISSED": "schedule-missed",
        "IRREGULAR_MISSED": "irregular-missed",
        "SLA_WARNING": "sla_warning",
        "SLA_BREACH": "sla_breach",
        "RELATIVE_SLA_WARNING": "relative_sla_warning",
        "RELATIVE_SLA_BREACH": "relative_sla_breach",
        "SLA_VERDICT": "sla-verdict",
        "POST_RUN_SEEN": "post-run-seen",
        "POST_RUN_MISSING": "post-run-missing",
        "OUTCOME_UNKNOWN": "outcome-unknown",
        "STATUS_UNAVAILABLE": "status-unavailable",
        "QUEUED_TOO_LONG": "queued-too-long",
        "SLA_AT_RISK": "sla_at_risk",
        "SATISFIED": "satisfied",
        "COMPLETE_SEEN": "complete-seen",
        "PARTITION_MISSING": "partition-missing",
        "RUN_STALE": "run-stale",
    }
    assert [m.value for m in OpenedBy] == [
        "cron",
        "trigger",
        "schedule",
        "manual",
        "upstream",
        "backfill",
        "testing",
        "",
    ]
    assert [m.value for m in FailureCategory] == [*FAILURE_CATEGORIES, "UNKNOWN"]
    assert RunMark.state_seen("queued") == "state-seen:queued"
    assert RunMark.state_seen("queued").startswith(STATE_SEEN_PREFIX)


def test_legacy_spellings_map_to_the_sla_marks() -> None:
    """The hyphenated SLA marks of the first versions are the underscored ones of today."""
    assert {old: new.value for old, new in LEGACY_MARKS.items()} == {
        "sla-warning": "sla_warning",
        "sla-breach": "sla_breach",
        "relative-sla-warning": "relative_sla_warning",
        "relative-sla-breach": "relative_sla_breach",
    }


@pytest.mark.parametrize(
    ("reported", "category"),
    [
        pytest.param(None, FailureCategory.TRANSIENT, id="none-is-transient"),
        pytest.param("", FailureCategory.TRANSIENT, id="empty-is-transient"),
        pytest.param("PERMANENT", FailureCategory.PERMANENT, id="a-known-word-is-itself"),
        pytest.param("BOGUS", FailureCategory.TRANSIENT, id="an-unknown-word-retries-as-transient"),
    ],
)
def test_a_reported_category(reported: str | None, category: FailureCategory) -> None:
    """What the core makes of the word a job reported."""
    assert FailureCategory.reported(reported) is category


def test_the_source_writes_no_bare_vocabulary() -> None:
    """Every mark, opened_by and run failure category in ``src`` goes through the enums."""
    bare = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BARE.search(line)
    ]
    assert not bare


def test_pause_events_are_in_the_catalog() -> None:
    """``interlock pause``/``resume`` record these spellings; a pause is worth an alert."""
    from interlock.events import ALERT_EVENTS, EventType, severity  # noqa: PLC0415

    assert EventType.PIPELINE_PAUSED.value == "PIPELINE_PAUSED"
    assert EventType.PIPELINE_RESUMED.value == "PIPELINE_RESUMED"
    assert {EventType.PIPELINE_PAUSED, EventType.PIPELINE_RESUMED} <= ALERT_EVENTS
    assert severity("PIPELINE_PAUSED") == "warning"


def test_desired_state_events_are_in_the_catalog() -> None:
    """The desired-state events keep their spellings; a missing output and a stale run alert."""
    from interlock.events import ALERT_EVENTS, EventType, severity  # noqa: PLC0415

    names = {EventType.PARTITION_SATISFIED, EventType.PARTITION_MISSING, EventType.RUN_STALE}
    assert {e.value for e in names} == {"PARTITION_SATISFIED", "PARTITION_MISSING", "RUN_STALE"}
    assert names <= ALERT_EVENTS
    assert severity("PARTITION_SATISFIED") == "ok"
    assert severity("PARTITION_MISSING") == "warning"
    assert severity("RUN_STALE") == "error"


def test_sensor_check_failed_is_in_the_catalog_and_alerts() -> None:
    """A failing state checker alerts as a warning, under the name dashboards route on."""
    from interlock.events import ALERT_EVENTS, EventType, catalog_names, severity  # noqa: PLC0415

    assert EventType.SENSOR_CHECK_FAILED.value == "SENSOR_CHECK_FAILED"
    assert EventType.SENSOR_CHECK_FAILED in ALERT_EVENTS
    assert severity("SENSOR_CHECK_FAILED") == "warning"
    assert catalog_names(["sensor_check_failed"]) == ("SENSOR_CHECK_FAILED",)
