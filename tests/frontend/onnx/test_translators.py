"""Translators on small onnx.helper graphs, compared with ONNX Runtime."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from onnx import TensorProto, helper

import vinopy as ov
from tests.frontend.onnx.helpers import compare, make_model, node
from tests.utils import rand

MS = "com.microsoft"


def case(
    op: str,
    inputs: dict[str, np.ndarray],
    opset: int = 18,
    n_out: int = 1,
    inits: dict[str, np.ndarray] | None = None,
    domain: str = "",
    **attrs: Any,
) -> Any:
    outs = [f"y{i}" for i in range(n_out)]
    n = helper.make_node(op, list(inputs) + list(inits or {}), outs, name=f"{op}_0", domain=domain, **attrs)
    return pytest.param(n, inputs, outs, opset, inits, domain, id=f"{op}-{opset}-{'-'.join(map(str, attrs))}")


X4 = rand([2, 4, 6, 6])
X3 = rand([2, 5, 8])
W_CONV = rand([8, 4, 3, 3])
W_GROUP = rand([4, 2, 3, 3])
I64 = np.int64

CASES = [
    case("Gemm", {"a": rand([3, 4]), "b": rand([5, 4]), "c": rand([5])}, transB=1, alpha=0.5, beta=2.0),
    case("Gemm", {"a": rand([4, 3]), "b": rand([4, 5])}, opset=11, transA=1),
    case("Conv", {"x": X4}, inits={"w": W_CONV, "b": rand([8])}, pads=[1, 1, 1, 1], strides=[2, 1]),
    case("Conv", {"x": X4}, inits={"w": W_GROUP}, group=2, dilations=[2, 2], pads=[2, 1, 2, 1]),
    case("Conv", {"x": X4}, inits={"w": W_CONV}, strides=[2, 2], auto_pad="SAME_LOWER"),
    case(
        "ConvTranspose",
        {"x": X4},
        inits={"w": rand([4, 3, 3, 3]), "b": rand([3])},
        strides=[2, 2],
        output_padding=[1, 1],
        pads=[1, 1, 1, 1],
    ),
    case(
        "ConvTranspose",
        {"x": X4},
        inits={"w": rand([4, 2, 3, 3])},
        strides=[2, 2],
        group=2,
        output_shape=[13, 12],
    ),
    case(
        "BatchNormalization",
        {"x": X4},
        inits={"s": rand([4]), "b": rand([4]), "m": rand([4]), "v": rand([4], low=0.5, high=2)},
        epsilon=1e-3,
    ),
    case("MaxPool", {"x": X4}, n_out=2, kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
    case("AveragePool", {"x": X4}, kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1),
    case("GlobalAveragePool", {"x": X4}),
    case("LRN", {"x": X4}, size=3, alpha=1e-3),
    case("InstanceNormalization", {"x": X4}, inits={"s": rand([4]), "b": rand([4])}),
    case("LayerNormalization", {"x": X3}, opset=17, inits={"s": rand([8]), "b": rand([8])}),
    case("Softmax", {"x": X3}, opset=11, axis=1),
    case("Softmax", {"x": X3}, opset=13, axis=1),
    case("LogSoftmax", {"x": X3}, axis=-1),
    case("Flatten", {"x": X4}, axis=2),
    case("Reshape", {"x": X4}, inits={"s": np.array([0, -1, 3], I64)}),
    case("Transpose", {"x": X4}, perm=[0, 2, 3, 1]),
    case("Split", {"x": X3}, n_out=2, inits={"s": np.array([1, 4], I64)}, axis=1),
    case("Split", {"x": X3}, opset=18, n_out=3, axis=2, num_outputs=3),
    case(
        "Slice",
        {"x": X3},
        inits={
            "st": np.array([-1, 1], I64),
            "en": np.array([-9, 7], I64),
            "ax": np.array([2, 1], I64),
            "sp": np.array([-2, 3], I64),
        },
    ),
    case("Gather", {"x": X3, "i": np.array([[0, -1], [2, 1]], I64)}, axis=1),
    case("Pad", {"x": X3}, inits={"p": np.array([0, 1, 2, 0, 2, 1], I64)}, mode="reflect"),
    case("Expand", {"x": rand([3, 1])}, inits={"s": np.array([2, 1, 4], I64)}),
    case(
        "Resize",
        {"x": X4},
        inits={"roi": np.zeros(0, np.float32), "sc": np.array([1, 1, 2, 1.5], np.float32)},
        mode="linear",
    ),
    case(
        "Resize",
        {"x": X4},
        inits={
            "roi": np.zeros(0, np.float32),
            "sc": np.zeros(0, np.float32),
            "sz": np.array([2, 4, 3, 9], I64),
        },
        mode="nearest",
    ),
    case("ArgMax", {"x": rand([3, 4], I64, 0, 2)}, axis=1, keepdims=0, select_last_index=1),
    case("TopK", {"x": X3}, n_out=2, inits={"k": np.array([3], I64)}, largest=0),
    case("ReduceSum", {"x": X3}, inits={"a": np.array([1], I64)}, keepdims=0),
    case("ReduceLogSumExp", {"x": X3}, keepdims=1),
    case("ReduceMean", {"x": X3}, opset=13, axes=[0, 2]),
    case("Clip", {"x": X3}, inits={"lo": np.array(-0.5, np.float32), "hi": np.array(0.5, np.float32)}),
    case("Where", {"c": rand([5, 8], np.bool_), "a": X3, "b": rand([8])}),
    case("CumSum", {"x": X3}, inits={"a": np.array(1, I64)}, exclusive=1, reverse=1),
    case(
        "OneHot",
        {"i": np.array([0, -1, 2], I64)},
        inits={"d": np.array(4, I64), "v": np.array([0, 5], np.float32)},
    ),
    case("Einsum", {"a": rand([2, 3, 4]), "b": rand([2, 4, 5])}, equation="bij,bjk->bik"),
    case("Trilu", {"x": rand([3, 4, 5])}, inits={"k": np.array(1, I64)}, upper=0),
    case("DepthToSpace", {"x": X4}, blocksize=2, mode="CRD"),
    case("Div", {"a": np.array([7, -7, 7, -7], np.int32), "b": np.array([2, 2, -2, -2], np.int32)}),
    case("Mod", {"a": np.array([7, -7, 7, -7], np.int32), "b": np.array([3, 3, -3, -3], np.int32)}),
    case("LeakyRelu", {"x": X3}, alpha=0.2),
    case("HardSigmoid", {"x": X3}),
    case("Selu", {"x": X3}),
    case("Gelu", {"x": X3}, opset=20, approximate="tanh"),
    case(
        "QuantizeLinear",
        {"x": X4},
        inits={"s": np.array([0.05, 0.1, 0.02, 0.03], np.float32), "z": np.array([1, 2, 3, 4], np.uint8)},
        axis=1,
    ),
    case(
        "DequantizeLinear",
        {"x": rand([2, 4], np.int8, -100, 100)},
        inits={"s": np.array(0.1, np.float32), "z": np.array(3, np.int8)},
    ),
    case(
        "LSTM",
        {"x": X3},
        n_out=3,
        inits={"w": rand([2, 12, 8]), "r": rand([2, 12, 3]), "b": rand([2, 24])},
        hidden_size=3,
        direction="bidirectional",
    ),
    case(
        "GRU",
        {"x": X3},
        n_out=2,
        inits={"w": rand([1, 9, 8]), "r": rand([1, 9, 3]), "b": rand([1, 18])},
        hidden_size=3,
        linear_before_reset=1,
    ),
    case(
        "RNN",
        {"x": X3},
        n_out=2,
        inits={"w": rand([1, 4, 8]), "r": rand([1, 4, 4])},
        hidden_size=4,
        direction="reverse",
    ),
    case("Gelu", {"x": X3}, domain=MS),
    case("FastGelu", {"x": X3, "b": rand([8])}, domain=MS),
    case("BiasGelu", {"x": X3, "b": rand([8])}, domain=MS),
    case("QuickGelu", {"x": X3}, domain=MS, alpha=1.5),
    case("FusedMatMul", {"a": rand([2, 3, 4]), "b": rand([2, 5, 4])}, domain=MS, transB=1, alpha=0.5),
    case(
        "SkipLayerNormalization",
        {"x": X3, "s": rand([2, 5, 8])},
        domain=MS,
        inits={"g": rand([8]), "b": rand([8])},
        epsilon=1e-5,
    ),
    case(
        "Attention",
        {"x": rand([2, 5, 8], low=-0.5, high=0.5)},
        domain=MS,
        inits={
            "w": rand([8, 24], low=-0.5, high=0.5),
            "b": rand([24]),
            "m": np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], np.int32),
        },
        num_heads=2,
    ),
]


@pytest.mark.parametrize(("onnx_node", "inputs", "outputs", "opset", "inits", "domain"), CASES)
def test_translator_matches_onnxruntime(
    onnx_node: Any,
    inputs: dict[str, np.ndarray],
    outputs: list[str],
    opset: int,
    inits: dict[str, np.ndarray] | None,
    domain: str,
) -> None:
    model = make_model(
        [onnx_node],
        inputs,
        outputs,
        opset=opset,
        initializers=inits,
        extra_opsets={MS: 1} if domain else None,
    )
    compare(model, inputs)


def test_gemm_becomes_matmul_multiply_add() -> None:
    from vinopy.frontend.onnx import read_onnx

    inputs = {"a": rand([3, 4]), "b": rand([4, 5]), "c": rand([5])}
    model = read_onnx(make_model([node("Gemm", ["a", "b", "c"], ["y"], alpha=2.0)], inputs, ["y"]))
    types = [n.get_type_name() for n in model.get_ordered_ops()]
    assert {"MatMul", "Multiply", "Add"} <= set(types)
    assert model.output(0).get_node().input_value(0).get_node().get_friendly_name() == "gemm_node"


def test_argmax_becomes_topk() -> None:
    from vinopy.frontend.onnx import read_onnx

    model = read_onnx(make_model([node("ArgMax", ["x"], ["y"], axis=1)], {"x": X3}, ["y"]))
    assert "TopK" in {n.get_type_name() for n in model.get_ordered_ops()}


def test_flatten_of_a_static_model_can_be_reshaped_to_another_batch():
    flatten = helper.make_node("Flatten", ["x"], ["y"], axis=1)
    graph = helper.make_graph(
        [flatten],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 12])],
    )
    model = ov.Core().read_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    model.reshape([5, 3, 4])
    assert model.outputs[0].get_partial_shape() == ov.PartialShape([5, 12])
    x = np.arange(60, dtype=np.float32).reshape(5, 3, 4)
    np.testing.assert_array_equal(ov.Core().compile_model(model, "TEMPLATE")(x)[0], x.reshape(5, 12))
