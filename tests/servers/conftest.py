"""Session fixtures: a real Airflow 3 and a real Prefect 3 on 127.0.0.1 (scripts/servers/).

``airflow_server`` is a ``harness.AirflowServer``: ``base_url``, ``api_url`` (REST API v2),
``token_url``, ``username``/``password`` (simple auth manager), ``token()``/``headers()``
for a JWT, ``dag_ok``/``dag_fail``/``dag_ids``, ``set_paused(dag_id, paused=...)``,
``logs()`` (tail of every component's log), ``startup_seconds``, ``workdir``.
``prefect_server`` is a ``harness.PrefectServer``: ``base_url``, ``api_url``,
``username``/``password``/``auth`` (basic auth), ``auth_string``, ``deployment_ids``,
``deployment_ok``/``deployment_fail``, ``logs()``, ``startup_seconds``, ``workdir``.
Each starts once per session, on first use, and stops at the end of the session (these
tests run last, see below). Airflow's DAGs and Prefect's flows take a ``seconds`` parameter
(``conf`` / ``parameters``) to run longer, e.g. for cancellation tests.

Tests that use them carry the ``servers`` marker. ``INTERLOCK_TEST_SERVERS=skip`` skips them
(quick local runs); otherwise a server that is not installed is an error, never a skip, so
CI cannot pass without having run them. ``scripts/servers/install`` installs both.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "servers"))

import harness  # importable once scripts/servers is on the path, just above

SKIP_VARIABLE = "INTERLOCK_TEST_SERVERS"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run this directory's tests after all others.

    The servers are session fixtures (started once, however many modules use them), so they
    live until the session ends; running their tests last means no other test shares the
    2-core machine with an idle Airflow scheduler, or sees its processes.
    """
    here = Path(__file__).resolve().parent
    ours = [item for item in items if here in item.path.parents]
    if ours and len(ours) < len(items):
        items[:] = [item for item in items if here not in item.path.parents] + ours


def _skip_if_asked(name: str) -> None:
    value = os.environ.get(SKIP_VARIABLE, "")
    if value == "skip":
        pytest.skip(f"{SKIP_VARIABLE}=skip: the real {name} server is not started")
    if value not in {"", "run"}:
        pytest.fail(f"{SKIP_VARIABLE} must be 'skip', 'run' or unset, not {value!r}")


@pytest.fixture(scope="session")
def airflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.AirflowServer]:
    """A real Airflow 3 for the whole session (DAGs interlock_ok, interlock_fail)."""
    _skip_if_asked("Airflow")
    with harness.start_airflow(tmp_path_factory.mktemp("airflow")) as server:
        yield server


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.PrefectServer]:
    """A real Prefect 3 server and served deployments for the whole session."""
    _skip_if_asked("Prefect")
    with harness.start_prefect(tmp_path_factory.mktemp("prefect")) as server:
        yield server
