"""``interlock demo --workdir DIR`` deletes only what an earlier demo made, and its hint runs.

The demo recreates its directory on every run. A mistyped ``--workdir`` (a project, a home
directory) must be refused with one line before anything is deleted; a directory holding the
demo's marker file, an empty one or a new one is used. Each case runs the real command.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from interlock.demo import MARKER

BIN = Path(sys.executable).parent
INTERLOCK = str(BIN / "interlock")


def without_venv_on_path() -> dict[str, str]:
    """A new user's shell after ``./scripts/interlock demo``: ``interlock`` is not on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "INTERLOCK_"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != str(BIN))
    return env


def demo(cwd: Path, *args: str, seconds: float = 0) -> subprocess.CompletedProcess[str]:
    """Run ``interlock demo``, by default for no scripted time: set up, start, stop, summary."""
    return subprocess.run(
        [INTERLOCK, "demo", "--seconds", str(seconds), *args],
        cwd=cwd,
        env=without_venv_on_path(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_directory_the_demo_did_not_make_is_refused_untouched(tmp_path: Path) -> None:
    """One line naming the directory and why, exit 2, and every file still there."""
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "etl.py").write_text("print('mine')\n", encoding="utf-8")

    result = demo(tmp_path, "--workdir", "project")

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        (
            f"error: --workdir project: has files and was not made by `interlock demo` "
            f"(no {MARKER} file in it); the demo deletes its directory, so choose a new or "
            "empty one"
        )
    ]
    assert (project / "src" / "etl.py").read_text(encoding="utf-8") == "print('mine')\n"
    assert sorted(p.name for p in project.iterdir()) == ["src"]


@pytest.mark.parametrize("kind", ["file", "symlink"])
def test_a_workdir_that_is_not_a_directory_is_refused(tmp_path: Path, kind: str) -> None:
    """A file, or a link to somewhere else, is never deleted or written through."""
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("keep\n", encoding="utf-8")
    workdir = tmp_path / "work"
    if kind == "file":
        workdir.write_text("notes\n", encoding="utf-8")
    else:
        workdir.symlink_to(target, target_is_directory=True)

    result = demo(tmp_path, "--workdir", "work")

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: --workdir work: not a directory; choose a new or empty directory"
    ]
    assert (target / "keep.txt").exists()
    assert workdir.is_symlink() or workdir.read_text(encoding="utf-8") == "notes\n"


def test_the_demos_own_directory_is_recreated(tmp_path: Path) -> None:
    """A new directory gets the marker; the next run starts from nothing in it."""
    first = demo(tmp_path, "--workdir", "work")
    assert first.returncode == 0, first.stderr
    workdir = tmp_path / "work"
    assert (workdir / MARKER).is_file()
    assert (workdir / "demo.db").is_file()
    (workdir / "left-over.txt").write_text("from the last run\n", encoding="utf-8")

    second = demo(tmp_path, "--workdir", "work")

    assert second.returncode == 0, second.stderr
    assert not (workdir / "left-over.txt").exists()
    assert (workdir / MARKER).is_file()
    assert "summary" in second.stdout


def test_an_empty_existing_directory_is_used(tmp_path: Path) -> None:
    """Nothing to lose: an empty directory (made for the demo) is accepted and marked."""
    (tmp_path / "empty").mkdir()

    result = demo(tmp_path, "--workdir", "empty")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "empty" / MARKER).is_file()


def test_the_closing_hint_runs_as_printed(tmp_path: Path) -> None:
    """Without ``interlock`` on PATH the demo says how to get it, then the hint works."""
    result = demo(tmp_path, seconds=3)  # the first readings open orders-daily's run
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    first = next(line for line in lines if line.startswith("first, in this shell: "))
    hint = next(line for line in lines if line.startswith("try: "))
    assert first == f"first, in this shell: source {shlex.quote(str(BIN / 'activate'))}"
    assert hint == "try: interlock events --db sqlite:///.interlock-demo/demo.db"

    shell = f"{first.removeprefix('first, in this shell: ')}\n{hint.removeprefix('try: ')}\n"
    followed = subprocess.run(
        ["bash", "-e", "-c", shell],
        cwd=tmp_path,
        env=without_venv_on_path(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert followed.returncode == 0, followed.stderr
    assert "RUN_OPENED" in followed.stdout
