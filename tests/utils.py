"""Helpers shared by the tests: run one op on TEMPLATE and compare with an independent oracle."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper
from onnx.reference import ReferenceEvaluator

import vinopy as ov
from vinopy.graph.node import Node

_RNG = np.random.default_rng(0)


def rand(shape: Sequence[int], dtype: Any = np.float32, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    """Deterministic random data of any dtype."""
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return _RNG.random(shape) > 0.5
    if dt.kind in "iu":
        return _RNG.integers(int(max(low, np.iinfo(dt).min)), int(high) + 1, size=shape).astype(dt)
    return _RNG.uniform(low, high, size=shape).astype(dt)


def run_op(
    build: Callable[..., Node], inputs: Sequence[np.ndarray], device: str = "TEMPLATE", dynamic: bool = False
) -> list[np.ndarray]:
    """Build ``build(*parameters)`` over inputs and return the outputs, checked against inference.

    With ``dynamic=True`` the parameters have dynamic dimensions (same rank), so inference of
    dynamic shapes is exercised too.
    """
    params = []
    for i, x in enumerate(inputs):
        shape = ov.PartialShape.dynamic(x.ndim) if dynamic else ov.PartialShape(list(x.shape))
        params.append(ov.opset13.parameter(shape, ov.Type.resolve(x.dtype), name=f"in{i}"))
    node = build(*params)
    model = ov.Model(node.outputs(), params, "op_test")
    compiled = ov.Core().compile_model(model, device)
    results = compiled(list(inputs))
    outputs = [results[i] for i in range(len(node.outputs()))]
    for port, value in zip(node.outputs(), outputs):
        check_inferred(port, value)
    return outputs


def check_inferred(port: ov.Output, value: np.ndarray) -> None:
    """The inferred type equals the value's and the inferred shape admits its shape."""
    et = port.get_element_type()
    if et.is_static():
        assert np.dtype(value.dtype) == et.to_dtype(), f"inferred {et}, evaluated {value.dtype}"
    ps = port.get_partial_shape()
    assert ps.compatible(ov.PartialShape(list(value.shape))), f"inferred {ps}, evaluated {value.shape}"


def onnx_reference(
    op_type: str,
    inputs: Sequence[np.ndarray | None],
    n_outputs: int = 1,
    opset: int = 18,
    domain: str = "",
    **attrs: Any,
) -> list[np.ndarray]:
    """Run one ONNX node with onnx.reference: the oracle for our reference kernels."""
    names = [f"i{k}" if x is not None else "" for k, x in enumerate(inputs)]
    outs = [f"o{k}" for k in range(n_outputs)]
    node = helper.make_node(op_type, names, outs, domain=domain, **attrs)
    graph_inputs = [
        helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(x.dtype), x.shape)
        for n, x in zip(names, inputs)
        if x is not None
    ]
    graph_outputs = [helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None) for o in outs]
    graph = helper.make_graph([node], "g", graph_inputs, graph_outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(domain, opset)])
    feeds = {n: x for n, x in zip(names, inputs) if x is not None}
    return list(ReferenceEvaluator(model).run(None, feeds))


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != expected {expected.shape}"
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(actual, expected)


def openvino_reference(
    build: Callable[..., Any], inputs: Sequence[np.ndarray], compile_cpu: bool = False
) -> list[np.ndarray]:
    """Build ``build(*parameters)`` with real OpenVINO's opset functions and run it: the oracle for
    ops without an ONNX twin. By default the op's own reference ``evaluate`` runs; ops without one
    (recurrent sequences, attention) compile on OpenVINO's CPU plugin in f32."""
    import openvino as real_ov
    import openvino.opset15 as real_ops

    params = [real_ops.parameter(list(x.shape), x.dtype) for x in inputs]
    node = build(*params)
    if compile_cpu:
        model = real_ov.Model(node.outputs(), params)
        compiled = real_ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        results = compiled([np.array(x, order="C") for x in inputs])
        return [np.asarray(results[i]) for i in range(len(node.outputs()))]
    feeds = {p.get_friendly_name(): x for p, x in zip(params, inputs)}
    args = [
        np.array(feeds[src.get_friendly_name()], order="C")
        if src.get_type_name() == "Parameter"
        else src.get_data()
        for src in (i.get_source_output().get_node() for i in node.inputs())
    ]
    outs = [real_ov.Tensor(p.get_element_type(), p.get_shape()) for p in node.outputs()]
    if not node.evaluate(outs, [real_ov.Tensor(a) for a in args]):
        raise RuntimeError(f"OpenVINO has no reference evaluate for {node.get_type_name()}")
    return [_real_tensor_data(t) for t in outs]


def _real_tensor_data(tensor: Any) -> np.ndarray:
    """An OpenVINO tensor's values; bf16 comes back from OpenVINO as raw 16-bit words."""
    import ml_dtypes
    import openvino as real_ov

    data = np.array(tensor.data)
    if tensor.get_element_type() == real_ov.Type.bf16:
        return data.view(np.uint16).view(ml_dtypes.bfloat16)
    return data
