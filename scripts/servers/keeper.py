"""Keeper: run one server process and make sure it and everything it starts dies with the test run.

Usage: ``python keeper.py PIDFILE GRACE_SECONDS -- ARGV...``, started by ``harness.py`` in a new
session (so the keeper's pid is also its process group id) with its standard input connected
to a pipe whose only writer is the test process: the *lifeline*.

Why a separate process: the servers under test spawn their own children, and some of those
leave the process group on purpose (Prefect starts its API server and every flow run with
``start_new_session``; Airflow's task supervisor moves each task into its own group). Killing
the recorded process groups alone would leak them, and a ``kill -9`` of pytest runs no
cleanup code at all. The keeper closes both holes:

* it marks itself a *child subreaper* (``PR_SET_CHILD_SUBREAPER``), so any descendant
  orphaned on the way is re-parented to the keeper instead of to init, and the keeper's
  process tree (read from ``/proc``) is always the complete set of processes to kill;
* it stops when the lifeline reaches end-of-file, which happens when the test process closes
  it *or dies in any way*, including SIGKILL; it also stops on SIGTERM/SIGINT (the harness's
  normal stop: SIGTERM to the recorded process group) and when its child exits;
* stopping sends SIGTERM to every descendant, waits up to GRACE_SECONDS for them to exit,
  then SIGKILLs whatever is left, reaping as it goes;
* its direct child has ``PR_SET_PDEATHSIG=SIGKILL``, so even a SIGKILLed keeper takes the
  server's main process with it.

The keeper writes its child's pid to PIDFILE, logs one line per event to its standard error
(the component's log file), and exits with the child's exit status when the child ended on
its own, or 0 when it was told to stop. Standard library only: it runs on the test
interpreter, not in the server's virtualenv.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
_LIBC = ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> None:
    """Call prctl(2), raising OSError on failure (Linux only, which is all we run on)."""
    if _LIBC.prctl(option, value, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def _log(message: str) -> None:
    sys.stderr.write(f"keeper[{os.getpid()}]: {message}\n")
    sys.stderr.flush()


def _process_table() -> dict[int, tuple[int, str]]:
    """Every live process: pid -> (parent pid, state letter), read from /proc."""
    table: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:  # it exited while we looked
            continue
        # The command name is in parentheses and may itself contain spaces or parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), fields[0])
    return table


def descendants(root: int) -> list[int]:
    """Live (non-zombie) descendants of ``root``, parents before children."""
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _state) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: list[int] = []
    frontier = [root]
    while frontier:
        pid = frontier.pop()
        for child in children.get(pid, []):
            found.append(child)
            frontier.append(child)
    return [pid for pid in found if table[pid][1] != "Z"]


def _reap(child: int, status: dict[str, int]) -> None:
    """Collect every exited child (ours and adopted orphans); remember our child's status."""
    while True:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid == child:
            status["code"] = os.waitstatus_to_exitcode(wait_status)


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def terminate_tree(child: int, grace: float, status: dict[str, int]) -> None:
    """SIGTERM every descendant, wait up to ``grace`` seconds, then SIGKILL the rest."""
    me = os.getpid()
    _signal_all(descendants(me), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(child, status)
        if not descendants(me):
            return
        time.sleep(0.05)
    left = descendants(me)
    _log(f"still running after {grace:g}s, SIGKILL: {left}")
    for _ in range(100):  # a process may fork while we kill; bounded so we always exit
        _signal_all(left, signal.SIGKILL)
        time.sleep(0.02)
        _reap(child, status)
        left = descendants(me)
        if not left:
            return
    _log(f"could not kill: {left}")


def _spawn(argv: list[str]) -> int:
    """Fork and exec ``argv`` with stdin on /dev/null and death-signal SIGKILL."""
    keeper = os.getpid()
    pid = os.fork()
    if pid == 0:  # child: only async-signal-safe-ish work, then exec
        try:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != keeper:  # the keeper died before prctl took effect
                os._exit(137)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.close(devnull)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.execvp(argv[0], argv)  # noqa: S606 - the harness's own server command
        except BaseException as exc:  # noqa: BLE001 - report anything, then exit the fork
            os.write(2, f"keeper: cannot start {argv[0]}: {exc}\n".encode())
        os._exit(127)
    return pid


def main(args: list[str]) -> int:
    """Run ``ARGV`` under the keeper; see the module docstring."""
    if len(args) < 4 or args[2] != "--":
        sys.stderr.write("usage: keeper.py PIDFILE GRACE_SECONDS -- ARGV...\n")
        return 2
    pidfile, grace, argv = Path(args[0]), float(args[1]), args[3:]
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    stop = threading.Event()
    reason: list[str] = []

    def on_signal(signum: int, _frame: object) -> None:
        reason.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    child = _spawn(argv)
    pidfile.write_text(f"{child}\n", encoding="utf-8")
    _log(f"started pid {child}: {' '.join(argv)}")

    def watch_lifeline() -> None:
        # The harness never writes; EOF means it closed the pipe or is gone. A raw read on
        # fd 0: a buffered stdin would be locked by this thread at interpreter shutdown.
        while os.read(0, 4096):
            pass
        reason.append("lifeline closed")
        stop.set()

    threading.Thread(target=watch_lifeline, daemon=True).start()
    status: dict[str, int] = {}
    while not stop.is_set():
        _reap(child, status)
        if "code" in status:
            reason.append(f"child exited with {status['code']}")
            break
        stop.wait(0.2)
    _log(f"stopping ({reason[0] if reason else 'unknown'})")
    started = time.monotonic()
    terminate_tree(child, grace, status)
    _reap(child, status)
    _log(f"stopped in {time.monotonic() - started:.1f}s")
    told_to_stop = bool(reason) and not reason[0].startswith("child exited")
    return 0 if told_to_stop else status.get("code", 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
