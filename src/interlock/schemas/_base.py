"""The base of every JSON shape: frozen, closed models, dumped by alias."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Out"]


class Out(BaseModel):
    """Frozen, closed (unknown fields refused) models, dumped by alias."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
