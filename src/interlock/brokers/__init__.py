"""Wake-up brokers: how a write that makes work due reaches a sleeping controller.

The interface is :class:`interlock.brokers.base.Broker`; one module per backend. Today there
is :mod:`interlock.brokers.local` (one process: a condition variable); a PostgreSQL
``LISTEN/NOTIFY`` broker comes with scale-out, so controllers in other processes wake at
once instead of at their next poll (:attr:`ControllerSettings.max_sleep`).
"""

from __future__ import annotations

from interlock.brokers.base import Broker
from interlock.brokers.local import LocalBroker

__all__ = ["Broker", "LocalBroker"]
