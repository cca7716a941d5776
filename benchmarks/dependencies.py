"""``dependsOn`` benchmarks: wake on status through the real store and controller; prints JSON.

    .venv/bin/python benchmarks/dependencies.py            # full sizes (the issue's targets)
    .venv/bin/python benchmarks/dependencies.py --quick    # small sizes (smoke run)

Figures (``benchmarks/run.py`` reports them under ``dependencies``):

- ``chain_ms``: a chain of 10 pipelines whose jobs finish at once (the mock backend's job
  reports success from inside its launch call): from the first pipeline's trigger reading to
  the last pipeline's launch decision, in process. ``per_hop`` is one upstream launch →
  its success decided, its downstream woken, opened and launched (target p99 ≤ 3 ms);
  ``first_hop`` is the reading → the first launch; ``total`` the whole chain.
- ``chain_served_ms``: the same with the controller serving in its own thread (broker
  wake-ups and the worker pool included; no target, for reference).
- ``fan_out``: one upstream success with N direct downstreams (no schedule of their own):
  ``settle_and_wake_ms`` the round that decides the upstream's success and, in the same
  transaction, creates and wakes every downstream run, ``decided_s``
  from that success until every downstream's launch decision is committed (target
  ≤ 0.5 s for 1,000).
- ``idle``: a serving controller with chains of 10 pipelines (10,000 in all) and nothing
  due: CPU share of one core and peak RSS, as ``bench_idle`` in ``run.py`` measures them
  (target ≤ 2 %).

The specs are built in code (a YAML pipeline with ``dependsOn`` laid over it), so the
figures are the store's and the controller's, whatever the YAML loader does.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from serving import idle_cost

from interlock.app import Interlock
from interlock.config import parse_pipeline
from interlock.controller.clock import Clock, FakeClock, SystemClock
from interlock.controller.loop import ControllerSettings
from interlock.decide import planned_runs
from interlock.jobs import JobRequest, MockBackend
from interlock.model.dependencies import Dependency, DependsOnSpec
from interlock.model.specs import PipelineSpec

START = datetime(2026, 11, 23, 8, tzinfo=UTC)
JOB = "job: {{type: mock, maxRetries: 0, maxCodeRetries: 0, jobPollWindowSeconds: 43200}}"
"""A mock job, never retried (braces doubled: the templates below are formatted)."""
HEAD = (
    """pipeline: {{id: {id}}}
schedule:
  trigger: {{key: go-{id}, check: equals, field: status, value: ready}}
"""
    + JOB
)
"""The first pipeline of a chain: opened (and launched) by a trigger reading."""
LINK = "pipeline: {{id: {id}}}\n" + JOB
"""Every other pipeline: no schedule, its run opened by its upstream's success."""
YEARLY = "pipeline: {{id: {id}}}\nschedule: {{cron: '0 6 1 1 *', timezone: UTC}}\n" + JOB
"""The head of an idle chain: its one planned run is months away."""


def _spec(template: str, pipeline_id: str, upstream: str | None = None) -> PipelineSpec:
    spec = parse_pipeline(template.format(id=pipeline_id), source=f"{pipeline_id}.yaml")
    if upstream is None:
        return spec
    depends = DependsOnSpec(all_of=(Dependency(pipeline=upstream),))
    return replace(spec, depends_on=depends, config_hash=f"{spec.config_hash}+{upstream}")


def chain(prefix: str, length: int, head: str = HEAD) -> list[PipelineSpec]:
    """``prefix-0`` ← ``prefix-1`` ← … : each depends on the one before."""
    ids = [f"{prefix}-{i}" for i in range(length)]
    return [_spec(head, ids[0])] + [_spec(LINK, ids[i], ids[i - 1]) for i in range(1, length)]


class _Installed(Interlock):
    """The facade over specs built in code (what ``apply`` stores, without the YAML)."""

    def __init__(self, specs: Iterable[PipelineSpec], **options: Any) -> None:
        super().__init__(**options)
        self.code_specs = {s.id: s for s in specs}

    def specs(self) -> dict[str, PipelineSpec]:
        return self.code_specs

    def install(self) -> None:
        now = self.clock.now()
        specs = list(self.code_specs.values())
        for start in range(0, len(specs), 2000):
            part = specs[start : start + 2000]
            self.store.sync_pipelines(part, {s.id: f"# {s.id}" for s in part}, now)
        for start in range(0, len(specs), 2000):
            opens = [run for s in specs[start : start + 2000] for run in planned_runs(s, now)]
            self.store.ensure_runs(opens, now)


def _install(
    db: Path,
    specs: list[PipelineSpec],
    clock: Clock,
    on_launch: Any = None,
    finishes: Any = None,
) -> tuple[_Installed, MockBackend]:
    """An installation whose mock jobs report success from inside their launch call.

    ``finishes(request)`` False leaves that job running (nothing reported).
    """
    holder: list[_Installed] = []

    def launched(request: JobRequest) -> None:
        if on_launch is not None:
            on_launch(request)
        if finishes is None or finishes(request):
            holder[0].report_job(request.attempt_id, "succeeded")

    backend = MockBackend(lambda _r: "running", on_launch=launched)
    il = _Installed(specs, db=f"sqlite:///{db}", clock=clock, backends=lambda _t: backend)
    holder.append(il)
    il.install()
    return il, backend


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _figures(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 3),
        "p99": round(percentile(values, 99), 3),
        "max": round(max(values), 3),
        "samples": len(values),
    }


def _hops(start: float, stamps: dict[str, float], ids: list[str]) -> list[float]:
    """Milliseconds from ``start`` to the first launch, then between consecutive launches."""
    times = [start] + [stamps[i] for i in ids]
    return [(b - a) * 1000 for a, b in itertools.pairwise(times)]


def bench_chain(root: Path, length: int, samples: int) -> dict[str, Any]:
    """First reading → last launch decision of a chain, in process, one day per sample."""
    specs = chain("c", length)
    ids = [s.id for s in specs]
    clock = FakeClock(START)
    stamps: dict[str, float] = {}
    il, _ = _install(
        root / "deps-chain.db",
        specs,
        clock,
        on_launch=lambda r: stamps.setdefault(r.pipeline_id, time.perf_counter()),
    )
    controller = il.controller(ControllerSettings(workers=0))
    controller.run_until_idle()
    hops: list[list[float]] = []
    for _ in range(samples):
        clock.advance(timedelta(days=1))
        controller.run_until_idle()  # untimed: timers that fell due with the new day
        stamps.clear()
        began = time.perf_counter()
        # Dated: an undated reading would also be late data for yesterday's run.
        today = clock.now().date().isoformat()
        il.put_reading(ids[0], f"go-{ids[0]}", {"status": "ready"}, partition=today)
        controller.run_until_idle()
        if len(stamps) != length:
            msg = f"the chain stopped after {len(stamps)} of {length} launches"
            raise RuntimeError(msg)
        hops.append(_hops(began, stamps, ids))
    il.close()
    warm = hops[min(5, len(hops) // 10) :]  # the first days fill SQLAlchemy's caches
    return {
        "per_hop": _figures([h for sample in warm for h in sample[1:]]),
        "first_hop": _figures([sample[0] for sample in warm]),
        "total": _figures([sum(sample) for sample in warm]),
        "pipelines": length,
    }


def bench_chain_served(root: Path, length: int, samples: int) -> dict[str, Any]:
    """The same chain with the controller serving in its own thread, on the system clock."""
    samples = min(samples, 50)  # one partition per sample: a fresh chain each time
    specs = [s for k in range(samples) for s in chain(f"s{k}", length)]
    stamps: dict[str, float] = {}
    done = threading.Event()

    def on_launch(request: JobRequest) -> None:
        stamps[request.pipeline_id] = time.perf_counter()
        if request.pipeline_id.endswith(f"-{length - 1}"):
            done.set()

    il, _ = _install(root / "deps-served.db", specs, SystemClock(), on_launch=on_launch)
    controller = il.controller()
    thread = threading.Thread(target=controller.serve, daemon=True)
    thread.start()
    controller.ready.wait()
    hops: list[list[float]] = []
    for k in range(samples):
        done.clear()
        time.sleep(0.02)  # the controller settles and sleeps
        began = time.perf_counter()
        il.put_reading(f"s{k}-0", f"go-s{k}-0", {"status": "ready"})
        if not done.wait(10):
            msg = f"chain s{k} did not reach its end"
            raise RuntimeError(msg)
        hops.append(_hops(began, stamps, [f"s{k}-{i}" for i in range(length)]))
    controller.stop()
    thread.join()
    il.close()
    warm = hops[min(5, len(hops) // 10) :]
    return {
        "per_hop": _figures([h for sample in warm for h in sample[1:]]),
        "total": _figures([sum(sample) for sample in warm]),
        "pipelines": length,
    }


def bench_fan_out(root: Path, downstreams: int) -> dict[str, Any]:
    """One upstream success → every direct downstream's launch decision committed.

    On the system clock, as ``serve`` runs: a launched run is due again (its launch
    recorded) a moment after the wake, so the woken runs are claimed first, as in production.
    """
    up = _spec(HEAD, "up")
    specs = [up] + [_spec(LINK, f"d{i:04d}", "up") for i in range(downstreams)]
    clock = SystemClock()
    stamps: list[float] = []
    il, _ = _install(
        root / "deps-fan.db",
        specs,
        clock,
        on_launch=lambda r: stamps.append(time.perf_counter()) if r.pipeline_id != "up" else None,
        finishes=lambda r: r.pipeline_id == "up",  # the downstream jobs run on
    )
    controller = il.controller(ControllerSettings(workers=0))
    il.put_reading("up", "go-up", {"status": "ready"})
    controller.run_once()  # up launches; its job reports success from inside the launch
    began = time.perf_counter()
    controller.run_once()  # up's success: one transaction creates and wakes every downstream
    settled = time.perf_counter()
    controller.run_until_idle()
    il.close()
    if len(stamps) != downstreams:
        msg = f"{len(stamps)} of {downstreams} downstreams launched"
        raise RuntimeError(msg)
    return {
        "settle_and_wake_ms": round((settled - began) * 1000, 1),
        "decided_s": round(max(stamps) - began, 3),
        "downstreams": downstreams,
    }


def bench_idle_graph(root: Path, chains: int, seconds: float) -> dict[str, Any]:
    """CPU share and peak RSS of a serving controller over ``chains`` idle chains of 10."""
    specs = [s for k in range(chains) for s in chain(f"i{k}", 10, head=YEARLY)]
    backend = MockBackend()
    il = _Installed(
        specs, db=f"sqlite:///{root}/deps-idle.db", clock=SystemClock(), backends=lambda _t: backend
    )
    il.install()
    cost = idle_cost(il.controller(), seconds)
    il.close()
    return {
        "cpu_percent_of_one_core": cost["cpu_percent_of_one_core"],
        "peak_rss_mb": cost["peak_rss_mb"],
        "pipelines": len(specs),
        "seconds": seconds,
    }


def bench_dependencies(root: Path, *, quick: bool) -> dict[str, Any]:
    """Every ``dependsOn`` figure, at the issue's sizes (or small ones with ``quick``)."""
    return {
        "chain_ms": bench_chain(root, 10, 20 if quick else 300),
        "chain_served_ms": bench_chain_served(root, 10, 10 if quick else 50),
        "fan_out": bench_fan_out(root, 100 if quick else 1000),
        "idle": bench_idle_graph(root, 5 if quick else 1000, 2 if quick else 10),
    }


def main() -> None:
    """Run the benchmarks and print the JSON report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = bench_dependencies(Path(tmp), quick=args.quick)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
