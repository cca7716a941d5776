"""Table-test helpers shared by the config error tests: a row and its assertion."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from _pytest.mark import ParameterSet

from interlock.errors import ConfigProblem


class Expected(NamedTuple):
    """Where a problem is and what it says (``message`` and ``fix`` are fragments)."""

    line: int | None
    field: str
    message: str
    fix: str


def case(  # noqa: PLR0917  (a table row reads best positionally)
    text: str, line: int, field: str, message: str, fix: str, case_id: str
) -> ParameterSet:
    """One table row: the YAML text and the problem it must produce."""
    return pytest.param(text, Expected(line, field, message, fix), id=case_id)


def assert_problem(problem: ConfigProblem, file: str, expected: Expected) -> None:
    """``problem`` is at ``file`` and matches ``expected``."""
    assert (problem.file, problem.line, problem.field) == (file, expected.line, expected.field)
    assert expected.message in problem.message
    assert expected.fix in problem.fix


def assert_sound(problems: tuple[ConfigProblem, ...], source: str, text: str) -> None:
    """Every problem names ``source``, says something, and points at a line of ``text`` or none.

    And prints as one line that encodes to UTF-8, whatever the file held: a message spread
    over lines breaks ``file:line:`` parsers, and a lone surrogate breaks any terminal.
    """
    assert problems
    last_line = len(text.splitlines()) + 2
    for problem in problems:
        assert problem.file == source
        assert problem.field or problem.message
        assert problem.line is None or 1 <= problem.line <= last_line
        assert len(str(problem).splitlines()) == 1
        str(problem).encode("utf-8")
