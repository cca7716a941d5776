"""``sensor check --json`` and ``sensors --json``: what a checker sees, and how it is doing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Self

from pydantic import Field, PlainSerializer

from interlock.model.checkers import CheckerStatus
from interlock.model.durations import format_duration
from interlock.schemas._base import Out as _Out

__all__ = ["CheckedReadingOut", "CheckerOut", "SensorCheckOut"]

_Time = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str)]


class CheckedReadingOut(_Out):
    """One observation of ``sensor check``: the reading the check would record."""

    partition: str | None = Field(description="Its partition; null for an undated reading.")
    data: dict[str, Any] = Field(description="The reading's fields, as the checker saw them.")
    changed: bool = Field(
        description="True when the runner would record it now: it differs from the stored"
        " reading, or none is stored (an unchanged one waits for the heartbeat)."
    )


class SensorCheckOut(_Out):
    """``sensor check --json``: one check run now; nothing was recorded."""

    checker: str = Field(description="The checker's label: PIPELINE/KEY or shared/KEY.")
    kind: str = Field(description="sql, path, http, command or a registered kind.")
    readings: list[CheckedReadingOut] = Field(description="Every observation, by partition.")


class CheckerOut(_Out):
    """One checker of ``sensors --json``, with its last check (nulls: never ran)."""

    checker: str = Field(description="The checker's label: PIPELINE/KEY or shared/KEY.")
    pipeline: str | None = Field(description="Its pipeline; null for a shared checker.")
    key: str = Field(description="The sensor key its readings are recorded under.")
    kind: str = Field(description="sql, path, http, command or a registered kind.")
    every: str = Field(description="How often it runs while it works, e.g. 5m.")
    last_run_at: _Time | None = Field(alias="lastRunAt", description="Its last check.")
    last_ok_at: _Time | None = Field(alias="lastOkAt", description="Its last good check.")
    duration_ms: int | None = Field(alias="durationMs", description="How long the last took.")
    last_error: str | None = Field(
        alias="lastError", description="The last failed check's error (secrets masked)."
    )
    failures: int = Field(description="Failed checks in a row now (0: the last one worked).")

    @classmethod
    def of(  # noqa: PLR0913 - one row's columns, by keyword
        cls,
        *,
        label: str,
        pipeline: str | None,
        key: str,
        kind: str,
        every: timedelta,
        status: CheckerStatus | None,
    ) -> Self:
        """The row of one checker (``every`` a timedelta) and its stored status."""
        return cls(
            checker=label,
            pipeline=pipeline,
            key=key,
            kind=kind,
            every=format_duration(every),
            last_run_at=status.last_run_at if status else None,
            last_ok_at=status.last_ok_at if status else None,
            duration_ms=status.duration_ms if status else None,
            last_error=status.last_error if status else None,
            failures=status.failures if status else 0,
        )
