"""Which checker kinds exist: the four built-ins, and any a package registers.

A kind is looked up only when a checker of that kind is built, and the built-ins are
imported lazily by path, so a missing optional library (fsspec for ``path``, SQLAlchemy
drivers for ``sql``) only fails for the checkers that need it, with an error naming the kind.

Third-party kinds come from the ``interlock.checkers`` entry-point group
(:func:`importlib.metadata.entry_points`); each entry point names a factory — a class
taking the config mapping, or any callable returning a :class:`~interlock.checkers.base.Checker`::

    [project.entry-points."interlock.checkers"]
    rowcount = "acme_checks:RowCountChecker"

A registered name never shadows a built-in: ``sql`` is always Interlock's.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import cast

from interlock.checkers.base import CheckerFactory
from interlock.errors import InputError, did_you_mean

__all__ = ["BUILTIN_CHECKERS", "ENTRY_POINT_GROUP", "checker_factory", "checker_kinds"]

ENTRY_POINT_GROUP = "interlock.checkers"
"""The entry-point group a package registers its own checker kinds in."""

BUILTIN_CHECKERS: Mapping[str, str] = {
    "sql": "interlock.checkers.sql:SqlChecker",
    "path": "interlock.checkers.path:PathChecker",
    "http": "interlock.checkers.http:HttpChecker",
    "command": "interlock.checkers.command:CommandChecker",
}
"""Built-in kind → ``module:Class``, imported only when a checker of that kind is built."""


def checker_kinds() -> list[str]:
    """Every kind a ``sensors:`` entry may name: the built-ins, then registered ones."""
    registered = sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})
    return [*BUILTIN_CHECKERS, *(name for name in registered if name not in BUILTIN_CHECKERS)]


def checker_factory(kind: str) -> CheckerFactory:
    """The factory that builds checkers of ``kind``.

    :raises InputError: ``kind`` is neither built in nor registered (with a did-you-mean),
        or its module cannot be imported (naming the module and the missing library).
    """
    if kind in BUILTIN_CHECKERS:
        return _import_builtin(kind, BUILTIN_CHECKERS[kind])
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == kind:
            try:
                return cast("CheckerFactory", entry.load())
            except (ImportError, AttributeError) as exc:
                raise InputError(
                    f"checker kind {kind!r} is registered as {entry.value!r} by an"
                    f" {ENTRY_POINT_GROUP!r} entry point, but it cannot be loaded: {exc}",
                    field="kind",
                ) from exc
    known = checker_kinds()
    raise InputError(
        f"unknown checker kind {kind!r}{did_you_mean(kind, known)} (known: {', '.join(known)};"
        f" register your own through the {ENTRY_POINT_GROUP!r} entry point)",
        field="kind",
    )


def _import_builtin(kind: str, target: str) -> CheckerFactory:
    module_name, _, name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(
            f"the {kind!r} checker cannot be loaded ({module_name}): {exc}", field="kind"
        ) from exc
    return cast("CheckerFactory", getattr(module, name))
