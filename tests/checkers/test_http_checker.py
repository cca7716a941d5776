"""The ``http`` checker against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from checker_request_support import request_for
from http_server import Server

from interlock.checkers.base import Checker, CheckError, Observation
from interlock.checkers.http import HttpChecker
from interlock.errors import InputError

TOKEN = "s3cr3t-token-value"  # noqa: S105 - a test credential, to see it masked


@pytest.fixture
def checker() -> Iterator[HttpChecker]:
    """An http checker with no config of its own; each test passes the config it checks."""
    built = HttpChecker({"url": "https://unused"})
    yield built
    built.close()


def observe(server: Server, config: dict[str, Any], **kwargs: Any) -> Observation:
    """The one observation of ``config`` (its url relative to ``server``), for 2026-03-25."""
    config = {**config, "url": server.url + config["url"]}
    checker = HttpChecker(config)
    try:
        result = checker.check(request_for(config, ["2026-03-25"], **kwargs))
    finally:
        checker.close()
    (observation,) = result.observations
    return observation


def test_an_http_checker_is_a_per_partition_checker() -> None:
    """The runner calls it once per partition: it is not bulk, and it is a Checker."""
    checker = HttpChecker({"url": "https://status.example.com"})
    assert isinstance(checker, Checker)
    assert checker.bulk is False
    checker.close()


def test_fields_are_read_from_the_json_body_by_path(server: Server) -> None:
    """Each field is its path's value; a path the body lacks reads as null, not an error."""
    body = {"state": "ready", "feeds": [{"rows": 12}, {"rows": 7}], "last run": {"ok": True}}
    server.answer("/feeds/2026-03-25", (200, body))
    fields = {
        "state": "$.state",
        "rows": "$.feeds[0].rows",
        "lastRows": "$.feeds[-1].rows",
        "ok": "$['last run'].ok",
        "gone": "$.feeds[5].rows",
    }
    observation = observe(server, {"url": "/feeds/${date}", "fields": fields})
    assert observation.partition == "2026-03-25"
    assert observation.data == {
        "status": 200,
        "state": "ready",
        "rows": 12,
        "lastRows": 7,
        "ok": True,
        "gone": None,
    }


def test_a_4xx_is_an_observation_the_rules_decide_on(server: Server) -> None:
    """A 404 outside ``expect`` is recorded with its status only; the body is not read."""
    server.answer("/feeds/2026-03-25", (404, "no such feed"))
    observation = observe(server, {"url": "/feeds/${date}", "fields": {"state": "$.state"}})
    assert observation.data == {"status": 404}


def test_expect_makes_a_status_the_intended_answer(server: Server) -> None:
    """A 503 listed in ``expect`` is an observation whose fields are read, not a failure."""
    server.answer("/maintenance", (503, {"state": "maintenance"}))
    config = {"url": "/maintenance", "fields": {"state": "$.state"}, "expect": ["2xx", 503]}
    assert observe(server, config).data == {"status": 503, "state": "maintenance"}


def test_headers_from_the_environment_are_sent_and_masked_in_errors(server: Server) -> None:
    """The token reaches the server, but not the error message of a 5xx that echoes it."""
    server.answer(f"/status?key={TOKEN}", (500, f"internal error for token {TOKEN}"))
    config = {
        "url": server.url + "/status?key=${env:TOKEN}",
        "headers": {"Authorization": "Bearer ${env:TOKEN}"},
    }
    checker = HttpChecker(config)
    with pytest.raises(CheckError) as raised:
        checker.check(request_for(config, env={"TOKEN": TOKEN}))
    checker.close()
    assert server.seen[-1].headers["authorization"] == f"Bearer {TOKEN}"
    message = str(raised.value)
    assert "HTTP 500" in message
    assert TOKEN not in message
    assert "***" in message


def test_a_5xx_fails_the_check_and_the_next_good_answer_recovers(server: Server) -> None:
    """After a 502 the same checker observes normally: a failure leaves nothing behind."""
    server.answer("/status", (502, "bad gateway"), (200, {"state": "ok"}))
    config = {"url": server.url + "/status", "fields": {"state": "$.state"}}
    checker = HttpChecker(config)
    with pytest.raises(CheckError, match="HTTP 502: bad gateway"):
        checker.check(request_for(config))
    result = checker.check(request_for(config))
    checker.close()
    assert result.observations == [Observation(None, {"status": 200, "state": "ok"})]


def test_a_slow_endpoint_times_out_as_a_failed_check(server: Server) -> None:
    """An answer slower than the request's timeout is a CheckError naming the timeout."""
    server.answer("/slow", (200, {"state": "ok"}))
    server.delays["/slow"] = 2.0
    config = {"url": server.url + "/slow"}
    checker = HttpChecker(config)
    with pytest.raises(CheckError, match=r"timed out after 0\.2s"):
        checker.check(request_for(config, timeout=0.2))
    checker.close()


def test_a_refused_connection_is_a_failed_check() -> None:
    """Nothing listening on the port: a CheckError naming the URL, not an observation."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {"url": f"http://127.0.0.1:{port}/status"}
    checker = HttpChecker(config)
    with pytest.raises(CheckError, match=f"GET http://127.0.0.1:{port}/status: ConnectError"):
        checker.check(request_for(config))
    checker.close()


def test_a_body_that_is_not_json_fails_a_check_that_reads_fields(server: Server) -> None:
    """Fields asked from an HTML error page cannot be read: a failed check, with an excerpt."""
    server.answer("/status", (200, "<html>login</html>"))
    with pytest.raises(CheckError, match=r"not JSON.*<html>login"):
        observe(server, {"url": "/status", "fields": {"state": "$.state"}})


def test_a_header_no_request_may_carry_fails_before_sending(server: Server) -> None:
    """A newline from the environment in a header value is refused, naming the header."""
    config = {"url": server.url + "/status", "headers": {"X-Feed": "${env:FEED}"}}
    checker = HttpChecker(config)
    with pytest.raises(CheckError, match=r"headers\.X-Feed: holds '\\n'"):
        checker.check(request_for(config, env={"FEED": "a\nb"}))
    checker.close()
    assert server.seen == []


@pytest.mark.parametrize(
    ("config", "field", "fix"),
    [
        ({"url": "ftp://host/x"}, "url", "https://host/status"),
        ({}, "url", "not an http(s) URL"),
        ({"url": "https://h", "method": "GET /x"}, "method", "such as GET"),
        ({"url": "https://h", "fields": ["$.a"]}, "fields", "{state: $.status}"),
        ({"url": "https://h", "fields": {"state": "status"}}, "fields.state", "must start with $"),
        ({"url": "https://h", "fields": {"s": "$.a[?(@.b)]"}}, "fields.s", "not supported"),
        ({"url": "https://h", "fields": {"status": "$.s"}}, "fields.status", "name the field"),
        ({"url": "https://h", "expect": ["2xx", 700]}, "expect[1]", "100-599"),
        ({"url": "https://h", "expect": []}, "expect", "such as [2xx, 404]"),
        ({"url": "https://h", "headers": ["Authorization"]}, "headers", "mapping"),
        ({"url": "https://h", "field": {}}, "field", "known: url, method"),
    ],
)
def test_a_config_the_checker_cannot_use_is_refused_when_loaded(
    config: dict[str, Any], field: str, fix: str
) -> None:
    """Each unusable config is an InputError naming the key and saying what to write."""
    with pytest.raises(InputError) as raised:
        HttpChecker(config)
    assert raised.value.field == field
    assert fix in str(raised.value)


def test_a_templated_url_is_accepted_when_loaded() -> None:
    """``${env:STATUS_URL}`` may expand to an http URL later: it is not refused up front."""
    checker = HttpChecker({"url": "${env:STATUS_URL}", "expect": "2xx"})
    assert 204 in checker.expect
    assert 404 not in checker.expect
    checker.close()


def test_httpx_log_lines_do_not_show_a_token_in_the_url(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """Httpx logs each URL at INFO; the ``${env:...}`` value in it is masked there too."""
    server.answer(f"/status?key={TOKEN}", (200, {}))
    config = {"url": server.url + "/status?key=${env:TOKEN}"}
    checker = HttpChecker(config)
    with caplog.at_level(logging.INFO, logger="httpx"):
        checker.check(request_for(config, env={"TOKEN": TOKEN}))
    checker.close()
    lines = [record.getMessage() for record in caplog.records if record.name == "httpx"]
    assert lines
    assert all(TOKEN not in line for line in lines)
    assert any("key=***" in line for line in lines)
