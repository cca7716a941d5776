"""Hot write statements compiled once per dialect and run as driver SQL.

``Connection.execute`` on a pre-built Core statement still costs SQLAlchemy 40 to 80 µs of
Python per call (cache lookup, execution context, parameter processing), several times
what SQLite itself needs for a one-row write. The sensor-write → launch-decision path runs
about ten such writes, so that overhead alone was most of its latency budget.

:class:`Prepared` keeps the statement written in SQLAlchemy Core — one definition for
SQLite and PostgreSQL, quoting and dialect differences handled by SQLAlchemy — but compiles
it once per dialect, converts parameters with the column types' own bind processors (so
datetimes and JSON are stored exactly as ``execute`` would store them), and runs it with
``exec_driver_sql`` on the same connection and transaction. Only statements without
expanding parameters qualify; reads keep using ``execute``, which also processes results.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["Prepared"]

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    compiled: SQLCompiler
    names: tuple[str, ...]
    processors: tuple[Processor, ...]
    positional: bool

    def convert(self, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = self.compiled.construct_params(params, _check=False)
        converted = [
            value if process is None else process(value)
            for value, process in zip(
                (values[name] for name in self.names), self.processors, strict=True
            )
        ]
        if self.positional:
            return tuple(converted)
        return dict(zip(self.names, converted, strict=True))


class Prepared:
    """A write statement compiled once per dialect; ``keys`` name the parameters given.

    For an ``INSERT`` built without ``.values()``, ``keys`` are the columns supplied (as
    with ``execute``); every column the statement writes must be supplied, since column
    defaults are not applied on this path.
    """

    def __init__(self, statement: sa.ClauseElement, keys: Sequence[str] = ()) -> None:
        self.statement = statement
        self.keys = list(keys)
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.keys or None)
            if not isinstance(compiled, SQLCompiler):  # pragma: no cover - DDL is not a write
                msg = f"{self.statement!r} is not a DML statement"
                raise TypeError(msg)
            if compiled.post_compile_params:
                msg = "expanding parameters render per call; use Connection.execute"
                raise TypeError(msg)
            by_name = {name: bind for bind, name in compiled.bind_names.items()}
            names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(by_name)
            defaulted = set(names) - set(self.keys) if self.keys else set()
            if defaulted:
                msg = f"supply {sorted(defaulted)} too: column defaults are not applied here"
                raise TypeError(msg)
            processors = tuple(
                by_name[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
            )
            plan = _Plan(
                sql=compiled.string,
                compiled=compiled,
                names=names,
                processors=processors,
                positional=compiled.positional,
            )
            self._plans[dialect.name] = plan
        return plan

    def execute(
        self, conn: Connection, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> CursorResult[Any]:
        """Run with one parameter set, or many (``executemany``)."""
        plan = self._plan(conn.dialect)
        if isinstance(params, Mapping):
            return conn.exec_driver_sql(plan.sql, plan.convert(params))
        return conn.exec_driver_sql(plan.sql, [plan.convert(p) for p in params])
