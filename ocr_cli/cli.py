"""The ``ocr`` command. Each command parses options, calls one library function, formats.

Heavy libraries (torch, matplotlib, scikit-image) are imported inside the commands that
need them so that ``ocr --help`` stays instant.
"""
from __future__ import annotations

import sys

import click

from ocr_cli import __version__
from ocr_cli.errors import OcrError


class OcrGroup(click.Group):
    """A click group that turns expected failures into one ``error:`` line."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(130)
        except OcrError as e:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
        except (OSError, ValueError, MemoryError) as e:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            click.echo(f"error: {type(e).__name__}: {e} (run with --verbose for details)", err=True)
            sys.exit(1)


@click.group(cls=OcrGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ocr")
@click.option("--verbose", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx, verbose):
    """OCR for handwritten block capitals and digits."""
    ctx.ensure_object(dict)["verbose"] = verbose


@cli.command()
@click.option("--tol", default=1e-6, show_default=True, help="Largest relative error that passes.")
@click.option("--seed", default=0, show_default=True, help="Seed of the random networks and data.")
def gradcheck(tol, seed):
    """Check backprop against numerical gradients on small random networks.

    Covers every activation and both losses in float64; exits 1 if any parameter's
    relative error is above TOL.
    """
    from ocr_cli.nn import gradcheck_report

    rows = gradcheck_report(tol=tol, seed=seed)
    width = max(len(r["net"]) for r in rows)
    click.echo(f"{'network':<{width}}  {'parameter':<9}  {'shape':<8}  rel. error  ok")
    for r in rows:
        shape = "×".join(map(str, r["shape"]))
        click.echo(f"{r['net']:<{width}}  {r['param']:<9}  {shape:<8}  {r['rel_error']:10.2e}  {'yes' if r['ok'] else 'NO'}")
    bad = [r for r in rows if not r["ok"]]
    click.echo(f"{len(rows) - len(bad)}/{len(rows)} gradients within {tol:g}")
    if bad:
        sys.exit(1)


def main():
    cli(prog_name="ocr")


if __name__ == "__main__":
    main()
