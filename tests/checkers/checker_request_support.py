"""Building a :class:`CheckRequest` the way the runner does: templates expanded per partition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from interlock.checkers.base import CheckRequest
from interlock.jobs.templates import expand_with_secrets, template_variables


def request_for(
    config: Mapping[str, Any],
    partitions: Sequence[str | None] = (None,),
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> CheckRequest:
    """A request for ``partitions`` with ``config`` expanded for each (secrets collected)."""
    configs: dict[str | None, Mapping[str, Any]] = {}
    secrets: set[str] = set()
    for partition in partitions:
        variables = template_variables("orders", partition, 1, "check") if partition else {}
        expansion = expand_with_secrets(config, variables, env or {}, path="sensors[0]")
        configs[partition] = expansion.config
        secrets |= expansion.secrets
    return CheckRequest(
        key="output",
        pipeline_id="orders",
        partitions=tuple(partitions),
        configs=configs,
        timeout_seconds=timeout,
        secrets=frozenset(secrets),
    )
