"""The checker registry: built-in kinds by lazy import, third-party kinds by entry point."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from interlock.checkers.base import CheckRequest, CheckResult, Observation
from interlock.checkers.command import CommandChecker
from interlock.checkers.registry import checker_factory, checker_kinds
from interlock.errors import InputError


class RowCountChecker:
    """A third-party checker kind, as a package would ship it (loaded by entry point)."""

    bulk = False

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.rows = int(config["rows"])

    def check(self, request: CheckRequest) -> CheckResult:
        """Report the configured row count for every partition asked."""
        return CheckResult([Observation(p, {"rows": self.rows}) for p in request.partitions])

    def close(self) -> None:
        """Nothing to release."""


@pytest.fixture
def registered(tmp_path: Path) -> Iterator[Path]:
    """A real distribution on a tmp ``sys.path`` entry whose entry point names a checker kind."""
    dist = tmp_path / "acme_checks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[interlock.checkers]\n"
        f"rowcount = {__name__}:RowCountChecker\n"
        "broken = acme_nowhere.module:Checker\n"
        "sql = acme_nowhere.module:Shadow\n"
    )
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        importlib.invalidate_caches()


def test_builtin_command_kind_is_the_command_checker() -> None:
    """``command`` resolves to the built-in class, imported when asked for."""
    assert checker_factory("command") is CommandChecker


@pytest.mark.usefixtures("registered")
def test_registered_kind_builds_a_working_checker() -> None:
    """An ``interlock.checkers`` entry point adds a kind that builds and checks."""
    checker = checker_factory("rowcount")({"rows": 7})
    request = CheckRequest(
        key="k", pipeline_id=None, partitions=(None,), configs={None: {}}, timeout_seconds=1
    )
    assert checker.check(request).observations == [Observation(None, {"rows": 7})]
    assert "rowcount" in checker_kinds()


@pytest.mark.usefixtures("registered")
def test_registered_name_never_shadows_a_builtin() -> None:
    """A package registering ``sql`` does not replace Interlock's own SQL checker."""
    assert checker_kinds().count("sql") == 1
    assert checker_kinds()[:4] == ["sql", "path", "http", "command"]


@pytest.mark.usefixtures("registered")
def test_registered_kind_that_cannot_load_names_its_entry_point() -> None:
    """A broken entry point fails when used, naming where it points."""
    with pytest.raises(InputError, match=r"kind: checker kind 'broken' is registered as"):
        checker_factory("broken")


def test_unknown_kind_suggests_the_close_one() -> None:
    """A typo names the intended kind and the list of known ones."""
    with pytest.raises(
        InputError, match=r"unknown checker kind 'comand'; did you mean 'command'\?"
    ):
        checker_factory("comand")
