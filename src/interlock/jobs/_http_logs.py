"""Secrets kept out of httpx's own log lines, for every Interlock part that sends HTTP.

httpx logs every request URL at INFO, and a URL may carry a ``${env:TOKEN}`` value. Both the
``http`` job backend and the ``http`` state checker send such URLs, from many threads at
once, so the masking is per thread: :func:`masked_httpx_logs` names the secrets of the
request the current thread is sending, and one logging filter on the ``httpx`` logger masks
them in that thread's records only. No httpx import: the filter works on log records.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from interlock.jobs.templates import redact

__all__ = ["masked_httpx_logs"]

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


@contextlib.contextmanager
def masked_httpx_logs(secrets: frozenset[str]) -> Iterator[None]:
    """Mask ``secrets`` in httpx's log lines from this thread while the block runs."""
    logging.getLogger("httpx").addFilter(_HTTPX_LOG_FILTER)  # idempotent: a set of filters
    previous: frozenset[str] = getattr(_masking, "secrets", frozenset())
    _masking.secrets = secrets
    try:
        yield
    finally:
        _masking.secrets = previous
