"""Reading an ``http`` job's state: its status URL and the mapping of what it answers. Pure.

``statusField`` (dotted, default ``status``) of the status response is looked up in:

- ``successValues`` → succeeded;
- ``failureValues`` → failed: a list (each ``TRANSIENT``, retried within ``maxRetries``) or a
  mapping of value to category (``{failed: TRANSIENT, upstream_failed: PERMANENT}``);
- ``cancelledValues`` (default ``cancelled``/``canceled`` in both cases) → failed as
  ``CANCELLED``: someone stopped the job where it runs, and it is never retried;
- ``queuedValues`` → running, phase ``queued`` (the job was accepted but has not started:
  ``JOB_QUEUED_TOO_LONG`` after ``job.queuedTimeout``);
- ``runningValues`` → running.

Any other value counts as running. When ``runningValues`` or ``queuedValues`` is given, such a
value is also *unrecognised* and reported once (``JOB_STATE_UNKNOWN``): the config names
every state the job system has, so a new one deserves a look.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from interlock.errors import JobPermanentError
from interlock.jobs.base import JobHandle, JobRequest, JobStatus

__all__ = ["map_status", "needs_response", "render_status_url", "status_url"]

_FIELD = re.compile(r"\$\{(?:response:)?([^}]+)\}")


def needs_response(template: str) -> bool:
    """True if the status URL is filled from the launch response (``${response:id}``)."""
    return _FIELD.search(template) is not None


def map_status(payload: Any, poll: Mapping[str, Any], output: dict[str, str]) -> JobStatus:
    """The job status that a status response's JSON ``payload`` means."""
    value = field(payload, str(poll["field"]))
    text = "" if value is None else str(value)
    message = f"{poll['field']}={text!r}"
    if text in poll["successValues"]:
        return JobStatus(state="succeeded", message=message, output=output, value=text)
    category = poll["failureValues"].get(text)
    if category is not None:
        return JobStatus(
            state="failed", category=category, message=message, output=output, value=text
        )
    queued = text in poll.get("queuedValues", ())
    known = queued or text in poll.get("runningValues", ())
    return JobStatus(
        state="running",
        message=message,
        output=output,
        phase="queued" if queued else "",
        value=text,
        unrecognised=bool(poll.get("strict")) and not known,
    )


def status_url(handle: JobHandle, poll: Mapping[str, Any], request: JobRequest) -> str:
    """The real status URL of an attempt.

    From the current ``statusUrl`` when the config still has one; else the URL recorded at
    launch (a config that dropped ``statusUrl`` since, or a handle from an older version).

    :raises JobPermanentError: the URL cannot be built (a response field it needs is missing).
    """
    error = poll.get("error")
    template = request.config.get("statusUrl")
    if not error and isinstance(template, str) and template:
        url, error = render_status_url(template, handle.data.get("response"))
    else:
        url = poll.get("url")
    if error or url is None:
        raise JobPermanentError(str(error or "job.config.statusUrl: no status URL recorded"))
    return str(url)


def render_status_url(template: str, payload: Any) -> tuple[str | None, str | None]:
    """Fill ``${response:a.b}`` / ``${a.b}`` from the launch response; (url, error)."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        value = field(payload, match.group(1))
        if value is None:
            missing.append(match.group(1))
            return ""
        return str(value) if match.group(0) == template else quote(str(value), safe="")

    url = _FIELD.sub(replace, template)
    if missing:
        names = ", ".join(missing)
        return None, f"job.config.statusUrl needs {names} from the launch response, which has none"
    return url, None


def field(payload: Any, dotted: str) -> Any:
    """``payload["a"]["b"]`` for ``"a.b"``, or None where a part is missing."""
    value = payload
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value
