"""Interlock on a virtual clock: the same ``decide()`` and wake rule, no store, no sleeping.

:mod:`~interlock.simulation.engine` holds :class:`Simulation`, one pipeline's runs and
readings in memory with every timer fired in order; :mod:`~interlock.simulation.replay`
reads the public JSONL timeline format of ``interlock simulate`` and streams its events.
"""

from __future__ import annotations

from interlock.simulation.engine import Simulation

__all__ = ["Simulation"]
