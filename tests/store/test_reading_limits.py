"""Reading limits through the real store: SQLite and PostgreSQL accept exactly the same inputs.

Before the limits, PostgreSQL raised raw ``DataError`` for what SQLite silently stored, and
both crashed on deep JSON, lone surrogates and int partitions.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from store_support import ETL, NOW

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.errors import InputError
from interlock.store import schema as t
from interlock.store.base import ReadingInput

MAX_KEY_LENGTH, MAX_PARTITION_LENGTH, MAX_JSON_DEPTH = 300, 200, 64  # as the README documents


@pytest.fixture
def il(db_url: str, tmp_path: Path) -> Any:
    """An installation with one pipeline applied, closed afterwards."""
    folder = tmp_path / "pipelines"
    folder.mkdir()
    (folder / "etl.yaml").write_text(textwrap.dedent(ETL), encoding="utf-8")
    installation = Interlock(db=db_url, pipelines=folder, clock=FakeClock(NOW))
    installation.apply()
    yield installation
    installation.close()


def nested(levels: int) -> dict[str, Any]:
    """``levels`` objects deep, built without recursion."""
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    result: dict[str, Any] = value
    return result


def stored_count(il: Interlock) -> int:
    """Rows in the reading history (every accepted reading is one)."""
    with il.store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t.reading_history)).one()[0])


BAD: dict[str, tuple[Callable[[], ReadingInput], str, str]] = {
    "nul-in-key": (lambda: ReadingInput(key="ro\x00ws", data={}), "key", "U+0000"),
    "nul-in-partition": (
        lambda: ReadingInput(key="rows", data={}, partition="2026-11-22|a=\x00"),
        "partition",
        "U+0000",
    ),
    "key-301": (lambda: ReadingInput(key="k" * 301, data={}), "key", "the limit is 300"),
    "partition-201": (
        lambda: ReadingInput(key="rows", data={}, partition="2026-11-22|a=" + "x" * 188),
        "partition",
        "the limit is 200",
    ),
    "depth-1000": (lambda: ReadingInput(key="rows", data=nested(1_000)), "data", "64 levels"),
    "depth-100000": (lambda: ReadingInput(key="rows", data=nested(100_000)), "data", "64 levels"),
    "surrogate-in-key": (lambda: ReadingInput(key="rows\ud800", data={}), "key", "U+D800"),
    "surrogate-in-data": (
        lambda: ReadingInput(key="rows", data={"status": "\udc00"}),
        "data",
        "lone surrogate",
    ),
    "int-partition": (
        lambda: ReadingInput(key="rows", data={}, partition=20261122),  # type: ignore[arg-type]
        "partition",
        "must be a string",
    ),
    "colliding-keys": (
        lambda: ReadingInput(key="rows", data={1: "a", "1": "b"}),
        "data",
        "keys must be strings",
    ),
    "50-mb": (
        lambda: ReadingInput(key="rows", data={"blob": "x" * 50_000_000}),
        "data",
        "the limit is 1,048,576 bytes",
    ),
    "nan": (lambda: ReadingInput(key="rows", data={"count": float("nan")}), "data", "NaN"),
    "long-pipeline-id": (
        lambda: ReadingInput(key="rows", data={}, pipeline_id="p" * 201),
        "pipeline_id",
        "the limit is 200",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_reading_is_refused_naming_field_and_limit_and_the_batch_stores_nothing(
    il: Interlock, case: str
) -> None:
    """The bad item of a batch is named by index and field; the good ones are not stored."""
    make, field, words = BAD[case]
    good = ReadingInput(key="rows", data={"count": 5}, pipeline_id="etl")
    with pytest.raises(InputError) as excinfo:
        il.put_readings([good, good, make()])
    assert excinfo.value.field == f"readings[2].{field}"
    assert words in str(excinfo.value)
    assert stored_count(il) == 0
    assert il.store.get_run("etl", "2026-11-23") is None


def test_values_at_the_limits_are_stored_and_read_back_unchanged(il: Interlock) -> None:
    """The longest key and partition and the deepest data fit both engines' columns."""
    key = "k" * MAX_KEY_LENGTH
    head = "2026-11-22|a="
    partition = head + "é" * (MAX_PARTITION_LENGTH - len(head))  # characters, not bytes
    data = {"deep": nested(MAX_JSON_DEPTH - 1), "nul": "a\x00b", "big": 10**40, "f": 1e-300}
    il.put_readings([ReadingInput(key=key, data=data, pipeline_id="etl", partition=partition)])
    (row,) = il.store.reading_history(key, pipeline_id="etl")
    assert row["key"] == key
    assert row["partition"] == partition
    assert row["data"] == data


def test_a_near_limit_reading_of_1_mib_is_stored(il: Interlock) -> None:
    """Just under 1 MiB of data is an ordinary reading on both engines."""
    data = {"blob": "x" * (1_048_576 - 20)}
    il.put_readings([ReadingInput(key="rows", data=data, pipeline_id="etl")])
    assert il.store.reading_history("rows", pipeline_id="etl")[0]["data"] == data


def test_api_paths_with_partitions_check_them_too(il: Interlock) -> None:
    """Rerun, cancel and explain refuse what the store could not keep, before the database."""
    with pytest.raises(InputError, match="must be a string") as excinfo:
        il.rerun("etl", 20261122)  # type: ignore[arg-type]
    assert excinfo.value.field == "partition"
    with pytest.raises(InputError, match="U+0000".replace("+", r"\+")):
        il.cancel("etl", "2026-11-22|a=\x00")
    with pytest.raises(InputError, match="the limit is 100"):
        il.rerun("etl", "2026-11-22", reason="r" * 101)
    with pytest.raises(InputError, match="the limit is 200"):
        il.explain("etl", "2026-11-22|a=" + "x" * 200)
