"""libyaml's C parser (the fast path) and the pure-Python one read every document alike.

Config loading uses the C parser and falls back to the Python one only to word errors; a
difference in values or line numbers between the two would make ``file:line`` in error
messages, or the config itself, depend on which parser ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.config._yaml import _CLoader, _compose_with, _Loader, parse_yaml

EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "pipelines").glob("*.yaml"))

pytestmark = pytest.mark.skipif(_CLoader is None, reason="PyYAML built without libyaml")

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["10:00", "0o17", "0x1F", "yes", "on", "~", "1e3", ".inf", "2026-11-22"])
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


def _both(text: str) -> tuple[object, object]:
    """(data, value lines, key lines, problems) as each parser reads ``text``."""
    read = []
    for loader in (_CLoader, _Loader):
        assert loader is not None
        data, converter = _compose_with(loader(text), "p.yaml")
        lines = (dict(converter.value_lines), dict(converter.key_lines))
        read.append((data, *lines, [str(p) for p in converter.problems]))
    return read[0], read[1]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_example_pipelines_read_alike(path: Path) -> None:
    """Every shipped example: same values, same line for every field."""
    fast, reference = _both(path.read_text(encoding="utf-8"))
    assert fast == reference


@settings(max_examples=200, deadline=None)
@given(document=DOCUMENTS, flow=st.booleans())
def test_any_document_reads_alike(document: object, flow: bool) -> None:
    """Generated documents in block and flow style: same values and lines."""
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    fast, reference = _both(text)
    assert fast == reference


def test_a_broken_document_is_worded_by_the_python_parser() -> None:
    """The fallback keeps the error wording (and line) users and docs know."""
    document, problems = parse_yaml("pipeline:\n  id: p\n schedule: {}\n", "p.yaml")
    assert document is None
    assert problems[0].line == 3
    assert "expected <block end>" in problems[0].message
