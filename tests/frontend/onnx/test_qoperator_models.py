"""Models quantized by ``onnxruntime.quantization.quantize_static`` in QOperator form run as INT8.

QOperator form replaces each float op by a quantized one that reads and writes 8-bit tensors:
QLinearConv and QLinearMatMul (standard ONNX) and ONNX Runtime's com.microsoft ops (QLinearAdd,
QLinearMul, QLinearConcat, QLinearSigmoid, QLinearLeakyRelu, QLinearAveragePool,
QLinearGlobalAveragePool, QLinearSoftmax, QGemm), with Flatten, MaxPool, Split and Transpose moving the
integers in between. The float models are built here, quantized with random calibration data into a
temporary folder and read with vinopy, whose results must match ONNX Runtime's integer kernels, and
the CPU plugin must run the convolutions and the matmuls with constant weights on oneDNN's int8
kernels (the quantize of each op and the dequantize of the next fuse into one FakeQuantize).

Tolerance: one step of the output's quantizer (with float rounding), as for the QDQ models
(test_qdq_models.py): a value within float rounding of a half step may land on the neighbouring
level. The weights are 7-bit (``reduce_range``) for the reason given there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper
from onnxruntime import quantization as ortq

import vinopy as ov
from tests.frontend.onnx.helpers import make_model
from tests.frontend.onnx.test_qdq_models import (
    RandomData,
    assert_weighted_layers_run_int8,
    classifier_head,
    ort_reference,
    output_step,
    residual_block,
)
from vinopy.frontend.onnx import OnnxConversionError, UnsupportedOpsError, read_onnx
from vinopy.graph.node import Node
from vinopy.plugins.cpu import CPUPlugin

_RNG = np.random.default_rng(0)
F32 = {"INFERENCE_PRECISION_HINT": "f32"}
ModelBuilder = Callable[[], tuple[onnx.ModelProto, tuple[int, ...]]]


def _weights(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return (rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))).astype(np.float32)


def conv_net() -> tuple[onnx.ModelProto, tuple[int, ...]]:
    """Conv-ReLU, a residual Conv-ReLU block, max and average pooling concatenated, split and
    concatenated the other way round, global pooling, Flatten, Gemm."""
    rng = np.random.default_rng(0)
    init = {
        "w1": _weights(rng, 8, 3, 3, 3),
        "b1": _weights(rng, 8),
        "w2": _weights(rng, 8, 8, 3, 3),
        "b2": _weights(rng, 8),
        "fc": _weights(rng, 10, 16),
        "fc_b": _weights(rng, 10),
        "halves": np.array([8, 8], np.int64),
    }
    pads = {"pads": [1, 1, 1, 1]}
    nodes = [
        *residual_block(pads),
        helper.make_node("MaxPool", ["sum"], ["max_pool"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("AveragePool", ["sum"], ["avg_pool"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Concat", ["max_pool", "avg_pool"], ["cat"], axis=1),
        helper.make_node("Split", ["cat", "halves"], ["half1", "half2"], axis=1),
        helper.make_node("Concat", ["half2", "half1"], ["swapped"], axis=1),
        *classifier_head("swapped"),
    ]
    shape = (1, 3, 16, 16)
    return make_model(nodes, {"x": np.zeros(shape, np.float32)}, ["y"], 17, init), shape


def gated_block() -> tuple[onnx.ModelProto, tuple[int, ...]]:
    """Conv, Pad, a swish gate (Sigmoid, Mul), LeakyRelu and a padded AveragePool."""
    rng = np.random.default_rng(0)
    init = {
        "w": _weights(rng, 8, 3, 3, 3),
        "b": _weights(rng, 8),
        "pads": np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64),
        "pad_value": np.array(0.5, np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Pad", ["c", "pads", "pad_value"], ["padded"]),
        helper.make_node("Sigmoid", ["padded"], ["gate"]),
        helper.make_node("Mul", ["padded", "gate"], ["swish"]),
        helper.make_node("LeakyRelu", ["swish"], ["leaky"], alpha=0.2),
        helper.make_node(
            "AveragePool", ["leaky"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]
        ),
    ]
    shape = (1, 3, 12, 12)
    return make_model(nodes, {"x": np.zeros(shape, np.float32)}, ["y"], 17, init), shape


def attention_block() -> tuple[onnx.ModelProto, tuple[int, ...]]:
    """One self-attention head: projections, scores through a transposed key, Softmax, output
    projection with bias and a residual Add."""
    rng = np.random.default_rng(0)
    width = 16
    init = {name: _weights(rng, width, width) for name in ("wq", "wk", "wv", "wo")}
    init["bo"] = _weights(rng, width)
    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["q"]),
        helper.make_node("MatMul", ["x", "wk"], ["k"]),
        helper.make_node("MatMul", ["x", "wv"], ["v"]),
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["scores"]),
        helper.make_node("Softmax", ["scores"], ["probs"], axis=-1),
        helper.make_node("MatMul", ["probs", "v"], ["context"]),
        helper.make_node("MatMul", ["context", "wo"], ["projected"]),
        helper.make_node("Add", ["projected", "bo"], ["biased"]),
        helper.make_node("Add", ["biased", "x"], ["y"]),
    ]
    shape = (1, 6, width)
    return make_model(nodes, {"x": np.zeros(shape, np.float32)}, ["y"], 17, init), shape


_U8 = {"activation_type": ortq.QuantType.QUInt8}
_CONV_OPS = {"QLinearAdd", "QLinearAveragePool", "QLinearConcat", "QLinearGlobalAveragePool", "QGemm"}
_GATED_OPS = {"QLinearSigmoid", "QLinearMul", "QLinearLeakyRelu", "QLinearAveragePool"}
_ATTENTION_OPS = {"QLinearSoftmax", "QLinearAdd"}
# name: (model builder, quantize_static options, the com.microsoft ops ONNX Runtime writes for it)
CASES: dict[str, tuple[ModelBuilder, dict[str, Any], set[str]]] = {
    "conv_per_tensor": (conv_net, {}, _CONV_OPS),
    "conv_per_channel_u8": (conv_net, {"per_channel": True, **_U8}, _CONV_OPS),
    "gated_per_channel": (gated_block, {"per_channel": True}, _GATED_OPS),
    "gated_u8": (gated_block, _U8, _GATED_OPS),
    "attention_per_channel": (attention_block, {"per_channel": True}, _ATTENTION_OPS),
    "attention_u8": (attention_block, _U8, _ATTENTION_OPS),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def quantized(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, np.ndarray, set[str]]:
    """The QOperator model's path, an input for it and the contrib ops it must hold."""
    build, options, contrib_ops = CASES[request.param]
    model, shape = build()
    folder = tmp_path_factory.mktemp(request.param)
    source, target = folder / "float.onnx", folder / "qoperator.onnx"
    onnx.save(model, source)
    ortq.quantize_static(
        source,
        target,
        RandomData(shape),
        quant_format=ortq.QuantFormat.QOperator,
        reduce_range=True,
        **options,
    )
    return target, np.random.default_rng(2).standard_normal(shape).astype(np.float32), contrib_ops


def test_onnxruntime_writes_contrib_ops(quantized: tuple[Path, np.ndarray, set[str]]) -> None:
    """The quantized model holds the com.microsoft ops this file is about (and no float op that
    QOperator form quantizes), so that it fails when ONNX Runtime stops writing them."""
    path, _, contrib_ops = quantized
    nodes = onnx.load(str(path)).graph.node
    written = {n.op_type for n in nodes if n.domain == "com.microsoft"}
    assert contrib_ops <= written, written
    assert not {"Conv", "MatMul", "Gemm", "Add", "Sigmoid", "Softmax"} & {n.op_type for n in nodes}


# ONNX ops that ORT's QOperator form applies to the integers themselves
_INTEGER_MOVES = (
    "Flatten",
    "Reshape",
    "Squeeze",
    "Unsqueeze",
    "Transpose",
    "MaxPool",
    "Gather",
    "Split",
    "Pad",
)


def test_quantized_values_are_fake_quantize(quantized: tuple[Path, np.ndarray, set[str]]) -> None:
    """One FakeQuantize per quantized tensor, as in the QDQ form of the same model: each quantize
    meets the dequantizes of all its readers as one FakeQuantize, the integers that Flatten, MaxPool,
    Split, Transpose or Pad move are quantized again after the move, and no rounding is left."""
    path, _, _ = quantized
    quantized_tensors = [
        name
        for n in onnx.load(str(path)).graph.node
        if n.op_type in ("QuantizeLinear", "QGemm", *_INTEGER_MOVES) or n.op_type.startswith("QLinear")
        for name in n.output
    ]
    types = [n.get_type_name() for n in read_onnx(str(path)).get_ordered_ops()]
    assert types.count("FakeQuantize") == len(quantized_tensors) > 0
    assert not {"Round", "Clamp", "ConvertLike"} & set(types), types


@pytest.mark.parametrize("device", ["TEMPLATE", "CPU"])
def test_results_match_onnxruntime(quantized: tuple[Path, np.ndarray, set[str]], device: str) -> None:
    path, x, _ = quantized
    if device == "CPU" and not CPUPlugin().is_available()[0]:
        pytest.skip("oneDNN cannot be loaded")
    got = ov.Core().compile_model(str(path), device, F32 if device == "CPU" else {})([x])[0]
    step = output_step(path)
    np.testing.assert_allclose(got, ort_reference(path, x), rtol=0, atol=step * 1.001)


def test_cpu_runs_weighted_layers_on_int8_kernels(quantized: tuple[Path, np.ndarray, set[str]]) -> None:
    """Convolutions and matmuls with constant weights run int8 (attention's activation by
    activation products stay f32, as in OpenVINO)."""
    assert_weighted_layers_run_int8(quantized[0], _has_constant_weights)


def _has_constant_weights(node: Node) -> bool:
    """Whether the second input is computed from constants alone."""
    pending, seen = [node.input_value(1).get_node()], set()
    while pending:
        current = pending.pop()
        if current.get_type_name() == "Parameter":
            return False
        if id(current) not in seen:
            seen.add(id(current))
            pending.extend(v.get_node() for v in current.input_values())
    return True


# --- single contrib ops, against ONNX Runtime's kernels ---------------------------------------------


def _scale(value: float) -> np.ndarray:
    return np.array(value, np.float32)


def _contrib_model(
    node: onnx.NodeProto, feeds: dict[str, np.ndarray], initializers: dict[str, np.ndarray], output_type: int
) -> onnx.ModelProto:
    """A model of one com.microsoft node (no shape inference: ONNX does not know these ops)."""
    inputs = [
        helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(x.dtype), x.shape)
        for name, x in feeds.items()
    ]
    output = helper.make_tensor_value_info(node.output[0], output_type, None)
    inits = [onnx.numpy_helper.from_array(v, k) for k, v in initializers.items()]
    graph = helper.make_graph([node], "contrib", inputs, [output], inits)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, ir_version=8)


def _integers(dtype: type, *shape: int) -> np.ndarray:
    info = np.iinfo(dtype)
    return _RNG.integers(info.min, info.max, shape, endpoint=True).astype(dtype)


def _seven_bit_weights(*shape: int) -> np.ndarray:
    """s8 weights in [-64, 63]: ONNX Runtime's u8 x s8 kernels on AVX2 add pairs of products in 16
    bits, which saturate for full-range weights."""
    return _RNG.integers(-64, 63, shape, endpoint=True).astype(np.int8)


def _ms(op_type: str, inputs: list[str], **attrs: Any) -> onnx.NodeProto:
    return helper.make_node(op_type, inputs, ["y"], domain="com.microsoft", **attrs)


_XQ = ["x", "x_scale", "x_zero_point"]
_YQ = ["y_scale", "y_zero_point"]
_U8_PARAMS = {
    "x_scale": _scale(0.05),
    "x_zero_point": np.uint8(120),
    "y_scale": _scale(0.04),
    "y_zero_point": np.uint8(100),
}
_S8_PARAMS = {
    "x_scale": _scale(0.05),
    "x_zero_point": np.int8(-8),
    "y_scale": _scale(0.03),
    "y_zero_point": np.int8(5),
}

# name: (node, runtime inputs, initializers, output type)
SINGLE_OPS: dict[str, tuple[onnx.NodeProto, dict[str, np.ndarray], dict[str, np.ndarray], int]] = {
    "where": (
        _ms("QLinearWhere", ["cond", "x", "x_scale", "x_zero_point", "b", "b_scale", "b_zero_point", *_YQ]),
        {"cond": _RNG.random((2, 3)) > 0.5, "x": _integers(np.uint8, 2, 3), "b": _integers(np.uint8, 2, 3)},
        {**_U8_PARAMS, "b_scale": _scale(0.02), "b_zero_point": np.uint8(130)},
        onnx.TensorProto.UINT8,
    ),
    "global_average_pool_channels_last": (
        _ms("QLinearGlobalAveragePool", [*_XQ, *_YQ], channels_last=1),
        {"x": _integers(np.uint8, 1, 4, 4, 3)},
        _U8_PARAMS,
        onnx.TensorProto.UINT8,
    ),
    "average_pool_channels_last": (
        _ms(
            "QLinearAveragePool",
            [*_XQ, *_YQ],
            channels_last=1,
            kernel_shape=[3, 3],
            pads=[1, 1, 1, 1],
            count_include_pad=1,
        ),
        {"x": _integers(np.int8, 1, 5, 5, 3)},
        _S8_PARAMS,
        onnx.TensorProto.INT8,
    ),
    "softmax_opset12": (
        _ms("QLinearSoftmax", [*_XQ, *_YQ], opset=12, axis=1),
        {"x": _integers(np.uint8, 2, 3, 4)},
        {**_U8_PARAMS, "y_scale": _scale(1 / 256), "y_zero_point": np.uint8(0)},
        onnx.TensorProto.UINT8,
    ),
    "concat": (
        helper.make_node(
            "QLinearConcat",
            [*_YQ, *_XQ, "b", "b_scale", "b_zero_point"],
            ["y"],
            domain="com.microsoft",
            axis=-1,
        ),
        {"x": _integers(np.int8, 2, 3), "b": _integers(np.int8, 2, 2)},
        {**_S8_PARAMS, "b_scale": _scale(0.02), "b_zero_point": np.int8(3)},
        onnx.TensorProto.INT8,
    ),
    "leaky_relu_default_alpha": (
        _ms("QLinearLeakyRelu", [*_XQ, *_YQ]),
        {"x": _integers(np.int8, 4, 6)},
        _S8_PARAMS,
        onnx.TensorProto.INT8,
    ),
    "gemm_quantized": (
        _ms("QGemm", [*_XQ, "w", "w_scale", "w_zero_point", "c", *_YQ], transB=1, alpha=0.5),
        {"x": _integers(np.uint8, 3, 8)},
        {
            **_U8_PARAMS,
            "w": _seven_bit_weights(4, 8),
            "w_scale": np.linspace(0.01, 0.02, 4, dtype=np.float32),
            "w_zero_point": np.zeros(4, np.int8),
            "c": _RNG.integers(-500, 500, 4).astype(np.int32),
            "y_scale": _scale(0.5),
        },
        onnx.TensorProto.UINT8,
    ),
    "gemm_float_output": (
        _ms("QGemm", [*_XQ, "w", "w_scale", "w_zero_point", "c"], transA=1),
        {"x": _integers(np.uint8, 8, 3)},
        {
            **_U8_PARAMS,
            "w": _seven_bit_weights(8, 4),
            "w_scale": _scale(0.01),
            "w_zero_point": np.int8(0),
            "c": _RNG.integers(-500, 500, (3, 1)).astype(np.int32),
        },
        onnx.TensorProto.FLOAT,
    ),
    "uint16_quantize_dequantize": (
        helper.make_node("DequantizeLinear", ["q", "y_scale", "y_zero_point"], ["y"], domain="com.microsoft"),
        {"q": _integers(np.uint16, 3, 5)},
        {"y_scale": _scale(0.001), "y_zero_point": np.uint16(30000)},
        onnx.TensorProto.FLOAT,
    ),
}


@pytest.mark.parametrize("name", sorted(SINGLE_OPS))
def test_contrib_op_matches_onnxruntime(name: str) -> None:
    """Integer results within one level of ONNX Runtime's kernels (which requantize with their own
    rounding), float results within float rounding."""
    node, feeds, initializers, output_type = SINGLE_OPS[name]
    model = _contrib_model(node, feeds, initializers, output_type)
    (expected,) = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, feeds
    )
    got = ov.Core().compile_model(read_onnx(model), "TEMPLATE")(feeds)[0]
    assert got.dtype == expected.dtype and got.shape == expected.shape
    if expected.dtype == np.float32:
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_array_less(np.abs(got.astype(np.int32) - expected.astype(np.int32)), 2)


def test_reduce_mean_matches_its_definition() -> None:
    """ONNX Runtime has no CPU kernel for QLinearReduceMean: its definition is the reference."""
    node = _ms("QLinearReduceMean", [*_XQ, *_YQ], axes=[1], keepdims=0)
    feeds = {"x": _integers(np.int8, 2, 5, 3)}
    model = _contrib_model(node, feeds, _S8_PARAMS, onnx.TensorProto.INT8)
    got = ov.Core().compile_model(read_onnx(model), "TEMPLATE")(feeds)[0]
    p = {k: float(v) for k, v in _S8_PARAMS.items()}
    mean = ((feeds["x"] - p["x_zero_point"]) * p["x_scale"]).mean(axis=1)
    expected = np.clip(np.round(mean / p["y_scale"]) + p["y_zero_point"], -128, 127).astype(np.int8)
    assert got.dtype == np.int8
    np.testing.assert_array_less(np.abs(got.astype(np.int32) - expected), 2)


def test_dynamic_quantization_matches_onnxruntime(tmp_path: Path) -> None:
    """quantize_dynamic's DynamicQuantizeLinear -> MatMulInteger form (standard ops)."""
    model, shape = attention_block()
    source, target = tmp_path / "float.onnx", tmp_path / "dynamic.onnx"
    onnx.save(model, source)
    ortq.quantize_dynamic(source, target, reduce_range=True)
    assert "DynamicQuantizeLinear" in {n.op_type for n in onnx.load(str(target)).graph.node}
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    got = ov.Core().compile_model(str(target), "TEMPLATE")([x])[0]
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(got, session.run(None, {"x": x})[0], rtol=1e-4, atol=1e-4)


def test_unknown_contrib_ops_are_listed_together() -> None:
    """Ops without a translator, in com.microsoft or another domain, fail reading in one error."""
    nodes = [
        helper.make_node("QLinearUnknown", ["x", "s", "z", "s", "z"], ["a"], domain="com.microsoft"),
        helper.make_node("Frobnicate", ["a"], ["y"], domain="example.custom"),
    ]
    x = helper.make_tensor_value_info("x", onnx.TensorProto.UINT8, [2])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.UINT8, [2])
    inits = [onnx.numpy_helper.from_array(_scale(0.1), "s"), onnx.numpy_helper.from_array(np.uint8(0), "z")]
    opsets = [
        helper.make_opsetid("", 17),
        helper.make_opsetid("com.microsoft", 1),
        helper.make_opsetid("example.custom", 1),
    ]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y], inits), opset_imports=opsets)
    with pytest.raises(UnsupportedOpsError) as info:
        read_onnx(model)
    assert len(info.value.ops) == 2
    message = str(info.value)
    assert (
        "QLinearUnknown (domain 'com.microsoft'" in message
        and "Frobnicate (domain 'example.custom'" in message
    )


def test_float_input_to_a_quantized_op_is_named_in_the_error() -> None:
    node = _ms("QLinearSigmoid", [*_XQ, *_YQ])
    feeds = {"x": np.zeros((2, 3), np.float32)}
    model = _contrib_model(node, feeds, _U8_PARAMS, onnx.TensorProto.UINT8)
    with pytest.raises(
        OnnxConversionError, match=r"input 0 \('x'\) must be a quantized 8-bit tensor, got f32"
    ):
        read_onnx(model)
