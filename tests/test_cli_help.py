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


def test_mistakes_on_the_command_line_are_told_in_chinese(tmp_path) -> None:
    """Click's own messages (unknown option or command, a missing value, a bad number) and the
    ``Error:`` prefix of every refusal."""
    runner = CliRunner()
    cases = [
        (["status", "--bogus"], "没有选项 '--bogus'"),
        (["bogus"], "没有命令 'bogus'"),
        (["crawl", "--portal"], "选项 '--portal' 需要一个值"),
        (["status", "--db", str(tmp_path / "absent.db")], "数据库文件不存在"),
    ]
    for args, said in cases:
        result = runner.invoke(main, args)
        assert result.exit_code != 0, args
        assert said in result.output and "错误：" in result.output, (args, result.output)
        assert not re.search(r"\b(Error|Try|No such|requires)\b", result.output), (args, result.output)
