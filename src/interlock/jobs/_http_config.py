"""The ``http`` backend's job config, validated: what to send and how to read the status.

Every problem here is a :class:`~interlock.errors.JobPermanentError` naming the config key:
the same config fails the same way on every retry. :class:`HttpConfig` declares the same
keys for ``interlock validate``, so a config that cannot launch fails when it is loaded.
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from interlock.errors import JobPermanentError
from interlock.jobs.base import JobRequest, config_seconds
from interlock.jobs.schema import Duration, JobConfig, Scalar, has_placeholder
from interlock.model import FAILURE_CATEGORIES

__all__ = [
    "DEFAULT_CANCELLED_VALUES",
    "DEFAULT_FAILURE_VALUES",
    "DEFAULT_SUCCESS_VALUES",
    "IDEMPOTENCY_KEY",
    "Call",
    "HttpConfig",
    "checked_headers",
    "credential_names",
    "parse_call",
    "poll_headers",
]

DEFAULT_SUCCESS_VALUES = ("success", "succeeded", "SUCCESS", "SUCCEEDED", "done")
DEFAULT_FAILURE_VALUES = ("failed", "error", "FAILED", "ERROR")
DEFAULT_CANCELLED_VALUES = ("cancelled", "canceled", "CANCELLED", "CANCELED")
IDEMPOTENCY_KEY = "Idempotency-Key"
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An RFC 9110 token."""
_HEADER_CHAR = re.compile(r"[\t\x20-\x7e]")
"""A character httpx can send in a header value: HTAB and visible ASCII (and space)."""
_NOT_CREDENTIALS = frozenset({"content-type", "accept", "user-agent", "idempotency-key"})
_CONFLICT_POLICIES = ("adopt", "fail")


def _http_url(url: str) -> str:
    """An http(s) URL, or a template that may expand to one (checked at launch)."""
    if not url.startswith(("http://", "https://")) and not (
        has_placeholder(url) and url.lstrip().startswith("$")
    ):
        message = f"{url!r} is not an http(s) URL"
        raise ValueError(message)
    return url


def _non_empty(text: str) -> str:
    if not text:
        message = "must not be empty"
        raise ValueError(message)
    return text


def _categories(values: dict[str | int, str]) -> dict[str | int, str]:
    wrong = sorted(c for c in values.values() if c.upper() not in FAILURE_CATEGORIES)
    if wrong:
        message = f"{wrong[0]!r} is not a failure category ({', '.join(FAILURE_CATEGORIES)})"
        raise ValueError(message)
    return values


_VALUES = "a list of status values, such as [success, done]"


class HttpConfig(JobConfig):
    """``job.config`` of an ``http`` job, as :func:`parse_call` reads it at launch."""

    url: Annotated[str, AfterValidator(_http_url)] = Field(
        description="an http(s) URL such as https://orchestrator/api/run"
    )
    method: str | None = Field(None, description="an HTTP method such as POST")
    headers: dict[str, Scalar] | None = Field(None, description="a mapping of names to values")
    body: Any = Field(None, description="the JSON body to send")
    timeout: Duration | None = Field(None, description="a duration such as 30s, or seconds")
    status_url: Annotated[str, AfterValidator(_non_empty)] | None = Field(
        None, description="the URL to poll, e.g. https://host/runs/${response:id}"
    )
    status_field: str | None = Field(None, description="the response field holding the state")
    success_values: list[Scalar] | None = Field(None, description=_VALUES)
    failure_values: (
        list[Scalar] | Annotated[dict[str | int, str], AfterValidator(_categories)] | None
    ) = Field(
        None, description="a list of status values, or a mapping of value to failure category"
    )
    running_values: list[Scalar] | None = Field(None, description=_VALUES)
    queued_values: list[Scalar] | None = Field(None, description=_VALUES)
    cancelled_values: list[Scalar] | None = Field(None, description=_VALUES)
    on_conflict: Literal["adopt", "fail"] | None = Field(None, description="adopt or fail")
    idempotent_launch: bool | None = Field(None, description="true or false")


@dataclass(frozen=True, kw_only=True)
class Call:
    """The launch part of ``job.config``, validated."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any
    timeout: float
    poll: dict[str, Any] | None
    on_conflict: str
    """``adopt``: a 409 on launch is this attempt's own run, already there; ``fail``."""
    idempotent: bool
    """The server deduplicates launches by a key in the request: resending is safe."""


def parse_call(request: JobRequest) -> Call:
    """Validate ``job.config`` for a launch; every problem is permanent."""
    config = request.config
    url = config.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise JobPermanentError(f"job.config.url: {url!r} is not an http(s) URL")
    headers = config.get("headers") or {}
    if not isinstance(headers, Mapping):
        raise JobPermanentError("job.config.headers: must be a mapping of names to values")
    headers = {
        str(name): str(value)
        for name, value in headers.items()
        if str(name).lower() != "idempotency-key"  # ours, the attempt id, always wins
    }
    headers.setdefault("Content-Type", "application/json")
    timeout = config_seconds(config.get("timeout", 30), "job.config.timeout")
    return Call(
        method=str(config.get("method") or "POST").upper(),
        url=url,
        headers=headers,
        body=config.get("body") or date_body(request.partition),
        timeout=timeout,
        poll=_parse_poll(config, timeout),
        on_conflict=_choice(config, "onConflict", _CONFLICT_POLICIES),
        idempotent=_flag(config, "idempotentLaunch"),
    )


def poll_headers(request: JobRequest) -> dict[str, str]:
    """The configured headers (credentials included) for a status poll."""
    headers = parse_call(request).headers
    return checked_headers({k: v for k, v in headers.items() if k.lower() != "content-type"})


def credential_names(request: JobRequest) -> str:
    """Which configured headers carry credentials, for a message about a refusal."""
    headers = request.config.get("headers") or {}
    names = [
        f"job.config.headers.{name}"
        for name in (headers if isinstance(headers, Mapping) else {})
        if str(name).lower() not in _NOT_CREDENTIALS
    ]
    return ", ".join(names) or "no credential header is configured (job.config.headers)"


def checked_headers(
    headers: dict[str, str], *, field: str = "job.config.headers"
) -> dict[str, str]:
    """``headers``, if every name and value can be sent; ``field`` is where they were configured.

    :raises JobPermanentError: naming the header and the character; the value itself is
        not shown (it may be a credential).
    """
    for name, value in headers.items():
        where = (
            f"{IDEMPOTENCY_KEY} (the attempt id {value!r})"
            if name == IDEMPOTENCY_KEY
            else f"{field}.{name}"
        )
        if not _HEADER_NAME.fullmatch(name):
            raise JobPermanentError(f"{field}: {name!r} is not a valid header name")
        bad = next((char for char in value if not _HEADER_CHAR.fullmatch(char)), None)
        if bad is not None:
            raise JobPermanentError(
                f"{where}: holds {bad!r}, which no HTTP header may carry (CR, LF, other"
                " control characters and non-ASCII are illegal); the request was not sent"
            )
    return headers


def date_body(partition: str) -> dict[str, str]:
    """The body Go sends when none is configured: ``par_day`` and, if hourly, ``par_hour``."""
    head = partition.split("|", 1)[0]
    day, sep, hour = head.partition("T")
    body = {"par_day": day[:10].replace("-", "")}
    if sep and hour:
        body["par_hour"] = hour[:2]
    return body


def _parse_poll(config: Mapping[str, Any], timeout: float) -> dict[str, Any] | None:
    status_url = config.get("statusUrl")
    if status_url is None:
        return None
    if not isinstance(status_url, str) or not status_url:
        raise JobPermanentError(f"job.config.statusUrl: {status_url!r} is not a URL")
    running = _strings(config, "runningValues", ())
    queued = _strings(config, "queuedValues", ())
    return {
        "template": status_url,
        "field": str(config.get("statusField") or "status"),
        "successValues": _strings(config, "successValues", DEFAULT_SUCCESS_VALUES),
        "failureValues": _failure_values(config),
        "runningValues": running,
        "queuedValues": queued,
        "strict": bool(running or queued),
        "timeout": timeout,
    }


def _failure_values(config: Mapping[str, Any]) -> dict[str, str]:
    """``failureValues`` (a list: TRANSIENT each, or value → category) plus ``cancelledValues``."""
    raw = config.get("failureValues")
    if isinstance(raw, Mapping):
        values = {str(k): str(v).upper() for k, v in raw.items()}
        wrong = sorted(c for c in values.values() if c not in FAILURE_CATEGORIES)
        if wrong:
            known = ", ".join(FAILURE_CATEGORIES)
            raise JobPermanentError(
                f"job.config.failureValues: {wrong[0]!r} is not a failure category ({known})"
            )
    else:
        names = _strings(config, "failureValues", DEFAULT_FAILURE_VALUES)
        values = dict.fromkeys(names, "TRANSIENT")
    cancelled = _strings(config, "cancelledValues", DEFAULT_CANCELLED_VALUES)
    return {**dict.fromkeys(cancelled, "CANCELLED"), **values}


def _strings(config: Mapping[str, Any], key: str, default: tuple[str, ...]) -> list[str]:
    values = config.get(key)
    if values is None:
        return list(default)
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise JobPermanentError(f"job.config.{key}: must be a list of strings")
    return [str(value) for value in values]


def _choice(config: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = config.get(key, allowed[0])
    if value not in allowed:
        raise JobPermanentError(f"job.config.{key}: {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _flag(config: Mapping[str, Any], key: str) -> bool:
    value = config.get(key, False)
    if not isinstance(value, bool):
        raise JobPermanentError(f"job.config.{key}: {value!r} is not true or false")
    return value
