"""Persistence: one SQLAlchemy Core store for SQLite (default) and PostgreSQL.

The contract is in :mod:`interlock.store.base`; the implementation in
:mod:`interlock.store.sqlalchemy`.
"""

from __future__ import annotations
