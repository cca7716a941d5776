"""The wrapper process of the command backend: ``python -I .../_runner.py DIR``.

A command job must outlive the controller that launched it, and its result must not depend on
the controller being alive to ``wait()`` for it. So the controller never becomes the job's
parent. It starts this module, which reads the job spec (JSON) from stdin and forks a
*supervisor* in a new session, prints the supervisor's pid and exits at once. The supervisor
is then nobody's child but init's; it starts the job, enforces the timeout, and writes the
exit record when the job ends. Files in ``DIR``::

    lock        exists once the supervisor was started; flock()ed by it for its whole life:
                held = the job is being run, free without exit.json = the supervisor died
    pid.json    {"pid": the supervisor's pid}, written by the runner right after the fork
    stdout      the job's standard output
    stderr      the job's standard error
    exit.json   {"code": int|null, "timedOut": bool, "timeout": float|null, "error": str|null,
                 "finishedAt": float (Unix time the job ended)}

Once the exit record is written the supervisor sends the attempt id (``attemptId`` in the
spec) as one datagram to :func:`exit_socket_address` of the jobs folder, where a serving
controller listens (:mod:`interlock.jobs._exits`), so the end is noticed at once rather than
at the next poll. Nobody listening is not an error: the poll still finds the exit record.

The lock file is created already locked (:func:`claim_start`) and *before* the fork, so it is
held continuously from the moment it exists: "no lock file" means the job was never started,
"lock free and no exit record" means its supervisor died. Creating it is atomic, so two
runners racing for one attempt start one job. The job's environment and its real argv
travel on stdin, never on disk, because they often carry credentials, and every file here
is created ``0600`` (:func:`write_private`), so the job's output is its owner's alone.
POSIX only (fork, setsid, flock, process groups). Standard library only, so that it can run
as a plain file in isolated mode, without importing Interlock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = [
    "ALREADY_STARTED",
    "EXIT_FILE",
    "LOCK_FILE",
    "PID_FILE",
    "STDERR_FILE",
    "STDOUT_FILE",
    "claim_start",
    "exit_socket_address",
    "main",
    "open_private",
    "write_json",
    "write_private",
]

ALREADY_STARTED = 3
"""The runner's exit code when another runner already started this attempt."""
LOCK_FILE = "lock"
PID_FILE = "pid.json"
STDOUT_FILE = "stdout"
STDERR_FILE = "stderr"
EXIT_FILE = "exit.json"
EXIT_SOCKET = "exits.sock"
_SUN_PATH_MAX = 100
"""Unix socket paths longer than this (the limit is 104-108 bytes) use a Linux abstract name."""
KILL_GRACE_SECONDS = 5.0
"""After a timeout the job's process group gets SIGTERM, then SIGKILL this much later."""


def open_private(path: Path, flags: int) -> int:
    """``os.open`` creating ``path`` readable and writable by its owner only (``0600``)."""
    fd = os.open(path, flags | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)  # also for a file left by an older version, whatever the umask
    return fd


def write_private(path: Path, text: str) -> None:
    """Replace ``path``'s content with ``text``, the file private to its owner."""
    with os.fdopen(open_private(path, os.O_WRONLY | os.O_TRUNC), "w", encoding="utf-8") as out:
        out.write(text)


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically (a reader sees the old file or the whole new one)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_private(temporary, json.dumps(data))
    temporary.replace(path)


def exit_socket_address(jobs_dir: Path) -> str:
    """Where a controller hears of job exits: ``exits.sock`` in the jobs folder.

    A path too long for a Unix socket becomes an abstract name derived from it on Linux
    (the folder is what both sides know); elsewhere it stays the path, and binding it fails,
    which only costs the early notice.
    """
    path = str(jobs_dir.resolve() / EXIT_SOCKET)
    if len(os.fsencode(path)) <= _SUN_PATH_MAX or not sys.platform.startswith("linux"):
        return path
    return "\0interlock-exits-" + hashlib.sha256(os.fsencode(path)).hexdigest()[:24]


def _record_exit(directory: Path, spec: dict[str, Any], record: dict[str, Any]) -> None:
    """Write the exit record, then tell a listening controller (best effort, never blocks)."""
    write_json(directory / EXIT_FILE, {**record, "finishedAt": time.time()})
    attempt_id = spec.get("attemptId")
    if not isinstance(attempt_id, str) or not attempt_id:
        return
    with (
        contextlib.suppress(OSError),
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender,
    ):
        sender.setblocking(False)  # noqa: FBT003 - the socket API's own signature
        sender.sendto(attempt_id.encode(), exit_socket_address(directory.parent))


def main(argv: list[str]) -> int:
    """Claim the start of the job in ``argv[0]``, fork its supervisor, print its pid.

    Exits :data:`ALREADY_STARTED` (printing nothing) when another runner already claimed
    this attempt's start: the job is never started twice.
    """
    directory = Path(argv[0])
    spec = json.loads(sys.stdin.read())
    lock_fd = claim_start(directory)
    if lock_fd is None:
        return ALREADY_STARTED
    pid = os.fork()
    if pid:
        write_json(directory / PID_FILE, {"pid": pid})
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()
        return 0
    _detach()
    code = 0
    try:
        _supervise(directory, spec)
    except BaseException as exc:  # noqa: BLE001 - the exit record must be written whatever happens
        _record_exit(directory, spec, {"code": None, "timedOut": False, "error": repr(exc)})
        code = 1
    os._exit(code)


def claim_start(directory: Path) -> int | None:
    """Create ``lock`` already ``flock``-ed, atomically; None if it exists (already started).

    The lock file is made under a private name, locked, then ``link()``-ed into place, so a
    ``lock`` file is never seen unlocked until its holder is gone. Its existence is the
    record "this attempt's supervisor was started"; the returned descriptor is inherited by
    the supervisor, which holds it for its whole life.
    """
    private = directory / f".{LOCK_FILE}.{os.getpid()}.tmp"
    fd = os.open(private, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.link(private, directory / LOCK_FILE)
    except FileExistsError:
        os.close(fd)
        return None
    finally:
        private.unlink()
    return fd


def _detach() -> None:
    """Leave the launcher's session and let go of its stdio pipes."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def _supervise(directory: Path, spec: dict[str, Any]) -> None:
    """Run the job to its end (or its timeout) and write the exit record."""
    env = {**os.environ, **spec.get("env", {})}
    append = os.O_WRONLY | os.O_APPEND
    with (
        os.fdopen(open_private(directory / STDOUT_FILE, append), "ab") as stdout,
        os.fdopen(open_private(directory / STDERR_FILE, append), "ab") as stderr,
    ):
        try:
            process = subprocess.Popen(  # noqa: S603 - argv from the pipeline config, never a shell
                spec["argv"],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                cwd=spec.get("cwd"),
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            # strerror only: str(exc) names the program, which may hold a secret
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            record = {"code": code, "timedOut": False, "error": f"cannot execute: {exc.strerror}"}
            _record_exit(directory, spec, record)
            return
        timed_out = _wait(process, spec.get("timeout"))
    record = {
        "code": process.returncode,
        "timedOut": timed_out,
        "timeout": spec.get("timeout"),
        "error": None,
    }
    _record_exit(directory, spec, record)


def _wait(process: subprocess.Popen[bytes], timeout: float | None) -> bool:
    """Wait for the job; on timeout stop its whole process group. True if it timed out."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=KILL_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        return True
    return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
