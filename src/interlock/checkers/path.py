"""The ``path`` checker: does a file or object exist, how big, how new — over fsspec.

Config (templates expanded per partition before :meth:`PathChecker.check` sees them)::

    url:     s3://raw-bucket/cdr/${date}/_SUCCESS   # file://, s3://, gs://, az://, ...
    mode:    exists                                 # or: prefix
    options: {endpoint_url: "${env:S3_ENDPOINT}"}   # passed to the fsspec filesystem

Observations:

- ``exists`` (the default): ``{exists: true, size, modifiedAt}`` for the object at ``url``,
  or ``{exists: false}`` when there is none. A directory counts as existing, size 0.
- ``prefix``: every object under ``url`` (recursively): ``{exists, count, size,
  modifiedAt}`` with the total size and the newest modification time; ``exists`` is
  ``count > 0``.

``modifiedAt`` is ISO 8601 UTC (``2026-03-25T04:10:00+00:00``), or null where the storage
does not say. Missing is an observation, never an error: "the ``_SUCCESS`` marker has not
landed" is what the rule is waiting for. Anything else that stops the look — refused
permissions, an unreachable endpoint, an unknown bucket setting — is a :class:`CheckError`
with the request's secrets masked.

Listings are read fresh on every check (fsspec's directory cache is dropped first), so an
object removed since the last check is noticed. S3 needs ``s3fs`` (``pip install
'interlock[storage]'``); other protocols need their fsspec package.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

try:
    import fsspec
    from fsspec.core import split_protocol, url_to_fs
except ImportError:  # the storage extra is not installed: refused when a path checker is built
    fsspec = None

from interlock.checkers.base import CheckError, CheckRequest, CheckResult, Observation
from interlock.errors import InputError
from interlock.jobs.schema import has_placeholder

__all__ = ["MODES", "PathChecker"]

MODES = ("exists", "prefix")
_KEYS = ("url", "mode", "options")
_MODIFIED_KEYS = ("mtime", "LastModified", "last_modified", "updated", "modified", "created")
"""Where fsspec backends put the modification time: local, s3fs, adlfs, gcsfs, others."""


class PathChecker:
    """Per-partition ``path`` checks; see the module docstring for the config keys."""

    bulk = False

    def __init__(self, config: Mapping[str, Any]) -> None:
        if fsspec is None:
            raise InputError(
                "the path checker needs fsspec (and s3fs for s3://): pip install"
                " 'interlock[storage]'",
                field="path",
            )
        unknown = sorted(set(config) - set(_KEYS))
        if unknown:
            raise InputError(f"unknown key; known: {', '.join(_KEYS)}", field=unknown[0])
        _check_url(config.get("url"))
        self.mode = _mode(config.get("mode", "exists"))
        if not isinstance(config.get("options") or {}, Mapping):
            raise InputError("must be a mapping of fsspec options", field="options")

    def __repr__(self) -> str:
        return f"PathChecker(mode={self.mode!r})"

    def check(self, request: CheckRequest) -> CheckResult:
        """One look per partition asked: the observation of each.

        :raises CheckError: the storage could not be looked at; secrets masked.
        """
        try:
            observations = [Observation(p, self._observe(request, p)) for p in request.partitions]
        except CheckError as exc:
            raise CheckError(request.redact(str(exc))) from exc
        return CheckResult(observations)

    def close(self) -> None:
        """Nothing to release: fsspec keeps (and reuses) its filesystem instances."""

    def _observe(self, request: CheckRequest, partition: str | None) -> dict[str, Any]:
        config = request.configs[partition]
        url = str(config.get("url", ""))
        options = dict(config.get("options") or {})
        try:
            filesystem, path = url_to_fs(url, **options)
            filesystem.invalidate_cache(path)  # a listing cached by an earlier check may be stale
            if self.mode == "prefix":
                return _prefix(filesystem, path)
            return _exists(filesystem, path)
        except FileNotFoundError:
            return {"exists": False} if self.mode == "exists" else _empty_prefix()
        except ImportError as exc:
            raise CheckError(f"{url}: {exc} (pip install 'interlock[storage]')") from exc
        except Exception as exc:
            raise CheckError(f"{url}: {type(exc).__name__}: {exc}") from exc


def _exists(filesystem: Any, path: str) -> dict[str, Any]:
    info = filesystem.info(path)
    is_file = info.get("type") != "directory"
    return {
        "exists": True,
        "size": int(info.get("size") or 0) if is_file else 0,
        "modifiedAt": _modified(info),
    }


def _prefix(filesystem: Any, path: str) -> dict[str, Any]:
    found: Mapping[str, Mapping[str, Any]] = filesystem.find(path, detail=True)
    files = [info for info in found.values() if info.get("type") != "directory"]
    if not files:
        return _empty_prefix()
    times = [stamp for stamp in map(_modified, files) if stamp is not None]
    return {
        "exists": True,
        "count": len(files),
        "size": sum(int(info.get("size") or 0) for info in files),
        "modifiedAt": max(times, default=None),
    }


def _empty_prefix() -> dict[str, Any]:
    return {"exists": False, "count": 0, "size": 0, "modifiedAt": None}


def _modified(info: Mapping[str, Any]) -> str | None:
    """The modification time in ``info`` as ISO 8601 UTC, whichever key the backend uses."""
    value = next((info[key] for key in _MODIFIED_KEYS if info.get(key) is not None), None)
    stamp: datetime | None = None
    if isinstance(value, datetime):
        stamp = value
    elif isinstance(value, int | float):
        stamp = datetime.fromtimestamp(value, tz=UTC)
    elif isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            return value  # the storage's own notation: still a change when it changes
    if stamp is None:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _check_url(url: Any) -> None:
    """A URL whose protocol fsspec knows, or a template that may expand to one."""
    if not isinstance(url, str) or not url:
        raise InputError(f"{url!r} is not a URL, such as s3://bucket/key or file:///p", field="url")
    protocol, _ = split_protocol(url)
    if protocol is None or has_placeholder(protocol):
        return
    if protocol not in fsspec.available_protocols():
        raise InputError(
            f"{protocol}:// is not a storage protocol fsspec knows (such as file, s3, gs, az)",
            field="url",
        )


def _mode(mode: Any) -> str:
    if mode not in MODES:
        raise InputError(f"{mode!r} is not one of {', '.join(MODES)}", field="mode")
    return str(mode)
