"""Fine-tuning: start a torch recognizer from trained weights instead of from scratch.

Three steps, then the ordinary training loop of :mod:`.loop` (same data mix, held-out split,
augmentation, schedule and results folder), configured by ``TrainConfig.freeze``:

1. :func:`start_from` loads the starting point: a saved model, a shipped one by name, or a
   ``squeezenet`` with ImageNet features.
2. :func:`transfer` copies every weight into a recognizer over the 36 training classes. The
   classifier's last layer is kept when the class lists agree; otherwise its rows are carried
   over class by class for the classes both lists share and the new classes start fresh
   (a letters-only model keeps what it knows about letters and learns the digits).
3. :func:`freeze` either fixes the feature extractor so that only the head learns (the
   classic choice for a few hundred samples), or leaves it to learn at
   :data:`~.config.FEATURE_LR_SCALE` times the head's rate (the recognizer's parameter groups),
   which moves the pretrained features only a little while the head learns at full speed.
"""
from __future__ import annotations

from dataclasses import replace

from ocr_cli.charset import CLASSES
from ocr_cli.data import SYNTHETIC_DEFAULT_N
from ocr_cli.errors import OcrError
from ocr_cli.training.config import FEATURE_LR_SCALE, TrainConfig, check_freeze
from ocr_cli.training.loop import train


def start_from(model=None, pretrained=None):
    """The starting recognizer: ``model`` (a saved model file or a shipped model's name), or a
    ``squeezenet`` with ImageNet features from ``pretrained`` (a local ``squeezenet1_1`` weights
    file, or ``"imagenet"`` to let torchvision download them)."""
    from ocr_cli.recognizers import get_recognizer_class, load_recognizer
    from ocr_cli.recognizers.catalog import resolve_model

    if pretrained is not None:
        if model not in (None, "squeezenet"):
            raise OcrError("--pretrained starts a squeezenet from ImageNet weights; do not combine it with --from")
        rec = get_recognizer_class("squeezenet")(CLASSES)
        rec.load_imagenet(None if pretrained == "imagenet" else pretrained)
        rec.info = {"imagenet": str(pretrained)}  # its 36-way head is untrained
        return rec
    if model is None:
        raise OcrError("give --from MODEL (a saved model or a shipped model's name) or --pretrained PATH")
    return load_recognizer(resolve_model(model))


def transfer(src, classes: str = CLASSES):
    """A recognizer of ``src``'s kind and architecture over ``classes``, initialised from ``src``.

    Returns ``(rec, carried)``: ``carried`` is the string of classes whose head rows came from
    ``src``; the other rows keep their fresh initialisation. ``rec.info`` is ``src``'s record
    (command, code, metrics), which the fine-tuned model's sidecar keeps as its starting model's.
    """
    import torch

    if not src.uses_torch:
        raise OcrError(f"fine-tuning needs a torch model (fc, cnn, squeezenet), not {src.name!r}")
    dst = type(src).from_arch(classes, **src.arch())
    state, new = src.net.state_dict(), dst.net.state_dict()
    head = src.head_names()
    if state[head[0]].shape[0] != len(src.classes):
        raise OcrError(f"{src.name}: last layer has {state[head[0]].shape[0]} outputs for {len(src.classes)} classes")
    carried = "".join(c for c in classes if c in src.classes)
    with torch.no_grad():
        for name, value in state.items():
            if name in head:
                for c in carried:
                    new[name][classes.index(c)] = value[src.classes.index(c)]
            else:
                new[name].copy_(value)
    dst.net.load_state_dict(new)
    dst.info = dict(src.info)
    return dst, carried


def freeze(rec, what: str = "features") -> int:
    """Freeze the features (``"features"``) or leave them trainable (``"none"``, where the run
    slows them down); return how many parameters train."""
    if check_freeze(what) == "features":
        for p in rec.feature_parameters():
            p.requires_grad_(False)
    return sum(p.numel() for p in rec.net.parameters() if p.requires_grad)


def _head(start, carried: str) -> str:
    if "imagenet" in start.info:
        return "new (ImageNet features)"
    if carried == start.classes == CLASSES:
        return "kept"
    return f"replaced ({len(carried)} of {len(CLASSES)} class rows carried over)"


def finetune(start, mix, cfg: TrainConfig, log=print):
    """Fine-tune the recognizer ``start`` on ``mix`` as ``cfg`` says (``cfg.freeze`` defaults to "none").

    Returns the :class:`~.report.RunResult`; the saved sidecar gains a ``finetune`` entry
    (starting point, head, freezing, learning rate).
    """
    import torch

    cfg = replace(cfg, freeze=cfg.freeze or "none")
    torch.manual_seed(cfg.seed)  # the fresh head rows, if any
    rec, carried = transfer(start)
    trainable = freeze(rec, cfg.freeze)
    lr = cfg.lr or rec.defaults.lr
    head = _head(start, carried)
    slow = f" (features x{FEATURE_LR_SCALE:g})" if cfg.freeze == "none" else ""
    log(f"fine-tuning {rec.name} from {cfg.init_from or 'given model'}: head {head}, freeze {cfg.freeze}, "
        f"{trainable:,} trainable parameters, lr {lr:g}{slow}")
    record = {"from": str(cfg.init_from) if cfg.init_from else None, "head": head, "freeze": cfg.freeze,
              "trainable_parameters": trainable, "lr": lr, "feature_lr": lr * FEATURE_LR_SCALE if cfg.freeze == "none" else 0.0}
    cfg = replace(cfg, model=rec.name, lr=lr, sidecar={"finetune": record, **cfg.sidecar})
    return train(cfg, mix, rec=rec, log=log)


def run_finetune(cfg: TrainConfig, model, datasets: str, pretrained=None, val=None, data_dir=None,
                 synthetic_n: int = SYNTHETIC_DEFAULT_N, repeat_real: int = 1, log=print):
    """What ``ocr finetune`` does: load the starting point (failing fast), then the data, then fine-tune."""
    from ocr_cli.data.mix import DataMix
    from ocr_cli.fileio.writing import locked_folder
    from ocr_cli.recognizers.catalog import resolve_model
    from ocr_cli.training.loop import check_outputs, dataset_paths

    check_freeze(cfg.freeze)
    with locked_folder(cfg.out):
        start = start_from(model, pretrained)
        check_outputs([cfg.out], start.name, [resolve_model(model) if model else None, pretrained,
                                               *dataset_paths(datasets, val)])
        mix = DataMix.load(datasets, val, data_dir, synthetic_n, repeat_real)
        source = f"imagenet:{pretrained}" if pretrained is not None else model
        return finetune(start, mix, replace(cfg, init_from=source), log=log)
