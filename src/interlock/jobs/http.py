"""The ``http`` job backend: call a URL to start a job, optionally poll another for its state.

Compatible with the Go ``http`` trigger (docs/go-compatibility.md): ``method`` (POST), ``url``,
``headers``, ``body``, ``timeout`` (seconds, 30); an empty body becomes ``{"par_day":
"YYYYMMDD", "par_hour"?: "HH"}``; 5xx and network errors are retried (2 retries, 200 ms base, 2
s cap, ±30 % jitter) and then reported as :class:`~interlock.errors.JobTemporaryError`; a 4xx is
a :class:`~interlock.errors.JobPermanentError` carrying the code and a body excerpt. Where Go
stops, we go on:

- ``statusUrl`` turns the job asynchronous: ``status`` GETs it and maps ``statusField``
  (see :mod:`interlock.jobs._http_status` for ``successValues``, ``failureValues`` with
  categories, ``cancelledValues``, ``queuedValues`` and ``runningValues``). ``${response:id}``
  (or ``${id}``) in ``statusUrl`` is filled from the launch response's JSON, which the handle
  keeps; a launch answered 2xx without that JSON is an unknown outcome at once (the job may
  have started), never a relaunch.
- **One server run per attempt.** Give the server an id of the attempt's own:
  ``${runKey}`` (valid as an Airflow ``dag_run_id``, a Prefect ``idempotency_key``, …). Then
  a **409** on launch means this attempt's run is already there (a crash, or a 5xx that still
  created it): with ``onConflict: adopt`` (the default) it is adopted and polled, provided
  ``statusUrl`` can be built without the launch response (``.../dagRuns/${runKey}``).
  ``onConflict: fail`` makes it a permanent failure instead.
- **After a crash** (``find``): with ``idempotentLaunch: true`` the server deduplicates
  launches by a key in the request (Prefect's ``idempotency_key``), so the launch is simply
  sent again; otherwise, when ``statusUrl`` needs no launch response, it is GET: a 404 means
  never launched (launched now, same attempt), a 2xx is the attempt's run (adopted). Only
  when neither is possible is the outcome unknown (``INFRA_FAILURE``, not relaunched).
- Every request also carries ``Idempotency-Key: <attempt id>``. Airflow and Prefect ignore
  that header; the id or key in the body is what counts there.
- **Refused credentials** (401/403) are :class:`~interlock.errors.JobRefusedError`, naming
  the configured credential headers: on launch never retried (category ``AUTH``); on status
  polls reported once per streak and, after ``job.maxStatusRefusals`` in a row, fatal.
- Polls carry the configured headers, read from the job config at each poll (a rotated
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

A status poll that cannot be read (5xx, network, other 4xx, not JSON) raises
JobTemporaryError: an unknown state is not a failure, and the controller's poll window
bounds how long it may last.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Mapping
from typing import Any

import httpx
import tenacity

from interlock.errors import (
    JobOutcomeUnknownError,
    JobPermanentError,
    JobRefusedError,
    JobTemporaryError,
)
from interlock.jobs._http_config import (
    DEFAULT_FAILURE_VALUES,
    DEFAULT_SUCCESS_VALUES,
    IDEMPOTENCY_KEY,
    Call,
    checked_headers,
    credential_names,
    parse_call,
    poll_headers,
)
from interlock.jobs._http_logs import masked_httpx_logs
from interlock.jobs._http_status import map_status, needs_response, render_status_url, status_url
from interlock.jobs.base import JobBackend, JobHandle, JobRequest, JobStatus

__all__ = ["DEFAULT_FAILURE_VALUES", "DEFAULT_SUCCESS_VALUES", "HttpBackend"]

EXCERPT_CHARS = 500
"""How much of a response body is kept in the handle and in ``JobStatus.output``."""
_REFUSED = (401, 403)


class _ServerError(Exception):
    """A 5xx answer, raised inside the retry loop so tenacity retries it."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        super().__init__(f"HTTP {response.status_code}")


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

    def __repr__(self) -> str:
        return f"HttpBackend(retries={self.retries})"

    def launch(self, request: JobRequest) -> JobHandle:
        """Send the launch request (once per attempt in this process); adopt a 409."""
        known = self._known(request)
        if known is not None:
            return known
        call = parse_call(request)
        headers = checked_headers({**call.headers, IDEMPOTENCY_KEY: request.attempt_id})
        content = call.body if isinstance(call.body, str) else json.dumps(call.body)
        with masked_httpx_logs(request.secrets):
            response = self._send(
                call.method, call.url, headers=headers, content=content, timeout=call.timeout
            )
        if response.status_code == 409 and call.on_conflict == "adopt":
            handle = _adopted(request, call, f"{call.method} {call.url}: HTTP 409", 409)
        else:
            _raise_for_client_error(response, call.method, call.url, request)
            handle = _launch_handle(request, call, response)
        with self._lock:
            return self._launched.setdefault(request.attempt_id, handle)

    def find(self, request: JobRequest) -> JobHandle | None:
        """After a crash: resend when that is safe, else look the attempt's run up.

        :raises NotImplementedError: the run can only be found from a launch response.
        :raises JobTemporaryError: the server cannot be asked right now.
        """
        known = self._known(request)
        if known is not None:
            return known
        call = parse_call(request)
        if call.idempotent:
            return None  # the server deduplicates: sending the launch again is the lookup
        if call.poll is None or needs_response(call.poll["template"]):
            raise NotImplementedError(
                "this http job cannot be looked up after a restart: its statusUrl needs the"
                " launch response (use an id of the attempt's own, ${runKey}, in statusUrl,"
                " or idempotentLaunch: true if the server deduplicates launches)"
            )
        url, _ = render_status_url(call.poll["template"], None)
        with masked_httpx_logs(request.secrets):
            response = self._send(
                "GET", str(url), headers=poll_headers(request), timeout=call.timeout
            )
        if response.status_code == 404:
            return None
        _raise_for_client_error(response, "GET", str(url), request)
        return _adopted(
            request, call, f"GET {url}: HTTP {response.status_code}", response.status_code
        )

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
            url = status_url(handle, poll, request)
            headers = poll_headers(request)
        except JobPermanentError as exc:  # this attempt's state can never be read
            return JobStatus(state="failed", category="PERMANENT", message=str(exc), output=output)
        with masked_httpx_logs(request.secrets):
            response = self._send("GET", url, headers=headers, timeout=poll["timeout"])
        output["status"] = response.text[:EXCERPT_CHARS]
        where = f"status poll GET {url}"
        if response.status_code in _REFUSED:
            raise _refused(response, where, request)
        if response.is_error:
            raise JobTemporaryError(f"{where}: HTTP {response.status_code}: {output['status']}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise JobTemporaryError(f"{where}: not JSON: {output['status']}") from exc
        return map_status(payload, poll, output)

    def close(self) -> None:
        """Close the HTTP client if this backend created it."""
        if self._owns_client:
            self._client.close()

    def _known(self, request: JobRequest) -> JobHandle | None:
        with self._lock:
            return self._launched.get(request.attempt_id)

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


def _raise_for_client_error(
    response: httpx.Response, method: str, url: str, request: JobRequest
) -> None:
    if response.status_code < 400:
        return
    where = f"{method} {url}"
    if response.status_code in _REFUSED:
        raise _refused(response, where, request)
    message = f"{where}: HTTP {response.status_code}: {response.text[:EXCERPT_CHARS]}"
    if response.status_code == 429:
        raise JobTemporaryError(message, delay=_retry_after(response))
    raise JobPermanentError(message)


def _refused(response: httpx.Response, where: str, request: JobRequest) -> JobRefusedError:
    """A 401/403: the credentials named, the same ones never sent again."""
    return JobRefusedError(
        f"{where}: HTTP {response.status_code}: the credentials were refused; check"
        f" {credential_names(request)}"
    )


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else 0.0


def _launch_handle(request: JobRequest, call: Call, response: httpx.Response) -> JobHandle:
    """Keep what ``status`` needs: the response JSON and, if asynchronous, how to poll.

    Everything is kept masked (the URLs, and the response if it echoes a secret): the
    handle is stored, and a poll rebuilds the real URL from the current config.

    :raises JobOutcomeUnknownError: the server accepted the launch, but its answer lacks
        what ``statusUrl`` needs to follow the job.
    """
    excerpt = response.text[:EXCERPT_CHARS]
    try:
        payload: Any = response.json()
    except ValueError:
        payload = None
    poll = None
    if call.poll is not None:
        url, error = render_status_url(call.poll["template"], payload)
        if error is not None:
            problem = "is not JSON" if payload is None else "lacks what statusUrl needs"
            raise JobOutcomeUnknownError(
                f"{call.method} {call.url}: HTTP {response.status_code}, but the response"
                f" {problem} ({error}): {excerpt!r}; the job may have started"
            )
        poll = _poll_record(call, url)
    return _handle(
        request, call, status_code=response.status_code, payload=payload, excerpt=excerpt, poll=poll
    )


def _adopted(request: JobRequest, call: Call, why: str, status_code: int) -> JobHandle:
    """The handle of a run the server already has for this attempt (a 409, or ``find``).

    :raises JobOutcomeUnknownError: nothing to poll it by without its launch response.
    """
    template = call.poll["template"] if call.poll is not None else None
    if template is None or needs_response(template):
        raise JobOutcomeUnknownError(
            f"{why}: the server has a run for this attempt already, but it cannot be followed"
            " (statusUrl is missing or needs the launch response; put ${runKey} in it)"
        )
    url, _ = render_status_url(template, None)
    return _handle(
        request,
        call,
        status_code=status_code,
        payload=None,
        excerpt=f"adopted: {why}",
        poll=_poll_record(call, url),
        adopted=True,
    )


def _poll_record(call: Call, url: str | None) -> dict[str, Any]:
    poll = {key: value for key, value in (call.poll or {}).items() if key != "template"}
    poll.update(url=url, error=None)
    return poll


def _handle(  # noqa: PLR0913 - the fields of one stored handle
    request: JobRequest,
    call: Call,
    *,
    status_code: int,
    payload: Any,
    excerpt: str,
    poll: dict[str, Any] | None,
    adopted: bool = False,
) -> JobHandle:
    data: dict[str, Any] = {
        "method": call.method,
        "url": call.url,
        "statusCode": status_code,
        "response": payload,
        "output": excerpt,
        "poll": poll,
    }
    if adopted:  # a run this attempt had already created, taken over rather than launched
        data["adopted"] = True
    return JobHandle(
        backend=HttpBackend.type, attempt_id=request.attempt_id, data=request.redact(data)
    )
