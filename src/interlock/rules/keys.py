"""Moved to :mod:`interlock.conditions`; kept while the tree is being reorganised."""

from __future__ import annotations

from interlock.conditions import condition_keys

__all__ = ["condition_keys"]
