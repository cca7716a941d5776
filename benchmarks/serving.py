"""How much an idle ``serve`` costs: one measurement for every idle benchmark."""

from __future__ import annotations

import resource
import threading
import time
from typing import Any

from interlock.controller.loop import Controller


def idle_cost(controller: Controller, seconds: float) -> dict[str, Any]:
    """Serve in a thread, let bootstrap settle, then measure CPU share and peak RSS.

    ``startup_s`` is the time until the controller was ready (loaded and planned); the CPU
    share is this process's CPU time over ``seconds`` of wall time after two settling
    seconds, as a percentage of one core.
    """
    started = time.perf_counter()
    thread = threading.Thread(target=controller.serve, daemon=True)
    thread.start()
    controller.ready.wait()
    startup = time.perf_counter() - started
    time.sleep(2)  # the first rounds after bootstrap
    cpu0, wall0 = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    controller.stop()
    thread.join()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "cpu_percent_of_one_core": round(100 * cpu / wall, 2),
        "peak_rss_mb": round(rss_mb, 1),
        "startup_s": round(startup, 1),
    }
