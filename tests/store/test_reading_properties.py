"""Property: any JSON-ish reading is stored identically on both engines, or refused by both.

Random keys, partitions and pipeline ids (any text, control characters and surrogates
included, ints, near-limit lengths) and random data (nested values with non-string keys,
NaN and infinities, wrappers far past the depth limit) go through the real store on SQLite
and on PostgreSQL. The only allowed failure is an InputError naming a field; both engines
must give the same answer, and it must be the answer of the pure check ``simulate`` uses.
One database per engine serves every example (hypothesis reruns a test body many times, so
function-scoped fixtures would be shared anyway).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from store_support import ETL

from interlock.app import Interlock
from interlock.controller.clock import FakeClock
from interlock.errors import InputError
from interlock.model.limits import check_pipeline_id, check_reading
from interlock.store import schema as t
from interlock.store.base import ReadingInput

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def installations(
    tmp_path_factory: pytest.TempPathFactory, postgres_module_url: str
) -> Iterator[dict[str, Interlock]]:
    """The same pipeline applied to a SQLite and a PostgreSQL database."""
    root = tmp_path_factory.mktemp("properties")
    (root / "pipelines").mkdir()
    (root / "pipelines" / "etl.yaml").write_text(textwrap.dedent(ETL), encoding="utf-8")
    clock = FakeClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    urls = {"sqlite": f"sqlite:///{root}/i.db", "postgres": postgres_module_url}
    made = {
        name: Interlock(db=url, pipelines=root / "pipelines", clock=clock)
        for name, url in urls.items()
    }
    for il in made.values():
        il.apply()
    yield made
    for il in made.values():
        il.close()


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``common`` four times in five: a reading must get past one check to test the next."""
    return st.integers(0, 99).flatmap(lambda n: rare if n >= 80 else common)


def _wrap(value: Any, levels: int, kind: str) -> Any:
    """``levels`` lists or objects around ``value``, without recursion."""
    for level in range(levels):
        as_list = kind == "list" or (kind == "mixed" and level % 2 == 0)
        value = [value] if as_list else {"k": value}
    return value


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included
    | st.text()
)
data_keys = st.text() | st.integers() | st.booleans() | st.none()
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(data_keys, children, max_size=4)
    ),
    max_leaves=12,
)
deep_values = st.builds(
    _wrap,
    values,
    st.integers(0, 70) | st.integers(60, 68) | st.sampled_from([1_000, 100_000]),
    st.sampled_from(["list", "dict", "mixed"]),
)
reading_data = mostly(
    st.dictionaries(data_keys, values | deep_values, max_size=5)
    | st.dictionaries(st.sampled_from(["date", "hour", "count"]), st.text(max_size=12) | values),
    values,
)


long_names = st.text(st.characters(codec="ascii"), min_size=295, max_size=305)
keys = mostly(
    st.sampled_from(["rows", "upstream", "rows#2026-03-03", "rows#20260303T07"])
    | st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), min_size=1),
    st.text() | long_names | st.text().map(lambda s: "rows#" + s) | st.integers(),
)
dimension = st.tuples(st.from_regex(r"[A-Za-z0-9_.-]{1,8}", fullmatch=True), st.text(min_size=1))
days = st.dates(date(2000, 1, 1), date(2100, 1, 1))
partitions = (
    st.none()
    | st.just("")
    | days.map(date.isoformat)
    | st.builds(
        lambda d, dims: d.isoformat() + "".join(f"|{n}={v}" for n, v in dims),
        days,
        st.lists(dimension, max_size=3),
    )
    | st.builds(lambda pad: "2026-11-22|a=" + "x" * pad, st.integers(180, 195))
    | st.text()
    | st.integers()
)
pipeline_ids = mostly(st.sampled_from(["etl", None]), st.text(max_size=5) | st.integers())


def outcome(il: Interlock, reading: ReadingInput) -> tuple[Any, ...]:
    """``("refused", field, message)`` or ``("stored", scope, key, partition, data)``."""
    try:
        il.put_readings([reading])
    except InputError as exc:
        return ("refused", exc.field, str(exc))
    h = t.reading_history
    with il.store.engine.connect() as conn:
        row = conn.execute(sa.select(h).order_by(h.c.id.desc()).limit(1)).one()
    return ("stored", row.scope, row.key, row.partition, row.data)


def pure_outcome(reading: ReadingInput) -> str:
    """What the database-free check says, as ``simulate`` will see it."""
    try:
        if reading.pipeline_id is not None:
            check_pipeline_id(reading.pipeline_id)
        check_reading(reading.key, reading.partition, reading.data, where="readings[0]")
    except InputError:
        return "refused"
    return "refused" if reading.pipeline_id not in {None, "etl"} else "stored"


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(key=keys, partition=partitions, data=reading_data, pipeline_id=pipeline_ids)
def test_both_engines_store_or_refuse_every_reading_alike(
    installations: dict[str, Interlock], key: Any, partition: Any, data: Any, pipeline_id: Any
) -> None:
    """Same answer on SQLite, PostgreSQL and the pure check; stored data is the JSON sent."""
    reading = ReadingInput(key=key, data=data, pipeline_id=pipeline_id, partition=partition)
    results = {name: outcome(il, reading) for name, il in installations.items()}
    assert results["sqlite"] == results["postgres"]
    kind, *rest = results["sqlite"]
    event(f"{kind} {rest[0] if kind == 'refused' else ''}")
    assert kind == pure_outcome(reading)
    if kind == "refused":
        assert rest[0], "every InputError names a field"
    else:
        assert rest[3] == json.loads(json.dumps(data))
