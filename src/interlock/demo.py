"""``interlock demo``: the whole product in about a minute, on one laptop.

It writes five small pipelines whose times are relative to now, creates a fresh SQLite
database, runs the real controller (real ``command`` jobs, real timers) and a sensor
simulator that plays a scripted day, and shows it live with Rich:

- ``orders-daily`` becomes ready and runs;
- ``revenue-rollup`` is blocked (a stale and a short input), explained, then unblocked;
- ``flaky-export`` fails its first attempt and succeeds on the retry;
- ``slow-report`` runs long enough to get an SLA warning;
- ``late-feed`` succeeds, then new trigger data arrives: late data, and a rerun.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from interlock.app import Interlock
from interlock.controller.loop import ControllerSettings
from interlock.errors import InputError
from interlock.events import severity

__all__ = [
    "MARKER",
    "TIMELINE",
    "TIMELINE_FILE",
    "path_hint",
    "prepare_workdir",
    "run_demo",
    "write_demo_pipelines",
    "write_demo_timeline",
]

# The jobs name the interpreter by the command, never by this machine's path: a project
# made by ``interlock init`` is committed and run elsewhere, where that path does not exist.
_PY = "python3"
MARKER = ".interlock-demo"
"""The file ``run_demo`` writes into the directories it makes: only those it ever deletes."""
_COLOURS = {"error": "red", "warning": "yellow", "ok": "green", "info": "cyan"}
_JOB = "  type: command\n  pollInterval: 1s\n  config:\n    command: [{py!r}, -c, {code!r}]\n"

PIPELINES = {
    "orders-daily": """
pipeline: {{id: orders-daily, description: "Daily orders load"}}
schedule:
  trigger: {{key: orders-landed, check: equals, field: status, value: ready}}
  evaluation: {{window: 2m, interval: 2s}}
validation:
  rules:
    - {{key: orders-landed, check: equals, field: status, value: ready}}
    - {{key: orders-rows, check: gte, field: count, value: 1000}}
job:
{job}""",
    "revenue-rollup": """
pipeline: {{id: revenue-rollup, description: "Revenue needs fresh FX rates and enough rows"}}
schedule:
  trigger: {{key: revenue-inputs, check: equals, field: status, value: ready}}
  evaluation: {{window: 2m, interval: 2s}}
validation:
  rules:
    - {{key: fx-rates, check: age_lt, field: updatedAt, value: 20s}}
    - {{key: revenue-rows, check: gte, field: count, value: 1000}}
job:
{job}""",
    "flaky-export": """
pipeline: {{id: flaky-export, description: "Fails once, then succeeds on the retry"}}
schedule:
  trigger: {{key: export-ready, check: exists}}
  evaluation: {{window: 2m, interval: 2s}}
job:
  maxRetries: 2
{job}""",
    "slow-report": """
pipeline: {{id: slow-report, description: "Runs long; gets an SLA warning"}}
schedule:
  trigger: {{key: report-ready, check: exists}}
  evaluation: {{window: 2m, interval: 2s}}
sla: {{maxDuration: 25s, expectedDuration: 15s}}
job:
{job}""",
    "late-feed": """
pipeline: {{id: late-feed, description: "New data after success triggers a rerun"}}
schedule:
  trigger: {{key: feed-ready, check: equals, field: status, value: ready}}
  evaluation: {{window: 2m, interval: 2s}}
job:
{job}""",
}

JOB_CODE = {
    "orders-daily": "import time; time.sleep(3); print('loaded orders')",
    "revenue-rollup": "import time; time.sleep(2); print('rolled up revenue')",
    "flaky-export": "import sys; a = int(sys.argv[1]); print('attempt', a); sys.exit(a == 1)",
    "slow-report": "import time; time.sleep(16); print('report done')",
    "late-feed": "print('processed feed')",
}


def write_demo_pipelines(folder: Path) -> None:
    """Write the demo pipelines (command jobs run with the ``python3`` found on ``PATH``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, template in PIPELINES.items():
        job = _JOB.format(py=_PY, code=JOB_CODE[name])
        if name == "flaky-export":
            job = job.replace("]\n", ", '${attempt}']\n")
        text = template.format(job=job)
        (folder / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def _reading(at: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"at": f"{at}Z", "key": key, "partition": at[:10], "data": data}


TIMELINE: list[str | dict[str, Any]] = [
    "orders-daily over two days, for `interlock simulate` (one JSON object a line, in time",
    "order; the format is documented in interlock.simulation.replay). Readings name their day.",
    "2026-11-22: the orders land before enough rows are in; the rows follow; the job succeeds.",
    _reading("2026-11-22T06:00:00", "orders-rows", {"count": 400}),
    _reading("2026-11-22T06:00:00", "orders-landed", {"status": "ready"}),
    _reading("2026-11-22T06:01:00", "orders-rows", {"count": 5200}),
    {"at": "2026-11-22T06:01:05Z", "job": "succeeded"},
    "2026-11-23: the orders land, the rows never reach 1000: the window closes, no job runs.",
    _reading("2026-11-23T06:00:00", "orders-rows", {"count": 300}),
    _reading("2026-11-23T06:00:00", "orders-landed", {"status": "ready"}),
]
"""The starter timeline for ``orders-daily``, a line each: a comment, or a timeline object."""

TIMELINE_FILE = "orders-day.jsonl"


def write_demo_timeline(folder: Path) -> Path:
    """Write the starter timeline (``orders-day.jsonl``) into ``folder``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / TIMELINE_FILE
    lines = [f"# {line}" if isinstance(line, str) else json.dumps(line) for line in TIMELINE]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def prepare_workdir(workdir: Path) -> None:
    """Make ``workdir`` empty for a new demo, deleting only what an earlier demo made.

    The demo starts from nothing, so it deletes its directory first; a mistyped ``--workdir``
    (a home directory, a project) must never be emptied. Only a directory holding
    :data:`MARKER` (written here when the demo makes it) or an empty one is used.
    """
    if workdir.is_symlink() or (workdir.exists() and not workdir.is_dir()):
        raise InputError(f"--workdir {workdir}: not a directory; choose a new or empty directory")
    if workdir.is_dir() and not (workdir / MARKER).is_file() and any(workdir.iterdir()):
        raise InputError(
            f"--workdir {workdir}: has files and was not made by `interlock demo` (no {MARKER} "
            "file in it); the demo deletes its directory, so choose a new or empty one"
        )
    try:
        if (workdir / MARKER).is_file():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / MARKER).write_text(
            "Made by `interlock demo`, which deletes and recreates this directory on every run.\n",
            encoding="utf-8",
        )
    except OSError as exc:
        raise InputError(f"--workdir {workdir}: cannot recreate it: {exc.strerror}") from exc


def path_hint() -> str | None:
    """How to put ``interlock`` on ``PATH`` when it is not there, for the hints we print.

    ``./scripts/interlock`` runs ``.venv/bin/interlock`` without changing ``PATH``, so the
    ``interlock ...`` commands the demo and ``init`` suggest would not be found as printed.
    """
    if shutil.which("interlock") is not None:
        return None
    activate = Path(sys.executable).parent / "activate"
    if not activate.is_file():
        return None
    try:
        shown = activate.relative_to(Path.cwd())
    except ValueError:
        shown = activate
    return f"first, in this shell: source {shlex.quote(str(shown))}"


def _script(il: Interlock) -> list[tuple[float, Callable[[], None]]]:
    """The simulated sensors: (seconds after start, write)."""

    def now_iso() -> str:
        return datetime.now(UTC).isoformat()

    return [
        (1, lambda: il.put_reading("orders-daily", "orders-rows", {"count": 5200})),
        (2, lambda: il.put_reading("orders-daily", "orders-landed", {"status": "ready"})),
        (3, lambda: il.put_reading("revenue-rollup", "revenue-rows", {"count": 12})),
        (3, lambda: il.put_reading("revenue-rollup", "revenue-inputs", {"status": "ready"})),
        (5, lambda: il.put_reading("flaky-export", "export-ready", {"files": 3})),
        (6, lambda: il.put_reading("slow-report", "report-ready", {"rows": 100})),
        (7, lambda: il.put_reading("late-feed", "feed-ready", {"status": "ready", "batch": 1})),
        (20, lambda: il.put_reading("revenue-rollup", "fx-rates", {"updatedAt": now_iso()})),
        (22, lambda: il.put_reading("revenue-rollup", "revenue-rows", {"count": 2400})),
        (30, lambda: il.put_reading("late-feed", "feed-ready", {"status": "ready", "batch": 2})),
    ]


def _view(il: Interlock, started: datetime, elapsed: float) -> Group:
    table = Table(
        "pipeline",
        "state",
        "attempt",
        "waiting for / last event",
        title=f"interlock demo — {elapsed:4.0f}s",
    )
    latest: dict[str, str] = {}
    recent = il.events(since=started, limit=5000)
    for e in recent:
        latest[e.pipeline_id] = e.type
    for run in sorted(il.runs(limit=50), key=lambda r: r.pipeline_id):
        explanation = il.run_explanation(run.pipeline_id, run.partition) or {}
        waiting = str(explanation.get("waitingFor") or "")
        table.add_row(
            run.pipeline_id,
            run.state.value,
            str(run.attempt),
            waiting[:70] or latest.get(run.pipeline_id, ""),
        )
    lines = [
        f"[{_COLOURS[severity(e.type)]}]{e.at.astimezone():%H:%M:%S} {e.type:<22}[/] "
        f"{e.pipeline_id} {e.message[:60]}"
        for e in recent[-12:]
    ]
    return Group(table, Panel("\n".join(lines) or "waiting for sensors…", title="events"))


def _summary(il: Interlock, started: datetime) -> Table:
    table = Table("pipeline", "final state", "attempts", "events", title="summary")
    counts: dict[str, Counter[str]] = {}
    for e in il.events(since=started, limit=10000):
        counts.setdefault(e.pipeline_id, Counter())[e.type] += 1
    for run in sorted(il.runs(limit=50), key=lambda r: r.pipeline_id):
        kinds = ", ".join(
            f"{k} x{n}" for k, n in sorted(counts.get(run.pipeline_id, Counter()).items())
        )
        table.add_row(run.pipeline_id, run.state.value, str(run.attempt), kinds)
    return table


def run_demo(
    *, workdir: Path, duration: float = 45.0, forever: bool = False, console: Console | None = None
) -> Interlock:
    """Run the demo in ``workdir`` (recreated); returns the installation for inspection.

    Raises :class:`InputError` before anything runs when ``workdir`` is not the demo's own.
    """
    out = console or Console()
    prepare_workdir(workdir)
    write_demo_pipelines(workdir / "pipelines")
    il = Interlock(
        db=f"sqlite:///{workdir / 'demo.db'}",
        pipelines=workdir / "pipelines",
        state_dir=workdir / "state",
    )
    il.apply()
    controller = il.controller(ControllerSettings(workers=4, max_sleep=0.5))
    worker = threading.Thread(target=controller.serve, name="interlock-controller", daemon=True)
    worker.start()
    started, t0 = datetime.now(UTC), time.monotonic()
    script = _script(il)
    with Live(_view(il, started, 0), console=out, refresh_per_second=4) as live:
        while forever or time.monotonic() - t0 < duration:
            elapsed = time.monotonic() - t0
            while script and script[0][0] <= elapsed:
                script.pop(0)[1]()
            live.update(_view(il, started, elapsed))
            time.sleep(0.25)
    controller.stop()
    worker.join(timeout=30)
    out.print(_summary(il, started))
    database = workdir / "demo.db"
    hint = path_hint()
    lines = [f"database: {database}", *([hint] if hint else [])]
    lines.append(f"try: interlock events --db {shlex.quote(f'sqlite:///{database}')}")
    for line in lines:  # as plain text, never wrapped: each line is pasted into a shell
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    return il
