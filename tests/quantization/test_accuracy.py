"""Accuracy of int8 post-training quantization on real models (issue #8's targets).

A CNN trained on scikit-learn's digits loses at most 1 point of top-1, and a transformer encoder's
int8 outputs keep a cosine similarity of at least 0.99 with float ones: on TEMPLATE (the quantized
graph in f32 arithmetic) and on CPU (oneDNN's int8 kernels). The models are those of
bench/quant_accuracy.py, which puts the same figures next to NNCF's and ONNX Runtime's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import vinopy as ov
import vinopy.quantization as nncf
from bench.quant_accuracy import (
    CALIBRATION_SIZE,
    F32,
    DigitsSplit,
    Encoder,
    cosine_similarities,
    digits_split,
    encoder_inputs,
    samples,
    to_onnx,
    top1,
    train_digits_cnn,
)
from vinopy.plugins.cpu import CPUPlugin

CPU_AVAILABLE, CPU_MISSING = CPUPlugin().is_available()
DEVICES = ["TEMPLATE", pytest.param("CPU", marks=pytest.mark.skipif(not CPU_AVAILABLE, reason=CPU_MISSING))]
ENCODER_CALIBRATION = 100  # sequences: enough for stable ranges, and a third of the time of 300


def _run(model: ov.Model, device: str, inputs: np.ndarray) -> np.ndarray:
    return np.asarray(ov.Core().compile_model(model, device, F32 if device == "CPU" else None)(inputs)[0])


def _source_type(node: ov.Node, port: int) -> str:
    return node.input_value(port).get_node().get_type_name()


def _has_int8_weights(node: ov.Node) -> bool:
    """Port 1 reads i8 values through Convert and a scale Multiply, as quantize() writes them."""
    scale = node.input_value(1).get_node()
    if scale.get_type_name() != "Multiply" or _source_type(scale, 0) != "Convert":
        return False
    return scale.input_value(0).get_node().input_value(0).get_element_type() == ov.Type.i8


def _weighted_layers(model: ov.Model, fed_by_fake_quantize: bool = False) -> list[ov.Node]:
    """Convolutions and MatMuls with int8 weights; optionally only those reading a FakeQuantize."""
    return [
        node
        for node in model.get_ordered_ops()
        if node.get_type_name() in ("Convolution", "MatMul")
        and _has_int8_weights(node)
        and (not fed_by_fake_quantize or _source_type(node, 0) == "FakeQuantize")
    ]


def _cpu_backends(model: ov.Model, layers: list[ov.Node]) -> set[str]:
    """The CPU plugin's backends for ``layers``, without oneDNN's implementation names."""
    backends = CPUPlugin().query_backends(model, F32)
    return {backends[node.get_friendly_name()].split(" (")[0] for node in layers}


@pytest.fixture(scope="module")
def digits() -> DigitsSplit:
    return digits_split()


@pytest.fixture(scope="module")
def digits_models(digits: DigitsSplit) -> tuple[ov.Model, ov.Model]:
    """The trained CNN as read from ONNX, and its quantized copy."""
    float_model = ov.Core().read_model(to_onnx(train_digits_cnn(digits), digits.test_images[:1]))
    calibration = nncf.Dataset(samples(digits.calibration_images))
    return float_model, nncf.quantize(float_model, calibration, subset_size=CALIBRATION_SIZE)


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


@pytest.fixture(scope="module")
def encoder_outputs(encoder: Encoder) -> tuple[np.ndarray, np.ndarray]:
    """Held-out inputs of the random-weight encoder, and torch's float outputs for them."""
    inputs = encoder_inputs(32, seed=2)
    with torch.no_grad():
        return inputs, encoder(torch.from_numpy(inputs)).numpy()


@pytest.fixture(scope="module")
def quantized_encoder(encoder: Encoder) -> ov.Model:
    float_model = ov.Core().read_model(to_onnx(encoder, encoder_inputs(1, seed=0)))
    calibration = nncf.Dataset(samples(encoder_inputs(ENCODER_CALIBRATION, seed=1)))
    return nncf.quantize(
        float_model, calibration, subset_size=ENCODER_CALIBRATION, model_type=nncf.ModelType.TRANSFORMER
    )


def test_trained_cnn_is_a_good_classifier(
    digits: DigitsSplit, digits_models: tuple[ov.Model, ov.Model]
) -> None:
    # a broken training would make "no drop after quantization" meaningless
    assert top1(_run(digits_models[0], "TEMPLATE", digits.test_images), digits.test_labels) >= 0.95


@pytest.mark.parametrize("device", DEVICES)
def test_cnn_top1_drops_at_most_one_point(
    digits: DigitsSplit, digits_models: tuple[ov.Model, ov.Model], device: str
) -> None:
    float_model, quantized = digits_models
    float_top1 = top1(_run(float_model, device, digits.test_images), digits.test_labels)
    int8_top1 = top1(_run(quantized, device, digits.test_images), digits.test_labels)
    assert float_top1 - int8_top1 <= 0.01, f"top-1 {float_top1:.4f} in float, {int8_top1:.4f} in int8"


@pytest.mark.skipif(not CPU_AVAILABLE, reason=CPU_MISSING)
def test_cnn_runs_int8_kernels_on_cpu(digits_models: tuple[ov.Model, ov.Model]) -> None:
    layers = _weighted_layers(digits_models[1])
    assert sorted(node.get_type_name() for node in layers) == ["Convolution"] * 3 + ["MatMul"]
    assert _cpu_backends(digits_models[1], layers) == {"oneDNN int8"}


@pytest.mark.parametrize("device", DEVICES)
def test_encoder_int8_cosine_similarity(
    quantized_encoder: ov.Model, encoder_outputs: tuple[np.ndarray, np.ndarray], device: str
) -> None:
    inputs, want = encoder_outputs
    cosine = cosine_similarities(_run(quantized_encoder, device, inputs), want)
    assert cosine.min() >= 0.99, f"worst sample's cosine similarity {cosine.min():.5f}"


@pytest.mark.skipif(not CPU_AVAILABLE, reason=CPU_MISSING)
def test_encoder_projections_run_int8_kernels_on_cpu(quantized_encoder: ov.Model) -> None:
    # per layer: the fused QKV input projection, the output projection and the feed-forward pair
    layers = _weighted_layers(quantized_encoder, fed_by_fake_quantize=True)
    assert len(layers) == 2 * 4
    assert _cpu_backends(quantized_encoder, layers) == {"oneDNN int8"}


def test_encoder_attention_probabilities_stay_float(quantized_encoder: ov.Model) -> None:
    # NNCF's "multihead_attention_output" ignored pattern: Softmax @ values is not quantized
    attention_outputs = [
        node
        for node in quantized_encoder.get_ordered_ops()
        if node.get_type_name() == "MatMul" and _source_type(node, 0) == "Softmax"
    ]
    assert len(attention_outputs) == 2
    assert all(_source_type(node, 1) == "Reshape" for node in attention_outputs)
