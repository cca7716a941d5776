"""The README's "Using it" story, run as written in a fresh copy of the repository.

The section's bash block is the whole tour a new user follows: init, validate, apply, a
controller in the background, readings, explain, a job that runs, events, a rerun, a
simulation of the shipped timeline, and stopping the controller. It is run literally under
``bash -e`` (a failing command fails the test) in a copy of the tracked files, with this
checkout's virtualenv as the copy's ``.venv`` so that its ``source .venv/bin/activate`` works.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.readme_support import readme_block

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent.parent

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git for the tracked files"),
    pytest.mark.skipif(
        not (VENV / "bin" / "activate").is_file(), reason="needs pytest to run from a virtualenv"
    ),
]


def using_it_block() -> str:
    """The first bash block of the README's "Using it" section, exactly as written."""
    return readme_block("## Using it")


def fresh_copy(target: Path) -> Path:
    """The tracked files of this checkout (as a fresh clone has them), plus its .venv."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is not in a clone
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(VENV, target_is_directory=True)
    return target


def clean_env() -> dict[str, str]:
    """The environment of a new shell: no virtualenv active, no Interlock settings."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "INTERLOCK_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    bin_dir = str(VENV / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir)
    return env


def run_story(repo: Path) -> subprocess.CompletedProcess[str]:
    """Run the block under ``bash -e``; whatever it left running is stopped afterwards."""
    script = repo / "using-it.sh"
    script.write_text(using_it_block(), encoding="utf-8")
    story = subprocess.Popen(
        ["bash", "-e", str(script)],
        cwd=repo,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the background controller is in it
    )
    try:
        out, err = story.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(story.pid, signal.SIGTERM)  # a story stopped half-way left `serve` running
        story.wait()
    return subprocess.CompletedProcess(story.args, story.returncode, out, err)


def test_readme_using_it_block_names_only_what_the_project_has() -> None:
    """The story uses the shipped timeline and the starter pipeline's own sensor keys."""
    block = using_it_block()
    assert "source .venv/bin/activate" in block
    assert "timelines/orders-day.jsonl" in block
    assert "orders-rows" in block
    assert "orders-landed" in block
    assert "&" in block
    assert "kill %1" in block


def test_readme_using_it_runs_as_written(tmp_path: Path) -> None:
    """Every command succeeds, a job runs to success, and the replay shows both days."""
    repo = fresh_copy(tmp_path / "repo")
    result = run_story(repo)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    assert "SUCCEEDED" in result.stdout
    assert "VALIDATION_EXHAUSTED" in result.stdout  # the simulated second day
    assert "warehouse maintenance" in result.stdout + result.stderr  # pause says why
    project = repo / "myproject"
    runs = subprocess.run(
        [str(VENV / "bin" / "interlock"), "runs", "orders-daily", "--json"],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    attempts = json.loads(runs.stdout)["attempts"]
    assert [a["state"] for a in attempts if a["attempt"] == 1] == ["succeeded"]
