"""Persistence: one SQLAlchemy Core store for SQLite (default) and PostgreSQL.

The contracts are the protocols of :mod:`interlock.abc`; the implementation is
:class:`interlock.store.sqlalchemy.SqlStore`, composed of one module per table group
(``runs``, ``attempts``, ``signals``, ``events``, ``readings``, ``pipelines``).
"""

from __future__ import annotations
