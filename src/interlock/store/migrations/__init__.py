"""Alembic migrations for the store, applied automatically when a store opens.

``upgrade(engine)`` brings any database to the newest schema; it is idempotent and cheap
when the schema is current. New migrations go in ``versions/`` (``alembic revision
--autogenerate`` with ``script_location`` pointing here).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

__all__ = ["upgrade"]

HERE = Path(__file__).parent


def alembic_config(engine: Engine) -> Config:
    """An in-memory Alembic config bound to ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Migrate the database behind ``engine`` to the newest schema."""
    command.upgrade(alembic_config(engine), "head")
