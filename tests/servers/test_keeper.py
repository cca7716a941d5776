"""Nothing a harness process starts outlives it: stop, a SIGTERM-deaf process, kill -9.

The servers' own children leave the process group (Prefect's flow runs start new sessions,
Airflow's tasks new groups) and some daemonize; these tests build such a tree from plain
Python processes, so they run in a second without any server installed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import harness
import pytest

# A process tree like the servers': a child in our group, one in a new session, and a
# daemonized (double-forked, setsid) grandchild whose parent is gone. All pids go to argv[1].
TREE = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    deaf = sys.argv[2] == "deaf"
    sleeper = [sys.executable, "-c",
               "import signal, sys, time\\n"
               "if sys.argv[1] == 'deaf': signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n"
               "time.sleep(300)", sys.argv[2]]
    if deaf:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    same = subprocess.Popen(sleeper)
    escaped = subprocess.Popen(sleeper, start_new_session=True)
    read, write = os.pipe()
    if os.fork() == 0:
        if os.fork() == 0:
            os.setsid()
            os.write(write, str(os.getpid()).encode())
            os.execv(sys.executable, sleeper)
        os._exit(0)
    os.close(write)
    orphan = int(os.read(read, 32))
    pids = [os.getpid(), same.pid, escaped.pid, orphan]
    with open(sys.argv[1] + ".tmp", "w") as out:
        out.write(" ".join(map(str, pids)))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    time.sleep(300)
    """
)


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition()`` until true or ``timeout``; the final value."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return bool(condition())
        time.sleep(0.05)
    return True


def tree_pids(pidfile: Path) -> list[int]:
    """The tree's pids, once it has written them."""
    assert wait_for(pidfile.exists, 20), "the process tree did not start"
    return [int(pid) for pid in pidfile.read_text(encoding="utf-8").split()]


@pytest.mark.parametrize("mode", ["plain", "deaf"])
def test_stop_ends_the_whole_tree(tmp_path: Path, mode: str) -> None:
    """SIGTERM to the group; what ignores it or left the group is still gone after grace."""
    processes = harness._Processes(tmp_path)
    pidfile = tmp_path / "tree.pids"
    processes.start(
        "tree",
        [sys.executable, "-c", TREE, str(pidfile), mode],
        env=dict(os.environ),
        cwd=tmp_path,
        grace=0.5,
    )
    pids = tree_pids(pidfile)
    assert all(alive(pid) for pid in pids)
    started = time.monotonic()
    processes.stop()
    assert time.monotonic() - started < 5
    assert not [pid for pid in pids if alive(pid)]
    log = (tmp_path / "logs" / "tree.log").read_text(encoding="utf-8")
    assert "stopping (SIGTERM)" in log
    if mode == "deaf":
        assert "SIGKILL" in log


def test_a_killed_test_process_takes_the_tree_with_it(tmp_path: Path) -> None:
    """A kill -9 of the process that started the tree: the keeper sees its lifeline close."""
    pidfile = tmp_path / "tree.pids"
    parent_script = textwrap.dedent(
        f"""
        import os, sys, time
        from pathlib import Path
        sys.path.insert(0, {str(Path(harness.__file__).parent)!r})
        import harness
        processes = harness._Processes(Path({str(tmp_path)!r}))
        processes.start("tree", [sys.executable, "-c", {TREE!r}, {str(pidfile)!r}, "plain"],
                        env=dict(os.environ), cwd=Path({str(tmp_path)!r}), grace=2)
        time.sleep(300)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_script])
    try:
        pids = tree_pids(pidfile)
        assert all(alive(pid) for pid in pids)
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    assert wait_for(lambda: not any(alive(pid) for pid in pids), 10), [
        pid for pid in pids if alive(pid)
    ]
    assert "stopping (lifeline closed)" in (tmp_path / "logs" / "tree.log").read_text(
        encoding="utf-8"
    )


def test_a_component_that_dies_while_starting_fails_at_once_with_its_log(
    tmp_path: Path,
) -> None:
    """No waiting out the deadline for a server that is already gone; the error shows why."""
    processes = harness._Processes(tmp_path)
    processes.start(
        "broken",
        [sys.executable, "-c", "print('cannot bind'); raise SystemExit(3)"],
        env=dict(os.environ),
        cwd=tmp_path,
    )
    started = time.monotonic()
    with pytest.raises(harness.ServerStartError) as raised:
        processes.wait_until("broken server", lambda: "not yet", timeout=60)
    assert time.monotonic() - started < 10
    assert "broken exited with 3" in str(raised.value)
    assert "cannot bind" in str(raised.value)
    processes.stop()


def test_a_missing_install_is_an_error_naming_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the cached virtualenv the harness refuses loudly, saying how to install."""
    monkeypatch.setenv("INTERLOCK_SERVERS_CACHE", str(tmp_path))
    with pytest.raises(harness.ServerSetupError, match="scripts/servers/install"):
        harness.require_venv("airflow")
    assert harness.venv_dir("prefect").parent == tmp_path
    assert harness.venv_dir("prefect").name.startswith(f"prefect-{sys.implementation.cache_tag}-")
