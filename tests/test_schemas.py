"""``interlock.schemas``: a documented JSON Schema per shape; today's output is its model.

The CLI read commands are checked end to end in ``tests/runtime/test_read_api.py``; here:
the schemas themselves, ``simulate`` lines (the recorded, byte-pinned files), ``validate
--json`` and the explanation tree the core builds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from interlock import schemas
from interlock.cli import main
from interlock.model import Event, Explanation
from interlock.model.conditions import Evaluation
from interlock.simulation.replay import event_json
from interlock.testing import evaluate

DATA = Path(__file__).parent / "data" / "simulate"
EXAMPLES = Path(__file__).parents[1] / "examples" / "pipelines"
RECORDED = sorted(DATA.glob("*.out.jsonl"))


@pytest.mark.parametrize("name", sorted(schemas.SHAPES))
def test_every_shape_has_a_documented_json_schema(name: str) -> None:
    """Both the input and the output JSON Schema exist, and every field says what it is."""
    model = schemas.SHAPES[name]
    for mode in ("validation", "serialization"):
        schema = model.model_json_schema(mode=mode, by_alias=True)
        if "$ref" in schema:  # a recursive model (evaluation) is a reference into $defs
            schema = schema["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
        assert schema["description"]
        for field, spec in schema["properties"].items():
            assert spec.get("description"), f"{name}.{field} has no description"


@pytest.mark.parametrize("recorded", RECORDED, ids=[p.name for p in RECORDED])
def test_recorded_simulate_lines_are_event_out(recorded: Path) -> None:
    """Each pinned ``simulate --json`` line validates and prints back byte for byte."""
    for line in recorded.read_text(encoding="utf-8").splitlines():
        event = schemas.EventOut.model_validate_json(line)
        assert json.dumps(schemas.dump(event), default=str) == line


def test_event_json_is_the_event_out_form() -> None:
    """``replay.event_json`` (public) is ``EventOut``: ``Z`` times, detail as a dict."""
    event = Event(
        type="SLA_WARNING",
        pipeline_id="p",
        partition=None,
        at=schemas.EventOut.model_validate({**_EVENT, "detail": {}}).at,
        message="m",
        detail={"deadline": "10:00"},
    )
    assert event_json(event) == {**_EVENT, "detail": {"deadline": "10:00"}}


_EVENT = {
    "at": "2026-11-22T08:00:00Z",
    "type": "SLA_WARNING",
    "pipeline": "p",
    "partition": None,
    "message": "m",
    "detail": {},
}


def test_validate_json_is_its_schema(tmp_path: Path) -> None:
    """``validate --json``: pipelines on success, problems on failure; both are models."""
    runner = CliRunner()
    good = runner.invoke(main, ["validate", "--json", str(EXAMPLES)])
    assert good.exit_code == 0, good.output
    _round_trip(schemas.PipelineOut, good.stdout)
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text('pipeline: {id: "café"}\nschedule: {cron: "nöpe"}\n', encoding="utf-8")
    bad = runner.invoke(main, ["validate", "--json", str(bad_file)])
    assert bad.exit_code == 1
    _round_trip(schemas.ProblemOut, bad.stdout)


def _round_trip(model: type[BaseModel], output: str) -> None:
    items = [model.model_validate(item) for item in json.loads(output)]
    assert schemas.dumps(items, indent=2, ensure_ascii=False) + "\n" == output


def _explanations() -> list[Explanation]:
    gold = EXAMPLES / "gold-revenue.yaml"
    ready = {"upstream-complete": {"status": "ready"}}
    return [
        evaluate(gold, {}, at="2026-11-22T08:05:00Z").explanation,
        evaluate(
            gold, {**ready, "row-count": {"count": 50}}, at="2026-11-22T08:05:00Z"
        ).explanation,
        evaluate(
            gold, {**ready, "row-count": {"count": 5000}}, at="2026-11-22T08:05:00Z"
        ).explanation,
    ]


@pytest.mark.parametrize("explanation", _explanations(), ids=["nothing", "short", "ready"])
def test_explanation_out_is_to_dict(explanation: Explanation) -> None:
    """The core's ``to_dict`` (what the store persists) is the ``ExplanationOut`` form."""
    out = schemas.ExplanationOut.of(explanation)
    assert schemas.dump(out) == explanation.to_dict()
    for evaluation in (explanation.validation, explanation.trigger):
        if isinstance(evaluation, Evaluation):
            assert schemas.dump(schemas.EvaluationOut.of(evaluation)) == evaluation.to_dict()


def test_a_key_the_schema_does_not_know_is_refused() -> None:
    """The models are closed, so a key added to a builder and not here fails loudly."""
    with pytest.raises(ValueError, match="extra"):
        schemas.EventOut.model_validate({**_EVENT, "severity": "warning"})


def test_the_cli_does_not_import_pydantic_to_start() -> None:
    """``interlock --help`` stays fast: pydantic is imported by the JSON commands only."""
    code = "import sys, interlock.cli; print('pydantic' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
