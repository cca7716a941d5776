"""The SQLAlchemy compiler internals ``store/_prepared.py`` relies on, one check each.

``Prepared`` compiles a Core statement once and runs the SQL string itself, so it reads
parts of the compiled object that are not documented API: ``bind_names``, ``positional``,
``positiontup``, ``post_compile_params``, and each bind's ``key``/``required``/``value``.
pyproject caps SQLAlchemy below the next minor release; when that cap is raised, this
module is what says — by name — which of these moved. ``test_prepared_writes.py`` checks
the end result (the stored values) on real databases; this one needs no database and
fails with a message pointing at the code to review.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from interlock.store._prepared import Prepared

metadata = sa.MetaData()
items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
)
KEYS = ["id", "at", "detail", "n"]

DIALECTS = {
    "sqlite": sqlite.dialect(),  # pysqlite: qmark, positional
    "postgresql": psycopg.dialect(),  # postgresql+psycopg, as Interlock uses it: named
}


def _changed(what: str) -> str:
    return (
        f"SQLAlchemy {sa.__version__}: {what}. src/interlock/store/_prepared.py "
        "(Prepared._compile) relies on this; adapt it before raising the SQLAlchemy bound "
        "in pyproject.toml."
    )


def _compile(statement: sa.ClauseElement, dialect: Dialect, keys: Sequence[str]) -> Any:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if not isinstance(compiled, SQLCompiler):
        pytest.fail(_changed(f"compiling a DML statement gave {type(compiled)}, no SQLCompiler"))
    return compiled


@pytest.fixture(params=sorted(DIALECTS))
def dialect(request: pytest.FixtureRequest) -> Dialect:
    """Each dialect Interlock ships, with its default paramstyle."""
    return DIALECTS[request.param]


def test_compiled_sql_and_bind_names(dialect: Dialect) -> None:
    """``.string`` is the driver SQL; ``bind_names`` maps each BindParameter to its name."""
    compiled = _compile(items.insert(), dialect, KEYS)
    assert isinstance(compiled.string, str), _changed("SQLCompiler.string is not the SQL text")
    bind_names = getattr(compiled, "bind_names", None)
    assert isinstance(bind_names, dict), _changed("SQLCompiler.bind_names is gone or no dict")
    assert all(isinstance(b, sa.BindParameter) for b in bind_names), _changed(
        "SQLCompiler.bind_names keys are no longer BindParameter objects"
    )
    assert sorted(bind_names.values()) == sorted(KEYS), _changed(
        f"bind_names values are {sorted(bind_names.values())}, not the column keys {KEYS}"
    )


def test_positional_order(dialect: Dialect) -> None:
    """A positional paramstyle lists the names in placeholder order in ``positiontup``."""
    compiled = _compile(items.insert(), dialect, KEYS)
    positional = getattr(compiled, "positional", None)
    assert positional is (dialect.paramstyle in {"qmark", "numeric", "format"}), _changed(
        f"SQLCompiler.positional is {positional!r} for paramstyle {dialect.paramstyle!r}"
    )
    if positional:
        order = getattr(compiled, "positiontup", None)
        assert list(order or ()) == KEYS, _changed(
            f"SQLCompiler.positiontup is {order!r}, not the bind names in placeholder order"
        )
        assert compiled.string.count("?") == len(KEYS), _changed("placeholders != positiontup")


def test_post_compile_params_flags_expanding_binds(dialect: Dialect) -> None:
    """``post_compile_params`` is empty for plain binds and names expanding ones."""
    plain = _compile(items.insert(), dialect, KEYS)
    expanding = _compile(
        sa.delete(items).where(items.c.id.in_(sa.bindparam("ids", expanding=True))), dialect, []
    )
    assert not getattr(plain, "post_compile_params", None), _changed(
        "post_compile_params is missing or non-empty for a plain INSERT"
    )
    assert getattr(expanding, "post_compile_params", None), _changed(
        "post_compile_params no longer lists an expanding IN parameter"
    )


def test_bind_key_required_and_value(dialect: Dialect) -> None:
    """Caller-supplied binds are ``required``; a constant in ``.values()`` carries ``value``."""
    statement = (
        sa.update(items)
        .where(items.c.id == sa.bindparam("item_id"))
        .values(n=7, at=sa.bindparam("at"))
    )
    compiled = _compile(statement, dialect, [])
    binds = {bind.key: bind for bind in compiled.bind_names}
    assert {"item_id", "at"} <= set(binds), _changed(f"BindParameter.key gave {sorted(binds)}")
    assert binds["item_id"].required, _changed("a bindparam with no value is not .required")
    constants = [b for b in binds.values() if not b.required]
    assert [b.value for b in constants] == [7], _changed(
        "a constant from .values() is no longer a non-required bind holding .value"
    )


def test_bind_processors_convert_like_execute(dialect: Dialect) -> None:
    """``type.dialect_impl(d).bind_processor(d)`` is callable-or-None and converts values."""
    at = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    for column, value in ((items.c.at, at), (items.c.detail, {"a": [1]}), (items.c.n, 3)):
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        assert process is None or callable(process), _changed(
            f"bind_processor for {column.type!r} returned {process!r}"
        )
        if process is not None:
            process(value)
    if dialect.name == "sqlite":
        json_process = items.c.detail.type.dialect_impl(dialect).bind_processor(dialect)
        assert json_process is not None, _changed("SQLite JSON has no bind processor")
        assert json_process({"a": [1]}) == '{"a": [1]}', _changed("SQLite JSON encoding moved")


def test_prepared_compiles_on_each_dialect(dialect: Dialect) -> None:
    """The whole of ``Prepared._compile`` runs on these internals without error."""
    plan = Prepared(items.insert(), KEYS)._plan(dialect)
    assert plan.sql == str(items.insert().compile(dialect=dialect, column_keys=KEYS))
    assert sorted(slot.key for slot in plan.slots) == sorted(KEYS)
