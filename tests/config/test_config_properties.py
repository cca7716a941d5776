"""Properties of the loader for any input: only ConfigError escapes, and problems are usable.

Configs are written by hand, so the loader must be total: whatever the text, the result is a
spec or a ConfigError whose every problem names a file, says something, and points at a real
line (or at none).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from config_support import assert_sound
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.config import parse_pipeline
from interlock.config._build import JOB_TYPES
from interlock.errors import ConfigError
from interlock.model.specs import PipelineSpec

GOLD_REVENUE = (
    Path(__file__).resolve().parents[2] / "examples/pipelines/gold-revenue.yaml"
).read_text()

SCHEMA_KEYS = [
    "pipeline",
    "id",
    "owner",
    "description",
    "schedule",
    "cron",
    "timezone",
    "trigger",
    "key",
    "check",
    "field",
    "value",
    "deadline",
    "evaluation",
    "window",
    "interval",
    "include",
    "dates",
    "exclude",
    "weekends",
    "holidays",
    "calendar",
    "time",
    "sla",
    "expectedDuration",
    "maxDuration",
    "critical",
    "validation",
    "rules",
    "allOf",
    "anyOf",
    "job",
    "type",
    "config",
    "maxRetries",
    "maxCodeRetries",
    "maxDriftReruns",
    "maxManualReruns",
    "jobPollWindowSeconds",
    "pollInterval",
    "postRun",
    "sensorTimeout",
    "driftField",
    "driftThreshold",
    "dryRun",
]
SCALAR_TEXT = [
    "",
    "ALL",
    "any",
    "UTC",
    "Europe/Berlin",
    "Nowhere/Zone",
    "0 8 * * *",
    "* *",
    "10:00",
    ":30",
    "25:99",
    "1h",
    "0s",
    "-5m",
    "1d",
    "2026-01-31",
    "2026-02-30",
    "US",
    "XX",
    "exists",
    "equals",
    "gte",
    "age_lt",
    "regex",
    *JOB_TYPES,
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(SCALAR_TEXT)
    | st.text(max_size=12)
)
KEYS = st.sampled_from(SCHEMA_KEYS) | st.text(max_size=8)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=40,
)


def outcome(text: str) -> PipelineSpec | ConfigError:
    """The spec ``parse_pipeline`` returns, or the ConfigError it raises (nothing else)."""
    try:
        return parse_pipeline(text, source="fuzz.yaml")
    except ConfigError as exc:
        return exc


def check_total(text: str) -> None:
    """``parse_pipeline(text)`` returns a spec or raises a ConfigError with sound problems."""
    result = outcome(text)
    if isinstance(result, PipelineSpec):
        assert result.id
        return
    assert_sound(result.problems, "fuzz.yaml", text)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_any_document_yields_a_spec_or_config_error(document):
    """Random nested mappings, lists and scalars (shaped like the schema) never crash."""
    check_total(yaml.safe_dump(document, allow_unicode=True))


@settings(deadline=None)
@given(st.dictionaries(KEYS, DOCUMENTS, max_size=8))
def test_any_document_with_an_id_yields_a_spec_or_config_error(document):
    """With a valid id the builder goes deep into every section, and still never crashes."""
    document["pipeline"] = {"id": "p"}
    check_total(json.dumps(document))


@settings(deadline=None)
@given(st.text())
def test_any_text_yields_a_spec_or_config_error(text):
    """Arbitrary text (syntax errors, control characters, tabs) is only ever a ConfigError."""
    check_total(text)


@settings(deadline=None)
@given(st.data())
def test_mutated_example_yields_a_spec_or_config_error(data):
    """The gold-revenue example with a few characters replaced never crashes the loader."""
    text = list(GOLD_REVENUE)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        index = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
        text[index] = data.draw(
            st.sampled_from([" ", "\n", ":", "-", "[", "{", "'", "\t", "x", "&a", "*a", ""])
        )
    check_total("".join(text))
