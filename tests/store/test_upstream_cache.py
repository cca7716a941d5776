"""The round-scoped cache of upstream rows: one query for a thousand woken downstreams."""

from __future__ import annotations

from interlock.abc import UpstreamCache


def test_one_read_serves_every_decision_of_the_round() -> None:
    """The same upstream rows asked for twice are read once."""
    cache = UpstreamCache()
    reads: list[str] = []

    def read() -> str:
        reads.append("up")
        return f"rows #{len(reads)}"

    assert cache.get("up", ("runs", "2026-11-23"), read) == "rows #1"
    assert cache.get("up", ("runs", "2026-11-23"), read) == "rows #1"
    assert reads == ["up"]


def test_other_partitions_and_other_pipelines_are_read_on_their_own() -> None:
    """The key is the pipeline and what was asked of it, not just the pipeline."""
    cache = UpstreamCache()
    assert cache.get("up", ("runs", "2026-11-23"), lambda: "23rd") == "23rd"
    assert cache.get("up", ("runs", "2026-11-22"), lambda: "22nd") == "22nd"
    assert cache.get("other", ("runs", "2026-11-23"), lambda: "other") == "other"


def test_a_pipeline_whose_decision_was_applied_is_read_again() -> None:
    """``forget`` drops that pipeline's rows only: its runs changed, the others did not."""
    cache = UpstreamCache()
    cache.get("up", ("latest",), lambda: "before")
    cache.get("other", ("latest",), lambda: "kept")
    cache.forget("up")
    assert cache.get("up", ("latest",), lambda: "after") == "after"
    assert cache.get("other", ("latest",), lambda: "read again") == "kept"
