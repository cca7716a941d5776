"""Real Airflow 3 and Prefect 3 servers on 127.0.0.1, for tests of Interlock's job backends.

Interlock's ``http`` backend (and the Airflow, Prefect and Dagster backends that build on it)
must be shown to work against the real orchestrators, not only against our scripted HTTP
server: the REST details that break integrations (Airflow's required ``"logical_date": null``,
its JWT from ``POST /auth/token``, Prefect's served deployments and state names) are only
proven by the real thing. This module starts each one, fully local and throw-away:

* ``install("airflow" | "prefect")`` builds the server's own virtualenv from the pinned
  ``requirements-<name>.txt`` beside this file, in
  ``${INTERLOCK_SERVERS_CACHE:-~/.cache/interlock-servers}/<name>-<python>-<hash>``, and
  reuses it while the requirements file (hence the hash) is unchanged. The servers never
  share Interlock's ``.venv``: their pins would fight ours.
* ``start_airflow(workdir)`` / ``start_prefect(workdir)`` are context managers that start a
  server on a free port with a SQLite database in ``workdir``, install the test jobs
  (``interlock_ok`` succeeds after ~3 s, ``interlock_fail`` fails after ~2 s; Prefect flows
  ``interlock-ok`` / ``interlock-fail``), poll until they are really usable (health endpoint,
  jobs registered, auth working) within a deadline, yield an object with the URL,
  credentials and job ids, and stop every process on exit.
* Every process runs under ``keeper.py`` (see there): stop is SIGTERM to the recorded
  process group, then SIGKILL after a grace period, and the keeper kills the whole process
  tree if the test process dies, even by ``kill -9``. Pids are also written to
  ``workdir/pids.json`` for a human looking at a stuck machine.

A failed start raises ``ServerStartError`` with the tail of every component's log.

Standard library plus httpx, so pytest (``tests/servers/conftest.py``) imports it by path.
From a shell: ``.venv/bin/python scripts/servers/harness.py install`` (what
``scripts/servers/install`` runs) or ``... harness.py serve airflow`` to poke at a server.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

HERE = Path(__file__).resolve().parent
KEEPER = HERE / "keeper.py"
NAMES = ("airflow", "prefect")
HOST = "127.0.0.1"
POLL_INTERVAL = 0.25
GRACE_SECONDS = 10.0
LOG_TAIL_LINES = 40

AIRFLOW_DAG_OK = "interlock_ok"
AIRFLOW_DAG_FAIL = "interlock_fail"
PREFECT_FLOW_OK = "interlock-ok"
PREFECT_FLOW_FAIL = "interlock-fail"
PREFECT_DEPLOYMENT = "interlock"


class ServerSetupError(RuntimeError):
    """A server's virtualenv is missing or could not be built."""


class ServerStartError(RuntimeError):
    """A server did not become usable in time, or one of its processes died."""


# --------------------------------------------------------------------------- virtualenvs


def cache_root() -> Path:
    """Where the server virtualenvs live; shared by every checkout on the machine."""
    configured = os.environ.get("INTERLOCK_SERVERS_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "interlock-servers"


def requirements_file(name: str) -> Path:
    """The pinned requirements of server ``name``."""
    if name not in NAMES:
        raise ValueError(f"unknown server {name!r}; known: {', '.join(NAMES)}")
    return HERE / f"requirements-{name}.txt"


def venv_dir(name: str) -> Path:
    """The cached virtualenv for ``name``: a new directory whenever its pins change.

    The interpreter's tag is part of the name because a virtualenv only works with the
    Python it was built from.
    """
    digest = hashlib.sha256(requirements_file(name).read_bytes()).hexdigest()[:16]
    return cache_root() / f"{name}-{sys.implementation.cache_tag}-{digest}"


def _complete_marker(venv: Path) -> Path:
    return venv / ".interlock-complete"


def require_venv(name: str) -> Path:
    """The installed virtualenv for ``name``, or a loud error saying how to install it."""
    venv = venv_dir(name)
    if not _complete_marker(venv).exists():
        raise ServerSetupError(
            f"the {name} server is not installed (no {venv}); run scripts/servers/install "
            "(scripts/test does), or set INTERLOCK_TEST_SERVERS=skip to skip these tests"
        )
    return venv


def install(name: str, out: IO[str] = sys.stdout) -> Path:
    """Build the virtualenv for ``name`` unless the cache already has it; return its path.

    Holds an exclusive lock so two checkouts installing at once do not interleave, and
    writes the completion marker last, so an interrupted install is redone, not trusted.
    """
    venv = venv_dir(name)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f".{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = _complete_marker(venv)
        if marker.exists():
            out.write(f"{name}: cached {venv}\n")
            return venv
        started = time.monotonic()
        out.write(f"{name}: installing into {venv} (once; under a minute here)\n")
        out.flush()
        shutil.rmtree(venv, ignore_errors=True)
        _build_venv(name, venv, venv.parent / f"{venv.name}.install.log")
        seconds = time.monotonic() - started
        marker.write_text(f"installed in {seconds:.1f} s\n", encoding="utf-8")
        out.write(f"{name}: installed in {seconds:.1f} s\n")
        return venv


def _build_venv(name: str, venv: Path, log_path: Path) -> None:
    """Create ``venv`` and pip-install the pins; pip's chatter goes to ``log_path``.

    Wheels only: nothing is compiled, so the install needs no toolchain and gives the same
    files every time. ``pip check`` proves the pins are consistent with each other.
    """
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [*pip, "install", "--no-input", "--only-binary=:all:", "-r", str(requirements_file(name))],
        [*pip, "check"],
    ]
    with log_path.open("w", encoding="utf-8") as log:
        for step in steps:
            log.write(f"$ {' '.join(step)}\n")
            log.flush()
            failed = subprocess.run(  # noqa: S603 - our interpreter and pip, fixed arguments
                step, stdout=log, stderr=subprocess.STDOUT, check=False
            )
            if failed.returncode:
                break
        else:
            return
    tail = "\n".join(log_path.read_text(encoding="utf-8").splitlines()[-30:])
    raise ServerSetupError(f"{name}: install failed: {' '.join(step)}\n{tail}\n(log: {log_path})")


def _server_env(venv: Path, settings: dict[str, str]) -> dict[str, str]:
    """The environment for a server process: ours minus anything that would leak in.

    Interlock's virtualenv, PYTHONPATH and any AIRFLOW_/PREFECT_ settings from the developer's
    shell are dropped, so the server sees only its own virtualenv and ``settings``.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "PREFECT_", "VIRTUAL_ENV", "PYTHON"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_COLOR"] = "1"
    env["DO_NOT_TRACK"] = "1"
    env.update(settings)
    return env


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """One server component, run under ``keeper.py`` in its own session and process group.

    ``pgid`` (the keeper's pid) and ``pid`` (the component's own) are the recorded pids:
    ``stop`` signals the group, and the keeper takes care of descendants that left it.
    """

    def __init__(  # noqa: PLR0913 - each is a separate fact about the process
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str],
        cwd: Path,
        log_dir: Path,
        grace: float = GRACE_SECONDS,
    ) -> None:
        self.name = name
        self.argv = argv
        self.grace = grace
        self.log_path = log_dir / f"{name}.log"
        pidfile = log_dir / f"{name}.pid"
        pidfile.unlink(missing_ok=True)
        read_end, self._lifeline = os.pipe()  # both ends non-inheritable by default
        with self.log_path.open("ab") as log:
            self._keeper = subprocess.Popen(  # noqa: S603 - our keeper, fixed arguments
                [sys.executable, str(KEEPER), str(pidfile), str(grace), "--", *argv],
                stdin=read_end,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        os.close(read_end)
        self.pgid = self._keeper.pid
        self.pid = self._read_pid(pidfile)

    def _read_pid(self, pidfile: Path) -> int:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(FileNotFoundError, ValueError):
                return int(pidfile.read_text(encoding="utf-8"))
            if self._keeper.poll() is not None:
                break
            time.sleep(0.01)
        self.signal(signal.SIGKILL)  # not in any list that stop() walks: end it here
        self._keeper.wait(5)
        os.close(self._lifeline)
        raise ServerStartError(f"{self.name}: keeper did not start it\n{self.tail()}")

    def exit_code(self) -> int | None:
        """None while running; the keeper's exit status once the component is gone."""
        return self._keeper.poll()

    def wait(self, timeout: float) -> int:
        """Wait for the component to exit on its own (for one-shot commands)."""
        try:
            return self._keeper.wait(timeout)
        except subprocess.TimeoutExpired:
            raise ServerStartError(
                f"{self.name} did not finish within {timeout:g}s\n{self.tail()}"
            ) from None

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the recorded process group while the keeper is not reaped.

        Only then is the group id certainly still ours: an unreaped keeper keeps its pid.
        """
        if self._keeper.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, signum)

    def finish_stop(self) -> None:
        """After ``signal(SIGTERM)``: wait for the keeper, SIGKILL the group if it hangs."""
        try:
            self._keeper.wait(self.grace + 5)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self._keeper.wait(5)
        with contextlib.suppress(OSError):
            os.close(self._lifeline)

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of this component's log, headed by its name."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            text = ""
        last = "\n".join(text.splitlines()[-lines:])
        return f"--- {self.name} ({self.log_path}), last {lines} lines:\n{last}"


@dataclass
class _Processes:
    """The processes of one server, stopped together; pids recorded in ``pids.json``."""

    workdir: Path
    running: list[ServerProcess] = field(default_factory=list)

    def start(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str],
        cwd: Path,
        grace: float = GRACE_SECONDS,
    ) -> None:
        """Start ``argv`` as component ``name`` (log: ``workdir/logs/NAME.log``)."""
        log_dir = self.workdir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        process = ServerProcess(name, argv, env=env, cwd=cwd, log_dir=log_dir, grace=grace)
        self.running.append(process)
        self._record()

    def _record(self) -> None:
        pids = {
            p.name: {"pgid": p.pgid, "pid": p.pid, "log": str(p.log_path)} for p in self.running
        }
        (self.workdir / "pids.json").write_text(json.dumps(pids, indent=2), encoding="utf-8")

    def run_to_completion(
        self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float
    ) -> None:
        """Run a one-shot command (e.g. a database migration) under a keeper; 0 or raise."""
        self.start(name, argv, env=env, cwd=cwd)
        process = self.running[-1]
        code = process.wait(timeout)
        self.running.remove(process)
        self._record()
        if code != 0:
            raise ServerStartError(f"{name} exited with {code}\n{process.tail()}")

    def tails(self) -> str:
        """The tail of every component's log, for error messages."""
        return "\n".join(p.tail() for p in self.running)

    def wait_until(self, what: str, check: Callable[[], str | None], timeout: float) -> None:
        """Poll ``check`` (None = ready, else what is missing) until ready or ``timeout``.

        Fails at once, with the logs, when a component exits: no point waiting for it.
        """
        deadline = time.monotonic() + timeout
        missing = "not checked yet"
        while True:
            for process in self.running:
                code = process.exit_code()
                if code is not None:
                    raise ServerStartError(
                        f"{what}: {process.name} exited with {code} while starting\n{self.tails()}"
                    )
            result = check()
            if result is None:
                return
            missing = result
            if time.monotonic() >= deadline:
                raise ServerStartError(
                    f"{what} not ready within {timeout:g}s: {missing}\n{self.tails()}"
                )
            time.sleep(POLL_INTERVAL)

    def stop(self) -> None:
        """SIGTERM every recorded group at once, then wait; SIGKILL whatever hangs."""
        for process in self.running:
            process.signal(signal.SIGTERM)
        for process in self.running:
            process.finish_stop()


def _get(url: str, **kwargs: Any) -> httpx.Response | str:
    """GET ``url``; a transport error is returned as text (the server is not up yet)."""
    try:
        return httpx.get(url, timeout=5, **kwargs)
    except httpx.HTTPError as exc:
        return f"GET {url}: {type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------- Airflow

AIRFLOW_DAGS = '''\
"""Interlock's test DAGs: one succeeds, one fails. Written by scripts/servers/harness.py."""

from __future__ import annotations

import time

from airflow.sdk import dag, task


def _seconds(context, default):
    return float(context["params"].get("seconds", default))


@dag(dag_id="interlock_ok", schedule=None, catchup=False, is_paused_upon_creation=False,
     params={"seconds": 3}, default_args={"retries": 0}, tags=["interlock"])
def interlock_ok():
    @task
    def work(**context):
        time.sleep(_seconds(context, 3))
        return "ok"

    work()


@dag(dag_id="interlock_fail", schedule=None, catchup=False, is_paused_upon_creation=False,
     params={"seconds": 2}, default_args={"retries": 0}, tags=["interlock"])
def interlock_fail():
    @task
    def work(**context):
        time.sleep(_seconds(context, 2))
        raise RuntimeError("interlock_fail fails on purpose")

    work()


interlock_ok()
interlock_fail()
'''


@dataclass
class AirflowServer:
    """A running Airflow 3: API server, scheduler and DAG processor, SQLite, LocalExecutor.

    ``base_url`` serves ``/auth/token`` (simple auth manager: ``username``/``password``, user
    role admin) and the REST API v2 under ``api_url``. DAG ``dag_ok`` succeeds after
    ``conf.seconds`` (default 3) seconds, ``dag_fail`` fails after ``conf.seconds`` (default
    2); both are unpaused and have no schedule, so only triggered runs exist.
    """

    base_url: str
    username: str
    password: str
    workdir: Path
    processes: _Processes
    startup_seconds: float = 0.0  # from start_airflow() to ready: migrate, start, health
    dag_ok: str = AIRFLOW_DAG_OK
    dag_fail: str = AIRFLOW_DAG_FAIL

    @property
    def api_url(self) -> str:
        """The REST API v2 root, e.g. ``http://127.0.0.1:PORT/api/v2``."""
        return f"{self.base_url}/api/v2"

    @property
    def token_url(self) -> str:
        """``POST`` here with ``{"username", "password"}`` for ``{"access_token"}``."""
        return f"{self.base_url}/auth/token"

    @property
    def dag_ids(self) -> tuple[str, str]:
        """Both test DAGs: (succeeds, fails)."""
        return (self.dag_ok, self.dag_fail)

    def token(self) -> str:
        """A fresh JWT for ``username`` (raises on anything but 201)."""
        response = httpx.post(
            self.token_url,
            json={"username": self.username, "password": self.password},
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def headers(self) -> dict[str, str]:
        """Authorization headers with a fresh JWT."""
        return {"Authorization": f"Bearer {self.token()}"}

    def set_paused(self, dag_id: str, *, paused: bool) -> None:
        """Pause or unpause ``dag_id`` (for "paused DAG" tests); undo it when done."""
        response = httpx.patch(
            f"{self.api_url}/dags/{dag_id}",
            json={"is_paused": paused},
            headers=self.headers(),
            timeout=10,
        )
        response.raise_for_status()
        if response.json()["is_paused"] is not paused:
            raise RuntimeError(f"{dag_id}: is_paused is still {not paused}")

    def logs(self) -> str:
        """The tail of every component's log, for a failing test's message."""
        return self.processes.tails()

    def check_ready(self) -> str | None:
        """None when usable: components healthy, a token issued, both DAGs active."""
        return self._check_health() or self._check_dags()

    def _check_health(self) -> str | None:
        health = _get(f"{self.api_url}/monitor/health")
        if isinstance(health, str):
            return health
        if health.status_code != 200:
            return f"health: HTTP {health.status_code} {health.text[:200]}"
        body = health.json()
        for component in ("metadatabase", "scheduler", "dag_processor"):
            status = (body.get(component) or {}).get("status")
            if status != "healthy":
                return f"{component} is {status!r}"
        return None

    def _check_dags(self) -> str | None:
        try:
            headers = self.headers()
        except httpx.HTTPError as exc:
            return f"no token yet: {exc}"
        for dag_id in self.dag_ids:
            dag = _get(f"{self.api_url}/dags/{dag_id}", headers=headers)
            if isinstance(dag, str):
                return dag
            if dag.status_code != 200:
                return f"DAG {dag_id}: HTTP {dag.status_code} (not parsed yet?)"
            if dag.json().get("is_paused"):
                return f"DAG {dag_id} is paused"
        return None


def _airflow_settings(workdir: Path, port: int, password_file: Path) -> dict[str, str]:
    """Airflow's configuration as environment variables, which win over any airflow.cfg."""
    home = workdir / "airflow-home"
    base_url = f"http://{HOST}:{port}"
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(workdir / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        # LocalExecutor works on SQLite in Airflow 3 (tasks reach the database only through
        # the API server's execution API); parallelism is kept small for a 2-core machine.
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "interlock:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(password_file),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{workdir / 'airflow.db'}",
        "AIRFLOW__API__HOST": HOST,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__WORKERS": "1",
        # Every component must sign and check JWTs with the same secret; Airflow would
        # otherwise generate one per process and the scheduler's task tokens would fail.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),  # >= 64 bytes for HS512
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        # The task supervisor waits up to this long in select() between checks, so a task
        # that has finished is reported up to 5 s (the default) late; 1 s keeps runs brisk.
        "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
    }


@contextlib.contextmanager
def start_airflow(workdir: Path, *, timeout: float = 300.0) -> Iterator[AirflowServer]:
    """Start Airflow 3 in ``workdir`` (created if missing); stop it when the block exits.

    ``airflow db migrate`` first, then ``api-server``, ``scheduler`` and ``dag-processor``
    (no triggerer: the test DAGs defer nothing). Raises ``ServerSetupError`` if Airflow is
    not installed and ``ServerStartError`` (with the logs) if it is not ready in ``timeout``.
    """
    venv = require_venv("airflow")
    workdir = workdir.resolve()
    (workdir / "dags").mkdir(parents=True, exist_ok=True)
    (workdir / "dags" / "interlock_dags.py").write_text(AIRFLOW_DAGS, encoding="utf-8")
    username, password = "interlock", secrets.token_urlsafe(16)
    password_file = workdir / "simple_auth_manager_passwords.json"
    password_file.write_text(json.dumps({username: password}) + "\n", encoding="utf-8")
    port = free_port()
    env = _server_env(venv, _airflow_settings(workdir, port, password_file))
    airflow = str(venv / "bin" / "airflow")
    processes = _Processes(workdir)
    server = AirflowServer(f"http://{HOST}:{port}", username, password, workdir, processes)
    try:
        started = time.monotonic()
        deadline = started + timeout
        processes.run_to_completion(
            "airflow-db-migrate",
            [airflow, "db", "migrate"],
            env=env,
            cwd=workdir,
            timeout=timeout,
        )
        for component, *options in (
            ["api-server"],
            # The scheduler's log server would listen on 0.0.0.0:8793, a fixed port on every
            # interface; the API server reads task logs from the shared local folder anyway.
            ["scheduler", "--skip-serve-logs"],
            ["dag-processor"],
        ):
            processes.start(
                f"airflow-{component}", [airflow, component, *options], env=env, cwd=workdir
            )
        processes.wait_until(
            f"Airflow at {server.base_url}",
            server.check_ready,
            max(deadline - time.monotonic(), 1.0),
        )
        server.startup_seconds = time.monotonic() - started
        yield server
    finally:
        processes.stop()


# --------------------------------------------------------------------------- Prefect

PREFECT_FLOWS = '''\
"""Interlock's test flows, served: one succeeds, one fails. Written by harness.py."""

from __future__ import annotations

import time

from prefect import flow, serve


@flow(name="interlock-ok", retries=0)
def interlock_ok(seconds: float = 3.0) -> str:
    time.sleep(seconds)
    return "ok"


@flow(name="interlock-fail", retries=0)
def interlock_fail(seconds: float = 2.0) -> None:
    time.sleep(seconds)
    raise RuntimeError("interlock-fail fails on purpose")


if __name__ == "__main__":
    serve(
        interlock_ok.to_deployment(name="interlock"),
        interlock_fail.to_deployment(name="interlock"),
        limit=8,
    )
'''


@dataclass
class PrefectServer:
    """A running Prefect 3 server (SQLite, basic auth) and a process serving its deployments.

    Every API call needs HTTP basic auth ``username``/``password`` (``auth`` for httpx),
    except ``GET /api/health``. ``deployment_ids`` maps flow name to deployment id:
    ``interlock-ok`` completes after parameter ``seconds`` (default 3), ``interlock-fail``
    fails after ``seconds`` (default 2). A flow run created from either deployment (``POST
    {api_url}/deployments/{id}/create_flow_run``) is picked up and executed by the serving
    process within about a second.
    """

    base_url: str
    username: str
    password: str
    workdir: Path
    processes: _Processes
    startup_seconds: float = 0.0  # from start_prefect() to ready: server up, flows served
    deployment_ids: dict[str, str] = field(default_factory=dict)
    flow_ok: str = PREFECT_FLOW_OK
    flow_fail: str = PREFECT_FLOW_FAIL
    deployment_name: str = PREFECT_DEPLOYMENT

    @property
    def api_url(self) -> str:
        """The REST API root, e.g. ``http://127.0.0.1:PORT/api``."""
        return f"{self.base_url}/api"

    @property
    def auth(self) -> tuple[str, str]:
        """Basic-auth credentials in the form httpx takes."""
        return (self.username, self.password)

    @property
    def auth_string(self) -> str:
        """``user:password``, as ``PREFECT_API_AUTH_STRING`` wants it."""
        return f"{self.username}:{self.password}"

    @property
    def deployment_ok(self) -> str:
        """The id of the deployment whose runs complete."""
        return self.deployment_ids[self.flow_ok]

    @property
    def deployment_fail(self) -> str:
        """The id of the deployment whose runs fail."""
        return self.deployment_ids[self.flow_fail]

    def logs(self) -> str:
        """The tail of every component's log, for a failing test's message."""
        return self.processes.tails()

    def check_api(self) -> str | None:
        """None once the API answers its health check."""
        health = _get(f"{self.api_url}/health")
        if isinstance(health, str):
            return health
        if health.status_code != 200:
            return f"health: HTTP {health.status_code} {health.text[:200]}"
        return None

    def check_served(self) -> str | None:
        """None once both deployments exist and are READY (the serving process polls them)."""
        for flow_name in (self.flow_ok, self.flow_fail):
            url = f"{self.api_url}/deployments/name/{flow_name}/{self.deployment_name}"
            response = _get(url, auth=self.auth)
            if isinstance(response, str):
                return response
            if response.status_code != 200:
                return f"deployment {flow_name}: HTTP {response.status_code}"
            deployment = response.json()
            if deployment.get("status") != "READY":
                return f"deployment {flow_name} is {deployment.get('status')!r}"
            self.deployment_ids[flow_name] = str(deployment["id"])
        return None


def _prefect_settings(workdir: Path, port: int, auth_string: str) -> dict[str, str]:
    """Prefect's configuration for the server and the serving process, as environment."""
    return {
        "PREFECT_HOME": str(workdir / "prefect-home"),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{workdir / 'prefect.db'}",
        "PREFECT_SERVER_API_HOST": HOST,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_API_AUTH_STRING": auth_string,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        # The serving process is a client of that server:
        "PREFECT_API_URL": f"http://{HOST}:{port}/api",
        "PREFECT_API_AUTH_STRING": auth_string,
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",  # default 10 s: runs would start that late
    }


@contextlib.contextmanager
def start_prefect(workdir: Path, *, timeout: float = 180.0) -> Iterator[PrefectServer]:
    """Start ``prefect server start`` and a serving process in ``workdir``; stop on exit.

    Raises ``ServerSetupError`` if Prefect is not installed and ``ServerStartError`` (with
    the logs) if the server or the deployments are not ready within ``timeout``.
    """
    venv = require_venv("prefect")
    workdir = workdir.resolve()
    (workdir / "flows").mkdir(parents=True, exist_ok=True)
    (workdir / "flows" / "interlock_flows.py").write_text(PREFECT_FLOWS, encoding="utf-8")
    username, password = "interlock", secrets.token_urlsafe(16)
    port = free_port()
    env = _server_env(venv, _prefect_settings(workdir, port, f"{username}:{password}"))
    processes = _Processes(workdir)
    server = PrefectServer(f"http://{HOST}:{port}", username, password, workdir, processes)
    try:
        started = time.monotonic()
        deadline = started + timeout
        processes.start(
            "prefect-server",
            [str(venv / "bin" / "prefect"), "server", "start", "--host", HOST, "--port", str(port)],
            env=env,
            cwd=workdir,
        )
        processes.wait_until(f"Prefect at {server.base_url}", server.check_api, timeout)
        processes.start(
            "prefect-serve",
            [str(venv / "bin" / "python"), "interlock_flows.py"],
            env=env,
            cwd=workdir / "flows",
        )
        processes.wait_until(
            "Prefect deployments", server.check_served, max(deadline - time.monotonic(), 1.0)
        )
        server.startup_seconds = time.monotonic() - started
        yield server
    finally:
        processes.stop()


# --------------------------------------------------------------------------- command line


def _serve(name: str, workdir: Path | None) -> None:
    """Start one server, print how to reach it, and run until interrupted."""
    root = workdir or Path(tempfile.mkdtemp(prefix=f"interlock-{name}-"))
    starter = start_airflow if name == "airflow" else start_prefect
    with starter(root) as server:
        facts: dict[str, object] = {
            "base_url": server.base_url,
            "username": server.username,
            "password": server.password,
            "workdir": str(root),
            "startup_seconds": round(server.startup_seconds, 1),
        }
        if isinstance(server, PrefectServer):
            facts["deployment_ids"] = server.deployment_ids
        sys.stdout.write(json.dumps(facts, indent=2) + "\nCtrl-C stops it.\n")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


def main(argv: list[str] | None = None) -> int:
    """``install [NAME...]`` builds or reuses the virtualenvs; ``serve NAME`` runs one."""
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__ or "").split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    install_cmd = commands.add_parser("install", help="build or reuse the server virtualenvs")
    install_cmd.add_argument("names", nargs="*", help=f"any of {', '.join(NAMES)} (default all)")
    serve_cmd = commands.add_parser("serve", help="start one server until Ctrl-C")
    serve_cmd.add_argument("name", choices=NAMES)
    serve_cmd.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    if args.command == "install":
        for name in args.names or NAMES:
            install(name)
    else:
        _serve(args.name, args.workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
