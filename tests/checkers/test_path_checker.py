"""The ``path`` checker on the local filesystem and on S3 (moto's server on 127.0.0.1)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from checker_request_support import request_for
from moto.server import ThreadedMotoServer

from interlock.checkers.base import Checker, CheckError
from interlock.checkers.path import PathChecker
from interlock.errors import InputError

DAY = "2026-03-25"


def observe(config: dict[str, Any], partition: str | None = DAY, **kwargs: Any) -> dict[str, Any]:
    """What a path checker with ``config`` observes now for ``partition``."""
    checker = PathChecker(config)
    (observation,) = checker.check(request_for(config, [partition], **kwargs)).observations
    assert observation.partition == partition
    return dict(observation.data)


def test_a_path_checker_is_a_per_partition_checker() -> None:
    """The runner calls it once per partition: it is not bulk, and it is a Checker."""
    checker = PathChecker({"url": "file:///data/${date}/_SUCCESS"})
    assert isinstance(checker, Checker)
    assert checker.bulk is False


def test_a_success_marker_appearing_is_observed(tmp_path: Path) -> None:
    """No marker yet: ``exists: false``; once written: its size and modification time."""
    config = {"url": f"file://{tmp_path}/cdr/${{date}}/_SUCCESS"}
    assert observe(config) == {"exists": False}
    marker = tmp_path / "cdr" / DAY / "_SUCCESS"
    marker.parent.mkdir(parents=True)
    marker.write_text("done\n")
    stamp = datetime(2026, 3, 26, 4, 10, tzinfo=UTC).timestamp()
    os.utime(marker, (stamp, stamp))
    assert observe(config) == {
        "exists": True,
        "size": 5,
        "modifiedAt": "2026-03-26T04:10:00+00:00",
    }
    assert observe(config, "2026-03-24") == {"exists": False}


def test_a_removed_file_is_noticed(tmp_path: Path) -> None:
    """The same checker sees the file, then, once deleted, its absence."""
    target = tmp_path / "out.csv"
    target.write_text("a,b\n")
    config = {"url": str(target)}
    checker = PathChecker(config)
    first = checker.check(request_for(config)).observations[0].data
    target.unlink()
    second = checker.check(request_for(config)).observations[0].data
    assert first["exists"] is True
    assert second == {"exists": False}


def test_prefix_mode_counts_the_objects_under_a_prefix(tmp_path: Path) -> None:
    """Recursive count, total size and newest time; an empty or missing prefix: count 0."""
    config = {"url": f"{tmp_path}/raw/${{date}}", "mode": "prefix"}
    empty = {"exists": False, "count": 0, "size": 0, "modifiedAt": None}
    assert observe(config) == empty
    (tmp_path / "raw" / DAY / "part").mkdir(parents=True)
    assert observe(config) == empty
    for name, content, hour in [("a.csv", "12345", 1), ("part/b.csv", "123", 3)]:
        path = tmp_path / "raw" / DAY / name
        path.write_text(content)
        stamp = datetime(2026, 3, 26, hour, tzinfo=UTC).timestamp()
        os.utime(path, (stamp, stamp))
    assert observe(config) == {
        "exists": True,
        "count": 2,
        "size": 8,
        "modifiedAt": "2026-03-26T03:00:00+00:00",
    }
    (tmp_path / "raw" / DAY / "a.csv").unlink()
    assert observe(config)["count"] == 1


def test_a_directory_exists_with_size_zero(tmp_path: Path) -> None:
    """``exists`` on a directory: it is there (a partition folder), with no size of its own."""
    (tmp_path / DAY).mkdir()
    observation = observe({"url": f"file://{tmp_path}/${{date}}"})
    assert observation["exists"] is True
    assert observation["size"] == 0


@pytest.mark.parametrize(
    ("config", "field", "fix"),
    [
        ({}, "url", "such as s3://bucket/key"),
        ({"url": "nosuchproto://b/k"}, "url", "nosuchproto:// is not a storage protocol"),
        ({"url": "s3://b/k", "mode": "count"}, "mode", "not one of exists, prefix"),
        ({"url": "s3://b/k", "options": ["endpoint_url"]}, "options", "mapping"),
        ({"url": "s3://b/k", "option": {}}, "option", "known: url, mode, options"),
    ],
)
def test_a_config_the_checker_cannot_use_is_refused_when_loaded(
    config: dict[str, Any], field: str, fix: str
) -> None:
    """Each unusable config is an InputError naming the key and saying what to write."""
    with pytest.raises(InputError) as raised:
        PathChecker(config)
    assert raised.value.field == field
    assert fix in str(raised.value)


def test_without_the_storage_extra_a_path_checker_says_what_to_install() -> None:
    """Importing the module works without fsspec; building a checker names the extra."""
    code = (
        "import sys; sys.modules['fsspec'] = None\n"
        "from interlock.checkers.path import PathChecker\n"
        "from interlock.errors import InputError\n"
        "try:\n    PathChecker({'url': 's3://b/k'})\n"
        "except InputError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'interlock[storage]'" in done.stdout


def test_a_templated_protocol_is_left_for_the_check() -> None:
    """``${env:LANDING}/_SUCCESS`` may expand to any URL: not refused when loaded."""
    assert PathChecker({"url": "${env:LANDING}/_SUCCESS", "mode": "prefix"}).mode == "prefix"


# --- S3, through moto's server on 127.0.0.1 --------------------------------------------

BUCKET = "raw-bucket"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free port of 127.0.0.1, with an empty bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, **_CREDENTIALS_BOTO)
    client.create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


_CREDENTIALS_BOTO = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing-secret",
    "region_name": "us-east-1",
}
_S3_ENV = {"S3_KEY": "testing", "S3_SECRET": "testing-secret"}


def s3_config(endpoint: str, url: str, mode: str = "exists") -> dict[str, Any]:
    """A path checker config for ``url`` on the moto server, credentials from the environment."""
    return {
        "url": url,
        "mode": mode,
        "options": {
            "endpoint_url": endpoint,
            "key": "${env:S3_KEY}",
            "secret": "${env:S3_SECRET}",
            "client_kwargs": {"region_name": "us-east-1"},
        },
    }


def put(endpoint: str, key: str, body: bytes) -> Any:
    """Write one object to the moto bucket with boto3 (a producer landing data)."""
    client = boto3.client("s3", endpoint_url=endpoint, **_CREDENTIALS_BOTO)
    client.put_object(Bucket=BUCKET, Key=key, Body=body)
    return client


def test_an_s3_success_marker_appearing_and_removed_is_observed(s3_endpoint: str) -> None:
    """Absent, then landed (size, time), then deleted: the same checker sees each state."""
    config = s3_config(s3_endpoint, f"s3://{BUCKET}/cdr/${{date}}/_SUCCESS")
    checker = PathChecker(config)
    before = checker.check(request_for(config, [DAY], env=_S3_ENV)).observations[0].data
    client = put(s3_endpoint, f"cdr/{DAY}/_SUCCESS", b"ok")
    landed = checker.check(request_for(config, [DAY], env=_S3_ENV)).observations[0].data
    client.delete_object(Bucket=BUCKET, Key=f"cdr/{DAY}/_SUCCESS")
    removed = checker.check(request_for(config, [DAY], env=_S3_ENV)).observations[0].data
    assert before == {"exists": False}
    assert landed["exists"] is True
    assert landed["size"] == 2
    assert landed["modifiedAt"].endswith("+00:00")
    assert removed == {"exists": False}


def test_an_s3_prefix_is_counted(s3_endpoint: str) -> None:
    """Objects under ``s3://bucket/events/DAY``: count and total size, a removal noticed."""
    config = s3_config(s3_endpoint, f"s3://{BUCKET}/events/${{date}}", mode="prefix")
    client = put(s3_endpoint, f"events/{DAY}/part-0.parquet", b"x" * 10)
    put(s3_endpoint, f"events/{DAY}/sub/part-1.parquet", b"x" * 5)
    put(s3_endpoint, "events/2026-03-24/part-0.parquet", b"x" * 99)
    checker = PathChecker(config)
    first = checker.check(request_for(config, [DAY], env=_S3_ENV)).observations[0].data
    client.delete_object(Bucket=BUCKET, Key=f"events/{DAY}/part-0.parquet")
    second = checker.check(request_for(config, [DAY], env=_S3_ENV)).observations[0].data
    assert (first["count"], first["size"]) == (2, 15)
    assert (second["count"], second["size"]) == (1, 5)


def test_an_unreachable_s3_endpoint_is_a_failed_check_with_secrets_masked() -> None:
    """Nothing listening at the endpoint: a CheckError, the credential values masked."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = s3_config(f"http://127.0.0.1:{port}", f"s3://{BUCKET}/x/_SUCCESS")
    config["options"]["config_kwargs"] = {"connect_timeout": 1, "retries": {"max_attempts": 1}}
    env = {"S3_KEY": "AKIAREALKEY123", "S3_SECRET": "testing-secret"}
    with pytest.raises(CheckError) as raised:
        observe(config, env=env)
    assert f"127.0.0.1:{port}" in str(raised.value)
    assert "AKIAREALKEY123" not in str(raised.value)
