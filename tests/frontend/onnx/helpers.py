"""Build small ONNX models and compare vinopy (TEMPLATE) with ONNX Runtime on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

import vinopy as ov
from vinopy.frontend.onnx import read_onnx


def make_model(
    nodes: Sequence[onnx.NodeProto],
    inputs: dict[str, np.ndarray],
    outputs: Sequence[str],
    opset: int = 18,
    initializers: dict[str, np.ndarray] | None = None,
    extra_opsets: dict[str, int] | None = None,
) -> onnx.ModelProto:
    """A model whose inputs take the dtypes and shapes of the given arrays; output types are inferred."""
    graph_inputs = [
        helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(x.dtype), x.shape)
        for name, x in inputs.items()
    ]
    graph_outputs = [onnx.ValueInfoProto(name=name) for name in outputs]  # typed by shape inference
    inits = [onnx.numpy_helper.from_array(v, k) for k, v in (initializers or {}).items()]
    graph = helper.make_graph(list(nodes), "test", graph_inputs, graph_outputs, inits)
    opsets = [helper.make_opsetid("", opset)] + [
        helper.make_opsetid(d, v) for d, v in (extra_opsets or {}).items()
    ]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    return onnx.shape_inference.infer_shapes(model, strict_mode=True)


def run_vinopy(
    model: onnx.ModelProto | bytes | str, feeds: dict[str, np.ndarray], device: str = "TEMPLATE"
) -> list[np.ndarray]:
    compiled = ov.Core().compile_model(read_onnx(model), device)
    results = compiled(feeds)
    return [results[i] for i in range(len(compiled.outputs))]


def run_ort(model: onnx.ModelProto | bytes, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    data = model if isinstance(model, bytes) else model.SerializeToString()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def compare(
    model: onnx.ModelProto | bytes, feeds: dict[str, np.ndarray], rtol: float = 1e-4, atol: float = 1e-5
) -> list[np.ndarray]:
    """Run both runtimes and check that every output matches in dtype, shape and value."""
    expected = run_ort(model, feeds)
    actual = run_vinopy(model, feeds)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype, f"dtype {a.dtype} != {e.dtype}"
        assert a.shape == e.shape, f"shape {a.shape} != {e.shape}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)
    return actual


def node(op_type: str, inputs: Sequence[str], outputs: Sequence[str], **attrs: Any) -> onnx.NodeProto:
    return helper.make_node(op_type, list(inputs), list(outputs), name=f"{op_type.lower()}_node", **attrs)
