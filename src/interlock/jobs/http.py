"""The ``http`` job backend: call a URL to start a job, optionally poll another for its state.

Compatible with the Go ``http`` trigger (spec §7): ``method`` (POST), ``url``, ``headers``,
``body``, ``timeout`` (seconds, 30); an empty body becomes ``{"par_day": "YYYYMMDD",
"par_hour"?: "HH"}``; 5xx and network errors are retried (2 retries, 200 ms base, 2 s cap,
±30 % jitter) and then reported as :class:`~interlock.errors.JobTemporaryError`; a 4xx is a
:class:`~interlock.errors.JobPermanentError` carrying the code and a body excerpt. Where Go
stops, we go on:

- Every request carries ``Idempotency-Key: <attempt id>``, so a server that honours it never
  starts one attempt twice, and a relaunch of a known attempt in this process is answered
  from memory without a request.
- ``statusUrl`` turns the job asynchronous: ``status`` GETs it and maps ``statusField`` through
  ``successValues`` / ``failureValues``; anything else means running. ``${response:id}`` (or
  ``${id}``) in ``statusUrl`` is filled from the launch response's JSON, which the handle keeps.
- Polls carry the configured headers. The Go version dropped them, so authenticated status
  endpoints never answered. They are read from the job config at each poll (a rotated
  ``${env:TOKEN}`` is picked up) and never stored in the handle, which lives in the database.
- 429 is throttling, not a bad request: it is a JobTemporaryError honouring ``Retry-After``.
- A header no HTTP request may carry (CR, LF, another control or a non-ASCII character in
  its value, e.g. from a partition in the ``Idempotency-Key``) is a JobPermanentError naming
  the header, raised before anything is sent: the same bytes would fail on every retry.
- Secrets (``${env:...}`` values, ``JobRequest.secrets``) are used in the requests but never
  kept: the handle is masked (``***``), a poll rebuilds the real ``statusUrl`` from the
  attempt's current config and the launch response, and httpx's own log lines (it logs every
  URL at INFO) are masked while this backend sends. Error messages may name the real URL;
  the controller masks them before storing or logging them.

A status poll that cannot be read (5xx, network, 4xx, not JSON) raises JobTemporaryError: an
unknown state is not a failure, and the controller's poll window bounds how long it may last.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import tenacity

from interlock.errors import JobPermanentError, JobTemporaryError
from interlock.jobs.base import JobBackend, JobHandle, JobRequest, JobStatus, config_seconds
from interlock.jobs.templates import redact

__all__ = ["DEFAULT_FAILURE_VALUES", "DEFAULT_SUCCESS_VALUES", "HttpBackend"]

DEFAULT_SUCCESS_VALUES = ("success", "succeeded", "SUCCESS", "SUCCEEDED", "done")
DEFAULT_FAILURE_VALUES = ("failed", "error", "FAILED", "ERROR")
EXCERPT_CHARS = 500
"""How much of a response body is kept in the handle and in ``JobStatus.output``."""
_FIELD = re.compile(r"\$\{(?:response:)?([^}]+)\}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An RFC 9110 token."""
_HEADER_CHAR = re.compile(r"[\t\x20-\x7e]")
"""A character httpx can send in a header value: HTAB and visible ASCII (and space)."""
_IDEMPOTENCY_KEY = "Idempotency-Key"
_masking = threading.local()
"""``secrets``: what httpx log lines of the current thread must not show."""


class _MaskHttpxLog(logging.Filter):
    """Masks the sending thread's secrets in the ``httpx`` logger's records."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets: frozenset[str] = getattr(_masking, "secrets", frozenset())
        if secrets:
            record.msg = redact(record.getMessage(), secrets)
            record.args = None
        return True


_HTTPX_LOG_FILTER = _MaskHttpxLog()


class _ServerError(Exception):
    """A 5xx answer, raised inside the retry loop so tenacity retries it."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        super().__init__(f"HTTP {response.status_code}")


@dataclass(frozen=True, kw_only=True)
class _Call:
    """The launch part of ``job.config``, validated."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any
    timeout: float
    poll: dict[str, Any] | None


class HttpBackend(JobBackend):
    """Starts jobs with one HTTP request; see the module docstring for the config keys."""

    type = "http"

    def __init__(
        self,
        *,
        client: httpx.Client | None = None,
        retries: int = 2,
        base_delay: float = 0.2,
        max_delay: float = 2.0,
    ) -> None:
        self._client = client if client is not None else httpx.Client()
        self._owns_client = client is None
        self.retries = retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._launched: dict[str, JobHandle] = {}
        self._lock = threading.Lock()
        logging.getLogger("httpx").addFilter(_HTTPX_LOG_FILTER)  # once: a set of filters

    def __repr__(self) -> str:
        return f"HttpBackend(retries={self.retries})"

    def launch(self, request: JobRequest) -> JobHandle:
        """Send the launch request (once per attempt in this process)."""
        with self._lock:
            known = self._launched.get(request.attempt_id)
        if known is not None:
            return known
        call = _parse_call(request)
        headers = _checked_headers({**call.headers, _IDEMPOTENCY_KEY: request.attempt_id})
        content = call.body if isinstance(call.body, str) else json.dumps(call.body)
        with _masked_logs(request.secrets):
            response = self._send(
                call.method, call.url, headers=headers, content=content, timeout=call.timeout
            )
        _raise_for_client_error(response, call.method, call.url)
        handle = _launch_handle(request, call, response)
        with self._lock:
            return self._launched.setdefault(request.attempt_id, handle)

    def find(self, request: JobRequest) -> JobHandle | None:
        """The handle if this process launched the attempt; otherwise we cannot tell.

        :raises NotImplementedError: the attempt is unknown here; only the remote server knows.
        """
        with self._lock:
            known = self._launched.get(request.attempt_id)
        if known is None:
            raise NotImplementedError("an http job cannot be found again after a restart")
        return known

    def status(self, handle: JobHandle, request: JobRequest) -> JobStatus:
        """Succeeded for a synchronous job; otherwise poll ``statusUrl``.

        The URL is rebuilt from the attempt's current config (whose secrets the handle
        never held) and the launch response kept in the handle.
        """
        output = {"response": str(handle.data.get("output", ""))}
        poll = handle.data.get("poll")
        if not isinstance(poll, Mapping):
            return JobStatus(state="succeeded", message="launch request accepted", output=output)
        try:
            url = _status_url(handle, poll, request)
            headers = _poll_headers(request)
        except JobPermanentError as exc:  # this attempt's state can never be read
            return JobStatus(state="failed", category="PERMANENT", message=str(exc), output=output)
        with _masked_logs(request.secrets):
            response = self._send("GET", url, headers=headers, timeout=poll["timeout"])
        output["status"] = response.text[:EXCERPT_CHARS]
        if response.is_error:
            raise JobTemporaryError(
                f"status poll GET {url}: HTTP {response.status_code}: {output['status']}"
            )
        return _map_status(response, {**poll, "url": url}, output)

    def close(self) -> None:
        """Close the HTTP client if this backend created it."""
        if self._owns_client:
            self._client.close()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request, retried on 5xx and network errors; never raises for a 4xx."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retries + 1),
            wait=self._delay,
            retry=tenacity.retry_if_exception_type((httpx.TransportError, _ServerError)),
            reraise=True,
        )
        tries = f"after {self.retries + 1} tries"
        try:
            response: httpx.Response = retrying(self._request, method, url, **kwargs)
        except _ServerError as exc:
            excerpt = exc.response.text[:EXCERPT_CHARS]
            raise JobTemporaryError(f"{method} {url}: {exc} {tries}: {excerpt}") from exc
        except httpx.TransportError as exc:
            raise JobTemporaryError(f"{method} {url}: {exc!r} {tries}") from exc
        except httpx.InvalidURL as exc:
            raise JobPermanentError(f"{method} {url}: invalid URL: {exc}") from exc
        return response

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self._client.request(method, url, **kwargs)
        if response.status_code >= 500:
            raise _ServerError(response)
        return response

    def _delay(self, state: tenacity.RetryCallState) -> float:
        """Exponential backoff from ``base_delay``, capped at ``max_delay``, ±30 % jitter."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** (state.attempt_number - 1))
        return delay * random.uniform(0.7, 1.3)  # noqa: S311 - jitter, not cryptography


def _parse_call(request: JobRequest) -> _Call:
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
    return _Call(
        method=str(config.get("method") or "POST").upper(),
        url=url,
        headers=headers,
        body=config.get("body") or _date_body(request.partition),
        timeout=timeout,
        poll=_parse_poll(config, timeout),
    )


def _poll_headers(request: JobRequest) -> dict[str, str]:
    """The configured headers (credentials included) for a status poll."""
    headers = _parse_call(request).headers
    return _checked_headers({k: v for k, v in headers.items() if k.lower() != "content-type"})


def _checked_headers(headers: dict[str, str]) -> dict[str, str]:
    """``headers``, if every name and value can be sent.

    :raises JobPermanentError: naming the header and the character; the value itself is
        not shown (it may be a credential).
    """
    for name, value in headers.items():
        where = (
            f"{_IDEMPOTENCY_KEY} (the attempt id {value!r})"
            if name == _IDEMPOTENCY_KEY
            else f"job.config.headers.{name}"
        )
        if not _HEADER_NAME.fullmatch(name):
            raise JobPermanentError(f"job.config.headers: {name!r} is not a valid header name")
        bad = next((char for char in value if not _HEADER_CHAR.fullmatch(char)), None)
        if bad is not None:
            raise JobPermanentError(
                f"{where}: holds {bad!r}, which no HTTP header may carry (CR, LF, other"
                " control characters and non-ASCII are illegal); the request was not sent"
            )
    return headers


@contextlib.contextmanager
def _masked_logs(secrets: frozenset[str]) -> Iterator[None]:
    """Mask ``secrets`` in httpx's log lines from this thread while the block runs."""
    previous: frozenset[str] = getattr(_masking, "secrets", frozenset())
    _masking.secrets = secrets
    try:
        yield
    finally:
        _masking.secrets = previous


def _parse_poll(config: Mapping[str, Any], timeout: float) -> dict[str, Any] | None:
    status_url = config.get("statusUrl")
    if status_url is None:
        return None
    if not isinstance(status_url, str) or not status_url:
        raise JobPermanentError(f"job.config.statusUrl: {status_url!r} is not a URL")
    return {
        "template": status_url,
        "field": str(config.get("statusField") or "status"),
        "successValues": _strings(config, "successValues", DEFAULT_SUCCESS_VALUES),
        "failureValues": _strings(config, "failureValues", DEFAULT_FAILURE_VALUES),
        "timeout": timeout,
    }


def _strings(config: Mapping[str, Any], key: str, default: tuple[str, ...]) -> list[str]:
    values = config.get(key)
    if values is None:
        return list(default)
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise JobPermanentError(f"job.config.{key}: must be a list of strings")
    return [str(value) for value in values]


def _date_body(partition: str) -> dict[str, str]:
    """The body Go sends when none is configured: ``par_day`` and, if hourly, ``par_hour``."""
    head = partition.split("|", 1)[0]
    day, sep, hour = head.partition("T")
    body = {"par_day": day[:10].replace("-", "")}
    if sep and hour:
        body["par_hour"] = hour[:2]
    return body


def _raise_for_client_error(response: httpx.Response, method: str, url: str) -> None:
    if response.status_code < 400:
        return
    excerpt = response.text[:EXCERPT_CHARS]
    message = f"{method} {url}: HTTP {response.status_code}: {excerpt}"
    if response.status_code == 429:
        raise JobTemporaryError(message, delay=_retry_after(response))
    raise JobPermanentError(message)


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else 0.0


def _launch_handle(request: JobRequest, call: _Call, response: httpx.Response) -> JobHandle:
    """Keep what ``status`` needs: the response JSON and, if asynchronous, how to poll.

    Everything is kept masked (the URLs, and the response if it echoes a secret): the
    handle is stored, and a poll rebuilds the real URL from the current config.
    """
    try:
        payload: Any = response.json()
    except ValueError:
        payload = None
    poll = None
    if call.poll is not None:
        url, error = _render_status_url(call.poll["template"], payload)
        poll = {key: value for key, value in call.poll.items() if key != "template"}
        poll.update(url=url, error=error)
    data = {
        "method": call.method,
        "url": call.url,
        "statusCode": response.status_code,
        "response": payload,
        "output": response.text[:EXCERPT_CHARS],
        "poll": poll,
    }
    return JobHandle(
        backend=HttpBackend.type, attempt_id=request.attempt_id, data=request.redact(data)
    )


def _status_url(handle: JobHandle, poll: Mapping[str, Any], request: JobRequest) -> str:
    """The real status URL of an attempt.

    From the current ``statusUrl`` when the config still has one; else the URL recorded at
    launch (a config that dropped ``statusUrl`` since, or a handle from an older version).

    :raises JobPermanentError: the URL cannot be built (a response field it needs is missing).
    """
    error = poll.get("error")
    template = request.config.get("statusUrl")
    if not error and isinstance(template, str) and template:
        url, error = _render_status_url(template, handle.data.get("response"))
    else:
        url = poll.get("url")
    if error or url is None:
        raise JobPermanentError(str(error or "job.config.statusUrl: no status URL recorded"))
    return str(url)


def _render_status_url(template: str, payload: Any) -> tuple[str | None, str | None]:
    """Fill ``${response:a.b}`` / ``${a.b}`` from the launch response; (url, error)."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        value = _field(payload, match.group(1))
        if value is None:
            missing.append(match.group(1))
            return ""
        return str(value) if match.group(0) == template else quote(str(value), safe="")

    url = _FIELD.sub(replace, template)
    if missing:
        names = ", ".join(missing)
        return None, f"job.config.statusUrl needs {names} from the launch response, which has none"
    return url, None


def _field(payload: Any, dotted: str) -> Any:
    value = payload
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _map_status(
    response: httpx.Response, poll: Mapping[str, Any], output: dict[str, str]
) -> JobStatus:
    try:
        payload = response.json()
    except ValueError as exc:
        raise JobTemporaryError(
            f"status poll GET {poll['url']}: not JSON: {output['status']}"
        ) from exc
    value = _field(payload, str(poll["field"]))
    text = "" if value is None else str(value)
    message = f"{poll['field']}={text!r}"
    if text in poll["successValues"]:
        return JobStatus(state="succeeded", message=message, output=output)
    if text in poll["failureValues"]:
        return JobStatus(state="failed", category="TRANSIENT", message=message, output=output)
    return JobStatus(state="running", message=message, output=output)
