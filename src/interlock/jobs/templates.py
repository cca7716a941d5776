"""Job config templates: ``${date}``, ``${partition}``, ``${env:NAME}`` and friends.

The Go Interlock documents ``${DATE}``-style templates but never implemented them
(docs/go-compatibility.md); its only substitution is ``$INTERLOCK_*`` environment expansion,
where an unset variable silently becomes "". Here a job config is expanded once, at launch, and
*strictly*: an unknown placeholder or an unset environment variable is a
:class:`~interlock.errors.JobPermanentError` that names the placeholder and where it sits
(``job.config.command[2]``), because a job launched with a half-empty argument is worse than one
not launched at all.

Grammar, inside any string value of the config (keys are never expanded)::

    ${date} ${hour} ${partition} ${pipeline} ${runId} ${attempt}   from the run
    ${runKey}                                                      the attempt, as an id
                                                                   any orchestrator accepts
    ${dim:NAME}                                                    a partition dimension
    ${env:NAME}                                                    the controller's environment
    ${INTERLOCK_NAME}, $INTERLOCK_NAME                             Go-compatible env form
    $${                                                            a literal ``${``
    ${response:FIELD}                                              left for the http backend

``${response:FIELD}`` is not ours to fill: the http backend fills it from the launch response
when it polls ``statusUrl``, so expansion passes it through untouched.

Secrets. A value taken from the environment (``${env:NAME}``, ``$INTERLOCK_NAME``) is treated
as a credential, whatever its name: :func:`expand_with_secrets` returns the set of such values
it substituted, the controller carries them in ``JobRequest.secrets``, and :func:`redact`
replaces each occurrence with ``***`` in anything Interlock stores or renders (job handles,
messages, output tails, ``launch.json``). Only the job itself sees the real value. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload
from urllib.parse import quote, quote_plus

from interlock.errors import JobPermanentError

__all__ = [
    "MASK",
    "MIN_SECRET_CHARS",
    "RUN_KEY_MAX",
    "RUN_VARIABLES",
    "Expansion",
    "expand",
    "expand_with_secrets",
    "placeholder_problems",
    "redact",
    "run_key",
    "template_variables",
]

RUN_VARIABLES = ("date", "hour", "partition", "pipeline", "runId", "runKey", "attempt")
"""The variables :func:`template_variables` always provides, in documentation order."""

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{|\$(INTERLOCK_[A-Za-z0-9_]+)")
_RESPONSE_PREFIX = "response:"
_GO_ENV_PREFIX = "INTERLOCK_"

MASK = "***"
"""What :func:`redact` writes in place of a secret."""
MIN_SECRET_CHARS = 4
"""Environment values shorter than this are not redacted.

An empty value cannot be replaced at all (it occurs between every two characters), and
masking a one- to three-character value (``1``, ``on``, ``eu``) would garble every message,
number and URL that happens to contain it while hiding nothing: a credential that short is
guessed in moments anyway.
"""


@dataclass(frozen=True)
class Expansion:
    """An expanded job config and the environment values substituted into it."""

    config: dict[str, Any]
    secrets: frozenset[str]


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
    variables["runKey"] = run_key(run_id)
    for dimension in dimensions:
        name, _, value = dimension.partition("=")
        variables[f"dim:{name}"] = value
    return variables


RUN_KEY_MAX = 64
"""The longest ``${runKey}``: Databricks' ``idempotency_token`` takes at most 64 characters."""
_RUN_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def run_key(attempt_id: str) -> str:
    """An id for one attempt that every orchestrator accepts: ``${runKey}``.

    ``il-<readable>-<hash>``: letters, digits, ``-`` and ``_`` only, at most
    :data:`RUN_KEY_MAX` characters, so it is a valid Airflow ``dag_run_id``
    (``[A-Za-z0-9_.~:+-]``), Prefect idempotency key, Step Functions execution name
    (``[A-Za-z0-9_-]``, 80) and Databricks idempotency token (64). The readable part is the
    pipeline, partition and attempt with every other character folded to ``-`` (so it is
    not unique on its own); the 16 hex digits of SHA-256 over the exact attempt id are.
    Stable: the same attempt always has the same key, across processes and restarts.
    """
    digest = hashlib.sha256(attempt_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    readable = _RUN_KEY_UNSAFE.sub("-", attempt_id).strip("-")
    room = RUN_KEY_MAX - len("il--") - len(digest)
    return f"il-{readable[:room].rstrip('-')}-{digest}"


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
    return expand_with_secrets(config, variables, env, path=path).config


def expand_with_secrets(
    config: Mapping[str, Any],
    variables: Mapping[str, str],
    env: Mapping[str, str],
    *,
    path: str = "job.config",
) -> Expansion:
    """:func:`expand`, also returning every environment value it substituted (for :func:`redact`).

    :raises JobPermanentError: as :func:`expand`.
    """
    secrets: set[str] = set()
    expanded = _Expander(variables, env, secrets).value(config, path)
    return Expansion(config=dict(expanded), secrets=frozenset(secrets))


@dataclass(frozen=True)
class _Expander:
    """One expansion: its inputs and the environment values it has used so far."""

    variables: Mapping[str, str]
    env: Mapping[str, str]
    used: set[str]

    def value(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return self.string(value, path)
        if isinstance(value, Mapping):
            return {key: self.value(item, f"{path}.{key}") for key, item in value.items()}
        if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
            return [self.value(item, f"{path}[{index}]") for index, item in enumerate(value)]
        return value

    def string(self, text: str, path: str) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            if match.group(2) is not None:
                return self.env_value(match.group(2), path, match.group(0))
            name = match.group(1)
            if name is None:
                raise JobPermanentError(f"{path}: unterminated '${{' (write $${{ for a literal)")
            return self.lookup(name, path)

        return _TOKEN.sub(replace, text)

    def lookup(self, name: str, path: str) -> str:
        if name.startswith(_RESPONSE_PREFIX):
            return f"${{{name}}}"
        if name.startswith("env:"):
            return self.env_value(name[4:], path, f"${{{name}}}")
        if name.startswith(_GO_ENV_PREFIX):
            return self.env_value(name, path, f"${{{name}}}")
        if name in self.variables:
            return self.variables[name]
        raise _unknown(name, self.variables, path)

    def env_value(self, name: str, path: str, token: str) -> str:
        if name not in self.env:
            raise JobPermanentError(
                f"{path}: environment variable {name} is not set (used as {token})"
            )
        self.used.add(self.env[name])
        return self.env[name]


def placeholder_problems(text: str) -> list[tuple[str, str]]:
    """Each placeholder in ``text`` that can never expand, as ``(token, problem)``, for load time.

    The same grammar as :func:`expand`, without the values: a run variable, ``${dim:NAME}``
    and ``${response:FIELD}`` are fine; an environment placeholder is left for launch (the
    controller's environment may differ from the one that validates the file); any other name
    is ``"unknown"`` and an unclosed ``${`` is ``"unterminated"``.
    """
    problems: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(text):
        name = match.group(1)
        if match.group(0) == "$${" or match.group(2) is not None:
            continue
        if name is None:
            problems.append((match.group(0), "unterminated"))
        elif not name.startswith((_RESPONSE_PREFIX, "env:", "dim:", _GO_ENV_PREFIX)) and (
            name not in RUN_VARIABLES
        ):
            problems.append((match.group(0), "unknown"))
    return problems


def _unknown(name: str, variables: Mapping[str, str], path: str) -> JobPermanentError:
    known = ", ".join(sorted(variables, key=_known_order))
    return JobPermanentError(
        f"{path}: unknown placeholder ${{{name}}}; known: {known}, env:NAME"
        " (launch response fields are written ${response:FIELD})"
    )


def _known_order(name: str) -> tuple[int, str]:
    return (RUN_VARIABLES.index(name), "") if name in RUN_VARIABLES else (len(RUN_VARIABLES), name)


@overload
def redact(value: str, secrets: Collection[str]) -> str: ...
@overload
def redact(value: Mapping[str, Any], secrets: Collection[str]) -> dict[str, Any]: ...
@overload
def redact(value: Any, secrets: Collection[str]) -> Any: ...
def redact(value: Any, secrets: Collection[str]) -> Any:
    """``value`` with every secret replaced by ``***``: a string, or JSON-like data, recursively.

    Dict keys and values, list items and strings are redacted; other values are returned as
    they are (a copy for containers). Each secret is also masked in its percent-encoded and
    JSON-escaped forms, because URLs and response bodies echo it that way; longer forms go
    first, so a secret containing another is masked whole. Values shorter than
    :data:`MIN_SECRET_CHARS` are left alone (see there why).
    """
    forms = _forms(secrets)
    return _redact(value, forms) if forms else value


def _forms(secrets: Collection[str]) -> tuple[str, ...]:
    found = {
        form
        for secret in secrets
        if len(secret) >= MIN_SECRET_CHARS
        for form in (secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1])
    }
    return tuple(sorted(found, key=lambda form: (-len(form), form)))


def _redact(value: Any, forms: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for form in forms:
            value = value.replace(form, MASK)
        return value
    if isinstance(value, Mapping):
        return {_redact(key, forms): _redact(item, forms) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(item, forms) for item in value]
    return value
