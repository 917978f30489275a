"""Every command's help is in Chinese, as the rest of what the CLI says."""

from __future__ import annotations

import re

import click
from click.testing import CliRunner

from monitor.cli import main

ENGLISH = re.compile(r"\b(Usage|Options|Commands|Show this message|default)\b")


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_helps_in_chinese() -> None:
    runner = CliRunner()
    for path in [(), *_commands(main)]:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, path
        assert not ENGLISH.search(result.output), (path, ENGLISH.search(result.output))
        for line in result.output.splitlines():
            if line.startswith("  -"):  # an option's row: its help says what it does, in Chinese
                assert re.search(r"[\u4e00-\u9fff]", line) or line.strip().endswith(("FILE", "TEXT")), (path, line)
