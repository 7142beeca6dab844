"""``ocr gradcheck``: the NumPy network's backprop against numerical gradients."""
from __future__ import annotations

import sys

import click

from ocr_cli.cli.options import SEED, FiniteFloatRange


@click.command()
@click.option("--tol", type=FiniteFloatRange(0, 1, min_open=True), default=1e-6, show_default=True,
              help="Largest relative error that passes.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the random networks and data.")
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
