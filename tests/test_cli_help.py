"""Help that speaks to users: no project history, defaults shown, a bare group prints its help,
and error messages name only options the command has."""
import re

import click
import pytest
from click.testing import CliRunner

from ocr_cli.cli import cli

HISTORY = re.compile(r"seed's|the seed\b|course|\bQ\d|question|issue \d", re.I)


def commands(group=cli, path=()):
    """``(path, command)`` for every command and group under ``group``."""
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def _context(path, command):
    ctx = click.Context(cli, info_name="ocr", **cli.context_settings)
    for name in path[:-1]:
        ctx = click.Context(ctx.command.commands[name], parent=ctx, info_name=name)
    return click.Context(command, parent=ctx, info_name=path[-1])


def test_help_texts_tell_no_project_history():
    for path, _ in [((), cli), *commands()]:
        r = CliRunner().invoke(cli, [*path, "--help"])
        assert r.exit_code == 0 and not HISTORY.search(r.output), (path, HISTORY.search(r.output))


def test_every_option_with_a_default_shows_it():
    for path, command in commands():
        ctx = _context(path, command)
        for p in command.params:
            if isinstance(p, click.Option) and not (p.is_flag or p.required or p.multiple) and p.default is not None:
                assert "default: " in p.get_help_record(ctx)[1], (path, p.name)


@pytest.mark.parametrize("group", ["data", "compress"])
def test_a_bare_group_prints_its_help(group):
    r = CliRunner().invoke(cli, group.split(), prog_name="ocr")
    assert r.output.startswith(f"Usage: ocr {group}") and "Options:" in r.output, r.output
    assert not r.output.startswith("error")


def options_of(path) -> set:
    command = cli
    for name in path:
        command = command.commands[name]
    return {o for p in command.params for o in getattr(p, "opts", [])}


@pytest.mark.parametrize("args", [
    ["train", "--model", "mlp", "--dataset", "folder"],
    ["train", "--model", "mlp", "--dataset", "pages"],
    ["train", "--model", "mlp", "--dataset", "nist26"],
    ["score", "--dataset", "folder"],
    ["score", "--dataset", "nist36"],
    ["finetune", "--from", "cnn", "--dataset", "folder"],
])
def test_error_messages_name_only_options_the_command_has(args, tmp_path):
    out = ["--out", str(tmp_path / "out")] if args[0] in ("train", "finetune") else []
    r = CliRunner().invoke(cli, [*args, *out, "--data-dir", str(tmp_path)])
    assert r.exit_code == 1 and r.output.startswith("error: "), r.output
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", r.output))
    assert named <= options_of(args[:1]), (named - options_of(args[:1]), r.output)
