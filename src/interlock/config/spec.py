"""Moved to :mod:`interlock.specs`; kept while the tree is being reorganised."""

from __future__ import annotations

from interlock.specs import *  # noqa: F403
from interlock.specs import __all__  # noqa: F401
