"""What a run's upstreams are doing, read from the store: ``explain``'s inputs and its tree.

Read-only, for ``explain`` (never the controller's hot path; the ``upstream=`` input of
``decide()`` comes from the store's ``load_upstream``, the same loader the controller uses):

- :func:`explain_upstreams` answers "and why is *that* upstream not done?" recursively: for
  each unmet dependency it follows the blocking upstream run to the explanation stored with
  that run's latest decision, and from there to that run's own unmet dependencies. The words
  are the controller's own (what it stored), not a re-evaluation that might disagree with
  what actually happened. A visited set and a depth bound keep a diamond from being printed
  twice and a long chain from running away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from interlock.model import Explanation, Run, RunState
from interlock.model.dependencies import FINAL_UPSTREAM_STATES

__all__ = [
    "MAX_DEPTH",
    "UpstreamNode",
    "explain_upstreams",
    "with_upstreams",
]

MAX_DEPTH = 8
"""How many levels of upstreams ``explain`` follows; deeper ones are cut with a note."""

_UNMET = frozenset({"WAITING", "FAILED", "BLOCKED"})
_FINAL = sorted(state.value for state in FINAL_UPSTREAM_STATES)


@dataclass(frozen=True, kw_only=True)
class UpstreamNode:
    """One upstream run in ``explain``'s tree: what it is doing and, below it, why.

    ``explanation`` is the explanation stored with its latest decision (None when the run
    does not exist yet, or was never decided); ``upstreams`` holds, by dependency label,
    the same for each of its own unmet dependencies. ``cut`` says why the tree stops here
    although it could go on: ``shown above`` (a diamond: already in the tree) or
    ``depth limit``.
    """

    pipeline: str
    partition: str
    state: RunState | None
    explanation: Mapping[str, Any] | None
    upstreams: Mapping[str, UpstreamNode] = field(default_factory=dict)
    cut: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (:class:`interlock.schemas.UpstreamOut`), its upstreams inside."""
        stored = self.explanation or {}
        return {
            "pipeline": self.pipeline,
            "partition": self.partition,
            "state": self.state.value if self.state is not None else None,
            "summary": stored.get("summary"),
            "waitingFor": stored.get("waitingFor"),
            "dependencies": with_upstreams(stored.get("dependencies"), self.upstreams),
            "cut": self.cut,
        }


def with_upstreams(
    dependencies: Mapping[str, Any] | None, nodes: Mapping[str, UpstreamNode]
) -> dict[str, Any] | None:
    """A stored ``dependencies`` form with each followed check's ``upstream`` node set."""
    if dependencies is None:
        return None
    checks = []
    for check in dependencies.get("checks", ()):
        node = nodes.get(check["label"])
        checks.append(dict(check) if node is None else {**check, "upstream": node.to_dict()})
    return {**dependencies, "checks": checks}


Lookup = Callable[[str, str], tuple[Run | None, Mapping[str, Any] | None]]
"""(pipeline, partition) → the stored run and its stored explanation."""


def explain_upstreams(
    explanation: Explanation, lookup: Lookup, *, max_depth: int = MAX_DEPTH
) -> dict[str, UpstreamNode]:
    """Dependency label → the blocking upstream run's node, for each unmet dependency.

    ``explanation`` is the explained run's own (decided now); below it every level is read
    from the store through ``lookup``. A dependency with no run to point at (BLOCKED: the
    upstream is paused, excluded or not loaded) has no node: its reason already says all.
    """
    return _children(explanation.dependencies, lookup, set(), 1, max_depth)


def _children(
    dependencies: Mapping[str, Any] | None,
    lookup: Lookup,
    visited: set[tuple[str, str]],
    depth: int,
    max_depth: int,
) -> dict[str, UpstreamNode]:
    nodes: dict[str, UpstreamNode] = {}
    for check in (dependencies or {}).get("checks", ()):
        target = _target(check)
        if check.get("status") not in _UNMET or target is None:
            continue
        run, stored = lookup(*target)
        state = run.state if run is not None else None
        if target in visited or depth >= max_depth:
            cut = "shown above" if target in visited else "depth limit"
            nodes[check["label"]] = UpstreamNode(
                pipeline=target[0], partition=target[1], state=state, explanation=stored, cut=cut
            )
            continue
        visited.add(target)
        below = _children((stored or {}).get("dependencies"), lookup, visited, depth + 1, max_depth)
        nodes[check["label"]] = UpstreamNode(
            pipeline=target[0],
            partition=target[1],
            state=state,
            explanation=stored,
            upstreams=below,
        )
    return nodes


def _target(check: Mapping[str, Any]) -> tuple[str, str] | None:
    """The upstream run a check waits on: its blocking run, else its first unmatched partition."""
    blocking = check.get("blocking")
    if check.get("status") == "BLOCKED" and not blocking:
        return None
    if blocking:
        return str(blocking["pipeline"]), str(blocking["partition"])
    matched = {str(attempt).rsplit("/", 1)[0] for attempt in check.get("matched", ())}
    for part in check.get("partitions", ()):
        if f"{check['pipeline']}/{part}" not in matched:
            return str(check["pipeline"]), str(part)
    return None
