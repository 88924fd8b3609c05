"""Model API as OpenVINO users write it: names, reshape, clone, rt_info (openvino as oracle)."""

import numpy as np
import openvino
import pytest

import vinopy as ov


def text(value) -> str:
    """An rt_info value as text: openvino wraps values in OVAny, vinopy returns them as they are."""
    return value.astype(str) if hasattr(value, "astype") else str(value)


def build(api):
    ops = api.opset13
    x = ops.parameter([1, 3, 8, 8], np.float32, name="x")
    unnamed = ops.parameter([1, 3, 8, 8], np.float32)
    out = ops.relu(ops.add(x, unnamed))
    return api.Model([out], [x, unnamed], "net"), unnamed


@pytest.mark.parametrize("api", [ov, openvino], ids=["vinopy", "openvino"])
def test_model_names_unnamed_inputs_and_outputs(api) -> None:
    model, unnamed = build(api)
    assert model.input(0).get_names() == {"x"}
    assert model.input(1).get_names() == {unnamed.get_friendly_name()}
    result = model.get_results()[0]
    assert model.output(0).get_names() == {result.get_friendly_name()}
    assert model.output(0).get_any_name() == result.get_friendly_name()
    assert model.get_result() is not None and model.get_friendly_name() == "net"


@pytest.mark.parametrize("api", [ov, openvino], ids=["vinopy", "openvino"])
@pytest.mark.parametrize(
    ("key", "shape", "expected"),
    [
        (0, [2, 3, 8, 8], "[2,3,8,8]"),
        ("x", "1,3,?,8", "[1,3,?,8]"),
        ("x", "1..4,3,8,8", "[1..4,3,8,8]"),
        ("input", None, "[4,3,8,8]"),
    ],
)
def test_reshape_by_index_name_and_output(api, key, shape, expected) -> None:
    model, _ = build(api)
    if key == "input":
        key, shape = model.input(0), api.PartialShape([4, 3, 8, 8])
    model.reshape({key: shape, 1: shape})
    assert str(model.input(0).get_partial_shape()) == expected
    # Add of two 1..4 dimensions is 1..4 in OpenVINO; vinopy's broadcasting may widen it to ?
    assert model.output(0).get_partial_shape().compatible(api.PartialShape(expected))
    assert model.is_dynamic() == ("?" in expected or ".." in expected)


@pytest.mark.parametrize("api", [ov, openvino], ids=["vinopy", "openvino"])
def test_reshape_single_input_model_with_plain_shape(api) -> None:
    p = api.opset13.parameter([1, 4], np.float32, name="p")
    model = api.Model(api.opset13.relu(p), [p])
    model.reshape([3, 4])
    assert list(model.output(0).get_shape()) == [3, 4]
    model.reshape("?,4")
    assert str(model.output(0).get_partial_shape()) == "[?,4]"


def test_reshape_errors_name_the_input_and_restore_shapes() -> None:
    model, _ = build(ov)
    with pytest.raises(KeyError, match="no input named 'zz'"):
        model.reshape({"zz": [1]})
    with pytest.raises(ValueError):
        model.reshape({0: [1, 3, 8, 8], 1: [1, 4, 8, 8]})  # Add cannot broadcast 3 with 4
    assert str(model.input(1).get_partial_shape()) == "[1,3,8,8]"


@pytest.mark.parametrize("api", [ov, openvino], ids=["vinopy", "openvino"])
def test_clone_is_deep_and_keeps_names(api) -> None:
    model, _ = build(api)
    model.set_rt_info("v1", ["framework", "version"])
    clone = model.clone()
    assert clone.get_friendly_name() == "net"
    assert [i.get_names() for i in clone.inputs] == [i.get_names() for i in model.inputs]
    assert clone.output(0).get_names() == model.output(0).get_names()
    assert clone.get_parameters()[0] is not model.get_parameters()[0]
    clone.reshape({0: [2, 3, 8, 8], 1: [2, 3, 8, 8]})
    assert list(model.input(0).get_shape()) == [1, 3, 8, 8]
    assert text(clone.get_rt_info(["framework", "version"])) == "v1"


@pytest.mark.parametrize("api", [ov, openvino], ids=["vinopy", "openvino"])
def test_rt_info_paths(api) -> None:
    model, _ = build(api)
    model.set_rt_info("fp16", ["optimization", "precision"])
    model.set_rt_info(5, "count")
    assert model.has_rt_info(["optimization", "precision"])
    assert not model.has_rt_info(["optimization", "missing"])
    assert text(model.get_rt_info(["optimization", "precision"])) == "fp16"
    assert text(model.get_rt_info("count")) == "5"


def test_compile_after_reshape_runs_new_shape() -> None:
    model, _ = build(ov)
    model.reshape({0: [2, 3, 2, 2], 1: [2, 3, 2, 2]})
    x = np.full((2, 3, 2, 2), -1, np.float32)
    y = np.full((2, 3, 2, 2), 3, np.float32)
    np.testing.assert_array_equal(ov.compile_model(model, "TEMPLATE")([x, y])[0], np.full((2, 3, 2, 2), 2))
