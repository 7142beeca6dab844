"""``ocr compress``: character compression, NumPy autoencoder vs PCA."""
from __future__ import annotations

import click

from ocr_cli.cli.options import BATCH_SIZE, LEARNING_RATE, REPEAT, SEED, SYNTHETIC_N, data_dir_option, needs, option_group


@click.group()
def compress():
    """Compress character images: NumPy autoencoder vs PCA, measured by PSNR."""


_data_options = option_group(
    click.option("--out", type=click.Path(file_okay=False), default="runs/compress", show_default=True,
                 help="Folder of the models, reports and figures."),
    data_dir_option,
    click.option("--dataset", required=True,
                 help="Sources as for `ocr train`: nist26[:PATH], synthetic, nist26,synthetic. "
                      "PSNR is measured on the real sources' fixed held-out 30% (synthetic's held-out set if none)."),
)

_fit_options = option_group(
    click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of initialisation, order, synthetic data."),
    click.option("--augment", type=click.IntRange(0, REPEAT.max), default=10, show_default=True,
                 help="Add this many randomly warped copies of each real source's training part."),
    click.option("--synthetic", "synthetic_n", type=SYNTHETIC_N, default=5000, show_default=True,
                 help="Generated training samples when 'synthetic' is a source."),
    *(click.option(name, type=kind, default=None, help=f"Autoencoder training (default: {what}).")
      for name, kind, what in (("--batch-size", BATCH_SIZE, "36"),
                               ("--lr", LEARNING_RATE, "3e-5, on the total squared error"),
                               ("--epochs", click.IntRange(1), "100"))),
)


def _echo_codec_report(r):
    extra = f"projection {r['projection_shape'][0]}×{r['projection_shape'][1]}, rank {r['projection_rank']}, " if r["method"] == "pca" else ""
    centred = " (mean-centred)" if r.get("center") else ""
    click.echo(f"{r['method']}{centred}, code size {r['code_size']}: mean PSNR {r['psnr_db']:.2f} dB on validation"
               + (f" ({r['train_psnr_db']:.2f} dB on training)" if "train_psnr_db" in r else ""))
    click.echo(f"  {extra}{r['n_params']:,} learned parameters; {r['data']}")
    for kind, path in r.get("files", {}).items():
        click.echo(f"  {kind}: {path}")


@compress.command("train")
@needs("train")
@click.option("--method", type=click.Choice(["autoencoder", "pca"]), required=True)
@click.option("--code-size", type=click.IntRange(1, 1024), default=32, show_default=True, help="Numbers per compressed image.")
@click.option("--center", is_flag=True, help="PCA: subtract the training mean first (not done by default).")
@_data_options
@_fit_options
def compress_train(method, code_size, center, dataset, data_dir, out, epochs, lr, batch_size, synthetic_n, augment, seed):
    """Fit a compressor; save it with its report, reconstruction figure and (autoencoder) loss curve."""
    from ocr_cli.compress import train_codec

    def log(s):
        if s["epoch"] == 1 or s["epoch"] % 10 == 0:
            click.echo(f"epoch {s['epoch']:3d}: loss {s['loss']:.2f}" + (f", validation {s['val_loss']:.2f}" if "val_loss" in s else ""))

    ae = {"epochs": epochs, "lr": lr, "batch_size": batch_size} if method == "autoencoder" else {}
    _echo_codec_report(train_codec(method, dataset, code_size, out, center, seed, data_dir, synthetic_n, augment,
                                   log=log, **ae))


@compress.command("eval")
@needs("train")
@click.option("--method", type=click.Choice(["autoencoder", "pca"]), required=True)
@click.option("--center", is_flag=True, help="The mean-centred PCA model (trained with --center).")
@_data_options
def compress_eval(method, center, dataset, data_dir, out):
    """Measure a trained compressor (from --out) on a dataset's validation images."""
    from ocr_cli.compress import eval_codec

    _echo_codec_report(eval_codec(method, dataset, out, center, data_dir))


@compress.command("compare")
@needs("train")
@click.option("--code-sizes", default="8,16,32,64,128", show_default=True, help="Comma-separated code sizes to sweep.")
@_data_options
@_fit_options
def compress_compare(code_sizes, dataset, data_dir, out, epochs, lr, batch_size, synthetic_n, augment, seed):
    """Train PCA (plain, mean-centred) and the autoencoder at each code size on the same data;
    print a table and plot PSNR against code size (OUT/compare_psnr.png)."""
    from ocr_cli.compress import compare, format_table

    try:
        sizes = [int(s) for s in code_sizes.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(f"{code_sizes!r}: give sizes like 8,16,32") from None
    if not sizes or min(sizes) < 1 or max(sizes) > 1024:
        raise click.BadParameter("code sizes must be between 1 and 1024", param_hint="--code-sizes")
    rows = compare(dataset, sizes, out, seed, data_dir, synthetic_n, augment,
                   log=lambda r: click.echo(f"code size {r['code_size']}: done", err=True),
                   epochs=epochs, lr=lr, batch_size=batch_size)
    click.echo(format_table(rows))
    click.echo(f"figure: {out}/compare_psnr.png")
