"""What one check looks at: the partitions that matter now, and each one's expanded config.

A checker is asked only about partitions someone is waiting for or still watching — never
every partition that could exist:

- its pipeline's open runs (PENDING, WAITING, LAUNCHING, RUNNING);
- its pipeline's SUCCEEDED runs whose partition date is within ``horizon`` (a deletion
  there must be noticed for self-healing);
- for a pipeline with ``partitions``, its desired range limited to the last ``horizon``.

A shared checker (``pipeline_id`` None) is asked about the partitions that matter to every
pipeline whose rules read its key. A config without a per-partition template (``${date}``,
``${hour}``, ``${partition}``, ``${dim:NAME}``) is an *undated* check, asked once about
``None`` — unless its kind is bulk (``sql``), whose query maps rows to partitions itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from interlock.checkers.base import CheckError
from interlock.controller.reconcile import dynamic_values
from interlock.errors import JobPermanentError
from interlock.jobs.templates import expand_with_secrets, template_variables
from interlock.model import ReadingSet, Run, RunState
from interlock.model.checkers import SensorCheckSpec
from interlock.model.desired import desired_partitions
from interlock.model.specs import PipelineSpec

__all__ = ["CheckConfigs", "ScopeStore", "expand_configs", "is_dated", "partitions_that_matter"]

OPEN_STATES = (RunState.PENDING, RunState.WAITING, RunState.LAUNCHING, RunState.RUNNING)
_RUN_LIMIT = 1_000_000
"""``list_runs`` wants a limit; the horizon, not this, is what bounds the partitions."""
_DATED = re.compile(r"(?<!\$)\$\{(date|hour|partition|dim:[^}]*)\}")
"""A per-partition placeholder (``$${date}`` is a literal, not one)."""
_RUN_ONLY = ("runId", "runKey", "attempt")
"""Template variables of a job attempt that mean nothing to a check."""


class ScopeStore(Protocol):
    """What finding the partitions that matter reads."""

    def list_runs(
        self, pipeline_id: str | None = None, *, limit: int = 50, states: Sequence[str] = ()
    ) -> list[Run]:
        """Runs of a pipeline in the given states."""
        ...

    def load_readings(self, pipeline: PipelineSpec, partition: str) -> ReadingSet:
        """Readings (the lists behind dynamic dimensions)."""
        ...


def is_dated(config: Any) -> bool:
    """Whether any string in ``config`` holds a per-partition template."""
    if isinstance(config, str):
        return _DATED.search(config) is not None
    if isinstance(config, Mapping):
        return any(is_dated(value) for value in config.values())
    if isinstance(config, list | tuple):
        return any(is_dated(value) for value in config)
    return False


def partitions_that_matter(
    check: SensorCheckSpec, specs: Mapping[str, PipelineSpec], store: ScopeStore, now: datetime
) -> list[str]:
    """The partitions ``check`` is asked about at ``now``, sorted (see the module docstring)."""
    if check.pipeline_id is not None:
        readers = [specs[check.pipeline_id]] if check.pipeline_id in specs else []
    else:
        readers = [spec for spec in specs.values() if check.key in spec.sensor_keys]
    oldest = (now - check.horizon).date()
    found: set[str] = set()
    for spec in readers:
        found.update(_pipeline_partitions(spec, store, now, oldest))
    return sorted(found)


def _pipeline_partitions(
    spec: PipelineSpec, store: ScopeStore, now: datetime, oldest: date
) -> Iterable[str]:
    for run in store.list_runs(spec.id, limit=_RUN_LIMIT, states=OPEN_STATES):
        yield run.partition
    succeeded = store.list_runs(spec.id, limit=_RUN_LIMIT, states=(RunState.SUCCEEDED,))
    yield from (run.partition for run in succeeded if _within(run.partition, oldest))
    if spec.partitions is not None:
        dynamic = dynamic_values(spec, store.load_readings(spec, ""))
        desired = desired_partitions(spec.partitions, now, dynamic)
        yield from (partition for partition in desired if _within(partition, oldest))


def _within(partition: str, oldest: date) -> bool:
    """Whether a partition's date is ``oldest`` or later (ISO dates compare as text)."""
    return partition[:10] >= oldest.isoformat()


@dataclass(frozen=True)
class CheckConfigs:
    """The expanded config of each partition asked, and the environment values used."""

    configs: Mapping[str | None, Mapping[str, Any]]
    secrets: frozenset[str]


def expand_configs(
    check: SensorCheckSpec,
    partitions: Sequence[str | None],
    env: Mapping[str, str] | None = None,
) -> CheckConfigs:
    """``check.config`` with its templates filled for each partition.

    An undated config is expanded once and shared by every partition (a bulk check over
    36,500 partitions must not expand its query 36,500 times).

    :raises CheckError: an unknown placeholder or an unset environment variable, naming
        its place in the config (``sensors[output].sql.url``).
    """
    environ = os.environ if env is None else env
    path = f"sensors[{check.key}].{check.kind}"
    try:
        if not is_dated(check.config):
            shared = expand_with_secrets(check.config, _variables(check, None), environ, path=path)
            return CheckConfigs(dict.fromkeys(partitions, shared.config), shared.secrets)
        configs: dict[str | None, Mapping[str, Any]] = {}
        secrets: set[str] = set()
        for partition in partitions:
            done = expand_with_secrets(
                check.config, _variables(check, partition), environ, path=path
            )
            configs[partition] = done.config
            secrets.update(done.secrets)
    except JobPermanentError as exc:
        raise CheckError(str(exc)) from None
    return CheckConfigs(configs, frozenset(secrets))


def _variables(check: SensorCheckSpec, partition: str | None) -> dict[str, str]:
    pipeline = check.pipeline_id or ""
    if partition is None:
        return {"pipeline": pipeline}
    variables = template_variables(pipeline, partition, 0, "")
    for name in _RUN_ONLY:
        variables.pop(name, None)
    return variables
