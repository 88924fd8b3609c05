"""Small PyTorch models exported with torch.onnx.export, run on vinopy and compared with ONNX Runtime."""

from __future__ import annotations

import io

import numpy as np
import pytest

from tests.frontend.onnx.helpers import compare
from vinopy.frontend.onnx import read_onnx

torch = pytest.importorskip("torch")
nn = torch.nn

RTOL = 1e-4


class ResidualCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.block = nn.Sequential(
            nn.Conv2d(8, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1),
            nn.BatchNorm2d(8),
        )
        self.down = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2), nn.BatchNorm2d(16))
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = torch.relu(x + self.block(x))
        x = nn.functional.max_pool2d(self.down(x), 2, ceil_mode=True)
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class SeparableCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(4, 4, 3, padding=1, groups=4)
        self.pointwise = nn.Conv2d(4, 12, 1)
        self.up = nn.ConvTranspose2d(12, 6, 4, stride=2, padding=1, groups=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = nn.functional.hardswish(self.pointwise(nn.functional.relu6(self.depthwise(x))))
        return nn.functional.interpolate(self.up(y), scale_factor=0.5, mode="bilinear", align_corners=False)


class Recurrent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(6, 8, num_layers=2, batch_first=True, bidirectional=True)
        self.gru = nn.GRU(16, 5, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.lstm(x)
        z, h = self.gru(y)
        return z + h.transpose(0, 1)


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.layer = nn.TransformerEncoderLayer(
            16, 4, dim_feedforward=32, dropout=0.0, batch_first=True, activation="gelu"
        )

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.layer(self.embed(tokens), src_key_padding_mask=mask == 0)


def export(
    module: nn.Module, args: tuple, names: list[str], dynamic: dict | None = None, dynamo: bool = False
) -> bytes:
    module.eval()
    buffer = io.BytesIO()
    torch.manual_seed(0)
    # with autograd on, the encoder layer takes its exportable (non-fused) path
    torch.onnx.export(
        module,
        args,
        buffer,
        input_names=names,
        dynamic_axes=dynamic if not dynamo else None,
        opset_version=17 if not dynamo else 18,
        dynamo=dynamo,
    )
    return buffer.getvalue()


def _init(module: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    for m in module.modules():  # non-trivial batch-norm statistics
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    return module


def _tokens(batch: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    mask = np.ones((batch, length), np.int64)
    mask[0, length - 2 :] = 0
    return rng.integers(0, 50, (batch, length)).astype(np.int64), mask


def test_residual_cnn_with_batch_norm_and_dynamic_batch() -> None:
    model = export(_init(ResidualCNN()), (torch.randn(1, 3, 16, 16),), ["x"], {"x": {0: "batch"}})
    assert str(read_onnx(model).input(0).get_partial_shape()) == "[?,3,16,16]"
    for batch in (1, 3):
        compare(
            model,
            {"x": np.random.default_rng(batch).standard_normal((batch, 3, 16, 16), np.float32)},
            rtol=RTOL,
        )


def test_depthwise_separable_and_transposed_conv() -> None:
    model = export(_init(SeparableCNN()), (torch.randn(2, 4, 10, 10),), ["x"])
    compare(model, {"x": np.random.default_rng(0).standard_normal((2, 4, 10, 10), np.float32)}, rtol=RTOL)


def test_lstm_gru_with_dynamic_batch_and_sequence() -> None:
    model = export(_init(Recurrent()), (torch.randn(2, 7, 6),), ["x"], {"x": {0: "batch", 1: "seq"}})
    for shape in ((2, 7, 6), (3, 4, 6)):
        compare(
            model, {"x": np.random.default_rng(0).standard_normal(shape, np.float32)}, rtol=RTOL, atol=1e-5
        )


def test_transformer_encoder_layer_with_attention_mask() -> None:
    tokens, mask = _tokens(2, 6)
    model = export(
        _init(Encoder()),
        (torch.from_numpy(tokens), torch.from_numpy(mask)),
        ["tokens", "mask"],
        {"tokens": {0: "batch", 1: "seq"}, "mask": {0: "batch", 1: "seq"}},
    )
    # the legacy exporter bakes the traced head split into a Reshape, so run the traced shape
    assert str(read_onnx(model).input("tokens").get_partial_shape()) == "[?,?]"
    compare(model, {"tokens": tokens, "mask": mask}, rtol=RTOL, atol=1e-5)


def test_dynamo_export_of_cnn() -> None:
    pytest.importorskip("onnxscript", reason="torch's dynamo exporter needs onnxscript")
    model = export(_init(ResidualCNN()), (torch.randn(2, 3, 16, 16),), ["x"], dynamo=True)
    compare(model, {"x": np.random.default_rng(0).standard_normal((2, 3, 16, 16), np.float32)}, rtol=RTOL)
