"""A project's checkers, each config checked by its kind's class (``apply``, ``validate``).

The config layer reads the structure of ``sensors:`` but sits below the checkers, so it
cannot build one; this module, above both, hands each config (the pipelines' and the
project's shared ``sensors/*.yaml``) to its kind's class through
``interlock.checkers.registry.checker_factory``. Until that registry is installed only the
structure is checked, so a project is never refused for a module it does not have.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from interlock.checkers.registry import checker_factory
from interlock.config import load_sensors, sensor_config_problems, shared_sensors_dir
from interlock.errors import ConfigError, ConfigProblem
from interlock.model.checkers import SensorCheckSpec
from interlock.model.specs import PipelineSpec

__all__ = ["check_project_checkers", "checker_config_problems", "project_checkers"]


def project_checkers(pipelines: Path, specs: Iterable[PipelineSpec]) -> tuple[SensorCheckSpec, ...]:
    """The checkers of ``specs`` then the shared ones beside ``pipelines`` (if any).

    :raises ConfigError: when a shared checker file has a problem.
    """
    own = tuple(check for spec in specs for check in spec.sensors)
    shared_dir = shared_sensors_dir(pipelines)
    return own + (load_sensors(shared_dir) if shared_dir is not None else ())


def checker_config_problems(checks: Iterable[SensorCheckSpec]) -> list[ConfigProblem]:
    """What the checker classes say about ``checks`` (built and closed, never run)."""
    return sensor_config_problems(checks, checker_factory)


def check_project_checkers(pipelines: Path, specs: Iterable[PipelineSpec]) -> None:
    """Refuse a project whose checkers their own classes refuse.

    :raises ConfigError: listing every such problem.
    """
    problems = checker_config_problems(project_checkers(pipelines, specs))
    if problems:
        raise ConfigError(problems)
