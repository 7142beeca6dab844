"""``squeezenet``: torchvision's SqueezeNet 1.1 adapted to grey 32×32 glyphs.

The interesting part is transfer from ImageNet, so the adaptations keep the pretrained
filters usable rather than redesigning the net:

* **Input size.** SqueezeNet shrinks its input 16× before the last Fire modules; a 32×32
  glyph would reach them as a single pixel, where their 3×3 filters see only padding. The
  glyph is upsampled (bilinear) to ``input_size`` = 64 so they work on 3×3 maps.
  64 rather than ImageNet's 224 keeps CPU inference to a few ms per glyph.
* **One channel.** The first conv's RGB filters are summed into one grey filter, which is
  exactly what repeating the grey image into three channels would compute, at a third of
  the first layer's cost.
* **Photo-like input.** Samples have ink = 1 on 0; photos of writing are dark ink on light
  paper. The net sees ``1 - x`` normalised with ImageNet's mean and std (averaged over RGB).
* **Head.** The 1000-way classifier becomes a 1×1 conv to ``len(classes)`` followed by
  global average pooling. torchvision's ReLU before the pooling is dropped: logits fed to
  a softmax must be free to go negative.

ImageNet weights come from torchvision's download (when online) or from a local
``squeezenet1_1`` state-dict file: :meth:`SqueezeNetRecognizer.load_imagenet`.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ocr_cli.errors import OcrError
from ocr_cli.recognizers.base import TrainDefaults
from ocr_cli.recognizers.torch_nets import TorchRecognizer

GREY_MEAN = (0.485 + 0.456 + 0.406) / 3  # ImageNet's per-channel statistics, averaged
GREY_STD = (0.229 + 0.224 + 0.225) / 3


class GreySqueezeNet(nn.Module):
    """SqueezeNet 1.1 features with a one-channel stem and an ``n_classes`` head.

    ``forward`` takes canonical samples ``(N, 32, 32)`` (or ``(N, 1, 32, 32)``) and returns logits.
    """

    def __init__(self, n_classes: int, input_size: int = 64):
        super().__init__()
        from torchvision.models import squeezenet1_1

        base = squeezenet1_1(weights=None)
        stem = base.features[0]
        base.features[0] = nn.Conv2d(1, stem.out_channels, stem.kernel_size, stem.stride)
        self.input_size = input_size
        self.features = base.features
        self.classifier = nn.Sequential(nn.Dropout(p=0.5), nn.Conv2d(512, n_classes, kernel_size=1),
                                        nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3:
            x = x.unsqueeze(1)
        x = ((1.0 - x) - GREY_MEAN) / GREY_STD
        if x.shape[-1] != self.input_size:
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False)
        return self.classifier(self.features(x))


def imagenet_state_dict(source: str | Path | None = None) -> dict:
    """ImageNet ``squeezenet1_1`` weights from a local file, or torchvision's download if ``source`` is None."""
    if source is None:
        from torchvision.models import SqueezeNet1_1_Weights

        try:
            return SqueezeNet1_1_Weights.IMAGENET1K_V1.get_state_dict(progress=False)
        except OSError as e:  # URLError and socket errors are OSErrors
            raise OcrError(f"cannot download ImageNet SqueezeNet weights ({e}); "
                           "pass --pretrained PATH to a local squeezenet1_1 weights file") from None
    import zipfile

    from ocr_cli.fileio.reading import MAX_ZIP_BYTES, open_input
    from ocr_cli.recognizers.ptfile import read_state_dict

    path = Path(source)
    with open_input(path, MAX_ZIP_BYTES, "weights file") as f:  # a regular file of bounded size
        is_zip = zipfile.is_zipfile(f)
    if is_zip:  # torch's format since 1.6: the checked reader every model goes through
        state = {k: torch.from_numpy(v) for k, v in read_state_dict(path).items()}
    else:  # torchvision's own older files; sizes bounded by the file's
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # pickle and torch errors alike mean "not a weights file"
            raise OcrError(f"{path}: not a torch weights file ({type(e).__name__})") from None
    if not isinstance(state, dict) or "features.0.weight" not in state:
        raise OcrError(f"{path}: not a squeezenet1_1 state dict (no 'features.0.weight')")
    return state


class SqueezeNetRecognizer(TorchRecognizer):
    """SqueezeNet 1.1 over grey glyphs; random init, or ImageNet features via :meth:`load_imagenet`."""

    name = "squeezenet"
    defaults = TrainDefaults(optimizer="adamw", lr=2e-3, batch_size=64, epochs=10, weight_decay=0.01)  # as the cnn

    def __init__(self, classes: str, input_size: int = 64):
        super().__init__(classes)
        if isinstance(input_size, bool) or not isinstance(input_size, int) or not 32 <= input_size <= 512:
            raise OcrError(f"squeezenet input size must be a whole number from 32 to 512, got {str(input_size)[:20]}")
        self.net = GreySqueezeNet(len(classes), input_size)

    def arch(self) -> dict:
        return {"input_size": self.net.input_size}

    def load_imagenet(self, source: str | Path | None = None) -> None:
        """Copy ImageNet features into the net (stem summed over RGB); the head stays fresh.

        ``source`` is a path to a torchvision ``squeezenet1_1`` state dict, or None to let
        torchvision download it (cached under ``$TORCH_HOME``).
        """
        state = imagenet_state_dict(source)
        features = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
        features["0.weight"] = features["0.weight"].sum(dim=1, keepdim=True)
        try:
            self.net.features.load_state_dict(features)
        except RuntimeError as e:
            first = str(e).strip().splitlines()[-1].strip()
            raise OcrError(f"{source}: weights do not fit squeezenet1_1 ({first})") from None
