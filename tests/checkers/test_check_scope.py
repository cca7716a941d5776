"""What a check looks at: dated or undated configs, their expansion, and the back-off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlock.checkers.base import CheckError
from interlock.controller.check_scope import expand_configs, is_dated
from interlock.controller.checks import MAX_BACKOFF, backoff
from interlock.model.checkers import SensorCheckSpec


@pytest.mark.parametrize(
    ("config", "dated"),
    [
        ({"url": "s3://b/cdr/${date}/_SUCCESS"}, True),
        ({"command": ["./check.sh", "${partition}"]}, True),
        ({"url": "https://x/${hour}"}, True),
        ({"query": {"where": ["campaign = '${dim:campaign}'"]}}, True),
        ({"url": "${env:WAREHOUSE_URL}", "query": "select 1 where d = :from_date"}, False),
        ({"url": "https://status/${pipeline}"}, False),
        ({"url": "literal $${date}"}, False),
        ({"every": 5, "flag": True}, False),
    ],
)
def test_a_config_is_dated_when_it_holds_a_per_partition_template(
    config: dict[str, Any], dated: bool
) -> None:
    """Only ``${date}``/``${hour}``/``${partition}``/``${dim:…}`` make a per-partition check."""
    assert is_dated(config) is dated


def _check(config: dict[str, Any]) -> SensorCheckSpec:
    return SensorCheckSpec(
        key="output", kind="path", every=timedelta(minutes=1), config=config, pipeline_id="p"
    )


def test_each_partition_gets_its_own_variables_and_env_values_are_secrets() -> None:
    """``${date}``, ``${dim:…}`` per partition; ``${env:…}`` substituted and kept for redaction."""
    check = _check({"url": "s3://${env:BUCKET}/${date}/${dim:campaign}"})
    done = expand_configs(
        check, ["2026-03-25|campaign=501", "2026-03-26|campaign=7"], {"BUCKET": "raw-bkt"}
    )
    assert done.configs == {
        "2026-03-25|campaign=501": {"url": "s3://raw-bkt/2026-03-25/501"},
        "2026-03-26|campaign=7": {"url": "s3://raw-bkt/2026-03-26/7"},
    }
    assert done.secrets == frozenset({"raw-bkt"})


def test_an_undated_config_is_expanded_once_for_every_partition() -> None:
    """A bulk check over many partitions shares one expansion of its undated config."""
    done = expand_configs(
        _check({"url": "${env:URL}"}), ["2026-01-01", "2026-01-02"], {"URL": "x://y"}
    )
    first, second = done.configs.values()
    assert first is second
    assert first == {"url": "x://y"}


@pytest.mark.parametrize(
    ("config", "env", "message"),
    [
        (
            {"url": "${env:NOPE}"},
            {},
            r"sensors\[output\]\.path\.url: environment variable NOPE is not set",
        ),
        ({"url": "/d/${day}"}, {}, r"sensors\[output\]\.path\.url: unknown placeholder \$\{day\}"),
        ({"url": "/d/${runId}/${date}"}, {}, r"unknown placeholder \$\{runId\}"),
    ],
)
def test_a_config_that_cannot_expand_fails_the_check_naming_its_place(
    config: dict[str, Any], env: dict[str, str], message: str
) -> None:
    """An unset variable or unknown placeholder is a CheckError, not a crash or a blank."""
    with pytest.raises(CheckError, match=message):
        expand_configs(_check(config), ["2026-01-01"], env)


@given(
    every=st.integers(min_value=1, max_value=3 * 86400).map(lambda s: timedelta(seconds=s)),
    failures=st.integers(min_value=0, max_value=10_000),
)
def test_backoff_never_shrinks_and_stays_between_every_and_the_cap(
    every: timedelta, failures: int
) -> None:
    """More failures never wait less; the wait is ≥ ``every`` and ≤ max(every, 1 h)."""
    wait = backoff(every, failures)
    assert every <= wait <= max(every, MAX_BACKOFF)
    assert backoff(every, failures + 1) >= wait
