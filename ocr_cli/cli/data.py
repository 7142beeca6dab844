"""``ocr data``: looking at the character data sources."""
from __future__ import annotations

import click

from ocr_cli.cli.options import SEED, data_dir_option, needs


@click.group()
def data():
    """Look at the character data sources."""


@data.command()
@needs("train")
@click.option("--dataset", required=True,
              help="Sources, comma-separated: synthetic, nist36, nist26, emnist[-SPLIT], mnist, mnist5k, folder (NAME:PATH allowed).")
@click.option("--n", "n", type=click.IntRange(1, 2000), default=100, show_default=True, help="Samples per source.")
@click.option("--split", type=click.Choice(["train", "valid", "test"]), default="train", show_default=True)
@click.option("--path", type=click.Path(), default=None, help="File or folder for sources that read one (nist, folder, mnist5k).")
@data_dir_option
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="PNG to write.")
def preview(dataset, n, split, path, data_dir, seed, out):
    """Render a labeled grid of samples to a PNG (check orientation, polarity and style)."""
    from ocr_cli.data.preview import preview_dataset

    shown, present = preview_dataset(dataset, out, n=n, split=split, path=path, data_dir=data_dir, seed=seed)
    click.echo(f"{shown} samples ({present}) -> {out}")
