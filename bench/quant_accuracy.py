"""INT8 post-training quantization accuracy: vinopy next to NNCF+OpenVINO and ONNX Runtime.

    python bench/quant_accuracy.py
    /tmp/nncf_venv/bin/python bench/quant_accuracy.py   # where nncf imports, NNCF gets a row too

Two models, built here and shared with tests/quantization/test_accuracy.py:

- a small CNN trained in seconds (fixed seed) on scikit-learn's digits (8x8 images, 10 classes),
  scored by top-1 on a held-out test split;
- a 2-layer transformer encoder with random weights, scored by the cosine similarity of its int8
  outputs with the float ones on held-out random inputs (the worst sample and the mean).

Every quantizer gets the same calibration samples, one per dataset item. Rows: vinopy's quantized
model on TEMPLATE and CPU; the same quantized IR (``ov.save_model``) run by OpenVINO's CPU plugin;
NNCF quantizing the float ONNX model, run by OpenVINO's CPU plugin and, saved as IR, by vinopy's;
ONNX Runtime's ``quantize_static`` (QDQ, per-channel int8 weights, MinMax calibration) run by ONNX
Runtime. CPU plugins run in f32 precision (no bf16), so the int8 layers are the only difference.

NNCF is installed in a separate environment so that it cannot change the project's torch, e.g.
``python -m venv /tmp/nncf_venv`` with ``pip install --no-deps nncf`` and its light dependencies,
plus a ``.pth`` file that adds the project venv's site-packages.
"""

from __future__ import annotations

import importlib.util
import io
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

SEED = 0
CLASSES = 10
TEST_SIZE = 450
CALIBRATION_SIZE = 300
TOKENS = 32
D_MODEL = 64
F32 = {"INFERENCE_PRECISION_HINT": "f32"}

# --- digits CNN -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigitsSplit:
    """scikit-learn's digits as [N, 1, 8, 8] float32 images in [0, 1], split once by a fixed seed."""

    train_images: np.ndarray
    train_labels: np.ndarray
    calibration_images: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def digits_split() -> DigitsSplit:
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(SEED).permutation(len(images))
    test, calibration, train = np.split(order, [TEST_SIZE, TEST_SIZE + CALIBRATION_SIZE])
    return DigitsSplit(images[train], labels[train], images[calibration], images[test], labels[test])


def _conv_block(cin: int, cout: int, pool: bool) -> list[nn.Module]:
    block = [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
    return [*block, nn.MaxPool2d(2)] if pool else block


class DigitsCNN(nn.Module):
    """Three conv-BN-ReLU blocks (8x8 -> 2x2) and a linear classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *_conv_block(1, 16, pool=False), *_conv_block(16, 32, pool=True), *_conv_block(32, 64, pool=True)
        )
        self.classifier = nn.Linear(64 * 2 * 2, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def train_digits_cnn(data: DigitsSplit, epochs: int = 6, batch: int = 64) -> DigitsCNN:
    """Adam on the train split, on one thread: deterministic, and on a loaded machine several times
    faster than torch's OpenMP pool, whose threads wait for each other at every small op."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(SEED)
        model = DigitsCNN()
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        images, labels = torch.from_numpy(data.train_images), torch.from_numpy(data.train_labels)
        order = torch.Generator().manual_seed(SEED)
        for _ in range(epochs):
            for index in torch.randperm(len(images), generator=order).split(batch):
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(images[index]), labels[index]).backward()
                optimizer.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval()


def top1(logits: np.ndarray, labels: np.ndarray) -> float:
    return float((logits.argmax(axis=1) == labels).mean())


# --- transformer encoder --------------------------------------------------------------------------


class Encoder(nn.Module):
    """Two post-norm encoder layers (4 heads, GELU feed-forward) on [batch, tokens, D_MODEL] inputs.
    Each layer draws its own weights (nn.TransformerEncoder would copy one layer's, which exporters
    then share between the layers)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(SEED)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                D_MODEL, 4, dim_feedforward=2 * D_MODEL, dropout=0.0, batch_first=True, activation="gelu"
            )
            for _ in range(2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


def encoder_inputs(count: int, seed: int) -> np.ndarray:
    """``count`` random [TOKENS, D_MODEL] sequences, stacked on a batch axis."""
    return np.random.default_rng(seed).standard_normal((count, TOKENS, D_MODEL), np.float32)


def cosine_similarities(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Per sample (first axis): the cosine of the angle between the flattened outputs."""
    got, want = got.reshape(len(got), -1), want.reshape(len(want), -1)
    return (got * want).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1))


# --- shared ---------------------------------------------------------------------------------------


def to_onnx(module: nn.Module, example: np.ndarray) -> bytes:
    """ONNX (opset 17, TorchScript exporter) with one input ``input`` whose batch axis is dynamic."""
    buffer = io.BytesIO()
    # with autograd on, the encoder layer takes its exportable (non-fused) path; the exporter's
    # deprecation and tracer warnings are about its own future, not about these models
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            module.eval(),
            (torch.from_numpy(example),),
            buffer,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    return buffer.getvalue()


def samples(batch: np.ndarray) -> list[np.ndarray]:
    """The calibration items: each sample alone, with a batch axis of 1."""
    return [sample[None] for sample in batch]


# --- the comparison -------------------------------------------------------------------------------

Infer = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Case:
    """One model: its float ONNX file, calibration items, held-out inputs and how outputs are scored."""

    key: str
    title: str
    onnx_path: Path
    calibration: list[np.ndarray]
    test_inputs: np.ndarray
    transformer: bool
    score: Callable[[np.ndarray], str]


def _vinopy_rows(case: Case, workdir: Path) -> Iterator[tuple[str, Infer]]:
    import openvino

    import vinopy as ov
    from vinopy import quantization

    core = ov.Core()
    model = core.read_model(case.onnx_path)
    model_type = quantization.ModelType.TRANSFORMER if case.transformer else None
    quantized = quantization.quantize(
        model, quantization.Dataset(case.calibration), subset_size=CALIBRATION_SIZE, model_type=model_type
    )
    yield "float (vinopy TEMPLATE)", _infer(core.compile_model(model, "TEMPLATE"))
    yield "vinopy int8, TEMPLATE", _infer(core.compile_model(quantized, "TEMPLATE"))
    yield "vinopy int8, CPU", _infer(core.compile_model(quantized, "CPU", F32))
    ir = workdir / f"{case.key}_vinopy_int8.xml"
    ov.save_model(quantized, ir, compress_to_fp16=False)
    yield "vinopy int8 IR, OpenVINO CPU", _infer(openvino.Core().compile_model(ir, "CPU", F32))


def _nncf_rows(case: Case, workdir: Path) -> Iterator[tuple[str, Infer]]:
    if importlib.util.find_spec("nncf") is None:
        print("  (nncf is not importable here: no NNCF rows)")
        return
    import nncf
    import openvino

    import vinopy as ov

    core = openvino.Core()
    model_type = nncf.ModelType.TRANSFORMER if case.transformer else None
    quantized = nncf.quantize(
        core.read_model(case.onnx_path),
        nncf.Dataset(case.calibration),
        subset_size=CALIBRATION_SIZE,
        model_type=model_type,
    )
    yield f"NNCF {nncf.__version__} int8, OpenVINO CPU", _infer(core.compile_model(quantized, "CPU", F32))
    ir = workdir / f"{case.key}_nncf_int8.xml"
    openvino.save_model(quantized, ir, compress_to_fp16=False)
    yield "NNCF int8 IR, vinopy CPU", _infer(ov.Core().compile_model(ir, "CPU", F32))


class _Calibration:
    """onnxruntime's CalibrationDataReader protocol over the calibration items."""

    def __init__(self, items: list[np.ndarray]) -> None:
        self._items = iter(items)

    def get_next(self) -> dict[str, np.ndarray] | None:
        item = next(self._items, None)
        return None if item is None else {"input": item}


def _onnxruntime_row(case: Case, workdir: Path) -> Iterator[tuple[str, Infer]]:
    import onnxruntime
    from onnxruntime.quantization import QuantFormat, quantize_static

    quantized = workdir / f"{case.key}_ort_int8.onnx"
    quantize_static(
        str(case.onnx_path),
        str(quantized),
        _Calibration(case.calibration),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
    )
    session = onnxruntime.InferenceSession(str(quantized), providers=["CPUExecutionProvider"])
    yield f"ONNX Runtime {onnxruntime.__version__} int8 (QDQ)", lambda x: session.run(None, {"input": x})[0]


def _infer(compiled: Callable[[np.ndarray], Any]) -> Infer:
    """An OpenVINO-style compiled model as a function of its one input to its first output."""
    return lambda x: np.asarray(compiled(x)[0])


def _report(case: Case, workdir: Path) -> None:
    print(f"\n{case.title}")
    rows = [*_vinopy_rows(case, workdir), *_nncf_rows(case, workdir), *_onnxruntime_row(case, workdir)]
    for label, infer in rows:
        print(f"  {label:<44} {case.score(infer(case.test_inputs))}")


def _digits_case(workdir: Path) -> Case:
    data = digits_split()
    path = workdir / "digits_cnn.onnx"
    path.write_bytes(to_onnx(train_digits_cnn(data), data.test_images[:1]))
    return Case(
        "digits_cnn",
        "digits CNN: top-1 on the test split",
        path,
        samples(data.calibration_images),
        data.test_images,
        transformer=False,
        score=lambda logits: f"top-1 {top1(logits, data.test_labels):.4f}",
    )


def _encoder_case(workdir: Path) -> Case:
    module = Encoder()
    inputs = encoder_inputs(64, seed=2)
    with torch.no_grad():
        want = module(torch.from_numpy(inputs)).numpy()
    path = workdir / "encoder.onnx"
    path.write_bytes(to_onnx(module, inputs[:1]))

    def score(outputs: np.ndarray) -> str:
        cosine = cosine_similarities(outputs, want)
        return f"cosine with torch float: min {cosine.min():.5f}, mean {cosine.mean():.5f}"

    return Case(
        "encoder",
        "transformer encoder: cosine similarity with float",
        path,
        samples(encoder_inputs(CALIBRATION_SIZE, seed=1)),
        inputs,
        transformer=True,
        score=score,
    )


def main() -> None:
    print(f"python {sys.version.split()[0]}, torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for case in (_digits_case(workdir), _encoder_case(workdir)):
            _report(case, workdir)


if __name__ == "__main__":
    main()
