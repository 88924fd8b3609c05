"""ov.convert_model: model sources, ovc's `input` forms, cutting by input and output, errors."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import vinopy as ov
from vinopy.tools.convert import InputSpec, parse_input, parse_input_string, parse_output

RNG = np.random.default_rng(7)


def image_model(batch: int | str = 1) -> onnx.ModelProto:
    """x[batch,3,4,4] -> Conv -> conv_out -> Relu -> relu_out -> GlobalAveragePool -> pool -> Flatten -> flat
    -> Gemm -> logits; the same weights every time."""
    rng = np.random.default_rng(0)
    weights = {
        "w": rng.standard_normal((6, 3, 3, 3)).astype(np.float32),
        "b": rng.standard_normal(6).astype(np.float32),
        "fc": rng.standard_normal((6, 2)).astype(np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["conv_out"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv_out"], ["relu_out"]),
        helper.make_node("GlobalAveragePool", ["relu_out"], ["pool"]),
        helper.make_node("Flatten", ["pool"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "image",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 3, 4, 4])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 2])],
        [numpy_helper.from_array(v, k) for k, v in weights.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def two_input_model() -> onnx.ModelProto:
    nodes = [helper.make_node("Add", ["a", "b"], ["sum"]), helper.make_node("Mul", ["sum", "b"], ["prod"])]
    info = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["n", 3]) for n in ("a", "b")]
    graph = helper.make_graph(
        nodes, "two", info, [helper.make_tensor_value_info("prod", TensorProto.FLOAT, None)]
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def run(model: ov.Model, *inputs: np.ndarray) -> list[np.ndarray]:
    result = ov.Core().compile_model(model, "TEMPLATE")(list(inputs))
    return [result[i] for i in range(len(model.outputs))]


def reference(proto: onnx.ModelProto, outputs: list[str], **feeds: np.ndarray) -> list[np.ndarray]:
    return ReferenceEvaluator(proto).run(outputs, feeds)


# --- parsing `input` --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x", [InputSpec("x")]),
        ([1, 3, 224, 224], [InputSpec(shape=ov.PartialShape([1, 3, 224, 224]))]),
        ("1,3,?,224", [InputSpec(shape=ov.PartialShape([1, 3, -1, 224]))]),
        ("[1..8,3]", [InputSpec(shape=ov.PartialShape([ov.Dimension(1, 8), 3]))]),
        (ov.PartialShape("?,10"), [InputSpec(shape=ov.PartialShape([-1, 10]))]),
        (("x", [1, 3], np.float32), [InputSpec("x", ov.PartialShape([1, 3]), ov.Type.f32)]),
        (["a", "b"], [InputSpec("a"), InputSpec("b")]),
        (
            [[1, 3], [2, 5]],
            [InputSpec(shape=ov.PartialShape([1, 3])), InputSpec(shape=ov.PartialShape([2, 5]))],
        ),
        (
            [("a", [1, 3]), ("b", ov.Type.i64)],
            [InputSpec("a", ov.PartialShape([1, 3])), InputSpec("b", None, ov.Type.i64)],
        ),
        (
            {"a": [1, ov.Dimension(1, 4)], "b": ("?,3", np.int32)},
            [InputSpec("a", ov.PartialShape("1,1..4")), InputSpec("b", ov.PartialShape("?,3"), ov.Type.i32)],
        ),
        (
            "a[1,3,?],b,[2]",
            [InputSpec("a", ov.PartialShape("1,3,?")), InputSpec("b"), InputSpec(shape=ov.PartialShape([2]))],
        ),
        (ov.Type.f16, [InputSpec(type=ov.Type.f16)]),
        (None, []),
    ],
)
def test_parse_input_forms(value: object, expected: list[InputSpec]) -> None:
    assert parse_input(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a[1,3", "Unbalanced brackets"),
        ("a[1,x]", "Cannot parse"),
        ([("a", "b", [1])], "More than one name"),
        ([("a", [1]), 3.5], "Cannot use 3.5"),
        ({1: [1, 2]}, "dict keys must be tensor names"),
    ],
)
def test_parse_input_errors(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_input(value)


def test_parse_output_and_cli_strings() -> None:
    assert parse_output("a, b") == ["a", "b"]
    assert parse_output(["x"]) == ["x"]
    assert parse_input_string("in[1,3,224,224],other[1..2,?]")[1] == InputSpec(
        "other", ov.PartialShape("1..2,?")
    )
    with pytest.raises(ValueError, match="tensor names"):
        parse_output([1])


# --- sources ----------------------------------------------------------------------------------------
def test_sources_give_the_same_model(tmp_path) -> None:
    proto = image_model()
    path = tmp_path / "image.onnx"
    onnx.save(proto, str(path))
    x = RNG.standard_normal((1, 3, 4, 4)).astype(np.float32)
    expected = reference(proto, ["logits"], x=x)[0]
    ir = tmp_path / "image.xml"
    ov.save_model(ov.convert_model(path), ir, compress_to_fp16=False)
    for source in (path, str(path), proto, proto.SerializeToString(), ir, ov.convert_model(proto)):
        np.testing.assert_allclose(run(ov.convert_model(source), x)[0], expected, rtol=1e-5, atol=1e-6)


def test_converting_an_ov_model_leaves_it_alone() -> None:
    original = ov.convert_model(two_input_model())
    ov.convert_model(original, input=[[2, 3], [2, 3]])
    assert original.input(0).get_partial_shape() == ov.PartialShape([-1, 3])


def test_unsupported_object_says_what_is_expected() -> None:
    with pytest.raises(TypeError, match=r"Cannot convert dict: expected a path .*torch.nn.Module"):
        ov.convert_model({"not": "a model"})
    with pytest.raises(ValueError, match="example_input is only used"):
        ov.convert_model(image_model(), example_input=np.zeros(1))
    with pytest.raises(ValueError, match="extensions are not supported"):
        ov.convert_model(image_model(), extension="libcustom.so")


# --- input shapes and types -------------------------------------------------------------------------
def test_unnamed_and_named_shapes() -> None:
    model = ov.convert_model(image_model("batch"), input="?,3,4,4")
    assert model.input(0).get_partial_shape() == ov.PartialShape([-1, 3, 4, 4])
    model = ov.convert_model(image_model("batch"), input={"x": "1..8,3,4,4"})
    assert model.input(0).get_partial_shape() == ov.PartialShape("1..8,3,4,4")
    assert model.output(0).get_partial_shape() == ov.PartialShape("1..8,2")
    x = RNG.standard_normal((5, 3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(
        run(model, x)[0], reference(image_model(5), ["logits"], x=x)[0], rtol=1e-5, atol=1e-6
    )


def test_input_order_and_types_follow_input() -> None:
    model = ov.convert_model(two_input_model(), input=[("b", [2, 3], ov.Type.f16), ("a", [2, 3], np.float16)])
    assert [p.get_any_name() for p in model.inputs] == ["b", "a"]
    assert model.output(0).get_element_type() == ov.Type.f16
    a, b = (RNG.standard_normal((2, 3)).astype(np.float16) for _ in range(2))
    np.testing.assert_allclose(run(model, b, a)[0], (a + b) * b, rtol=1e-2)


def test_unnamed_count_mismatch_and_mixed() -> None:
    with pytest.raises(ValueError, match=r"2 unnamed inputs but the model has 1: \['x'\]"):
        ov.convert_model(image_model(), input=[[1, 3, 4, 4], [1]])
    with pytest.raises(ValueError, match="mixes named and unnamed"):
        ov.convert_model(two_input_model(), input=[("a", [1, 3]), [1, 3]])


# --- cutting ----------------------------------------------------------------------------------------
def test_cut_by_output() -> None:
    proto = image_model()
    model = ov.convert_model(proto, output="relu_out,pool")
    assert [o.get_any_name() for o in model.outputs] == ["relu_out", "pool"]
    x = RNG.standard_normal((1, 3, 4, 4)).astype(np.float32)
    for got, want in zip(run(model, x), reference(proto, ["relu_out", "pool"], x=x)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_cut_by_input_at_an_inner_tensor() -> None:
    proto = image_model()
    model = ov.convert_model(proto, input="relu_out")
    assert [p.get_any_name() for p in model.inputs] == ["relu_out"]
    assert model.input(0).get_partial_shape() == ov.PartialShape([1, 6, 4, 4])
    features = RNG.standard_normal((1, 6, 4, 4)).astype(np.float32)
    fc = numpy_helper.to_array(next(t for t in proto.graph.initializer if t.name == "fc"))
    np.testing.assert_allclose(run(model, features)[0], features.mean(axis=(2, 3)) @ fc, rtol=1e-5, atol=1e-6)


def test_cut_both_ends_with_new_shape() -> None:
    proto = image_model()
    model = ov.convert_model(proto, input=("conv_out", [2, 6, 4, 4]), output="pool")
    y = RNG.standard_normal((2, 6, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(run(model, y)[0], np.maximum(y, 0).mean(axis=(2, 3), keepdims=True), rtol=1e-5)


def test_cut_drops_inputs_no_longer_used() -> None:
    model = ov.convert_model(two_input_model(), input=["sum"])
    assert sorted(p.get_any_name() for p in model.inputs) == ["b", "sum"]
    assert [p.get_any_name() for p in model.inputs][0] == "sum"


def test_unknown_names_list_the_tensors() -> None:
    with pytest.raises(ValueError, match=r"`output` names 'nope'.*tensors: .*conv_out.*logits.*relu_out"):
        ov.convert_model(image_model(), output="nope")
    with pytest.raises(ValueError, match=r"`input` names 'missing'.*tensors: .*x"):
        ov.convert_model(image_model(), input=[("missing", [1, 3, 4, 4])])


def test_verbose_prints_a_summary(capsys) -> None:
    ov.convert_model(image_model(), verbose=True)
    err = capsys.readouterr().err
    assert "inputs:\n  x: f32 [1,3,4,4]" in err and "logits" in err
