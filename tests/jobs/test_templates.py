"""Tests for interlock.jobs.templates: strict placeholder expansion of job configs."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlock.errors import JobPermanentError
from interlock.jobs import JobRequest
from interlock.jobs.templates import (
    expand,
    expand_with_secrets,
    redact,
    run_key,
    template_variables,
)

VARIABLES = template_variables("gold-revenue", "2026-11-22T08|campaign=501", 2, "run-7")
ENV = {"TOKEN": "s3cret", "INTERLOCK_API": "https://api.example"}


def test_template_variables_of_an_hourly_partition_with_a_dimension():
    """Date, hour, partition, pipeline, run id, attempt and dimensions are all provided."""
    expected = {
        "date": "2026-11-22",
        "hour": "08",
        "partition": "2026-11-22T08|campaign=501",
        "pipeline": "gold-revenue",
        "runId": "run-7",
        "runKey": run_key("run-7"),
        "attempt": "2",
        "dim:campaign": "501",
    }
    assert expected == VARIABLES


def test_template_variables_of_a_daily_partition_have_an_empty_hour():
    """A daily partition gives hour ""."""
    variables = template_variables("p", "2026-11-22", 1, "r")
    assert variables["date"] == "2026-11-22"
    assert variables["hour"] == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("${date}", "2026-11-22", id="date"),
        pytest.param("--day=${date}T${hour}", "--day=2026-11-22T08", id="two-in-one"),
        pytest.param("${pipeline}/${runId}/${attempt}", "gold-revenue/run-7/2", id="run"),
        pytest.param("${dim:campaign}", "501", id="dimension"),
        pytest.param("Bearer ${env:TOKEN}", "Bearer s3cret", id="env"),
        pytest.param("${INTERLOCK_API}/x", "https://api.example/x", id="go-env-braced"),
        pytest.param("$INTERLOCK_API/x", "https://api.example/x", id="go-env-bare"),
        pytest.param("$${date}", "${date}", id="escaped"),
        pytest.param("cost: $5 and $HOME", "cost: $5 and $HOME", id="plain-dollars"),
        pytest.param("/runs/${response:id}", "/runs/${response:id}", id="response-kept"),
    ],
)
def test_expand_a_string(text, expected):
    """Each placeholder form expands to its value; escapes and response fields stay."""
    assert expand({"value": text}, VARIABLES, ENV) == {"value": expected}


def test_expand_walks_dicts_and_lists_and_keeps_other_values():
    """Nested strings are expanded; numbers, booleans, None and keys are left as they are."""
    config = {
        "command": ["run", "--date", "${date}"],
        "env": {"${date}": "${partition}"},
        "retries": 3,
        "flag": True,
        "nothing": None,
        "nested": [{"x": "${attempt}"}],
    }
    assert expand(config, VARIABLES, ENV) == {
        "command": ["run", "--date", "2026-11-22"],
        "env": {"${date}": "2026-11-22T08|campaign=501"},
        "retries": 3,
        "flag": True,
        "nothing": None,
        "nested": [{"x": "2"}],
    }


def test_expand_returns_a_copy():
    """The input config is never modified."""
    config = {"command": ["${date}"]}
    expand(config, VARIABLES, ENV)
    assert config == {"command": ["${date}"]}


def test_unknown_placeholder_names_path_and_known_names():
    """A typo fails the launch with the config path and the list of known variables."""
    with pytest.raises(JobPermanentError) as caught:
        expand({"command": ["run", "x", "${dat}"]}, VARIABLES, ENV)
    message = str(caught.value)
    assert message.startswith(
        "job.config.command[2]: unknown placeholder ${dat}; known: date, hour"
    )
    assert "dim:campaign" in message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("${env:MISSING}", id="env-form"),
        pytest.param("${INTERLOCK_MISSING}", id="go-braced"),
        pytest.param("$INTERLOCK_MISSING", id="go-bare"),
    ],
)
def test_missing_environment_variable_is_an_error(text):
    """An unset variable is an error, never silently "" as in the Go version."""
    with pytest.raises(JobPermanentError, match=r"job\.config\.headers\.Authorization: .*MISSING"):
        expand({"headers": {"Authorization": text}}, VARIABLES, ENV)


def test_unterminated_placeholder_is_an_error():
    """A ``${`` without ``}`` is reported rather than sent as is."""
    with pytest.raises(JobPermanentError, match="unterminated"):
        expand({"url": "http://x/${date"}, VARIABLES, ENV)


def test_path_prefix_is_configurable():
    """Callers can name where the config came from."""
    with pytest.raises(JobPermanentError, match=r"^postRun\.job\.x: "):
        expand({"x": "${nope}"}, VARIABLES, ENV, path="postRun.job")


def test_expand_with_secrets_reports_every_environment_value_it_used():
    """Values from ``${env:...}`` and ``$INTERLOCK_*`` are secrets; run variables are not."""
    config = {
        "url": "${INTERLOCK_API}/run?date=${date}",
        "headers": {"Authorization": "Bearer ${env:TOKEN}"},
        "unused": "$$INTERLOCK_API",
    }
    expansion = expand_with_secrets(config, VARIABLES, {**ENV, "OTHER": "never-used"})
    assert expansion.config == expand(config, VARIABLES, ENV)
    assert expansion.secrets == {"https://api.example", "s3cret"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("GET /run?token=s3cret", "GET /run?token=***", id="text"),
        pytest.param("s3cret and s3cret-long", "*** and ***", id="longest-first"),
        pytest.param("q=a%20b%2Fc", "q=***", id="percent-encoded"),
        pytest.param('{"k": "a b/c"}', '{"k": "***"}', id="raw-in-json"),
        pytest.param({"s3cret": ["x s3cret", 7, None]}, {"***": ["x ***", 7, None]}, id="json"),
        pytest.param("on 1 of 2", "on 1 of 2", id="short-values-kept"),
        pytest.param(3.5, 3.5, id="number"),
    ],
)
def test_redact_masks_each_secret(value, expected):
    """Every form of every secret of four or more characters becomes ``***``."""
    assert redact(value, {"s3cret", "s3cret-long", "a b/c", "on", "1", ""}) == expected


def test_redact_masks_json_escaped_secrets():
    """A secret with quotes is also masked where a JSON body echoes it escaped."""
    secret = 'pa"ss\\word'  # noqa: S105 - a test value
    assert redact(json.dumps({"echo": secret}), {secret}) == '{"echo": "***"}'


def test_a_request_repr_masks_its_secrets():
    """Logging a JobRequest shows its config masked and only the number of secrets."""
    request = JobRequest(
        pipeline_id="p",
        partition="2026-11-22",
        attempt=1,
        attempt_id="p/2026-11-22/1",
        config={"url": "http://x/?t=s3cret"},
        secrets=frozenset({"s3cret"}),
    )
    assert "s3cret" not in repr(request)
    assert "'http://x/?t=***'" in repr(request)
    assert request.redact("t=s3cret") == "t=***"


RUN_KEY_ALPHABET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""Where Airflow run ids, Prefect keys, Step Functions names and Databricks tokens meet."""


@pytest.mark.parametrize(
    ("attempt_id", "expected_prefix"),
    [
        ("gold-revenue/2026-11-22/1", "il-gold-revenue-2026-11-22-1-"),
        ("etl/2026-11-22T08|campaign=501|region=eu west/12", "il-etl-2026-11-22T08-campaign-501-"),
    ],
)
def test_run_key_is_readable_and_safe_everywhere(attempt_id: str, expected_prefix: str) -> None:
    """``${runKey}`` keeps the pipeline, partition and attempt readable in a safe alphabet."""
    key = run_key(attempt_id)
    assert key.startswith(expected_prefix)
    assert RUN_KEY_ALPHABET.match(key)


@given(st.text(min_size=1, max_size=400), st.text(min_size=1, max_size=400))
def test_run_keys_are_stable_safe_and_unique(first: str, second: str) -> None:
    """Any attempt id maps to one safe key of at most 64 characters; different ids differ."""
    assert run_key(first) == run_key(first)
    assert RUN_KEY_ALPHABET.match(run_key(first))
    if first != second:
        assert run_key(first) != run_key(second)


def test_run_key_is_a_template_variable() -> None:
    """Job configs write ``${runKey}``; it is the key of the attempt's id."""
    assert VARIABLES["runKey"] == run_key("run-7")
