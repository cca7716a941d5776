"""The ``http`` checker: ask an endpoint, observe its status code and a few JSON fields.

Config (templates such as ``${date}`` and ``${env:TOKEN}`` are expanded per partition
before :meth:`HttpChecker.check` sees them)::

    url:     https://status.example.com/api/feeds/orders/${date}
    method:  GET                                  # optional
    headers: {Authorization: "Bearer ${env:TOKEN}"}
    fields:  {state: "$.status", rows: "$.counts[0].rows"}   # see checkers._json_path
    expect:  [2xx, 404]                           # optional; default [2xx]

The observation is ``{"status": <code>, <field>: <value>, ...}``. What counts as what:

- a status in ``expect``: the answer the endpoint is meant to give; ``fields`` are read
  from its JSON body (a field the body lacks reads as null; a body that is not JSON when
  fields are asked for is a :class:`CheckError`).
- a 4xx (or 1xx/3xx after redirects) not in ``expect``: still an observation, with the
  status only — "404, no such feed yet" is something a rule may decide on.
- a 5xx not in ``expect``, a connection error or a timeout: :class:`CheckError`; the runner
  records the failure and backs off. No retry here: the runner's back-off is the retry.

Header checks and log masking are the ``http`` job backend's (:mod:`interlock.jobs`): a
header that no request may carry is refused before sending, and the ``${env:...}`` values
of the request are masked in httpx's log lines and in every error message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from interlock.checkers._json_path import JsonPath, JsonPathError, parse_json_path, read_json_path
from interlock.checkers.base import CheckError, CheckRequest, CheckResult, Observation
from interlock.errors import InputError, JobPermanentError
from interlock.jobs._http_config import checked_headers
from interlock.jobs._http_logs import masked_httpx_logs
from interlock.jobs.schema import has_placeholder

__all__ = ["HttpChecker"]

EXCERPT_CHARS = 300
"""How much of an error response's body an error message quotes."""
_KEYS = ("url", "method", "headers", "fields", "expect")
_METHOD = re.compile(r"[A-Za-z]+")
_STATUS_CLASS = re.compile(r"([1-5])xx")


@dataclass(frozen=True)
class _Expect:
    """Which status codes are the endpoint's intended answer: exact codes and ``Nxx`` classes."""

    codes: frozenset[int]
    classes: frozenset[int]

    def __contains__(self, status: object) -> bool:
        return isinstance(status, int) and (status in self.codes or status // 100 in self.classes)


class HttpChecker:
    """Per-partition ``http`` checks; see the module docstring for the config keys."""

    bulk = False

    def __init__(self, config: Mapping[str, Any], *, client: httpx.Client | None = None) -> None:
        unknown = sorted(set(config) - set(_KEYS))
        if unknown:
            raise InputError(f"unknown key; known: {', '.join(_KEYS)}", field=unknown[0])
        _check_url(config.get("url"))
        self.method = _method(config.get("method", "GET"))
        self.fields = _fields(config.get("fields") or {})
        self.expect = _expect(config.get("expect", ["2xx"]))
        headers = config.get("headers") or {}
        if not isinstance(headers, Mapping):
            raise InputError("must be a mapping of header names to values", field="headers")
        self._client = client if client is not None else httpx.Client(follow_redirects=True)

    def __repr__(self) -> str:
        return f"HttpChecker(method={self.method!r}, fields={sorted(self.fields)})"

    def check(self, request: CheckRequest) -> CheckResult:
        """One request per partition asked; the observation of each.

        :raises CheckError: a 5xx not expected, a connection error, a timeout, a body that
            is not JSON when fields are read; the message has the request's secrets masked.
        """
        try:
            return CheckResult(
                [
                    Observation(partition, self._observe(request, partition))
                    for partition in request.partitions
                ]
            )
        except CheckError as exc:
            raise CheckError(request.redact(str(exc))) from exc

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def _observe(self, request: CheckRequest, partition: str | None) -> dict[str, Any]:
        config = request.configs[partition]
        url = str(config.get("url", ""))
        response = self._send(url, _headers(config.get("headers") or {}), request)
        where = f"{self.method} {url}: HTTP {response.status_code}"
        if response.status_code not in self.expect:
            if response.status_code >= 500:
                raise CheckError(f"{where}: {response.text[:EXCERPT_CHARS]}")
            return {"status": response.status_code}
        return {"status": response.status_code, **self._read_fields(response, where)}

    def _send(self, url: str, headers: dict[str, str], request: CheckRequest) -> httpx.Response:
        where = f"{self.method} {url}"
        try:
            with masked_httpx_logs(request.secrets):
                return self._client.request(
                    self.method, url, headers=headers, timeout=request.timeout_seconds
                )
        except httpx.TimeoutException as exc:
            raise CheckError(f"{where}: timed out after {request.timeout_seconds:g}s") from exc
        except httpx.TransportError as exc:
            raise CheckError(f"{where}: {type(exc).__name__}: {exc}") from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise CheckError(f"{where}: invalid URL: {exc} (check url)") from exc

    def _read_fields(self, response: httpx.Response, where: str) -> dict[str, Any]:
        if not self.fields:
            return {}
        try:
            document = response.json()
        except ValueError as exc:
            excerpt = response.text[:EXCERPT_CHARS]
            raise CheckError(f"{where}: not JSON, so fields cannot be read: {excerpt!r}") from exc
        return {name: read_json_path(document, path) for name, path in self.fields.items()}


def _check_url(url: Any) -> None:
    """An http(s) URL, or a template that may expand to one (checked when it is sent)."""
    if isinstance(url, str) and (url.startswith(("http://", "https://")) or has_placeholder(url)):
        return
    raise InputError(f"{url!r} is not an http(s) URL, such as https://host/status", field="url")


def _method(method: Any) -> str:
    if not isinstance(method, str) or not _METHOD.fullmatch(method):
        raise InputError(f"{method!r} is not an HTTP method, such as GET", field="method")
    return method.upper()


def _fields(fields: Any) -> dict[str, JsonPath]:
    """Each reading field's parsed path; ``status`` is the observation's own."""
    if not isinstance(fields, Mapping):
        raise InputError(
            "must map reading fields to paths, such as {state: $.status}", field="fields"
        )
    parsed: dict[str, JsonPath] = {}
    for name, text in fields.items():
        where = f"fields.{name}"
        if name == "status":
            raise InputError(
                "'status' is the HTTP status code; name the field otherwise", field=where
            )
        if not isinstance(text, str):
            raise InputError(f"{text!r} is not a path such as $.a.b[0]", field=where)
        try:
            parsed[str(name)] = parse_json_path(text)
        except JsonPathError as exc:
            raise InputError(str(exc), field=where) from exc
    return parsed


def _expect(values: Any) -> _Expect:
    """``[200, 404, 2xx]``: exact status codes and ``Nxx`` classes."""
    if isinstance(values, int | str):
        values = [values]
    if not isinstance(values, list | tuple) or not values:
        raise InputError(
            "must be a list of status codes or classes, such as [2xx, 404]", field="expect"
        )
    codes: set[int] = set()
    classes: set[int] = set()
    for index, value in enumerate(values):
        text = str(value).lower()
        if match := _STATUS_CLASS.fullmatch(text):
            classes.add(int(match.group(1)))
        elif text.isdigit() and 100 <= int(text) <= 599:
            codes.add(int(text))
        else:
            raise InputError(
                f"{value!r} is not a status code (100-599) or class such as 2xx",
                field=f"expect[{index}]",
            )
    return _Expect(frozenset(codes), frozenset(classes))


def _headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """The expanded headers as text, if every one can be sent (else a failed check)."""
    try:
        return checked_headers({str(k): str(v) for k, v in headers.items()}, field="headers")
    except JobPermanentError as exc:
        raise CheckError(str(exc)) from exc
