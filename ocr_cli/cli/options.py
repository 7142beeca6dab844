"""Option groups shared by several commands, and the command line as a model's sidecar records it.

Each group is a decorator adding its options in help order, so a setting is defined once
for every command that takes it. NumPy, torch and matplotlib stay unimported here.
"""
from __future__ import annotations

import functools
import math

import click

from ocr_cli.data import MAX_REPEAT, MAX_SYNTHETIC_N, SYNTHETIC_DEFAULT_N
from ocr_cli.recognizers import REGISTRY

MODEL_CHOICE = click.Choice(list(REGISTRY))  # kinds of recognizer, for training


class ModelName(click.Choice):
    """A model's name (shipped, or in ``$OCR_MODELS_DIR``): the choices are the models there are,
    listed when first needed (:func:`~ocr_cli.recognizers.catalog.model_names`)."""

    def __init__(self):
        super().__init__([])

    @property
    def choices(self):
        from ocr_cli.recognizers.catalog import model_names

        return model_names()

    @choices.setter
    def choices(self, value):
        pass


class FiniteFloatRange(click.FloatRange):
    """A float range that also refuses ``nan`` and ``inf`` (click's range lets NaN through:
    every comparison with it is false)."""

    name = "finite float range"

    def convert(self, value, param, ctx):
        v = super().convert(value, param, ctx)
        if not math.isfinite(v):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return v


SEED = click.IntRange(0, 2**32 - 1)  # what NumPy and torch both take
LEARNING_RATE = FiniteFloatRange(0, 10, min_open=True)
SYNTHETIC_N = click.IntRange(0, MAX_SYNTHETIC_N)
REPEAT = click.IntRange(1, MAX_REPEAT)
BATCH_SIZE = click.IntRange(1, 1024)  # a cnn batch of 1,024 already holds ~0.4 GB of activations


def needs(extra: str):
    """Decorator (just below ``@click.command()``): the command needs ``pip install 'ocr-cli[EXTRA]'``;
    without it, it stops at once with one error line naming the extra. Its help says so too."""
    def decorate(f):
        @functools.wraps(f)
        def command(*args, **kwargs):
            from ocr_cli.extras import require

            require(extra, f"`{click.get_current_context().command_path}`")
            return f(*args, **kwargs)

        command.__doc__ = f"{f.__doc__ or ''}\n\n    Needs the [{extra}] extra: pip install 'ocr-cli[{extra}]'."
        return command

    return decorate


def option_group(*options):
    """One decorator applying ``options`` so that they appear in the given order."""
    def decorate(f):
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


data_dir_option = click.option("--data-dir", type=click.Path(file_okay=False), default=None,
                               help="Where dataset files live (default: $OCR_DATA_DIR or ./data).")
threads_option = click.option("--threads", type=click.IntRange(1, 256), default=None,
                              help="torch CPU threads (default: one per core, less one for the process that renders "
                                   "synthetic data beside training).")
seed_option = click.option("--seed", type=SEED, default=0, show_default=True,
                           help="Seed of initialisation, order, augmentation, synthetic data.")
val_option = click.option("--val", default=None,
                          help="Extra sources to validate on (their held-out part), not trained on.")

# --model / --weights of the page commands
page_model_options = option_group(
    click.option("--model", type=ModelName(), default=None,
                 help="A model by name: a shipped one or one in $OCR_MODELS_DIR (see `ocr models`)  [default: cnn]"),
    click.option("--weights", type=click.Path(dir_okay=False), default=None,
                 help="A saved model file (.pt/.npz or its .json sidecar) instead of a named model."),
)

# the data mix of `ocr train` and `ocr finetune` (ocr_cli.data.mix.DataMix)
mix_options = option_group(
    click.option("--synthetic", "synthetic_n", type=SYNTHETIC_N, default=SYNTHETIC_DEFAULT_N, show_default=True,
                 help="Fresh synthetic samples per epoch (when 'synthetic' is a source)."),
    click.option("--repeat-real", type=REPEAT, default=1, show_default=True,
                 help="Show each real source's training part this many times per epoch (differently augmented)."),
    click.option("--no-augment", is_flag=True, help="Train on the samples as they are."),
    data_dir_option,
    threads_option,
)


def command_line(ctx: click.Context, prefix: str) -> str:
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
