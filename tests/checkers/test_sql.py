"""The ``sql`` checker against real databases: a SQLite file and the PostgreSQL server.

Each test builds a ``results`` table, asks the checker about some partitions and checks the
observations a runner would record: what a row becomes, what an absent partition becomes,
that values are bound (never formatted into SQL), that errors hide the password, and that a
slow query is cancelled at the timeout.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from interlock.checkers.base import CheckError, CheckRequest, Observation
from interlock.checkers.sql import SqlChecker, bind_parameters
from interlock.errors import InputError

GROUPED = (
    "select day, campaign, count(*) as rows, max(loaded_at) as updatedAt from results "
    "where day between :from_date and :to_date group by day, campaign order by day, campaign"
)
ROWS = [
    ("2026-03-24", "501", "2026-03-25T01:00:00+00:00"),
    ("2026-03-25", "501", "2026-03-26T01:00:00+00:00"),
    ("2026-03-25", "501", "2026-03-26T02:00:00+00:00"),
    ("2026-03-25", "502", "2026-03-26T03:00:00+00:00"),
    ("2026-03-27", "501", "2026-03-28T01:00:00+00:00"),
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL holding the ``results`` table with :data:`ROWS` (day is text)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/warehouse.db"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table results (day text, campaign text, loaded_at text)"))
        conn.execute(
            sa.text("insert into results values (:d, :c, :l)"),
            [{"d": d, "c": c, "l": loaded} for d, c, loaded in ROWS],
        )
    engine.dispose()
    return url


def request_for(
    url: str,
    partitions: Sequence[str | None],
    *,
    query: str = GROUPED,
    timeout: float = 10.0,
    secrets: frozenset[str] = frozenset(),
) -> CheckRequest:
    """A check request as the runner builds it: the same expanded config for each partition."""
    return CheckRequest(
        key="output",
        pipeline_id="report",
        partitions=partitions,
        configs={p: {"url": url, "query": query} for p in partitions},
        timeout_seconds=timeout,
        secrets=secrets,
    )


def observe(
    config: Mapping[str, Any], url: str, partitions: Sequence[str | None], **kw: Any
) -> dict[str | None, Mapping[str, Any]]:
    """Build the checker, check once, close; the observations by partition."""
    checker = SqlChecker(config)
    try:
        result = checker.check(request_for(url, partitions, query=config["query"], **kw))
    finally:
        checker.close()
    return {o.partition: o.data for o in result.observations}


def by_campaign(url: str) -> dict[str, Any]:
    """The grouped checker's config over ``url``, mapping day and campaign."""
    return {"url": url, "query": GROUPED, "partition": {"date": "day", "campaign": "campaign"}}


def test_one_query_maps_rows_to_partitions_and_marks_asked_ones_absent(warehouse: str) -> None:
    """Rows become readings of their partition (asked or not); an asked one with none: absent."""
    asked = ["2026-03-25|campaign=501", "2026-03-26|campaign=501"]
    seen = observe(by_campaign(warehouse), warehouse, asked)
    assert seen["2026-03-25|campaign=501"] == {
        "rows": 2,
        "updatedat" if "postgres" in warehouse else "updatedAt": "2026-03-26T02:00:00+00:00",
        "exists": True,
    }
    assert seen["2026-03-25|campaign=502"]["rows"] == 1  # not asked, inside the range: recorded
    assert seen["2026-03-26|campaign=501"] == {"exists": False}
    assert "2026-03-24|campaign=501" not in seen  # outside :from_date..:to_date
    assert "2026-03-27|campaign=501" not in seen


def test_deleted_rows_change_the_observation_of_exactly_that_partition(warehouse: str) -> None:
    """After a delete the partition reads ``exists: false`` (``gte rows 1`` stops holding)."""
    asked = ["2026-03-25|campaign=501", "2026-03-25|campaign=502"]
    before = observe(by_campaign(warehouse), warehouse, asked)
    engine = sa.create_engine(warehouse)
    with engine.begin() as conn:
        conn.execute(sa.text("delete from results where campaign = '502'"))
    engine.dispose()
    after = observe(by_campaign(warehouse), warehouse, asked)
    assert before["2026-03-25|campaign=502"]["rows"] == 1
    assert after["2026-03-25|campaign=502"] == {"exists": False}
    assert after["2026-03-25|campaign=501"] == before["2026-03-25|campaign=501"]


def test_fields_choose_the_reading_fields(warehouse: str) -> None:
    """``fields`` keeps only the columns named (plus the checker's own ``exists``)."""
    config = {**by_campaign(warehouse), "fields": ["rows"]}
    seen = observe(config, warehouse, ["2026-03-24|campaign=501"])
    assert seen["2026-03-24|campaign=501"] == {"rows": 1, "exists": True}


def test_a_quote_in_a_bound_value_is_data_not_sql(warehouse: str) -> None:
    """A partition holding SQL is bound as a value: it comes back as it was, nothing dropped."""
    hostile = "2026-03-25|campaign=x'); drop table results; --"
    query = "select :partition as asked, count(*) as rows from results where day = :date"
    seen = observe({"url": warehouse, "query": query}, warehouse, [hostile])
    assert seen[None] == {"asked": hostile, "rows": 3, "exists": True}
    engine = sa.create_engine(warehouse)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from results")).scalar_one() == len(ROWS)
    engine.dispose()


def test_undated_query_is_one_observation_and_no_row_is_absent(warehouse: str) -> None:
    """Without ``partition`` the single row is the undated reading; zero rows: absent."""
    query = "select count(*) as total from results"
    assert observe({"url": warehouse, "query": query}, warehouse, [None]) == {
        None: {"total": 5, "exists": True}
    }
    empty = "select campaign from results where campaign = 'none'"
    assert observe({"url": warehouse, "query": empty}, warehouse, [None]) == {
        None: {"exists": False}
    }


def test_undated_query_with_several_rows_is_a_check_error(warehouse: str) -> None:
    """Several rows without a ``partition`` mapping cannot be one reading: a clear error."""
    with pytest.raises(CheckError, match="returned 5 rows; without 'partition'"):
        observe({"url": warehouse, "query": "select * from results"}, warehouse, [None])


def test_a_sql_error_is_a_check_error_naming_the_problem(warehouse: str) -> None:
    """A missing table fails the check (never a pass), saying which table."""
    query = "select day, count(*) as rows from missing_table group by day"
    config = {"url": warehouse, "query": query, "partition": {"date": "day"}}
    with pytest.raises(CheckError, match="missing_table"):
        observe(config, warehouse, ["2026-03-25"])


def test_a_mapped_column_the_result_lacks_is_named(warehouse: str) -> None:
    """A ``partition`` column not in the result says which columns there are."""
    config = {**by_campaign(warehouse), "partition": {"date": "day", "region": "region"}}
    with pytest.raises(CheckError, match="no column 'region'; it has day, campaign"):
        observe(config, warehouse, ["2026-03-25|region=eu"])


def test_hourly_partitions_map_the_hour_column(tmp_path: Path) -> None:
    """``{date: day, hour: hr}`` writes ``YYYY-MM-DDTHH`` from an integer hour column."""
    url = f"sqlite:///{tmp_path}/hours.db"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table hits (day text, hr integer)"))
        conn.execute(sa.text("insert into hits values ('2026-03-25', 7), ('2026-03-25', 7)"))
    engine.dispose()
    query = "select day, hr, count(*) as rows from hits group by day, hr"
    config = {"url": url, "query": query, "partition": {"date": "day", "hour": "hr"}}
    seen = observe(config, url, ["2026-03-25T07", "2026-03-25T08"])
    assert seen == {
        "2026-03-25T07": {"rows": 2, "exists": True},
        "2026-03-25T08": {"exists": False},
    }


@pytest.mark.postgres
def test_postgres_types_become_json(postgres_url: str) -> None:
    """Numeric → int/float, date → ISO day, timestamptz → ISO with zone, as real PG returns them."""
    query = (
        "select date '2026-03-25' as day, 12::numeric as rows, 1.5::numeric as ratio, "
        "timestamptz '2026-03-26 02:00:00+00' as loaded, true as ok"
    )
    config = {"url": postgres_url, "query": query, "partition": {"date": "day"}}
    seen = observe(config, postgres_url, ["2026-03-25"])
    assert seen["2026-03-25"] == {
        "rows": 12,
        "ratio": 1.5,
        "loaded": "2026-03-26T02:00:00+00:00",
        "ok": True,
        "exists": True,
    }


def test_binary_columns_are_refused_with_the_fix(warehouse: str) -> None:
    """Bytes have no JSON form: the error names the column and how to select text instead."""
    cast = "x'00ff'" if warehouse.startswith("sqlite") else "'\\x00ff'::bytea"
    query = f"select {cast} as blob"
    with pytest.raises(CheckError, match="'blob' is binary; select a text form"):
        observe({"url": warehouse, "query": query}, warehouse, [None])


@pytest.mark.postgres
def test_a_refused_connection_is_a_one_line_check_error() -> None:
    """Nothing listening: a CheckError (not a crash, not a pass) in one ``sql:`` line."""
    url = "postgresql+psycopg://postgres:Sup3rSecretPw@127.0.0.1:1/warehouse"
    checker = SqlChecker({"url": "${env:WAREHOUSE_URL}", "query": "select 1 as one"})
    with pytest.raises(CheckError, match=r"^sql: .*127\.0\.0\.1") as caught:
        checker.check(request_for(url, [None], query="select 1 as one", secrets=frozenset({url})))
    checker.close()
    assert "\n" not in str(caught.value)
    assert "Sup3rSecretPw" not in str(caught.value)


@pytest.mark.postgres
def test_the_url_password_is_masked_where_the_database_echoes_it(postgres_url: str) -> None:
    """A literal password in the URL (no ``${env:}``) is masked in what the server says back.

    The test server trusts every password, so one can be written into the URL and then
    echoed by an error about a column of that name.
    """
    url = postgres_url.replace("postgres@", "postgres:Sup3rSecretPw@")
    checker = SqlChecker({"url": url, "query": 'select "Sup3rSecretPw" as x'})
    with pytest.raises(CheckError, match=r'column "\*\*\*" does not exist') as caught:
        checker.check(request_for(url, [None], query='select "Sup3rSecretPw" as x'))
    checker.close()
    assert "Sup3rSecretPw" not in str(caught.value)


def test_env_values_in_the_query_are_masked_in_errors(tmp_path: Path) -> None:
    """A ``${env:}`` value expanded into the query is a secret: the error shows ``***``."""
    url = f"sqlite:///{tmp_path}/empty.db"
    checker = SqlChecker({"url": url, "query": "select * from ${env:TABLE}"})
    request = CheckRequest(
        key="output",
        pipeline_id=None,
        partitions=[None],
        configs={None: {"url": url, "query": "select * from private_ledger"}},
        timeout_seconds=5,
        secrets=frozenset({"private_ledger"}),
    )
    with pytest.raises(CheckError, match=r"no such table: \*\*\*") as caught:
        checker.check(request)
    checker.close()
    assert "private_ledger" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mssql+pyodbc://reader:Dr1verSecret@db/warehouse", "mssql+pyodbc is not installed"),
        ("nosuchdb://reader:Dr1verSecret@db/warehouse", "Can't load plugin"),
    ],
)
def test_a_url_no_installed_dialect_serves_is_a_check_error(url: str, says: str) -> None:
    """An unknown dialect or a missing driver fails the check, saying which, password hidden."""
    checker = SqlChecker({"url": "${env:WAREHOUSE_URL}", "query": "select 1 as one"})
    with pytest.raises(CheckError, match=re.escape(says)) as caught:
        checker.check(request_for(url, [None], query="select 1 as one"))
    assert "Dr1verSecret" not in str(caught.value)


SLOW_SQLITE = (
    "with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000000) "
    "select count(*) as rows from n"
)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_slow_query_is_cancelled_at_the_timeout(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The database cancels the statement: a CheckError soon after the timeout, not minutes."""
    if backend == "sqlite":
        url, query = f"sqlite:///{tmp_path}/slow.db", SLOW_SQLITE
    else:
        url, query = request.getfixturevalue("postgres_url"), "select pg_sleep(30) as slept"
    started = time.monotonic()
    with pytest.raises(CheckError, match=r"timed out after 0\.3 s"):
        observe({"url": url, "query": query}, url, [None], timeout=0.3)
    assert time.monotonic() - started < 5


def test_the_engine_is_reused_between_checks_and_released_on_close(warehouse: str) -> None:
    """Two checks share one engine (one pool); close disposes it and a later check reopens."""
    checker = SqlChecker(by_campaign(warehouse))
    request = request_for(warehouse, ["2026-03-25|campaign=501"])
    first = checker.check(request)
    engine = checker._engine
    assert checker.check(request) == first
    assert checker._engine is engine
    checker.close()
    assert checker._engine is None
    assert checker.check(request).observations[0] == Observation(
        "2026-03-25|campaign=501", first.observations[0].data
    )
    checker.close()


@pytest.mark.parametrize(
    ("config", "field", "says"),
    [
        ({"query": "select 1"}, "url", "needs 'url'"),
        ({"url": "sqlite://", "query": ""}, "query", "needs 'query'"),
        ({"url": "not a url", "query": "select 1"}, "url", "not a SQLAlchemy URL"),
        ({"url": "sqlite://", "query": "select ${date}"}, "query", ":from_date"),
        ({"url": "sqlite:///${partition}.db", "query": "select 1"}, "url", "one query"),
        ({"url": "sqlite://", "query": "q", "querry": 1}, "querry", "did you mean 'query'"),
        ({"url": "sqlite://", "query": "q", "partition": {"campaign": "c"}}, "partition", "'date'"),
        ({"url": "sqlite://", "query": "q", "partition": ["day"]}, "partition", "{date: day"),
        ({"url": "sqlite://", "query": "q", "fields": "rows"}, "fields", "e.g. [rows"),
        ({"url": "sqlite://", "query": "q", "fields": ["exists"]}, "fields", "checker's own"),
    ],
)
def test_unusable_configs_are_refused_naming_the_setting(
    config: dict[str, Any], field: str, says: str
) -> None:
    """Each config mistake is an InputError on its key, with the fix in the message."""
    with pytest.raises(InputError, match=re.escape(says)) as caught:
        SqlChecker(config)
    assert caught.value.field == field


def test_an_env_url_is_accepted_before_expansion() -> None:
    """``${env:WAREHOUSE_URL}`` cannot be parsed yet and is not refused."""
    checker = SqlChecker({"url": "${env:WAREHOUSE_URL}", "query": "select 1 as one"})
    assert checker.bulk is True
    checker.close()


@pytest.mark.parametrize(
    ("partitions", "expected"),
    [
        (
            ["2026-03-25|campaign=501", "2026-03-01|campaign=502", "2026-03-09|campaign=501"],
            {"from_date": "2026-03-01", "to_date": "2026-03-25", "partition": None},
        ),
        (
            ["2026-03-25T07|campaign=501"],
            {
                "from_date": "2026-03-25",
                "to_date": "2026-03-25",
                "hour": "07",
                "date": "2026-03-25",
            },
        ),
        ([None], {"from_date": None, "to_date": None, "partition": None, "date": None}),
    ],
)
def test_bind_parameters_span_the_dates_asked(
    partitions: list[str | None], expected: dict[str, Any]
) -> None:
    """from/to are the first and last date asked; the partition's own values only for one."""
    params = bind_parameters(partitions)
    assert {k: params[k] for k in expected} == expected


@pytest.mark.postgres
def test_postgres_date_columns_take_the_text_bounds_as_they_are(postgres_url: str) -> None:
    """A ``date`` column compares with ``:from_date``/``:to_date`` without a cast (psycopg 3)."""
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table loads (day date, n integer)"))
        conn.execute(sa.text("insert into loads values ('2026-03-25', 4), ('2026-04-02', 9)"))
    engine.dispose()
    query = "select day, n from loads where day between :from_date and :to_date"
    config = {"url": postgres_url, "query": query, "partition": {"date": "day"}}
    seen = observe(config, postgres_url, ["2026-03-25", "2026-03-31"])
    assert seen == {"2026-03-25": {"n": 4, "exists": True}, "2026-03-31": {"exists": False}}
