"""Reading ONNX models: sources, errors, names, symbolic dimensions, external data, functions."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

import vinopy as ov
from tests.frontend.onnx.helpers import compare, make_model, node, run_vinopy
from vinopy.frontend.onnx import OnnxConversionError, UnsupportedOpsError, read_onnx

X = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5


def relu_model() -> onnx.ModelProto:
    return make_model([node("Relu", ["x"], ["y"])], {"x": X}, ["y"])


def test_read_from_path_bytes_and_proto(tmp_path) -> None:
    model = relu_model()
    path = tmp_path / "relu.onnx"
    onnx.save(model, str(path))
    for source in (str(path), path, model.SerializeToString(), model):
        np.testing.assert_array_equal(run_vinopy(source, {"x": X})[0], np.maximum(X, 0))


def test_core_read_model_and_frontend_manager(tmp_path) -> None:
    path = tmp_path / "relu.onnx"
    onnx.save(relu_model(), str(path))
    assert ov.Core().read_model(str(path)).get_parameters()[0].get_friendly_name() == "x"
    fe = ov.frontend.FrontEndManager().load_by_model(str(path))
    assert fe is not None and fe.get_name() == "onnx"
    model = fe.convert(fe.load(str(path)))
    assert model.output(0).get_names() == {"y"}


def test_corrupt_file_names_the_file(tmp_path) -> None:
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"\x08\x07garbage that is not a protobuf\xff\xff\xff")
    with pytest.raises(OnnxConversionError, match="broken.onnx"):
        read_onnx(str(path))


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError, match="nowhere.onnx"):
        read_onnx("/nowhere/nowhere.onnx")


def test_unsupported_ops_listed_in_one_error() -> None:
    nodes = [
        helper.make_node("FancyOp", ["x"], ["a"], name="fancy_1", domain="custom.domain"),
        helper.make_node("FancyOp", ["a"], ["b"], name="fancy_2", domain="custom.domain"),
        helper.make_node("ImageDecoder", ["b"], ["c"], name="decoder"),
    ]
    model = make_model(nodes, {"x": X}, ["c"], opset=20, extra_opsets={"custom.domain": 3})
    with pytest.raises(UnsupportedOpsError) as info:
        read_onnx(model)
    message = str(info.value)
    assert "2 unsupported op(s)" in message
    assert "FancyOp (domain 'custom.domain', opset 3): nodes 'fancy_1', 'fancy_2'" in message
    assert "ImageDecoder (domain 'ai.onnx', opset 20): nodes 'decoder'" in message


def test_names_and_symbolic_dims() -> None:
    graph = helper.make_graph(
        [node("Relu", ["x"], ["hidden"]), helper.make_node("Neg", ["hidden"], ["y"], name="negate")],
        "g",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["batch", 3, None])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["batch", 3, None])],
    )
    model = read_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]))
    param = model.get_parameters()[0]
    assert param.get_friendly_name() == "x" and model.input(0).get_names() == {"x"}
    assert str(param.get_partial_shape()) == "[?,3,?]"
    assert model.output(0).get_names() == {"y"}
    assert model.output("y").get_node().input_value(0).get_node().get_friendly_name() == "negate"
    x = np.ones((5, 3, 2), np.float32)
    np.testing.assert_array_equal(ov.Core().compile_model(model, "TEMPLATE")({"x": x})[0], -x)


def _biased_products() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    weights = {
        "w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
        "b": rng.standard_normal(4).astype(np.float32),
        "fc_w": rng.standard_normal((4, 5)).astype(np.float32),
        "fc_b": rng.standard_normal(5).astype(np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="/stem/Conv", pads=[1, 1, 1, 1]),
        helper.make_node("GlobalAveragePool", ["c"], ["p"], name="/pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="/flat"),
        helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["y"], name="/fc/Gemm"),
    ]
    image = np.zeros((1, 3, 8, 8), np.float32)
    return make_model(nodes, {"x": image}, ["y"], initializers=weights)


def test_products_with_a_bias_are_named_as_openvinos_reader_names_them(tmp_path) -> None:
    """A Conv or Gemm with a bias is a product named "<node>/WithoutBiases" and an Add named after
    the node, as in OpenVINO, so that per-layer profiles of the two line up by name."""
    openvino = pytest.importorskip("openvino")
    path = tmp_path / "biased.onnx"
    onnx.save(_biased_products(), str(path))

    def names(core: object) -> set[tuple[str, str]]:
        ops = core.read_model(str(path)).get_ordered_ops()  # type: ignore[attr-defined]
        return {(op.get_type_name(), op.get_friendly_name()) for op in ops if op.get_type_name() != "Result"}

    ours, theirs = names(ov.Core()), names(openvino.Core())
    products = {("Convolution", "/stem/Conv/WithoutBiases"), ("MatMul", "/fc/Gemm/WithoutBiases")}
    assert products <= ours and products <= theirs
    assert ("Add", "/stem/Conv") in ours and ("Add", "/stem/Conv") in theirs
    compiled = ov.Core().compile_model(str(path), "CPU", {"PERF_COUNT": True})
    request = compiled.create_infer_request()
    request.infer([np.ones((1, 3, 8, 8), np.float32)])
    timed = {row.node_name for row in request.get_profiling_info() if row.exec_type != "undef"}
    assert "/stem/Conv/WithoutBiases" in timed  # the convolution step, its bias fused


def test_external_data_relative_to_model(tmp_path) -> None:
    weights = np.arange(12, dtype=np.float32).reshape(3, 4)
    model = make_model([node("MatMul", ["x", "w"], ["y"])], {"x": X}, ["y"], initializers={"w": weights})
    onnx.save(
        model,
        str(tmp_path / "model.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="weights.bin",
        size_threshold=0,
    )
    assert (tmp_path / "weights.bin").exists()
    np.testing.assert_allclose(run_vinopy(str(tmp_path / "model.onnx"), {"x": X})[0], X @ weights)


def test_initializer_is_a_constant() -> None:
    model = read_onnx(
        make_model(
            [node("Add", ["x", "b"], ["y"])], {"x": X}, ["y"], initializers={"b": np.ones(3, np.float32)}
        )
    )
    assert [p.get_friendly_name() for p in model.get_parameters()] == ["x"]
    assert "Constant" in {n.get_type_name() for n in model.get_ordered_ops()}


def test_model_local_function_is_expanded() -> None:
    body = [helper.make_node("Mul", ["a", "a"], ["sq"]), helper.make_node("Add", ["sq", "a"], ["out"])]
    function = helper.make_function(
        "my.funcs", "SquarePlus", ["a"], ["out"], body, [helper.make_opsetid("", 18)]
    )
    graph = helper.make_graph(
        [helper.make_node("SquarePlus", ["x"], ["y"], domain="my.funcs", name="fn")],
        "g",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [2, 3])],
    )
    model = helper.make_model(
        graph,
        functions=[function],
        opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("my.funcs", 1)],
    )
    np.testing.assert_allclose(run_vinopy(model, {"x": X})[0], X * X + X)


def test_schema_function_body_is_expanded() -> None:
    # MeanVarianceNormalization-style ops without a translator are expanded from ONNX's own body:
    # Shrink has a translator, so check a function op we do not translate directly
    model = make_model(
        [node("HammingWindow", ["n"], ["y"], periodic=0)], {"n": np.array(8, np.int64)}, ["y"], opset=17
    )
    compare(model, {"n": np.array(8, np.int64)})


def test_if_with_outer_scope_values() -> None:
    then_graph = helper.make_graph(
        [node("Add", ["x", "x"], ["t"])],
        "then",
        [],
        [helper.make_tensor_value_info("t", onnx.TensorProto.FLOAT, None)],
    )
    else_graph = helper.make_graph(
        [node("Neg", ["x"], ["e"])],
        "else",
        [],
        [helper.make_tensor_value_info("e", onnx.TensorProto.FLOAT, None)],
    )
    model = make_model(
        [node("If", ["c"], ["y"], then_branch=then_graph, else_branch=else_graph)],
        {"c": np.array(True), "x": X},
        ["y"],
    )
    for flag in (True, False):
        compare(model, {"c": np.array(flag), "x": X})


def test_loop_with_carried_value_and_scan_output() -> None:
    body = helper.make_graph(
        [
            node("Add", ["acc_in", "x"], ["acc_out"]),
            node("Identity", ["cond_in"], ["cond_out"]),
            node("Mul", ["acc_out", "acc_out"], ["sq"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", onnx.TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", onnx.TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_in", onnx.TensorProto.FLOAT, [2, 3]),
        ],
        [
            helper.make_tensor_value_info("cond_out", onnx.TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_out", onnx.TensorProto.FLOAT, [2, 3]),
            helper.make_tensor_value_info("sq", onnx.TensorProto.FLOAT, [2, 3]),
        ],
    )
    model = make_model(
        [node("Loop", ["n", "", "acc0"], ["acc", "squares"], body=body)],
        {"n": np.array(4, np.int64), "acc0": np.zeros((2, 3), np.float32), "x": X},
        ["acc", "squares"],
    )
    compare(model, {"n": np.array(4, np.int64), "acc0": np.zeros((2, 3), np.float32), "x": X})
