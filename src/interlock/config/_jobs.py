"""``job.type`` and ``job.config`` against the backend registry, reported like any config error.

The loader knows no backend: it asks :mod:`interlock.backends` which types exist and lets the
type's own config model list what is wrong with ``job.config``; this module only places each
issue at its YAML line and words its fix. The model is imported only when a file has a
``job.config`` to check, so ``import interlock.config`` stays free of pydantic and backends.
"""

from __future__ import annotations

from collections.abc import Mapping

from interlock.backends import JobConfigIssue, check_job_config, job_types
from interlock.config._check import Checker, suggestion
from interlock.config._yaml import YamlPath

__all__ = ["JOB_TYPES", "check_config", "check_type"]

JOB_TYPES = job_types()
"""Every ``job.type`` Interlock can launch: the registry's, nothing more."""

_CONFIG: YamlPath = ("job", "config")


def check_type(c: Checker, job_type: str) -> bool:
    """Report ``job.type`` unless a backend is registered for it; True when one is."""
    if job_type in JOB_TYPES:
        return True
    fix = suggestion(job_type, JOB_TYPES, listing="use one of")
    c.report(("job", "type"), f'unknown job type "{job_type}"', fix)
    return False


def check_config(c: Checker, job_type: str, config: Mapping[str, object]) -> None:
    """Report every issue the ``job_type`` backend's model finds in ``config``.

    Not when the YAML layer already refused part of it: that value reads as null, and the
    model's "missing" or "wrong type" on top would only repeat the first problem.
    """
    if any(field.startswith("job.config") for field in c.doc.reported):
        return
    try:
        issues = check_job_config(job_type, config)
    except ImportError as exc:  # a backend's config module needs a package not installed
        message = f"the {job_type} backend cannot be loaded here: {exc}"
        c.report(("job", "type"), message, "install the package the backend needs")
        return
    for issue in issues:
        c.report((*_CONFIG, *issue.path), issue.message, _fix(issue), at_key=issue.at_key)


def _fix(issue: JobConfigIssue) -> str:
    if issue.fix or issue.unknown is None:
        return issue.fix
    return suggestion(issue.unknown, issue.known, listing=issue.listing)
