"""Interop with real OpenVINO: IR it writes runs in vinopy, IR vinopy writes runs in OpenVINO."""

from __future__ import annotations

import numpy as np
import onnx
import openvino
import pytest
from onnx import TensorProto, helper, numpy_helper

import vinopy as ov
from vinopy.serialize import IRError, read_ir, to_bytes, write_ir

RNG = np.random.default_rng(0)
OV_CONFIG = {"INFERENCE_PRECISION_HINT": "f32"}


def _init(name: str, *shape: int, scale: float = 0.2) -> onnx.TensorProto:
    return numpy_helper.from_array((RNG.standard_normal(shape) * scale).astype(np.float32), name)


def _onnx_model(nodes: list, inputs: list, outputs: list, inits: list, opset: int = 17) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def resnet_block() -> onnx.ModelProto:
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        n("Relu", ["c1"], ["r1"]),
        n("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
        n("Add", ["c2", "r1"], ["s"]),
        n("Relu", ["s"], ["r2"]),
        n("MaxPool", ["r2"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        n("GlobalAveragePool", ["p"], ["g"]),
        n("Flatten", ["g"], ["f"]),
        n("Gemm", ["f", "wf", "bf"], ["y"], transB=1),
    ]
    inits = [
        _init("w1", 8, 3, 3, 3),
        _init("b1", 8),
        _init("w2", 8, 8, 3, 3),
        _init("b2", 8),
        _init("wf", 10, 8),
        _init("bf", 10),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])
    return _onnx_model(nodes, [x], [y], inits)


def encoder_block() -> onnx.ModelProto:
    n = helper.make_node
    nodes = [
        n("MatMul", ["x", "wq"], ["q"]),
        n("MatMul", ["x", "wk"], ["k"]),
        n("MatMul", ["x", "wv"], ["v"]),
        n("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        n("MatMul", ["q", "kt"], ["qk"]),
        n("Mul", ["qk", "scale"], ["qks"]),
        n("Softmax", ["qks"], ["a"], axis=-1),
        n("MatMul", ["a", "v"], ["ctx"]),
        n("Add", ["ctx", "x"], ["res"]),
        n("LayerNormalization", ["res", "gamma", "beta"], ["ln"], axis=-1, epsilon=1e-5),
        n("MatMul", ["ln", "w1"], ["h"]),
        n("Add", ["h", "bias1"], ["hb"]),
        n("Relu", ["hb"], ["y"]),
    ]
    inits = [
        _init("wq", 16, 16),
        _init("wk", 16, 16),
        _init("wv", 16, 16),
        _init("w1", 16, 32),
        _init("bias1", 32),
        _init("gamma", 16, scale=1.0),
        _init("beta", 16),
        numpy_helper.from_array(np.array(0.25, np.float32), "scale"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5, 32])
    return _onnx_model(nodes, [x], [y], inits)


def quantized_conv() -> onnx.ModelProto:
    n = helper.make_node
    nodes = [
        n("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
        n("DequantizeLinear", ["xq", "sx", "zx"], ["xd"]),
        n("QuantizeLinear", ["w", "sw", "zw"], ["wq"]),
        n("DequantizeLinear", ["wq", "sw", "zw"], ["wd"]),
        n("Conv", ["xd", "wd"], ["y"], pads=[1, 1, 1, 1]),
    ]
    inits = [
        _init("w", 4, 3, 3, 3, scale=0.5),
        numpy_helper.from_array(np.array(0.02, np.float32), "sx"),
        numpy_helper.from_array(np.array(128, np.uint8), "zx"),
        numpy_helper.from_array(np.array(0.01, np.float32), "sw"),
        numpy_helper.from_array(np.array(0, np.int8), "zw"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])
    return _onnx_model(nodes, [x], [y], inits, opset=13)


MODELS = {
    "resnet_block": (resnet_block, (1, 3, 16, 16)),
    "encoder_block": (encoder_block, (2, 5, 16)),
    "quantized_conv": (quantized_conv, (1, 3, 8, 8)),
}


def _read_or_skip(path) -> ov.Model:
    try:
        return read_ir(path)
    except IRError as e:
        if "cannot make op" in str(e):
            pytest.skip(f"op not in vinopy yet: {e}")
        raise


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_openvino_ir_runs_in_vinopy(tmp_path, name: str, compress: bool) -> None:
    build, shape = MODELS[name]
    onnx_path = tmp_path / f"{name}.onnx"
    onnx.save(build(), onnx_path)
    openvino.save_model(openvino.convert_model(onnx_path), tmp_path / "m.xml", compress_to_fp16=compress)
    model = _read_or_skip(tmp_path / "m.xml")
    x = RNG.uniform(-1, 1, shape).astype(np.float32)
    expected = openvino.Core().compile_model(str(tmp_path / "m.xml"), "CPU", OV_CONFIG)([x])[0]
    actual = ov.Core().compile_model(model, "TEMPLATE")([x])[0]
    atol = 0.03 if name == "quantized_conv" else 1e-4  # a rounding tie may move one quantization step
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=atol)
    xml, weights = to_bytes(model)
    assert to_bytes(read_ir(xml, weights)) == (xml, weights)


def _vinopy_model() -> ov.Model:
    o = ov.opset13
    x = o.parameter([2, 3, 4], ov.Type.f32, name="x")
    w = RNG.standard_normal((4, 5)).astype(np.float32)
    h = o.matmul(x, o.constant(w), False, False)
    h = o.relu(o.add(h, o.constant(np.arange(5, dtype=np.float32))))
    shape = o.constant(np.array([0, -1], np.int64))
    y = o.reshape(o.transpose(h, o.constant(np.array([0, 2, 1], np.int64))), shape, True)
    return ov.Model([o.concat([y, y], 1)], [x], "vinopy_built")


@pytest.mark.parametrize("compress", [False, True])
def test_vinopy_ir_runs_in_openvino(tmp_path, compress: bool) -> None:
    model = _vinopy_model()
    write_ir(model, tmp_path / "m.xml", compress_to_fp16=compress)
    x = RNG.uniform(-1, 1, (2, 3, 4)).astype(np.float32)
    expected = ov.Core().compile_model(model, "TEMPLATE")([x])[0]
    actual = openvino.Core().compile_model(str(tmp_path / "m.xml"), "CPU", OV_CONFIG)([x])[0]
    np.testing.assert_allclose(
        actual, expected, rtol=1e-3 if compress else 1e-5, atol=1e-3 if compress else 1e-5
    )


def test_if_round_trips_both_ways(tmp_path) -> None:
    o = openvino.opset13
    cond = o.parameter([], openvino.Type.boolean, name="c")
    x = o.parameter([2], openvino.Type.f32, name="x")
    tp, ep = o.parameter([2], openvino.Type.f32, name="tp"), o.parameter([2], openvino.Type.f32, name="ep")
    tr, er = o.result(o.relu(tp)), o.result(o.negative(ep))
    op = o.if_op(cond)
    op.set_then_body(openvino.Model([tr], [tp], "then"))
    op.set_else_body(openvino.Model([er], [ep], "else"))
    op.set_input(x.output(0), tp, ep)
    openvino.save_model(openvino.Model([op.set_output(tr, er)], [cond, x], "if"), tmp_path / "a.xml")
    model = _read_or_skip(tmp_path / "a.xml")
    write_ir(model, tmp_path / "b.xml")
    ours = openvino.Core().compile_model(str(tmp_path / "b.xml"), "CPU")
    data = np.array([1.5, -2.0], np.float32)
    for flag, expected in ((True, [1.5, 0.0]), (False, [-1.5, 2.0])):
        np.testing.assert_allclose(
            ov.Core().compile_model(model, "TEMPLATE")([np.array(flag), data])[0], expected
        )
        np.testing.assert_allclose(ours([np.array(flag), data])[0], expected)


def _openvino_loop() -> openvino.Model:
    o = openvino.opset13
    x = o.parameter([3, 2], openvino.Type.f32, name="x")
    acc, xi = (
        o.parameter([1, 2], openvino.Type.f32, name="acc"),
        o.parameter([1, 2], openvino.Type.f32, name="xi"),
    )
    it = o.parameter([], openvino.Type.i64, name="it")
    cond, total = o.result(o.constant(True)), o.result(o.add(acc, xi))
    loop = o.loop(o.constant(np.int64(3)), o.constant(True))
    loop.set_function(openvino.Model([cond, total], [acc, xi, it], "body"))
    loop.set_special_body_ports([2, 0])
    loop.set_merged_input(acc, o.constant(np.zeros((1, 2), np.float32)).output(0), total.output(0))
    loop.set_sliced_input(xi, x.output(0), 0, 1, 1, -1, 0)
    outputs = [
        loop.get_iter_value(total.output(0), -1),
        loop.get_concatenated_slices(total.output(0), 0, 1, 1, -1, 0),
    ]
    return openvino.Model(outputs, [x], "loop")


def test_loop_round_trips_both_ways(tmp_path) -> None:
    openvino.save_model(_openvino_loop(), tmp_path / "a.xml")
    model = _read_or_skip(tmp_path / "a.xml")
    write_ir(model, tmp_path / "b.xml")
    text = (tmp_path / "b.xml").read_text()
    assert 'purpose="current_iteration"' in text and "<back_edges>" in text
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    expected = [[[6.0, 9.0]], [[0.0, 1.0], [2.0, 4.0], [6.0, 9.0]]]
    for compiled in (
        ov.Core().compile_model(model, "TEMPLATE"),
        openvino.Core().compile_model(str(tmp_path / "b.xml")),
    ):
        for actual, wanted in zip(compiled([x]).values(), expected):
            np.testing.assert_allclose(actual, wanted)
    xml, weights = to_bytes(model)
    assert to_bytes(read_ir(xml, weights)) == (xml, weights)
