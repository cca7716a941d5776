"""The controller: the loop that claims due runs, decides and applies (see ``loop``)."""

from __future__ import annotations

from interlock.controller.clock import Clock, FakeClock, SystemClock
from interlock.controller.loop import Controller, ControllerSettings

__all__ = ["Clock", "Controller", "ControllerSettings", "FakeClock", "SystemClock"]
