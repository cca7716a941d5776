"""Every command and every option explains itself in ``--help``.

A newcomer learns the CLI from ``interlock COMMAND --help``; an option with no help text is
one they have to guess or look up in the source.
"""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from interlock.cli import main


def _commands(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


def _resolve(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


COMMANDS = list(_commands(main, ()))


def test_the_cli_has_the_commands_a_newcomer_looks_for() -> None:
    """The commands the README and the newcomer path name all exist."""
    names = {" ".join(path) for path in COMMANDS}
    assert {
        "validate", "apply", "serve", "status", "explain", "runs", "events", "pipelines",
        "logs", "pause", "resume", "rerun", "cancel", "job report", "sensor put", "simulate",
        "demo", "init", "db upgrade", "db current",
    } <= names  # fmt: skip


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "interlock")
def test_every_command_and_option_has_help(path: tuple[str, ...]) -> None:
    """``--help`` exits 0, and the command and each of its options say what they are for."""
    command = _resolve(path)
    assert (command.help or "").strip(), f"interlock {' '.join(path)} has no help text"
    undocumented = [
        param.opts[0]
        for param in command.params
        if isinstance(param, click.Option) and not (param.help or "").strip()
    ]
    assert undocumented == []
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
