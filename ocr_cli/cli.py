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
        except click.UsageError as e:  # a bad option of a command: one line, exit 2
            command = e.ctx.command_path if e.ctx else ctx.command_path
            click.echo(f"error: {e.format_message().rstrip('.')} (see '{command} --help')", err=True)
            sys.exit(2)
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


def _page_recognizer(model, weights):
    """The recognizer for page commands: ``--weights`` if given, else the shipped ``--model``.

    A ``cnn`` runs through its NumPy twin, so reading a page never waits for torch to import.
    """
    from ocr_cli.recognizers import default_model_path, load_recognizer
    from ocr_cli.recognizers.cnn_numpy import load_numpy_cnn

    path = weights or default_model_path(model)
    if not weights and not path.is_file():
        raise OcrError(f"no shipped {model} model ({path} is missing); pass --weights or train one with `ocr train`")
    rec = load_numpy_cnn(path) or load_recognizer(path)
    if weights and model and rec.name != model:
        raise OcrError(f"{weights}: holds a {rec.name!r} model, not {model!r}")
    return rec


_model_option = click.option("--model", type=click.Choice(["cnn", "mlp", "fc"]), default=None,
                             help="Shipped model to use (default: cnn).")
_weights_option = click.option("--weights", type=click.Path(dir_okay=False), default=None,
                               help="A saved model file (.pt/.npz or its .json sidecar) instead of a shipped one.")


@cli.command()
@click.argument("images", nargs=-1, required=True, type=click.Path())
@_model_option
@_weights_option
@click.option("--json", "as_json", is_flag=True, help="Print lines, words, characters, boxes and confidences as JSON.")
@click.option("--boxes", type=click.Path(dir_okay=False), default=None,
              help="Save an overlay PNG of the found boxes and predictions (one per image: OUT_<stem>.png when several).")
def extract(images, model, weights, as_json, boxes):
    """Print the text of each page image."""
    import json
    from pathlib import Path

    from ocr_cli.fileio import read_image
    from ocr_cli.page import read_page

    rec = _page_recognizer(model or ("" if weights else "cnn"), weights)
    results = []
    for path in images:
        grey = read_image(path)
        page = read_page(grey, rec)
        page.source = str(path)
        if boxes:
            out = Path(boxes) if len(images) == 1 else Path(boxes).with_name(f"{Path(boxes).stem}_{Path(path).stem}.png")
            page.draw(grey, out)
        if as_json:
            results.append(page.to_dict())
            continue
        if len(images) > 1:
            click.echo(f"==> {path} <==")
        click.echo(page.text)
    if as_json:
        click.echo(json.dumps(results[0] if len(images) == 1 else results, indent=2))


@cli.command("eval")
@click.argument("directory", type=click.Path())
@_model_option
@_weights_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def eval_pages(directory, model, weights, as_json):
    """Score page reading on every image in DIRECTORY that has a <stem>.txt ground truth."""
    import json

    from ocr_cli.page.evaluate import evaluate_dir, format_table

    report = evaluate_dir(directory, _page_recognizer(model or ("" if weights else "cnn"), weights))
    click.echo(json.dumps(report, indent=2) if as_json else format_table(report))


def _command_line(ctx, prefix: str) -> str:
    """The command as it could be retyped: ``prefix`` plus every option given on the command line."""
    import shlex

    from click.core import ParameterSource

    parts = prefix.split()
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if ctx.get_parameter_source(param.name) != ParameterSource.COMMANDLINE or value in (None, False, ()):
            continue
        flag = param.opts[0]
        if getattr(param, "is_flag", False):
            parts.append(flag)
        else:
            parts += [x for v in (value if param.multiple else [value]) for x in (flag, str(v))]
    return shlex.join(parts)


@cli.command()
@click.option("--model", "model_name", type=click.Choice(["mlp", "fc", "cnn"]), required=True, help="Recognizer to train.")
@click.option("--dataset", required=True,
              help="Sources, comma-separated: synthetic, nist26[:PATH], mnist5k, nist36, emnist, folder:DIR, ...; "
                   "NAME*K shows a real source K times per epoch.")
@click.option("--val", default=None, help="Extra sources to validate on (their held-out part), not trained on.")
@click.option("--epochs", type=click.IntRange(1), default=None, help="Epochs (default: 20 for mlp/fc, 10 for cnn).")
@click.option("--lr", type=click.FloatRange(0, min_open=True), multiple=True,
              help="Peak learning rate (cosine decay). Repeat it to compare rates on one plot, e.g. best, ×10, ÷10.")
@click.option("--batch-size", type=click.IntRange(1), default=None, help="Mini-batch size (default: 32 for mlp/fc, 64 for cnn).")
@click.option("--hidden", default=None, help="Hidden sizes: '64' or '256,128' for mlp/fc; the head's width for cnn.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of initialisation, order, augmentation, synthetic data.")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Results folder (default: runs/MODEL).")
@click.option("--init-from", type=click.Path(dir_okay=False), default=None, help="Start from this saved model (same kind).")
@click.option("--synthetic", "synthetic_n", type=click.IntRange(0), default=10_000, show_default=True,
              help="Fresh synthetic samples per epoch (when 'synthetic' is a source).")
@click.option("--repeat-real", type=click.IntRange(1), default=1, show_default=True,
              help="Show each real source's training part this many times per epoch (differently augmented).")
@click.option("--no-augment", is_flag=True, help="Train on the samples as they are.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where dataset files live (default: $OCR_DATA_DIR or ./data).")
@click.option("--threads", type=click.IntRange(1), default=None, help="torch CPU threads (default: torch's choice).")
@click.option("--label-smoothing", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True,
              help="fc/cnn: train towards 1-S on the true class and S spread over all classes.")
@click.pass_context
def train(ctx, model_name, dataset, val, epochs, lr, batch_size, hidden, seed, out, init_from, synthetic_n,
          repeat_real, no_augment, data_dir, threads, label_smoothing):
    """Train a recognizer; write the model, its sidecar, curves and confusion matrix to --out.

    A fixed stratified 30% of every real source is held out (never trained on) and every
    number is measured on it. Ctrl-C keeps the best model so far.
    """
    from ocr_cli.train import run_training

    try:
        hidden_sizes = [int(h) for h in hidden.split(",")] if hidden else None
    except ValueError:
        raise click.BadParameter(f"--hidden {hidden!r}: give sizes like 64 or 256,128") from None
    if hidden_sizes and model_name == "cnn":
        if len(hidden_sizes) != 1:
            raise click.BadParameter("--hidden for cnn is one number (the head's width)")
        hidden_sizes = hidden_sizes[0]
    results = run_training(model_name, dataset, out or f"runs/{model_name}", lrs=lr, val=val, data_dir=data_dir,
                           synthetic_n=synthetic_n, repeat_real=repeat_real, init_from=init_from, epochs=epochs,
                           batch_size=batch_size, hidden=hidden_sizes, seed=seed, augment=not no_augment,
                           threads=threads, label_smoothing=label_smoothing,
                           command=_command_line(ctx, "ocr train"), log=click.echo)
    for rate, r in results.items():
        where = f"lr {rate:g}: " if rate is not None else ""
        if r.model_path is None:
            continue
        m = r.metrics
        click.echo(f"{where}best epoch {m['epoch']}: val acc {m['val_acc']:.2%}  "
                   + "  ".join(f"{k} {v:.2%}" for k, v in m["heldout_acc"].items()) + f"  ({r.seconds:.0f}s) -> {r.model_path}")
        if r.confused:
            click.echo("  most confused (true->predicted: count): " + ", ".join(f"{t}->{p}: {c}" for t, p, c in r.confused))
    if any(r.interrupted for r in results.values()):
        sys.exit(130)


@cli.group()
def data():
    """Look at the character data sources."""


@data.command()
@click.option("--dataset", required=True,
              help="Sources, comma-separated: synthetic, nist36, nist26, emnist[-SPLIT], mnist, mnist5k, folder (NAME:PATH allowed).")
@click.option("--n", "n", type=click.IntRange(1), default=100, show_default=True, help="Samples per source.")
@click.option("--split", type=click.Choice(["train", "valid", "test"]), default="train", show_default=True)
@click.option("--path", type=click.Path(), default=None, help="File or folder for sources that read one (nist, folder, mnist5k).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where dataset files live (default: $OCR_DATA_DIR or ./data).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="PNG to write.")
def preview(dataset, n, split, path, data_dir, seed, out):
    """Render a labeled grid of samples to a PNG (check orientation, polarity and style)."""
    from ocr_cli.data.preview import preview_dataset

    if n < 1:
        raise click.BadParameter("--n must be at least 1")
    shown, present = preview_dataset(dataset, out, n=n, split=split, path=path, data_dir=data_dir, seed=seed)
    click.echo(f"{shown} samples ({present}) -> {out}")


@cli.command()
@click.option("--from", "from_model", default=None,
              help="Starting model: a saved model file (or its .json), or a shipped model's name (cnn, fc).")
@click.option("--pretrained", default=None,
              help="Instead of --from: a squeezenet with ImageNet features from a local squeezenet1_1 weights "
                   "file, or 'imagenet' to download them (needs internet).")
@click.option("--dataset", required=True, help="Sources to fine-tune on, as for `ocr train`.")
@click.option("--val", default=None, help="Extra sources to validate on (their held-out part), not trained on.")
@click.option("--freeze", "freeze_what", type=click.Choice(["features", "none"]), default="none", show_default=True,
              help="features: train only the classifier head; none: train the features too, at a tenth of the head's rate.")
@click.option("--epochs", type=click.IntRange(1), default=None, help="Epochs (default: the model's `ocr train` default).")
@click.option("--lr", type=click.FloatRange(0, min_open=True), default=None,
              help="Peak learning rate of the head (default: the model's `ocr train` default).")
@click.option("--batch-size", type=click.IntRange(1), default=None, help="Mini-batch size (default: the model's).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default="runs/finetune", show_default=True, help="Results folder.")
@click.option("--synthetic", "synthetic_n", type=click.IntRange(0), default=10_000, show_default=True,
              help="Fresh synthetic samples per epoch (when 'synthetic' is a source).")
@click.option("--repeat-real", type=click.IntRange(1), default=1, show_default=True,
              help="Show each real source's training part this many times per epoch (differently augmented).")
@click.option("--no-augment", is_flag=True, help="Train on the samples as they are.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where dataset files live.")
@click.option("--threads", type=click.IntRange(1), default=None, help="torch CPU threads (default: torch's choice).")
def finetune(from_model, pretrained, dataset, val, freeze_what, epochs, lr, batch_size, seed, out, synthetic_n,
             repeat_real, no_augment, data_dir, threads):
    """Fine-tune a trained recognizer (or ImageNet SqueezeNet) on new data; same outputs as `ocr train`.

    The classifier head is kept when the class lists agree, otherwise rebuilt for the 36
    classes with the shared classes' rows carried over.
    """
    import shlex

    from ocr_cli.finetune import run_finetune

    r = run_finetune(from_model, dataset, out, pretrained=pretrained, val=val, data_dir=data_dir,
                     synthetic_n=synthetic_n, repeat_real=repeat_real, freeze_what=freeze_what, epochs=epochs,
                     lr=lr, batch_size=batch_size, seed=seed, augment=not no_augment, threads=threads,
                     command="ocr " + shlex.join(sys.argv[1:]), log=click.echo)
    if r.model_path is not None:
        m = r.metrics
        click.echo(f"best epoch {m['epoch']}: val acc {m['val_acc']:.2%}  "
                   + "  ".join(f"{k} {v:.2%}" for k, v in m["heldout_acc"].items()) + f"  ({r.seconds:.0f}s) -> {r.model_path}")
    if r.interrupted:
        sys.exit(130)


@cli.group()
def compress():
    """Compress character images: NumPy autoencoder vs PCA, measured by PSNR."""


def _compress_data_options(f):
    f = click.option("--dataset", required=True,
                     help="Sources as for `ocr train`: nist26[:PATH], synthetic, nist26,synthetic. "
                          "PSNR is measured on the real sources' fixed held-out 30% (synthetic's held-out set if none).")(f)
    f = click.option("--data-dir", type=click.Path(file_okay=False), default=None,
                     help="Where dataset files live (default: $OCR_DATA_DIR or ./data).")(f)
    return click.option("--out", type=click.Path(file_okay=False), default="runs/compress", show_default=True,
                        help="Folder of the models, reports and figures.")(f)


def _training_options(f):
    for name, kind, what in (("--epochs", click.IntRange(1), "100"),
                             ("--lr", click.FloatRange(0, min_open=True), "3e-5, on the total squared error"),
                             ("--batch-size", click.IntRange(1), "36")):
        f = click.option(name, type=kind, default=None, help=f"Autoencoder training (default: {what}, the seed's).")(f)
    f = click.option("--synthetic", "synthetic_n", type=click.IntRange(0), default=5000, show_default=True,
                     help="Generated training samples when 'synthetic' is a source.")(f)
    f = click.option("--augment", type=click.IntRange(0), default=10, show_default=True,
                     help="Add this many randomly warped copies of each real source's training part.")(f)
    return click.option("--seed", type=int, default=0, show_default=True, help="Seed of initialisation, order, synthetic data.")(f)


def _echo_codec_report(r):
    extra = f"projection {r['projection_shape'][0]}×{r['projection_shape'][1]}, rank {r['projection_rank']}, " if r["method"] == "pca" else ""
    centred = " (mean-centred)" if r.get("center") else ""
    click.echo(f"{r['method']}{centred}, code size {r['code_size']}: mean PSNR {r['psnr_db']:.2f} dB on validation"
               + (f" ({r['train_psnr_db']:.2f} dB on training)" if "train_psnr_db" in r else ""))
    click.echo(f"  {extra}{r['n_params']:,} learned parameters; {r['data']}")
    for kind, path in r.get("files", {}).items():
        click.echo(f"  {kind}: {path}")


@compress.command("train")
@click.option("--method", type=click.Choice(["autoencoder", "pca"]), required=True)
@click.option("--code-size", type=click.IntRange(1, 1024), default=32, show_default=True, help="Numbers per compressed image.")
@click.option("--center", is_flag=True, help="PCA: subtract the training mean first (the seed did not).")
@_compress_data_options
@_training_options
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
@click.option("--method", type=click.Choice(["autoencoder", "pca"]), required=True)
@click.option("--center", is_flag=True, help="The mean-centred PCA model (trained with --center).")
@_compress_data_options
def compress_eval(method, center, dataset, data_dir, out):
    """Measure a trained compressor (from --out) on a dataset's validation images."""
    from ocr_cli.compress import eval_codec

    _echo_codec_report(eval_codec(method, dataset, out, center, data_dir))


@compress.command("compare")
@click.option("--code-sizes", default="8,16,32,64,128", show_default=True, help="Comma-separated code sizes to sweep.")
@_compress_data_options
@_training_options
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


@cli.command()
@click.option("--page", "pages", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="A photo or scan of a page you wrote (repeat with --text for several pages).")
@click.option("--text", "texts", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="The page's true text, one line per written line (same order as --page).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Results folder for the adapted model.")
@click.option("--from", "from_model", default="cnn", show_default=True,
              help="Model to adapt: a shipped model's name or a saved model file.")
@click.option("--original", default="synthetic", show_default=True,
              help="Data mixed in so the model does not forget (sources as for `ocr train`).")
@click.option("--synthetic", "synthetic_n", type=click.IntRange(0), default=2000, show_default=True,
              help="Fresh synthetic samples per epoch from the original mix.")
@click.option("--epochs", type=click.IntRange(1), default=5, show_default=True)
@click.option("--lr", type=click.FloatRange(0, min_open=True), default=None,
              help="Peak learning rate of the head; the features get a tenth (default: the model's `ocr train` rate).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where dataset files live.")
@click.option("--threads", type=click.IntRange(1), default=None, help="torch CPU threads (default: torch's choice).")
def adapt(pages, texts, out, from_model, original, synthetic_n, epochs, lr, seed, data_dir, threads):
    """Adapt a recognizer to your handwriting from pages whose text you know.

    Lines whose number of characters found matches the text become training samples,
    mixed with the original data so that nothing else is forgotten.
    """
    import shlex

    from ocr_cli.adapt import run_adapt

    r = run_adapt(pages, texts, out, model=from_model, original=original, synthetic_n=synthetic_n, epochs=epochs,
                  lr=lr, seed=seed, data_dir=data_dir, threads=threads,
                  command="ocr " + shlex.join(sys.argv[1:]), log=click.echo)
    if r.model_path is not None:
        click.echo(f"adapted model -> {r.model_path}  (use: ocr extract --weights {r.model_path} IMAGE)")
    if r.interrupted:
        sys.exit(130)


def main():
    cli(prog_name="ocr")


if __name__ == "__main__":
    main()
