"""The path subset the ``http`` checker's ``fields`` are written in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlock.checkers._json_path import JsonPathError, parse_json_path, read_json_path

DOCUMENT = {"a": {"b": [{"c": 1}, {"c": 2}]}, "key with spaces": "x", "it's": True, "n": None}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("$", DOCUMENT),
        ("$.a.b[0].c", 1),
        ("$.a.b[-1].c", 2),
        ("$['key with spaces']", "x"),
        ('$["it\'s"]', True),
        ("$['it\\'s']", True),
        ("$.n", None),
        ("$.a.b[2].c", None),
        ("$.a.missing", None),
        ("$.a.b.c", None),
        ("$.a[0]", None),
    ],
)
def test_a_path_reads_its_value_or_none_when_the_document_lacks_it(path: str, value: Any) -> None:
    """Keys, quoted keys and indexes reach the value; a path leading nowhere reads None."""
    assert read_json_path(DOCUMENT, parse_json_path(path)) == value


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("a.b", "must start with $"),
        ("$.a[*]", "cannot read '[*]' (at character 4)"),
        ("$..a", "cannot read '..a'"),
        ("$.a[?(@.b > 1)]", "not supported"),
        ("$['unclosed]", "cannot read"),
        ("$.a b", "cannot read ' b'"),
    ],
)
def test_a_path_outside_the_subset_is_refused_saying_where(path: str, problem: str) -> None:
    """Wildcards, filters, recursive descent and typos are errors naming the position."""
    with pytest.raises(JsonPathError) as raised:
        parse_json_path(path)
    assert problem in str(raised.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def quoted(key: str) -> str:
    """``key`` as a bracketed step, with the quote and backslash escaped."""
    return "['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']"


@given(json_values, st.data())
def test_every_value_in_a_document_is_reachable_by_the_path_to_it(document: Any, data: Any) -> None:
    """Walk down a random document; the path written for that walk reads the value found."""
    path, value = "$", document
    while isinstance(value, dict | list) and value and data.draw(st.booleans()):
        if isinstance(value, dict):
            key = data.draw(st.sampled_from(sorted(value)))
            path, value = path + quoted(key), value[key]
        else:
            index = data.draw(st.integers(-len(value), len(value) - 1))
            path, value = path + f"[{index}]", value[index]
    assert read_json_path(json.loads(json.dumps(document)), parse_json_path(path)) == value


def test_a_quoted_key_may_hold_a_line_break() -> None:
    """JSON keys can hold any character: hypothesis once found a line-break key unreadable."""
    assert read_json_path({"\n": 5}, parse_json_path("$['\n']")) == 5
    assert read_json_path({"a\nb": {"c": 1}}, parse_json_path("$['a\nb'].c")) == 1
