"""The ``ocr`` command: the group, its global options and error handling, and the command families.

One module per family (:mod:`.pages`, :mod:`.training`, :mod:`.data`, :mod:`.compress`,
:mod:`.gradcheck`) over the option groups of :mod:`.options`. Each command parses options,
calls one library function, formats. Heavy libraries (torch, matplotlib, scikit-image) are
imported inside the commands that need them so that ``ocr --help`` stays instant.
"""
from __future__ import annotations

import os
import signal
import sys

import click

from ocr_cli import __version__
from ocr_cli.cli.compress import compress
from ocr_cli.cli.data import data
from ocr_cli.cli.gradcheck import gradcheck
from ocr_cli.cli.models import models
from ocr_cli.cli.pages import eval_pages, extract
from ocr_cli.cli.recognition import calibrate, score
from ocr_cli.cli.training import adapt, finetune, train
from ocr_cli.errors import OcrError, OcrWarning, Terminated, UsageError


NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())  # click >= 8.2 (8.1 prints the help itself)


class OcrGroup(click.Group):
    """A click group that turns expected failures into one ``error:`` line."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NO_ARGS_IS_HELP as e:  # a bare group (`ocr data`): its help, as a bare `ocr` prints it
            e.show()
            sys.exit(e.exit_code)
        except click.UsageError as e:  # a bad option of a command: one line, exit 2
            command = e.ctx.command_path if e.ctx else ctx.command_path
            click.echo(f"error: {e.format_message().rstrip('.')} (see '{command} --help')", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # the reader closed our stdout (`ocr extract ... | head`): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
            sys.exit(141)  # 128 + SIGPIPE, what the shell reports for a tool the pipe ended
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(130)
        except OcrError as e:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            click.echo(f"error: {e}", err=True)
            sys.exit(2 if isinstance(e, UsageError) else 1)
        except ModuleNotFoundError as e:  # an optional dependency: name the extra that installs it
            from ocr_cli.extras import explain

            hint = explain(e, "`" + " ".join(filter(None, [ctx.command_path, ctx.invoked_subcommand])) + "`")
            if hint is None or (ctx.obj and ctx.obj.get("verbose")):
                raise
            click.echo(f"error: {hint}", err=True)
            sys.exit(1)
        except (OSError, ValueError, MemoryError) as e:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            click.echo(f"error: {type(e).__name__}: {e} (run with --verbose for details)", err=True)
            sys.exit(1)


@click.group(cls=OcrGroup, context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(__version__, prog_name="ocr")
@click.option("--verbose", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx, verbose):
    """OCR for handwritten block capitals and digits."""
    import functools
    import warnings

    ctx.ensure_object(dict)["verbose"] = verbose
    if not isinstance(warnings.showwarning, functools.partial):  # once per process
        warnings.showwarning = functools.partial(_show_warning, _default=warnings.showwarning)


for _command in (extract, eval_pages, models, score, calibrate, train, finetune, adapt, data, compress, gradcheck):
    cli.add_command(_command)


def _terminate(signum, frame):
    """SIGTERM ends a command like Ctrl-C: clean-ups run (temporary files, the training
    worker, the results folder's lock) and training keeps the best model so far."""
    raise Terminated


def _show_warning(message, category, filename, lineno, file=None, line=None, _default=None):
    """The library's :class:`OcrWarning` as one ``warning: ...`` line; other warnings as Python shows them."""
    if issubclass(category, OcrWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        _default(message, category, filename, lineno, file, line)


def main():
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="ocr")


if __name__ == "__main__":
    main()
