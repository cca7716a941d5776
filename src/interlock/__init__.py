"""Interlock: a safety controller for data pipelines.

Sensors report readings; each pipeline declares the conditions that must hold before its
job may run; Interlock launches the job only when they hold, then keeps watching.
"""

from __future__ import annotations

__all__: list[str] = []
