"""Old home of the store's value types and broker; kept so existing imports work.

The contracts now live in :mod:`interlock.abc` (the protocols and the values that cross
them) and :mod:`interlock.brokers` (wake-ups). ``Broker`` here is the in-process
:class:`~interlock.brokers.local.LocalBroker`, which it always was.
"""

from __future__ import annotations

from interlock.abc import AttemptRecord, ReadingInput, StoredPipeline, SyncReport
from interlock.brokers.local import LocalBroker as Broker

__all__ = ["AttemptRecord", "Broker", "ReadingInput", "StoredPipeline", "SyncReport"]
