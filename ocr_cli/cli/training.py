"""``ocr train``, ``ocr finetune`` and ``ocr adapt``: one training loop, three starting points."""
from __future__ import annotations

import sys

import click

from ocr_cli.cli.options import (BATCH_SIZE, LEARNING_RATE, MODEL_CHOICE, SYNTHETIC_N, FiniteFloatRange, command_line, data_dir_option,
                                 mix_options, needs, seed_option, threads_option, val_option)
from ocr_cli.errors import OcrError


def _hidden(model: str, text: str | None):
    """``--hidden`` as the recognizer takes it ('64', '256,128'; for the cnn one number or four)."""
    if not text:
        return None
    try:
        sizes = [int(h) for h in text.split(",")]
    except ValueError:
        raise click.BadParameter(f"--hidden {text!r}: give sizes like 64 or 256,128") from None
    if not 1 <= len(sizes) <= 16 or not all(1 <= h <= 100_000 for h in sizes):
        raise click.BadParameter(f"--hidden {text!r}: layer sizes must be from 1 to 100,000 (at most 16 layers)")
    from ocr_cli.recognizers import get_recognizer_class

    try:
        return get_recognizer_class(model).check_hidden(sizes)
    except OcrError as e:
        raise click.BadParameter(str(e)) from None


def _echo_best(r, prefix: str = "") -> None:
    m = r.metrics
    click.echo(f"{prefix}best epoch {m['epoch']}: val acc {m['val_acc']:.2%}  "
               + "  ".join(f"{k} {v:.2%}" for k, v in m["heldout_acc"].items()) + f"  ({r.seconds:.0f}s) -> {r.model_path}")


@click.command()
@needs("train")
@click.option("--model", "model_name", type=MODEL_CHOICE, required=True, help="Recognizer to train.")
@click.option("--dataset", required=True,
              help="Sources, comma-separated: synthetic, nist26[:PATH], mnist5k, nist36, emnist, folder:DIR, ...; "
                   "NAME*K shows a real source K times per epoch.")
@val_option
@click.option("--epochs", type=click.IntRange(1), default=None, help="Epochs (default: 20 for mlp/fc, 10 for cnn).")
@click.option("--lr", type=LEARNING_RATE, multiple=True,
              help="Peak learning rate (cosine decay; default: 0.05 for mlp/fc, 0.002 for cnn). Repeat it to compare "
                   "rates on one plot, e.g. best, ×10, ÷10.")
@click.option("--batch-size", type=BATCH_SIZE, default=None, help="Mini-batch size (default: 32 for mlp/fc, 64 for cnn).")
@click.option("--hidden", default=None, help="Hidden sizes: '64' or '256,128' for mlp/fc; for cnn the head's width, or the three conv widths and the head's: '48,96,192,192' (default: 64 for mlp/fc, 32,64,128,128 for cnn).")
@seed_option
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Results folder (default: runs/MODEL).")
@click.option("--init-from", type=click.Path(dir_okay=False), default=None, help="Start from this saved model (same kind).")
@mix_options
@click.option("--label-smoothing", type=FiniteFloatRange(0, 1, max_open=True), default=0.0, show_default=True,
              help="fc/cnn: train towards 1-S on the true class and S spread over all classes.")
@click.pass_context
def train(ctx, model_name, dataset, val, epochs, lr, batch_size, hidden, seed, out, init_from, synthetic_n,
          repeat_real, no_augment, data_dir, threads, label_smoothing):
    """Train a recognizer; write the model, its sidecar, curves and confusion matrix to --out.

    A fixed stratified 30% of every real source is held out (never trained on) and every
    number is measured on it. Ctrl-C keeps the best model so far.
    """
    from ocr_cli.training import TrainConfig, run_training

    cfg = TrainConfig(model=model_name, out=out or f"runs/{model_name}", epochs=epochs, batch_size=batch_size,
                      hidden=_hidden(model_name, hidden), seed=seed, augment=not no_augment, threads=threads,
                      label_smoothing=label_smoothing, init_from=init_from, command=command_line(ctx, "ocr train"))
    results = run_training(cfg, dataset, lr, val, data_dir, synthetic_n, repeat_real, log=click.echo)
    for rate, r in results.items():
        if r.model_path is None:
            continue
        _echo_best(r, f"lr {rate:g}: " if rate is not None else "")
        if r.confused:
            click.echo("  most confused (true->predicted: count): " + ", ".join(f"{t}->{p}: {c}" for t, p, c in r.confused))
    if any(r.interrupted for r in results.values()):
        sys.exit(130)


@click.command()
@needs("train")
@click.option("--from", "from_model", default=None,
              help="Starting model: a saved model file (or its .json), or a model's name (see `ocr models`).")
@click.option("--pretrained", default=None,
              help="Instead of --from: a squeezenet with ImageNet features from a local squeezenet1_1 weights "
                   "file, or 'imagenet' to download them (needs internet).")
@click.option("--dataset", required=True, help="Sources to fine-tune on, as for `ocr train`.")
@val_option
@click.option("--freeze", "freeze_what", type=click.Choice(["features", "none"]), default="none", show_default=True,
              help="features: train only the classifier head; none: train the features too, at a tenth of the head's rate.")
@click.option("--epochs", type=click.IntRange(1), default=None, help="Epochs (default: the model's `ocr train` default).")
@click.option("--lr", type=LEARNING_RATE, default=None,
              help="Peak learning rate of the head (default: the model's `ocr train` default).")
@click.option("--batch-size", type=BATCH_SIZE, default=None, help="Mini-batch size (default: the model's).")
@seed_option
@click.option("--out", type=click.Path(file_okay=False), default="runs/finetune", show_default=True, help="Results folder.")
@mix_options
@click.pass_context
def finetune(ctx, from_model, pretrained, dataset, val, freeze_what, epochs, lr, batch_size, seed, out, synthetic_n,
             repeat_real, no_augment, data_dir, threads):
    """Fine-tune a trained recognizer (or ImageNet SqueezeNet) on new data; same outputs as `ocr train`.

    The classifier head is kept when the class lists agree, otherwise rebuilt for the 36
    classes with the shared classes' rows carried over.
    """
    from ocr_cli.training import TrainConfig
    from ocr_cli.training.finetune import run_finetune

    cfg = TrainConfig(out=out, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, augment=not no_augment,
                      threads=threads, freeze=freeze_what, command=command_line(ctx, "ocr finetune"))
    r = run_finetune(cfg, from_model, dataset, pretrained, val, data_dir, synthetic_n, repeat_real, log=click.echo)
    if r.model_path is not None:
        _echo_best(r)
    if r.interrupted:
        sys.exit(130)


@click.command()
@needs("train")
@click.option("--page", "pages", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="A photo or scan of a page you wrote (repeat with --text for several pages).")
@click.option("--text", "texts", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="The page's true text, one line per written line (same order as --page).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Results folder for the adapted model.")
@click.option("--from", "from_model", default="cnn", show_default=True,
              help="Model to adapt: a model's name (see `ocr models`) or a saved model file.")
@click.option("--original", default="synthetic", show_default=True,
              help="Data mixed in so the model does not forget (sources as for `ocr train`).")
@click.option("--synthetic", "synthetic_n", type=SYNTHETIC_N, default=2000, show_default=True,
              help="Fresh synthetic samples per epoch from the original mix.")
@click.option("--epochs", type=click.IntRange(1), default=5, show_default=True)
@click.option("--lr", type=LEARNING_RATE, default=None,
              help="Peak learning rate of the head; the features get a tenth (default: the model's `ocr train` rate).")
@seed_option
@data_dir_option
@threads_option
@click.pass_context
def adapt(ctx, pages, texts, out, from_model, original, synthetic_n, epochs, lr, seed, data_dir, threads):
    """Adapt a recognizer to your handwriting from pages whose text you know.

    Lines whose number of characters found matches the text become training samples,
    mixed with the original data so that nothing else is forgotten.
    """
    from ocr_cli.training import TrainConfig
    from ocr_cli.training.adapt import run_adapt

    cfg = TrainConfig(out=out, epochs=epochs, lr=lr, seed=seed, threads=threads, command=command_line(ctx, "ocr adapt"))
    r = run_adapt(cfg, pages, texts, model=from_model, original=original, synthetic_n=synthetic_n,
                  data_dir=data_dir, log=click.echo)
    if r.model_path is not None:
        click.echo(f"adapted model -> {r.model_path}  (use: ocr extract --weights {r.model_path} IMAGE)")
    if r.interrupted:
        sys.exit(130)
