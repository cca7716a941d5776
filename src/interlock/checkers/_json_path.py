"""A small, safe JSONPath subset for the ``http`` checker's ``fields``: one value, one path.

Status endpoints nest the one value a rule needs (``{"feeds": [{"status": "ok"}]}``); a
full JSONPath library (filters, wildcards, script expressions) is far more than naming that
value needs, and none is a dependency. The grammar, after a leading ``$``::

    .name            a key made of letters, digits, ``_`` and ``-``
    ['any key']      any key, quoted with ' or " (a backslash escapes the quote or itself)
    [N]  [-N]        a list index; negative counts from the end

``$`` alone is the whole document. A path that does not lead anywhere (a missing key, an
index past the end, a key into a list) reads as ``None``: the document simply does not say,
which is an observation, not an error. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["JsonPath", "JsonPathError", "parse_json_path", "read_json_path"]

JsonPath = tuple[str | int, ...]
"""A parsed path: keys (str) and list indexes (int), in order from the root."""

_DOT_KEY = re.compile(r"\.([A-Za-z0-9_-]+)")
_INDEX = re.compile(r"\[(-?[0-9]+)\]")
_QUOTED = re.compile(r"""\[(['"])((?:\\.|(?!\1).)*)\1\]""", re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
"""DOTALL: a quoted key may hold a line break (JSON keys can), and so may an escaped one."""
_GRAMMAR = "write $.a.b[0].c, $['key with spaces'] or $[-1]"


class JsonPathError(ValueError):
    """A path outside the supported subset; the message says where and what is allowed."""


def parse_json_path(text: str) -> JsonPath:
    """The steps of ``text``, such as ``$.feeds[0]['last run'].status``.

    :raises JsonPathError: not ``$``-rooted, or a step outside the grammar, naming its
        position and the grammar.
    """
    if not text.startswith("$"):
        raise JsonPathError(f"{text!r} must start with $ ({_GRAMMAR})")
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        step, position = _step(text, position)
        steps.append(step)
    return tuple(steps)


def _step(text: str, position: int) -> tuple[str | int, int]:
    """The step starting at ``position`` and where the next one starts."""
    if match := _DOT_KEY.match(text, position):
        return match.group(1), match.end()
    if match := _INDEX.match(text, position):
        return int(match.group(1)), match.end()
    if match := _QUOTED.match(text, position):
        return _ESCAPE.sub(r"\1", match.group(2)), match.end()
    raise JsonPathError(
        f"{text!r}: cannot read {text[position:]!r} (at character {position + 1}); {_GRAMMAR}"
        " (filters, wildcards and recursive descent are not supported)"
    )


def read_json_path(document: Any, path: JsonPath) -> Any:
    """The value at ``path`` in ``document``, or None when the document does not have it."""
    value = document
    for step in path:
        if not _has(value, step):
            return None
        value = value[step]
    return value


def _has(value: Any, step: str | int) -> bool:
    """Whether ``value`` has ``step``: a key of a mapping, or an index within a list."""
    if isinstance(step, str):
        return isinstance(value, Mapping) and step in value
    return isinstance(value, list) and -len(value) <= step < len(value)
