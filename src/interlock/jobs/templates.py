"""Job config templates: ``${date}``, ``${partition}``, ``${env:NAME}`` and friends.

The Go Interlock documents ``${DATE}``-style templates but never implemented them (spec §13.3);
its only substitution is ``$INTERLOCK_*`` environment expansion, where an unset variable
silently becomes "". Here a job config is expanded once, at launch, and *strictly*: an unknown
placeholder or an unset environment variable is a :class:`~interlock.errors.JobPermanentError`
that names the placeholder and where it sits (``job.config.command[2]``), because a job
launched with a half-empty argument is worse than one not launched at all.

Grammar, inside any string value of the config (keys are never expanded)::

    ${date} ${hour} ${partition} ${pipeline} ${runId} ${attempt}   from the run
    ${dim:NAME}                                                    a partition dimension
    ${env:NAME}                                                    the controller's environment
    ${INTERLOCK_NAME}, $INTERLOCK_NAME                             Go-compatible env form
    $${                                                            a literal ``${``
    ${response:FIELD}                                              left for the http backend

``${response:FIELD}`` is not ours to fill: the http backend fills it from the launch response
when it polls ``statusUrl``, so expansion passes it through untouched. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from interlock.errors import JobPermanentError

__all__ = ["RUN_VARIABLES", "expand", "template_variables"]

RUN_VARIABLES = ("date", "hour", "partition", "pipeline", "runId", "attempt")
"""The variables :func:`template_variables` always provides, in documentation order."""

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{|\$(INTERLOCK_[A-Za-z0-9_]+)")
_RESPONSE_PREFIX = "response:"
_GO_ENV_PREFIX = "INTERLOCK_"


def template_variables(
    pipeline_id: str, partition: str, attempt: int, run_id: str
) -> dict[str, str]:
    """The variables of one attempt, for :func:`expand`.

    ``date`` is the partition's ``YYYY-MM-DD``; ``hour`` is ``HH`` for hourly partitions and
    "" otherwise; each dimension ``name=value`` of the partition adds ``dim:name``.
    """
    head, *dimensions = partition.split("|")
    day, sep, hour = head.partition("T")
    variables = {
        "date": day[:10],
        "hour": hour[:2] if sep else "",
        "partition": partition,
        "pipeline": pipeline_id,
        "runId": run_id,
        "attempt": str(attempt),
    }
    for dimension in dimensions:
        name, _, value = dimension.partition("=")
        variables[f"dim:{name}"] = value
    return variables


def expand(
    config: Mapping[str, Any],
    variables: Mapping[str, str],
    env: Mapping[str, str],
    *,
    path: str = "job.config",
) -> dict[str, Any]:
    """Return a copy of ``config`` with every placeholder in its string values filled.

    Dicts and lists are walked recursively; other values are copied as they are. ``path`` is
    the prefix used in error messages.

    :raises JobPermanentError: an unknown placeholder, an unset environment variable or an
        unterminated ``${``, naming its place in the config.
    """
    expanded = _expand_value(config, variables, env, path)
    return dict(expanded)


def _expand_value(
    value: Any, variables: Mapping[str, str], env: Mapping[str, str], path: str
) -> Any:
    if isinstance(value, str):
        return _expand_string(value, variables, env, path)
    if isinstance(value, Mapping):
        return {
            key: _expand_value(item, variables, env, f"{path}.{key}") for key, item in value.items()
        }
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [
            _expand_value(item, variables, env, f"{path}[{index}]")
            for index, item in enumerate(value)
        ]
    return value


def _expand_string(
    text: str, variables: Mapping[str, str], env: Mapping[str, str], path: str
) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        if match.group(2) is not None:
            return _lookup_env(match.group(2), env, path, match.group(0))
        name = match.group(1)
        if name is None:
            raise JobPermanentError(f"{path}: unterminated '${{' (write $${{ for a literal)")
        return _lookup(name, variables, env, path)

    return _TOKEN.sub(replace, text)


def _lookup(name: str, variables: Mapping[str, str], env: Mapping[str, str], path: str) -> str:
    if name.startswith(_RESPONSE_PREFIX):
        return f"${{{name}}}"
    if name.startswith("env:"):
        return _lookup_env(name[4:], env, path, f"${{{name}}}")
    if name.startswith(_GO_ENV_PREFIX):
        return _lookup_env(name, env, path, f"${{{name}}}")
    if name in variables:
        return variables[name]
    known = ", ".join(sorted(variables, key=_known_order))
    raise JobPermanentError(
        f"{path}: unknown placeholder ${{{name}}}; known: {known}, env:NAME"
        " (launch response fields are written ${response:FIELD})"
    )


def _lookup_env(name: str, env: Mapping[str, str], path: str, token: str) -> str:
    if name in env:
        return env[name]
    raise JobPermanentError(f"{path}: environment variable {name} is not set (used as {token})")


def _known_order(name: str) -> tuple[int, str]:
    return (RUN_VARIABLES.index(name), "") if name in RUN_VARIABLES else (len(RUN_VARIABLES), name)
