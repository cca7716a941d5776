"""The pure decision core: ``decide()`` and the run planning it relies on.

See :mod:`interlock.decide.core` for the contract. Nothing in this package performs I/O or
reads a clock.
"""

from __future__ import annotations

from interlock.decide.core import decide
from interlock.decide.plan import planned_runs, successor, trigger_partition

__all__ = ["decide", "planned_runs", "successor", "trigger_partition"]
