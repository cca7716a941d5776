"""Hot statements compiled once per dialect and run as driver SQL.

``Connection.execute`` on a pre-built Core statement still costs SQLAlchemy 40 to 80 µs of
Python per call (cache lookup, execution context, parameter processing), several times
what SQLite itself needs for a one-row write. The sensor-write → launch-decision path runs
about ten such writes, so that overhead alone was most of its latency budget; batch ingest
paid it per row.

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

_NO_VALUE = object()


@dataclass(frozen=True)
class _Slot:
    """Where one bound value comes from: the caller's ``key``, else a constant."""

    key: str
    constant: Any
    process: Processor


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]
    slots: tuple[_Slot, ...]
    positional: bool

    def convert_many(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Driver parameters for each row.

        Batches repeat values (every reading of a batch has the same arrival time): a value
        identical to the previous row's is not processed again.
        """
        last_in: list[Any] = [_NO_VALUE] * len(self.slots)
        last_out: list[Any] = [None] * len(self.slots)
        converted = []
        for params in rows:
            values = []
            for i, slot in enumerate(self.slots):
                value = params.get(slot.key, slot.constant)
                if value is _NO_VALUE:
                    msg = f"a value is required for {slot.key!r}"
                    raise KeyError(msg)
                if slot.process is not None:
                    if value is last_in[i]:
                        value = last_out[i]
                    else:
                        last_in[i], value = value, slot.process(value)
                        last_out[i] = value
                values.append(value)
            converted.append(
                tuple(values) if self.positional else dict(zip(self.names, values, strict=True))
            )
        return converted


class Prepared:
    """A write statement compiled once per dialect; ``keys`` name the parameters given.

    For an ``INSERT`` built without ``.values()``, ``keys`` are the columns supplied (as
    with ``execute``); every column the statement writes must be supplied, since column
    defaults are not applied on this path. Plans are kept per dialect *name* and shared by
    every engine of that dialect, which holds because Interlock creates its engines with the
    dialects' default settings (JSON serializer, paramstyle).
    """

    def __init__(self, statement: sa.ClauseElement, keys: Sequence[str] = ()) -> None:
        self.statement = statement
        self.keys = list(keys)
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = self._compile(dialect)
        return plan

    def _compile(self, dialect: Dialect) -> _Plan:
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
        slots = []
        for name in names:
            bind = by_name[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            constant = _NO_VALUE if bind.required else bind.value
            slots.append(_Slot(key=bind.key, constant=constant, process=process))
        return _Plan(
            sql=compiled.string, names=names, slots=tuple(slots), positional=compiled.positional
        )

    def fetch_all(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a ``SELECT`` on the driver's own cursor: its rows as plain tuples.

        For bulk reads of plain columns (strings, numbers, booleans as the driver returns
        them): building SQLAlchemy rows for 365,000 of them costs more than reading them.
        Values get no result processing (no JSON decoding, no timezone fix-up).
        """
        plan = self._plan(conn.dialect)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, plan.convert_many([params])[0])
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def execute(
        self, conn: Connection, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> CursorResult[Any]:
        """Run with one parameter set, or many (``executemany``)."""
        plan = self._plan(conn.dialect)
        if isinstance(params, Mapping):
            return conn.exec_driver_sql(plan.sql, plan.convert_many([params])[0])
        return conn.exec_driver_sql(plan.sql, plan.convert_many(params))
