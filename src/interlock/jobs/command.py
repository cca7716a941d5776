"""The ``command`` job backend: run a local program, without a shell, and survive our own crash.

The Go version runs the command synchronously inside the orchestrator and treats a non-zero exit
as an error (docs/go-compatibility.md). Here the controller must never block on a job, and a
controller restart must neither lose a running job nor start it twice. So:

- ``launch`` starts :mod:`interlock.jobs._runner`, which detaches a supervisor that runs the
  command and writes its exit code to a file. ``launch`` returns at once; ``status`` reads
  the files. Nothing about a running job lives in controller memory.
- Each attempt owns ``state_dir/<safe attempt id>/``. ``launch.json`` records what was asked
  for. The idempotency claim is the runner's ``lock`` file, created already locked with an
  atomic ``link()`` (:func:`~interlock.jobs._runner.claim_start`): whoever creates it starts
  the job, and every later ``launch`` or ``find`` of that attempt gets the same handle back.
  So a crash between the two steps is told apart: a launch record without a ``lock`` was
  claimed but never started (``find`` says None and the job is started then, once), a
  ``lock`` that nobody holds without an exit record is a job that started and was lost.
- Failures are classified: timeout → ``TIMEOUT``; exit 126/127 or an executable that cannot
  be found → ``PERMANENT`` (a config problem, retrying cannot help); any other non-zero exit
  or a lost supervisor → ``TRANSIENT``.

- A string ``command`` is split with :func:`shlex.split` *before* its templates are
  expanded (:meth:`CommandBackend.prepare`), then each argument is expanded on its own: a
  partition value holding spaces or quotes stays one argument, never extra flags.
- Job directories are ``0700`` and their files ``0600``; ``launch.json`` records the argv
  with every ``${env:...}`` value masked (``***``); the real argv and the env reach the runner
  on stdin only.

POSIX only, like the runner. Config keys: ``command`` (argv list, or a string split as above),
``env`` (added to the controller's environment), ``cwd``, ``timeout`` (``10m`` or seconds).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field

from interlock.errors import JobPermanentError, JobTemporaryError
from interlock.jobs import _runner
from interlock.jobs._runner import (
    ALREADY_STARTED,
    EXIT_FILE,
    LOCK_FILE,
    PID_FILE,
    STDERR_FILE,
    STDOUT_FILE,
    write_json,
    write_private,
)
from interlock.jobs.base import (
    BackendSettings,
    JobBackend,
    JobHandle,
    JobLogs,
    JobRequest,
    JobStatus,
    config_seconds,
)
from interlock.jobs.schema import Duration, JobConfig

__all__ = ["CommandBackend", "CommandConfig"]

LAUNCH_FILE = "launch.json"
_LAUNCHER_TIMEOUT = 30.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]+")


def _command_line(command: list[str] | str) -> list[str] | str:
    """A non-empty argv, or a command line :func:`shlex.split` can split (as at launch)."""
    if isinstance(command, str):
        try:
            parts = shlex.split(command)
        except ValueError as exc:
            message = f"{exc} in {command!r}"
            raise ValueError(message) from exc
    else:
        parts = command
    if not parts:
        message = "is empty"
        raise ValueError(message)
    return command


class CommandConfig(JobConfig):
    """``job.config`` of a ``command`` job; ``interlock validate`` checks it against this."""

    command: Annotated[list[str] | str, AfterValidator(_command_line)] = Field(
        description='an argv list such as ["python3", "etl.py", "${date}"] or a command line'
    )
    env: dict[str, str] | None = Field(
        None, description="a mapping of variable names to (quoted) string values"
    )
    cwd: str | None = Field(None, description="the directory to run in, as a string")
    timeout: Duration | None = Field(None, description="a duration such as 10m, or seconds")


class CommandBackend(JobBackend):
    """Runs ``job.config.command`` as a detached local process; see the module docstring."""

    type = "command"

    def __init__(self, state_dir: Path, *, tail_bytes: int = 4096) -> None:
        self.state_dir = Path(state_dir)
        self.tail_bytes = tail_bytes

    @classmethod
    def from_settings(cls, settings: BackendSettings) -> Self:
        """Keep each attempt's files under ``<state dir>/jobs``.

        :raises JobPermanentError: the settings name no state directory.
        """
        if settings.state_dir is None:
            message = "job.type command: needs a state directory to keep its jobs in"
            raise JobPermanentError(message)
        return cls(settings.state_dir / "jobs")

    def __repr__(self) -> str:
        return f"CommandBackend(state_dir={str(self.state_dir)!r})"

    def launch(self, request: JobRequest) -> JobHandle:
        """Start the command unless this attempt's supervisor was already started."""
        directory = self._directory(request.attempt_id)
        if not _started(directory):
            spec = _job_spec(request.config)
            self._make_private(directory)
            _claim(directory, _launch_record(request, spec))  # kept if a crash left one
            pid = _start(directory, spec)
            if pid is not None:
                return self._handle(request.attempt_id, directory, pid)
        return self._recorded(request.attempt_id, directory)

    def prepare(self, config: Mapping[str, Any]) -> Mapping[str, Any]:
        """Split a string ``command`` into arguments, so that templates fill each one alone.

        :raises JobPermanentError: the string cannot be split (an unclosed quote).
        """
        command = config.get("command")
        return {**config, "command": _split(command)} if isinstance(command, str) else config

    def find(self, request: JobRequest) -> JobHandle | None:
        """The attempt's handle if its supervisor was ever started, else None.

        A launch record without a started supervisor ("claimed, never started": the
        controller died between the two) is None too, so the controller launches it now,
        under the same attempt id; the runner's atomic start claim keeps that to one job.
        """
        directory = self._directory(request.attempt_id)
        if not _started(directory):
            return None
        return self._recorded(request.attempt_id, directory)

    def status(self, handle: JobHandle, request: JobRequest) -> JobStatus:  # noqa: ARG002 - the attempt dir has it all
        """Map the exit record (or the supervisor's liveness) to a job status."""
        directory = Path(str(handle.data["dir"]))
        output = self._output(directory)
        record = _read_json(directory / EXIT_FILE)
        if record is None and _supervisor_alive(directory):
            return JobStatus(state="running", output=output)
        record = record or _read_json(directory / EXIT_FILE)
        if record is not None:
            return _finished(record, output)
        return JobStatus(
            state="failed",
            category="TRANSIENT",
            message="job process lost (its supervisor ended without an exit record)",
            output=output,
        )

    def logs(self, handle: JobHandle) -> JobLogs:
        """The attempt's whole ``stdout`` and ``stderr`` files, from this backend's state dir.

        Looked up by attempt id under :attr:`state_dir`, not by the stored handle's path:
        that path is as the controller saw it, perhaps relative to another working directory.

        :raises JobPermanentError: no files for the attempt here (another state directory?).
        """
        directory = self._directory(handle.attempt_id)
        if not (directory / LAUNCH_FILE).exists():
            msg = (
                f"no job files for {handle.attempt_id} under {self.state_dir} "
                "(is it the state directory the controller uses? see --state-dir)"
            )
            raise JobPermanentError(msg)
        return JobLogs(
            stdout=_read_text(directory / STDOUT_FILE),
            stderr=_read_text(directory / STDERR_FILE),
            where=str(directory),
        )

    def _directory(self, attempt_id: str) -> Path:
        return self.state_dir / safe_name(attempt_id)

    def _make_private(self, directory: Path) -> None:
        """Create the attempt directory (and the state dir, if missing) as ``0700``."""
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.mkdir(mode=0o700, exist_ok=True)
        directory.chmod(0o700)  # also when a failed launch left it behind, whatever the umask

    def _recorded(self, attempt_id: str, directory: Path) -> JobHandle:
        """The handle of a started attempt (the pid is informational and may be missing)."""
        record = _read_json(directory / PID_FILE) or {}
        pid = record.get("pid")
        return self._handle(attempt_id, directory, pid if isinstance(pid, int) else None)

    def _handle(self, attempt_id: str, directory: Path, pid: int | None) -> JobHandle:
        return JobHandle(
            backend=self.type, attempt_id=attempt_id, data={"pid": pid, "dir": str(directory)}
        )

    def _output(self, directory: Path) -> dict[str, str]:
        return {
            "stdout": _tail(directory / STDOUT_FILE, self.tail_bytes),
            "stderr": _tail(directory / STDERR_FILE, self.tail_bytes),
        }


def safe_name(attempt_id: str) -> str:
    """A file name for an attempt id: readable, and unique thanks to a hash suffix."""
    readable = _UNSAFE.sub("_", attempt_id).strip("._")[:80]
    digest = hashlib.sha256(attempt_id.encode()).hexdigest()[:12]
    return f"{readable}-{digest}"


def _job_spec(config: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the config into the runner's spec, checking the executable exists."""
    argv = _argv(config.get("command"))
    env = config.get("env") or {}
    if not isinstance(env, Mapping):
        raise JobPermanentError("job.config.env: must be a mapping of names to values")
    env = {str(key): str(value) for key, value in env.items()}
    cwd = config.get("cwd")
    if cwd is not None and not Path(str(cwd)).is_dir():
        raise JobPermanentError(f"job.config.cwd: {cwd!r} is not a directory")
    _require_executable(argv[0], env.get("PATH", os.environ.get("PATH", "")), cwd)
    return {"argv": argv, "env": env, "cwd": cwd, "timeout": _timeout(config.get("timeout"))}


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError as exc:
        raise JobPermanentError(f"job.config.command: {exc} in {command!r}") from exc


def _argv(command: Any) -> list[str]:
    if isinstance(command, str):  # a config not reshaped by prepare(): a literal command line
        argv = _split(command)
    elif isinstance(command, list | tuple):
        argv = [str(part) for part in command]
    else:
        raise JobPermanentError("job.config.command: must be an argv list or a string")
    if not argv or not argv[0]:
        raise JobPermanentError("job.config.command: is empty")
    return argv


def _timeout(value: Any) -> float | None:
    return None if value is None else config_seconds(value, "job.config.timeout")


def _require_executable(program: str, path: str, cwd: Any) -> None:
    if os.sep in program:
        candidate = Path(str(cwd or "."), program)
        found = candidate.is_file() and os.access(candidate, os.X_OK)
    else:
        found = shutil.which(program, path=path) is not None
    if not found:
        raise JobPermanentError(f"job.config.command: executable {program!r} not found")


def _launch_record(request: JobRequest, spec: Mapping[str, Any]) -> dict[str, Any]:
    """What ``launch.json`` holds: enough to explain the job; never the env, secrets masked."""
    return {
        "attemptId": request.attempt_id,
        "pipeline": request.pipeline_id,
        "partition": request.partition,
        "argv": request.redact(spec["argv"]),
        "cwd": request.redact(spec["cwd"]),
        "timeout": spec["timeout"],
        "launchedAt": time.time(),
    }


def _claim(directory: Path, record: Mapping[str, Any]) -> bool:
    """Create ``launch.json`` atomically; False if another launch created it first."""
    temporary = directory / f".{LAUNCH_FILE}.{uuid.uuid4().hex}.tmp"
    write_private(temporary, json.dumps(record))
    try:
        os.link(temporary, directory / LAUNCH_FILE)
    except FileExistsError:
        return False
    finally:
        temporary.unlink()
    return True


def _start(directory: Path, spec: Mapping[str, Any]) -> int | None:
    """Run the launcher; the supervisor's pid, or None if this attempt was already started.

    A failure is recorded as the attempt's exit, then raised.
    """
    try:
        # The runner needs only the standard library, so it runs as a file in isolated mode
        # (-I: no PYTHON* variables, no user site, no script directory on sys.path): it
        # starts in milliseconds and cannot be broken by the job's or the user's environment.
        result = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-I", _runner.__file__, str(directory)],
            input=json.dumps(spec).encode(),
            capture_output=True,
            timeout=_LAUNCHER_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise _launch_failed(directory, repr(exc)) from exc
    if result.returncode == ALREADY_STARTED:
        return None
    pid = result.stdout.decode(errors="replace").strip()
    if result.returncode != 0 or not pid.isdigit():
        stderr = result.stderr.decode(errors="replace").strip()[-500:]
        raise _launch_failed(directory, f"runner exited {result.returncode}: {stderr}")
    return int(pid)


def _launch_failed(directory: Path, detail: str) -> JobTemporaryError:
    """Record a failed start as the attempt's exit, so ``status`` reports it too."""
    message = f"could not start the job runner: {detail}"
    write_json(directory / EXIT_FILE, {"code": None, "timedOut": False, "error": message})
    return JobTemporaryError(message)


def _started(directory: Path) -> bool:
    """True once the attempt's supervisor was started (or its start failed on record)."""
    return (directory / LOCK_FILE).exists() or (directory / EXIT_FILE).exists()


def _supervisor_alive(directory: Path) -> bool:
    """True while the supervisor holds the attempt's lock (robust to pid reuse and zombies)."""
    try:
        fd = os.open(directory / LOCK_FILE, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        raise
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _finished(record: Mapping[str, Any], output: Mapping[str, str]) -> JobStatus:
    code = record.get("code")
    error = record.get("error")
    if record.get("timedOut"):
        message = f"timed out after {record.get('timeout')}s; the process group was stopped"
        return JobStatus(state="failed", category="TIMEOUT", message=message, output=output)
    if code == 0:
        return JobStatus(state="succeeded", message="exit code 0", output=output)
    message = str(error) if error else f"exit code {code}"
    category = "PERMANENT" if code in (126, 127) else "TRANSIENT"
    return JobStatus(state="failed", category=category, message=message, output=output)


def _tail(path: Path, size: int) -> str:
    try:
        with path.open("rb") as stream:
            stream.seek(0, os.SEEK_END)
            stream.seek(max(0, stream.tell() - size))
            return stream.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _read_json(path: Path) -> dict[str, Any] | None:
    with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    return None
