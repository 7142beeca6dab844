"""Fine-tuning: start a torch recognizer from trained weights instead of from scratch.

Three steps, then the ordinary training loop of :mod:`ocr_cli.train` (same data mix,
held-out split, augmentation, schedule and results folder):

1. :func:`start_from` loads the starting point: a saved model, a shipped one by name, or a
   ``squeezenet`` with ImageNet features.
2. :func:`transfer` copies every weight into a recognizer over the 36 training classes. The
   classifier's last layer is kept when the class lists agree; otherwise its rows are carried
   over class by class for the classes both lists share and the new classes start fresh
   (a letters-only model keeps what it knows about letters and learns the digits).
3. :func:`freeze` either fixes the feature extractor so that only the head learns (the
   classic choice for a few hundred samples), or lets it learn at a tenth of the head's rate,
   which moves the pretrained features only a little while the head learns at full speed.
"""
from __future__ import annotations

from pathlib import Path

from ocr_cli.charset import CLASSES
from ocr_cli.errors import OcrError

FREEZE_CHOICES = ("features", "none")
FEATURE_LR_SCALE = 0.1  # --freeze none: the features learn at a tenth of the head's rate


def start_from(model=None, pretrained=None):
    """The starting recognizer: ``model`` (a saved model file or a shipped model's name), or a
    ``squeezenet`` with ImageNet features from ``pretrained`` (a local ``squeezenet1_1`` weights
    file, or ``"imagenet"`` to let torchvision download them)."""
    from ocr_cli.recognizers import REGISTRY, default_model_path, get_recognizer_class, load_recognizer

    if pretrained is not None:
        if model not in (None, "squeezenet"):
            raise OcrError("--pretrained starts a squeezenet from ImageNet weights; do not combine it with --from")
        rec = get_recognizer_class("squeezenet")(CLASSES)
        rec.load_imagenet(None if pretrained == "imagenet" else pretrained)
        rec.info = {"imagenet": str(pretrained)}  # its 36-way head is untrained
        return rec
    if model is None:
        raise OcrError("give --from MODEL (a saved model or a shipped model's name) or --pretrained PATH")
    path = Path(model)
    if not path.exists() and not path.with_suffix(".json").exists() and model in REGISTRY:
        path = default_model_path(model)
    return load_recognizer(path)


def _head_names(net) -> tuple[str, str]:
    """Names of the last layer's weight and bias: the final parameters registered in the net."""
    names = [n for n, _ in net.named_parameters()]
    return names[-2], names[-1]


def transfer(src, classes: str = CLASSES):
    """A recognizer of ``src``'s kind and architecture over ``classes``, initialised from ``src``.

    Returns ``(rec, carried)``: ``carried`` is the string of classes whose head rows came from
    ``src``; the other rows keep their fresh initialisation.
    """
    import torch

    if not hasattr(src, "net"):
        raise OcrError(f"fine-tuning needs a torch model (fc, cnn, squeezenet), not {src.name!r}")
    dst = type(src).from_arch(classes, **src.arch())
    state, new = src.net.state_dict(), dst.net.state_dict()
    head = _head_names(src.net)
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
    return dst, carried


def feature_parameters(net) -> list:
    """The net's ``features`` block (``cnn``, ``squeezenet``), or for ``fc`` every layer but the last."""
    block = getattr(net, "features", None)
    if block is not None:
        return list(block.parameters())
    head = _head_names(net)
    return [p for n, p in net.named_parameters() if n not in head]


def freeze(rec, what: str = "features") -> int:
    """Freeze the features (``"features"``) or slow them down (``"none"``); return how many parameters train.

    ``"none"`` marks them with ``lr_scale`` = :data:`FEATURE_LR_SCALE`, which the training
    step turns into a slower optimiser parameter group.
    """
    if what not in FREEZE_CHOICES:
        raise OcrError(f"--freeze {what!r}: choose one of {', '.join(FREEZE_CHOICES)}")
    for p in feature_parameters(rec.net):
        if what == "features":
            p.requires_grad_(False)
        else:
            p.lr_scale = FEATURE_LR_SCALE
    return sum(p.numel() for p in rec.net.parameters() if p.requires_grad)


def finetune(start, mix, out, freeze_what: str = "none", epochs=None, lr=None, batch_size=None, seed: int = 0,
             augment: bool = True, threads=None, command=None, progress: bool = True, log=print, source=None):
    """Fine-tune the recognizer ``start`` on ``mix`` (a :class:`ocr_cli.train.DataMix`) into ``out``.

    Returns the :class:`ocr_cli.train.RunResult`; the saved sidecar gains a ``finetune``
    entry (starting point, head, freezing, learning rate).
    """
    import torch

    from ocr_cli.fileio import read_json, write_json
    from ocr_cli.train import DEFAULTS, train

    torch.manual_seed(seed)  # the fresh head rows, if any
    rec, carried = transfer(start)
    trainable = freeze(rec, freeze_what)
    lr = lr or DEFAULTS.get(rec.name, DEFAULTS["cnn"])["lr"]
    if "imagenet" in getattr(start, "info", {}):
        head = "new (ImageNet features)"
    elif carried == start.classes == CLASSES:
        head = "kept"
    else:
        head = f"replaced ({len(carried)} of {len(CLASSES)} class rows carried over)"
    slow = f" (features x{FEATURE_LR_SCALE:g})" if freeze_what == "none" else ""
    log(f"fine-tuning {rec.name} from {source or 'given model'}: head {head}, freeze {freeze_what}, "
        f"{trainable:,} trainable parameters, lr {lr:g}{slow}")
    result = train(rec.name, mix, out, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, augment=augment,
                   threads=threads, command=command, progress=progress, log=log, init_from=source, rec=rec)
    if result.model_path is not None:
        sidecar = result.model_path.with_suffix(".json")
        meta = read_json(sidecar)
        meta["finetune"] = {"from": str(source) if source else None, "head": head, "freeze": freeze_what,
                            "trainable_parameters": trainable, "lr": lr,
                            "feature_lr": lr * FEATURE_LR_SCALE if freeze_what == "none" else 0.0}
        write_json(sidecar, meta)
    return result


def run_finetune(model, datasets: str, out, pretrained=None, val=None, data_dir=None, synthetic_n: int = 10_000,
                 repeat_real: int = 1, freeze_what: str = "none", log=print, **kw):
    """What ``ocr finetune`` does: load the starting point (failing fast), then the data, then fine-tune."""
    from ocr_cli.train import DataMix

    if synthetic_n < 0 or repeat_real < 1:
        raise OcrError("--synthetic must be >= 0 and --repeat-real >= 1")
    if freeze_what not in FREEZE_CHOICES:
        raise OcrError(f"--freeze {freeze_what!r}: choose one of {', '.join(FREEZE_CHOICES)}")
    start = start_from(model, pretrained)
    mix = DataMix.load(datasets, val=val, data_dir=data_dir, synthetic_n=synthetic_n, repeat_real=repeat_real)
    source = f"imagenet:{pretrained}" if pretrained is not None else model
    return finetune(start, mix, out, freeze_what=freeze_what, log=log, source=source, **kw)
