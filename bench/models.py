"""The benchmark models, defined in PyTorch with random weights (no downloads) and exported to ONNX.

Each entry of ``MODELS`` builds a module and its example inputs; ``export`` writes the ONNX file once
into the cache folder and later runs reuse it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

# --- ResNet-50 ----------------------------------------------------------------------------------


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]


class Bottleneck(nn.Module):
    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        cout = width * 4
        self.body = nn.Sequential(
            *conv_bn(cin, width, 1),
            nn.ReLU(),
            *conv_bn(width, width, 3, stride),
            nn.ReLU(),
            *conv_bn(width, cout, 1),
        )
        self.skip = (
            nn.Sequential(*conv_bn(cin, cout, 1, stride)) if stride != 1 or cin != cout else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.skip(x))


class ResNet50(nn.Module):
    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [*conv_bn(3, 64, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            for i in range(blocks):
                layers.append(Bottleneck(cin, width, stride if i == 0 else 1))
                cin = width * 4
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


# --- MobileNetV2 --------------------------------------------------------------------------------


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = [*conv_bn(cin, hidden, 1), nn.ReLU6()] if expand != 1 else []
        layers += [*conv_bn(hidden, hidden, 3, stride, groups=hidden), nn.ReLU6(), *conv_bn(hidden, cout, 1)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(nn.Module):
    SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2))

    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [*conv_bn(3, 32, 3, 2), nn.ReLU6()]
        cin = 32
        for expand, cout, repeats, stride in (*self.SETTINGS, (6, 320, 1, 1)):
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        layers += [*conv_bn(cin, 1280, 1), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(1280, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


# --- BERT ---------------------------------------------------------------------------------------


class EncoderLayer(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(3))
        self.out = nn.Linear(hidden, hidden)
        self.norm1, self.norm2 = nn.LayerNorm(hidden, eps=1e-12), nn.LayerNorm(hidden, eps=1e-12)
        self.ffn = nn.Sequential(nn.Linear(hidden, ffn), nn.GELU(), nn.Linear(ffn, hidden))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n, s, h = x.shape
        q, k, v = (lin(x).view(n, s, self.heads, h // self.heads).transpose(1, 2) for lin in self.qkv)
        scores = q @ k.transpose(-1, -2) / math.sqrt(h // self.heads) + mask
        context = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(n, s, h)
        x = self.norm1(x + self.out(context))
        return self.norm2(x + self.ffn(x))


class Bert(nn.Module):
    def __init__(self, layers: int = 12, hidden: int = 768, heads: int = 12, vocab: int = 30522) -> None:
        super().__init__()
        self.words = nn.Embedding(vocab, hidden)
        self.positions = nn.Embedding(512, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(EncoderLayer(hidden, heads, hidden * 4) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = self.norm(self.words(input_ids) + self.positions(positions))
        mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
        for layer in self.layers:
            x = layer(x, mask)
        return torch.tanh(self.pooler(x[:, 0]))


# --- MLP and a YOLO-style detector --------------------------------------------------------------


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def cbs(cin: int, cout: int, k: int = 1, stride: int = 1) -> nn.Sequential:
    """Conv + BN + SiLU, the YOLO building block."""
    return nn.Sequential(*conv_bn(cin, cout, k, stride), nn.SiLU())


class CSPBlock(nn.Module):
    def __init__(self, cin: int, cout: int, repeats: int) -> None:
        super().__init__()
        mid = cout // 2
        self.a, self.b = cbs(cin, mid), cbs(cin, mid)
        self.m = nn.Sequential(*(nn.Sequential(cbs(mid, mid), cbs(mid, mid, 3)) for _ in range(repeats)))
        self.out = cbs(2 * mid, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.cat([self.m(self.a(x)), self.b(x)], 1))


class Sppf(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.a, self.out, self.pool = cbs(c, c // 2), cbs(c * 2, c), nn.MaxPool2d(5, 1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y0 = self.a(x)
        y1 = self.pool(y0)
        y2 = self.pool(y1)
        return self.out(torch.cat([y0, y1, y2, self.pool(y2)], 1))


class TinyYolo(nn.Module):
    """A YOLOv5n-sized detector: CSP backbone, SPPF, an upsampling neck and two detection heads."""

    def __init__(self, classes: int = 80, anchors: int = 3) -> None:
        super().__init__()
        self.stem = nn.Sequential(cbs(3, 16, 3, 2), cbs(16, 32, 3, 2), CSPBlock(32, 32, 1))
        self.p4 = nn.Sequential(
            cbs(32, 64, 3, 2), CSPBlock(64, 64, 2), cbs(64, 128, 3, 2), CSPBlock(128, 128, 3)
        )
        self.p5 = nn.Sequential(cbs(128, 256, 3, 2), CSPBlock(256, 256, 1), Sppf(256))
        self.lateral, self.up = cbs(256, 128), nn.Upsample(scale_factor=2.0, mode="nearest")
        self.fuse = CSPBlock(256, 128, 1)
        outs = anchors * (classes + 5)
        self.head4, self.head5 = nn.Conv2d(128, outs, 1), nn.Conv2d(128, outs, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        p4 = self.p4(self.stem(x))
        lat = self.lateral(self.p5(p4))
        y4 = self.fuse(torch.cat([self.up(lat), p4], 1))
        return torch.sigmoid(self.head4(y4)), torch.sigmoid(self.head5(lat))


# --- registry and export ------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchModel:
    name: str
    build: Callable[[], nn.Module]
    inputs: Callable[[np.random.Generator], dict[str, np.ndarray]]
    description: str
    transformer: bool = False  # quantized with ModelType.TRANSFORMER


def _image(size: int) -> Callable[[np.random.Generator], dict[str, np.ndarray]]:
    return lambda rng: {"input": rng.standard_normal((1, 3, size, size)).astype(np.float32)}


def _tokens(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "input_ids": rng.integers(0, 30522, (1, 128), dtype=np.int64),
        "attention_mask": np.ones((1, 128), np.int64),
    }


MODELS: dict[str, BenchModel] = {
    m.name: m
    for m in (
        BenchModel("resnet50", ResNet50, _image(224), "ResNet-50, 1x3x224x224"),
        BenchModel("mobilenet_v2", MobileNetV2, _image(224), "MobileNetV2, 1x3x224x224"),
        BenchModel("bert_base", Bert, _tokens, "BERT-base (12 layers, 768 hidden), seq 128", True),
        BenchModel(
            "mlp",
            mlp,
            lambda rng: {"input": rng.standard_normal((1, 784)).astype(np.float32)},
            "MLP 784-512-512-10",
        ),
        BenchModel("yolo_tiny", TinyYolo, _image(320), "YOLOv5n-style detector, 1x3x320x320"),
    )
}


def _randomize(module: nn.Module) -> None:
    """Random but well-scaled statistics, so BatchNorm folding is exercised with real values."""
    gen = torch.Generator().manual_seed(0)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


def export(model: BenchModel, cache: Path, opset: int = 17) -> Path:
    """The model's ONNX file in ``cache``, exported on first use."""
    path = cache / f"{model.name}.onnx"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    module = model.build().eval()
    _randomize(module)
    example = model.inputs(np.random.default_rng(0))
    args = tuple(torch.from_numpy(v) for v in example.values())
    tmp = path.with_suffix(".tmp")
    with torch.no_grad():
        torch.onnx.export(
            module, args, str(tmp), input_names=list(example), opset_version=opset, dynamo=False
        )
    tmp.rename(path)
    return path
