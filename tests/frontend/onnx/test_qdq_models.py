"""Models quantized by ``onnxruntime.quantization.quantize_static`` (QDQ form) run as INT8.

The float models are built here, quantized with random calibration data into a temporary folder,
and read with vinopy: the QDQ pairs must be FakeQuantize ops, the results must match ONNX Runtime's,
and the CPU plugin must run the convolutions and matmuls on oneDNN's int8 kernels.

Reference: ONNX Runtime with graph optimizations off, which computes the QDQ graph as written; its
optimized session fuses the pairs into QLinear kernels that requantize with their own rounding
(several steps away from the graph's values for u8 activations). Tolerance: one step of the output's
quantizer; only a value within float rounding of a half step can move, and then by one step.
The CPU runs use 7-bit weights (``reduce_range``): CPUs without VNNI add pairs of u8 * s8 products
in 16 bits, which saturate for full-range weights (as in OpenVINO, whose results are the same).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import openvino
import pytest
from onnx import helper
from onnxruntime import quantization as ortq

import vinopy as ov
from tests.frontend.onnx.helpers import make_model
from vinopy.graph.node import Node
from vinopy.plugins.cpu import CPUPlugin

_RNG = np.random.default_rng(0)
F32 = {"INFERENCE_PRECISION_HINT": "f32"}


def _weights(*shape: int) -> np.ndarray:
    return (_RNG.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))).astype(np.float32)


def residual_block(pads: dict[str, list[int]]) -> list[onnx.NodeProto]:
    """x -> Conv-ReLU (w1, b1) -> r1, then r1 + Conv-ReLU(r1) (w2, b2) -> sum."""
    return [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], **pads),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], **pads),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Add", ["r2", "r1"], ["sum"]),
    ]


def classifier_head(source: str) -> list[onnx.NodeProto]:
    """source -> global average pooling, Flatten, Gemm (fc, fc_b) -> y."""
    return [
        helper.make_node("GlobalAveragePool", [source], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc", "fc_b"], ["y"], transB=1),
    ]


def conv_net() -> tuple[onnx.ModelProto, tuple[int, ...]]:
    """Conv-ReLU, a residual Conv-ReLU block, a depthwise Conv, MaxPool, global pooling, Gemm."""
    init = {
        "w1": _weights(8, 3, 3, 3),
        "b1": _weights(8),
        "w2": _weights(8, 8, 3, 3),
        "b2": _weights(8),
        "w3": _weights(8, 1, 3, 3),
        "fc": _weights(10, 8),
        "fc_b": _weights(10),
    }
    pads = {"pads": [1, 1, 1, 1]}
    nodes = [
        *residual_block(pads),
        helper.make_node("Conv", ["sum", "w3"], ["dw"], group=8, **pads),
        helper.make_node("MaxPool", ["dw"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
        *classifier_head("pool"),
    ]
    shape = (1, 3, 16, 16)
    return make_model(nodes, {"x": np.zeros(shape, np.float32)}, ["y"], 17, init), shape


def mlp() -> tuple[onnx.ModelProto, tuple[int, ...]]:
    """Two MatMul + Add layers with a ReLU between, on a batch of token vectors."""
    init = {"w1": _weights(16, 32), "b1": _weights(32), "w2": _weights(32, 8), "b2": _weights(8)}
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["m1"]),
        helper.make_node("Add", ["m1", "b1"], ["a1"]),
        helper.make_node("Relu", ["a1"], ["r1"]),
        helper.make_node("MatMul", ["r1", "w2"], ["m2"]),
        helper.make_node("Add", ["m2", "b2"], ["y"]),
    ]
    shape = (1, 4, 16)
    return make_model(nodes, {"x": np.zeros(shape, np.float32)}, ["y"], 17, init), shape


class RandomData(ortq.CalibrationDataReader):
    def __init__(self, shape: tuple[int, ...], count: int = 8) -> None:
        rng = np.random.default_rng(1)
        self._batches = iter([{"x": rng.standard_normal(shape).astype(np.float32)} for _ in range(count)])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


# name: (model builder, quantize_static options)
CASES: dict[str, tuple[Any, dict[str, Any]]] = {
    "conv_per_channel": (conv_net, {"per_channel": True, "reduce_range": True}),
    "conv_per_tensor": (conv_net, {"reduce_range": True}),
    "conv_u8_activations": (
        conv_net,
        {"per_channel": True, "reduce_range": True, "activation_type": ortq.QuantType.QUInt8},
    ),
    "mlp_per_channel": (mlp, {"per_channel": True, "reduce_range": True}),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def quantized(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, np.ndarray]:
    """The QDQ model's path and an input for it."""
    build, options = CASES[request.param]
    model, shape = build()
    folder = tmp_path_factory.mktemp(request.param)
    source, target = folder / "float.onnx", folder / "qdq.onnx"
    onnx.save(model, source)
    ortq.quantize_static(source, target, RandomData(shape), quant_format=ortq.QuantFormat.QDQ, **options)
    return target, np.random.default_rng(2).standard_normal(shape).astype(np.float32)


def ort_reference(path: Path, x: np.ndarray) -> np.ndarray:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def output_step(path: Path) -> float:
    """The scale of the DequantizeLinear that gives the model's output."""
    proto = onnx.load(str(path))
    (dq,) = [n for n in proto.graph.node if n.output[0] == proto.graph.output[0].name]
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    return float(inits[dq.input[1]])


def test_qdq_pairs_are_fake_quantize(quantized: tuple[Path, np.ndarray]) -> None:
    """One FakeQuantize per pair, as OpenVINO's ONNX frontend makes of the same file."""
    path, _ = quantized
    source_pairs = sum(n.op_type == "QuantizeLinear" for n in onnx.load(str(path)).graph.node)
    types = [n.get_type_name() for n in ov.Core().read_model(str(path)).get_ordered_ops()]
    openvino_types = [n.get_type_name() for n in openvino.Core().read_model(str(path)).get_ordered_ops()]
    assert types.count("FakeQuantize") == source_pairs == openvino_types.count("FakeQuantize") > 0
    assert not {"Round", "Clamp", "ConvertLike"} & set(types)


@pytest.mark.parametrize("device", ["TEMPLATE", "CPU"])
def test_results_match_onnxruntime(quantized: tuple[Path, np.ndarray], device: str) -> None:
    path, x = quantized
    if device == "CPU" and not CPUPlugin().is_available()[0]:
        pytest.skip("oneDNN cannot be loaded")
    got = ov.Core().compile_model(str(path), device, F32 if device == "CPU" else {})([x])[0]
    np.testing.assert_allclose(got, ort_reference(path, x), rtol=0, atol=output_step(path) * 1.001)


def test_cpu_runs_weighted_layers_on_int8_kernels(quantized: tuple[Path, np.ndarray]) -> None:
    assert_weighted_layers_run_int8(quantized[0])


def assert_weighted_layers_run_int8(path: Path, weighted: Callable[[Node], bool] = lambda node: True) -> None:
    """Every Convolution, GroupConvolution and MatMul of the model that ``weighted`` keeps (there is
    one at least) runs on a oneDNN int8 kernel of the CPU device."""
    plugin = CPUPlugin()
    if not plugin.is_available()[0]:
        pytest.skip("oneDNN cannot be loaded")
    model = ov.Core().read_model(str(path))
    backends = plugin.query_backends(model, F32)
    names = [
        n.get_friendly_name()
        for n in model.get_ordered_ops()
        if n.get_type_name() in ("Convolution", "GroupConvolution", "MatMul") and weighted(n)
    ]
    assert names and all(backends[name].startswith("oneDNN int8") for name in names), backends
