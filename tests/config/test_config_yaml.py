"""The raw YAML layer: syntax errors, odd documents and YAML features, all as problems."""

from __future__ import annotations

import pytest

from interlock.config import parse_pipeline
from interlock.config._yaml import MAX_NODES, parse_yaml, render_path
from interlock.errors import ConfigError

DOCUMENT_PROBLEMS = [
    pytest.param(
        "pipeline:\n  id: p\n schedule: {}\n",
        3,
        "",
        "expected <block end>",
        "indentation",
        id="bad-indentation",
    ),
    pytest.param(
        "pipeline:\n  id: p\n\tjob: {}\n",
        3,
        "",
        "cannot start any token",
        "indentation",
        id="tab",
    ),
    pytest.param("pipeline: {id: p\n", 2, "", "expected ',' or '}'", "quoting", id="unclosed"),
    pytest.param('pipeline: {id: "p\\q"}\n', 1, "", "unknown escape", "quoting", id="escape"),
    pytest.param("pipeline: {id: p}\n\x00\n", 2, "", "unacceptable character #x0000", "", id="nul"),
    pytest.param(
        "pipeline: {id: p}\n---\npipeline: {id: q}\n",
        2,
        "",
        "single document",
        "",
        id="two-documents",
    ),
    pytest.param(
        "- pipeline\n- id\n",
        1,
        "",
        "the document must be a mapping, got a list",
        "pipeline:",
        id="list-document",
    ),
    pytest.param(
        "# a comment\njust text\n",
        1,
        "",
        "the document must be a mapping, got a string",
        "pipeline:",
        id="scalar-document",
    ),
    pytest.param("", 1, "pipeline.id", "missing required field", "pipeline:", id="empty"),
    pytest.param(
        "# only a comment\n",
        1,
        "pipeline.id",
        "missing required field",
        "pipeline:",
        id="comment-only",
    ),
    pytest.param("{}", 1, "pipeline.id", "missing required field", "pipeline:", id="empty-mapping"),
    pytest.param(
        "pipeline: {id: p}\njob: {type: command}\njob: {type: http}\n",
        3,
        "job",
        "duplicate key 'job'",
        "keeps only the last",
        id="duplicate-key",
    ),
    pytest.param(
        "pipeline: {id: p}\njob:\n  type: command\n  config: {1: a}\n",
        4,
        "job.config",
        "key '1' is not a string",
        'quote it: "1"',
        id="number-key",
    ),
    pytest.param(
        "pipeline: {id: p}\n? [a, b]\n: c\n",
        2,
        "",
        "a key must be a plain name",
        "plain names",
        id="collection-key",
    ),
    pytest.param(
        "pipeline: {id: p}\njob: {type: command, config: {x: !!binary aGk=}}\n",
        2,
        "job.config.x",
        "unsupported YAML value",
        "plain string",
        id="binary-tag",
    ),
    pytest.param(
        "pipeline: {id: p}\njob: {type: !custom command}\n",
        2,
        "job.type",
        "tagged !custom",
        "plain string",
        id="custom-tag",
    ),
    pytest.param(
        "pipeline: {id: p}\njob: {type: command, config: &c {x: *c}}\n",
        2,
        "job.config.x",
        "recursive alias",
        "own parent",
        id="recursive-alias",
    ),
    pytest.param(
        "pipeline: {id: p}\njob: {type: command, maxRetries: !!int two}\n",
        2,
        "job.maxRetries",
        "unsupported YAML value 'two'",
        "",
        id="bad-int-tag",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "message", "fix"), DOCUMENT_PROBLEMS)
def test_document_problems(text, line, field, message, fix):
    """Each YAML-level mistake is one problem with the parser's line, never an exception."""
    with pytest.raises(ConfigError) as info:
        parse_pipeline(text, source="p.yaml")
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    assert (problems[0].file, problems[0].line, problems[0].field) == ("p.yaml", line, field)
    assert message in problems[0].message
    assert fix in problems[0].fix


def test_alias_bomb_is_refused():
    """Nested aliases that expand past the node budget are one problem, not a hang."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    with pytest.raises(ConfigError) as info:
        parse_pipeline("\n".join(lines), source="bomb.yaml")
    assert [p.message for p in info.value.problems] == ["document is too large or deep"]
    assert MAX_NODES < 10**8


def test_deep_nesting_is_refused():
    """Nesting deeper than the parser's recursion is one problem, not a RecursionError."""
    with pytest.raises(ConfigError) as info:
        parse_pipeline("[" * 5000 + "]" * 5000)
    assert len(info.value.problems) == 1


def test_lines_of_keys_and_values():
    """Keys and values record their own 1-based lines; block values start below their key."""
    doc, problems = parse_yaml("a:\n  b:\n    - c: 1\n      d: x\n", "f")
    assert problems == []
    assert doc is not None
    assert doc.data == {"a": {"b": [{"c": 1, "d": "x"}]}}
    assert doc.key_line(("a", "b")) == 2
    assert doc.line(("a", "b")) == 3
    assert doc.line(("a", "b", 0, "d")) == 4
    assert doc.line(("a", "missing")) == 1
    assert doc.line(("a", "b", 0, "missing")) == 3


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10:00", "10:00"),
        ("yes", "yes"),
        ("off", "off"),
        ("2026-01-31", "2026-01-31"),
        ("010", 10),
        ("0x1F", 31),
        ("0o17", 15),
        ("1_000", "1_000"),
        ("1.5e3", 1500.0),
        ("-.inf", float("-inf")),
        ("TRUE", True),
        ("False", False),
        ("~", None),
        ("Null", None),
        ("!!str 12", "12"),
        ("!!float 1", 1.0),
    ],
)
def test_scalars_follow_yaml_1_2_core(text, value):
    """Plain scalars resolve like Go's yaml.v3, not PyYAML's YAML 1.1 defaults."""
    doc, problems = parse_yaml(f"v: {text}\n", "f")
    assert problems == []
    assert doc is not None
    assert doc.data == {"v": value}


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("job",), "job"),
        (("job", "maxRetries"), "job.maxRetries"),
        (("validation", "rules", 2, "check"), "validation.rules[2].check"),
        (("rules", 0, "anyOf", 1), "rules[0].anyOf[1]"),
    ],
)
def test_render_path(path, text):
    """Field paths read as in the docs: dots for keys, brackets for list indexes."""
    assert render_path(path) == text
