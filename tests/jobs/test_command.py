"""Tests for interlock.jobs.command, with real processes.

These tests wait for real subprocesses, so they poll ``status`` in a bounded loop with short
sleeps; the jobs themselves sleep well under a second.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from interlock.errors import JobPermanentError
from interlock.jobs import CommandBackend, JobHandle, JobRequest, JobStatus

PYTHON = sys.executable


def request(attempt_id: str = "etl/2026-11-22|campaign=5/1", **config: Any) -> JobRequest:
    """A launch request with ``config`` as the job config."""
    return JobRequest(
        pipeline_id="etl", partition="2026-11-22", attempt=1, attempt_id=attempt_id, config=config
    )


def python(code: str) -> list[str]:
    """An argv running ``code`` with this interpreter."""
    return [PYTHON, "-c", code]


def wait_done(backend: CommandBackend, handle: JobHandle, limit: float = 10.0) -> JobStatus:
    """Poll until the job is no longer running (bounded; a real process is being waited on)."""
    deadline = time.monotonic() + limit
    status = backend.status(handle, request())
    while status.state == "running" and time.monotonic() < deadline:
        time.sleep(0.02)
        status = backend.status(handle, request())
    return status


@pytest.fixture
def backend(tmp_path: Path) -> CommandBackend:
    """A command backend keeping its state under the test's temporary directory."""
    return CommandBackend(tmp_path / "state")


def test_success_reports_stdout_and_stderr(backend):
    """Exit 0 is succeeded, with both output tails in the status."""
    code = "import sys; print('rows=42'); print('warn', file=sys.stderr)"
    handle = backend.launch(request(command=python(code)))
    status = wait_done(backend, handle)
    assert status.state == "succeeded"
    assert status.output == {"stdout": "rows=42\n", "stderr": "warn\n"}


def test_launch_returns_while_the_job_is_still_running(backend):
    """A launch does not wait for the job: the first status is running."""
    handle = backend.launch(request(command=python("import time; time.sleep(0.5)")))
    assert backend.status(handle, request()).state == "running"
    assert wait_done(backend, handle).state == "succeeded"


def test_non_zero_exit_is_a_transient_failure(backend):
    """A non-zero exit fails the attempt as TRANSIENT and names the code."""
    handle = backend.launch(request(command=python("import sys; sys.exit(3)")))
    status = wait_done(backend, handle)
    assert (status.state, status.category, status.message) == ("failed", "TRANSIENT", "exit code 3")


def test_exit_127_is_permanent(backend):
    """Exit 127 (command not found, from a script) is a PERMANENT failure."""
    handle = backend.launch(request(command=python("import sys; sys.exit(127)")))
    status = wait_done(backend, handle)
    assert (status.state, status.category) == ("failed", "PERMANENT")


def test_missing_executable_is_a_permanent_launch_error(backend, tmp_path):
    """An executable that is not on PATH fails the launch and starts nothing."""
    with pytest.raises(JobPermanentError, match="executable 'no-such-tool-xyz' not found"):
        backend.launch(request(command=["no-such-tool-xyz", "--date", "2026-11-22"]))
    assert backend.find(request()) is None
    assert not (tmp_path / "state").exists()


def test_timeout_kills_the_job_and_reports_timeout(backend):
    """A job running past its timeout is stopped and failed with category TIMEOUT."""
    started = time.monotonic()
    handle = backend.launch(request(command=python("import time; time.sleep(30)"), timeout="300ms"))
    status = wait_done(backend, handle)
    assert (status.state, status.category) == ("failed", "TIMEOUT")
    assert "0.3s" in status.message
    assert time.monotonic() - started < 5


def test_relaunch_returns_the_same_handle_and_runs_once(backend, tmp_path):
    """Launching an attempt twice starts one process: same pid, one line appended."""
    marker = tmp_path / "runs.txt"
    job = request(command=python(f"open({str(marker)!r}, 'a').write('ran\\n')"))
    first = backend.launch(job)
    second = backend.launch(job)
    assert first == second
    assert isinstance(first.data["pid"], int)
    assert wait_done(backend, first).state == "succeeded"
    assert marker.read_text() == "ran\n"


def test_concurrent_launches_start_one_process(backend, tmp_path):
    """Threads racing to launch one attempt get one handle and one run."""
    marker = tmp_path / "runs.txt"
    job = request(command=python(f"open({str(marker)!r}, 'a').write('ran\\n')"))
    handles: list[JobHandle] = []
    threads = [
        threading.Thread(target=lambda: handles.append(backend.launch(job))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({json.dumps(h.data, sort_keys=True) for h in handles}) == 1
    assert wait_done(backend, handles[0]).state == "succeeded"
    assert marker.read_text() == "ran\n"


def test_a_new_backend_finds_and_polls_a_job_after_a_crash(tmp_path):
    """The job survives its controller: a new backend on the same state_dir finds and polls it."""
    state = tmp_path / "state"
    job = request(command=python("import time; time.sleep(0.4); print('done')"))
    handle = CommandBackend(state).launch(job)
    restarted = CommandBackend(state)
    found = restarted.find(job)
    assert found == handle
    assert restarted.status(found, job).state == "running"
    status = wait_done(restarted, found)
    assert (status.state, status.output["stdout"]) == ("succeeded", "done\n")


def test_find_before_launch_is_none(backend):
    """An attempt that was never launched is not found."""
    assert backend.find(request()) is None


def test_handle_data_is_json(backend):
    """The handle holds only JSON values: the pid and the attempt directory."""
    handle = backend.launch(request(command=python("pass")))
    assert json.loads(json.dumps(dict(handle.data))) == dict(handle.data)
    assert set(handle.data) == {"pid", "dir"}
    wait_done(backend, handle)


def test_lost_supervisor_is_a_transient_failure(backend):
    """If the supervisor dies without an exit record, the job is reported lost."""
    handle = backend.launch(request(command=python("import time; time.sleep(0.3)")))
    os.kill(handle.data["pid"], signal.SIGKILL)
    status = wait_done(backend, handle)
    assert (status.state, status.category) == ("failed", "TRANSIENT")
    assert "lost" in status.message


def test_string_command_env_and_cwd(backend, tmp_path):
    """A string command is split without a shell; env is added and cwd is used."""
    code = "import os; print(os.environ['JOB_DAY'], os.environ['PATH'] != '', os.getcwd())"
    command = f'{PYTHON} -c "{code}"'
    handle = backend.launch(
        request(command=command, env={"JOB_DAY": "2026-11-22"}, cwd=str(tmp_path))
    )
    status = wait_done(backend, handle)
    assert status.output["stdout"] == f"2026-11-22 True {tmp_path}\n"


def test_shell_syntax_is_not_interpreted(backend):
    """Shell operators are plain arguments: there is no shell."""
    handle = backend.launch(
        request(command=[*python("import sys; print(sys.argv[1:])"), "a;b", "$HOME"])
    )
    assert wait_done(backend, handle).output["stdout"] == "['a;b', '$HOME']\n"


def test_output_keeps_only_the_tail(tmp_path):
    """Only the last tail_bytes of each stream are reported."""
    backend = CommandBackend(tmp_path / "state", tail_bytes=10)
    handle = backend.launch(request(command=python("print('x' * 100 + 'END')")))
    assert wait_done(backend, handle).output["stdout"] == "xxxxxxEND\n"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param({}, "job.config.command: must be", id="no-command"),
        pytest.param({"command": []}, "job.config.command: is empty", id="empty-command"),
        pytest.param(
            {"command": ["true"], "timeout": "soon"}, "job.config.timeout", id="bad-timeout"
        ),
        pytest.param({"command": ["true"], "timeout": 0}, "must be positive", id="zero-timeout"),
        pytest.param({"command": ["true"], "env": ["A=1"]}, "job.config.env", id="env-list"),
        pytest.param({"command": ["true"], "cwd": "/no/such/dir"}, "job.config.cwd", id="bad-cwd"),
    ],
)
def test_invalid_config_is_a_permanent_error(backend, config, message):
    """Config mistakes fail the launch with the offending key named."""
    with pytest.raises(JobPermanentError, match=message):
        backend.launch(request(**config))


def test_repr_shows_the_state_dir(tmp_path):
    """The repr names the state directory, which is what tells two backends apart."""
    assert str(tmp_path) in repr(CommandBackend(tmp_path))


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Umask 0 for the test, so only the modes Interlock asks for protect the files."""
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_job_directories_are_private_whatever_the_umask(tmp_path):
    """The state dir and attempt dir are 0700; every file in it is 0600, the job's output too."""
    backend = CommandBackend(tmp_path / "state")
    handle = backend.launch(request(command=python("print('out')")))
    assert wait_done(backend, handle).state == "succeeded"
    directory = Path(handle.data["dir"])
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in directory.iterdir()}
    files = ("launch.json", "pid.json", "lock", "stdout", "stderr", "exit.json")
    assert modes == dict.fromkeys(files, 0o600)


def test_launch_record_masks_secrets_and_the_job_gets_them(backend):
    """launch.json shows ``***`` for each secret in the argv; the job receives the real value."""
    job = JobRequest(
        pipeline_id="etl",
        partition="2026-11-22",
        attempt=1,
        attempt_id="etl/2026-11-22/1",
        config={"command": [*python("import sys; print(sys.argv[1])"), "--key=k3y-value"]},
        secrets=frozenset({"k3y-value"}),
    )
    handle = backend.launch(job)
    assert wait_done(backend, handle).output["stdout"] == "--key=k3y-value\n"
    record = json.loads((Path(handle.data["dir"]) / "launch.json").read_text())
    assert record["argv"][-1] == "--key=***"


def test_a_program_that_cannot_be_executed_is_not_named_in_the_exit_record(backend, tmp_path):
    """The runner's exit record gives the OS reason, not the program path (it may hold a secret)."""
    program = tmp_path / "s3cret-tool"
    program.write_text("#!/no/such/interpreter\n", encoding="utf-8")
    program.chmod(0o700)
    handle = backend.launch(request(command=[str(program)]))
    status = wait_done(backend, handle)
    assert (status.state, status.category) == ("failed", "PERMANENT")
    assert status.message.startswith("cannot execute: ")
    assert "s3cret" not in (Path(handle.data["dir"]) / "exit.json").read_text()
