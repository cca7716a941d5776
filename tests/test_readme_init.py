"""``interlock init``, the README's first step: a portable project whose hints run as printed.

The project is meant to be committed and run on another machine, so nothing in it may name
this machine's paths (the jobs call ``python3`` from PATH). What ``init`` prints next is run
literally, in one shell, as a new user would paste it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent
INTERLOCK = str(BIN / "interlock")
TIMELINE = "timelines/orders-day.jsonl"
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/[\w.-]+/")  # /usr/..., /home/..., /work/...


def shell_env() -> dict[str, str]:
    """A shell with ``interlock`` on PATH (as after ``source .venv/bin/activate``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "INTERLOCK_"))}
    env["PATH"] = os.pathsep.join([str(BIN), env["PATH"]])
    return env


def init(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``interlock init`` as a user would."""
    return subprocess.run(
        [INTERLOCK, "init", *args],
        cwd=cwd,
        env=shell_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_project_names_no_path_of_this_machine(tmp_path: Path) -> None:
    """No absolute path in any file, and each job's command runs from PATH alone."""
    assert init(tmp_path, "proj").returncode == 0
    files = sorted(p for p in (tmp_path / "proj").rglob("*") if p.is_file())
    assert [p.relative_to(tmp_path / "proj").as_posix() for p in files] == [
        "pipelines/flaky-export.yaml",
        "pipelines/late-feed.yaml",
        "pipelines/orders-daily.yaml",
        "pipelines/revenue-rollup.yaml",
        "pipelines/slow-report.yaml",
        "timelines/orders-day.jsonl",
    ]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert ABSOLUTE_PATH.search(text) is None, (path.name, ABSOLUTE_PATH.search(text))
        assert sys.executable not in text
    spec = yaml.safe_load((tmp_path / "proj" / "pipelines" / "orders-daily.yaml").read_text())
    argv = spec["job"]["config"]["command"]
    assert argv[0] == "python3"
    assert subprocess.run(argv, env=shell_env(), check=False, timeout=60).returncode == 0


def test_the_timeline_replays_one_launch_and_one_blocked_day(tmp_path: Path) -> None:
    """The shipped timeline is valid input for ``simulate`` and shows both outcomes."""
    assert init(tmp_path, "proj").returncode == 0
    result = subprocess.run(
        [INTERLOCK, "simulate", "pipelines/orders-daily.yaml", "--readings", TIMELINE, "--json"],
        cwd=tmp_path / "proj",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    events = [(e["partition"], e["type"]) for e in map(json.loads, result.stdout.splitlines())]
    assert ("2026-11-22", "JOB_COMPLETED") in events
    assert ("2026-11-23", "VALIDATION_EXHAUSTED") in events
    assert ("2026-11-23", "JOB_TRIGGERED") not in events


def test_an_existing_project_is_refused_with_one_line(tmp_path: Path) -> None:
    """A second ``init`` overwrites nothing: one ``error:`` line and exit 2."""
    assert init(tmp_path, "proj").returncode == 0
    mine = tmp_path / "proj" / "pipelines" / "orders-daily.yaml"
    mine.write_text("# my edits\n", encoding="utf-8")

    again = init(tmp_path, "proj")

    assert again.returncode == 2
    assert again.stderr.splitlines() == [
        "error: proj/pipelines already exists; choose a new or empty directory"
    ]
    assert mine.read_text(encoding="utf-8") == "# my edits\n"


def test_the_printed_next_steps_run_as_printed(tmp_path: Path) -> None:
    """Every ``next:`` line, pasted into one shell in order, ends with a job that succeeded."""
    made = init(tmp_path, "my project")
    assert made.returncode == 0, made.stderr
    steps = [line.removeprefix("next: ") for line in made.stdout.splitlines()]
    steps = [s for s, line in zip(steps, made.stdout.splitlines(), strict=True) if s != line]
    assert steps[0].startswith("cd 'my project' && ")
    shell = subprocess.Popen(
        ["bash", "-e", "-c", "\n".join([*steps, "kill %1"])],
        cwd=tmp_path,
        env=shell_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the background controller is in its process group
    )
    try:
        out, err = shell.communicate(timeout=180)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGTERM)
        shell.wait()
    assert shell.returncode == 0, (out[-2000:], err[-2000:])
    assert "succeeded" in out
    assert "VALIDATION_EXHAUSTED" in out
