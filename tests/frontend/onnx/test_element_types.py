"""Narrow element types (2-bit integers, float4, float8 variants): Cast/CastLike/QuantizeLinear through
the ONNX frontend against onnx.reference, and their constants through IR (to OpenVINO where it has them)."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import openvino
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import vinopy as ov
from tests.frontend.onnx.helpers import make_model, node, run_vinopy
from vinopy import opset13 as o
from vinopy.serialize import read_ir, to_bytes

# finite values in and beyond every narrow range, plus the specials
VALUES = np.array(
    [0.0, 0.3, -1.7, 2.5, 3.0, -6.5, 100.0, 470.0, -6e4, 6.5e4, np.inf, -np.inf, np.nan], np.float32
)


def _check_against_reference(model, feeds) -> None:
    expected = ReferenceEvaluator(model).run(None, feeds)
    actual = run_vinopy(model, feeds)
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype, f"dtype {a.dtype} != {e.dtype}"
        np.testing.assert_array_equal(a.astype(np.float32), e.astype(np.float32))


@pytest.mark.parametrize(
    "to",
    [
        TensorProto.FLOAT8E4M3FN,
        TensorProto.FLOAT8E5M2,
        TensorProto.FLOAT8E4M3FNUZ,
        TensorProto.FLOAT8E5M2FNUZ,
        TensorProto.FLOAT4E2M1,
    ],
)
@pytest.mark.parametrize("saturate", [1, 0])
@pytest.mark.parametrize("source", [np.float32, np.float16])
def test_cast_to_narrow_floats(to: int, saturate: int, source: type) -> None:
    x = VALUES.astype(source)
    if to == TensorProto.FLOAT4E2M1:  # ONNX's float4 has no NaN, so its conversion of one is undefined
        x = x[~np.isnan(x)]
    model = make_model([node("Cast", ["x"], ["y"], to=to, saturate=saturate)], {"x": x}, ["y"], opset=23)
    _check_against_reference(model, {"x": x})


@pytest.mark.parametrize("to", [TensorProto.INT2, TensorProto.UINT2])
def test_cast_two_bit_integers_round_trip(to: int) -> None:
    x = (
        np.array([[0, 1, -2, -1], [1, 1, 0, -2]], np.float32)
        if to == TensorProto.INT2
        else np.arange(8.0) % 4
    )
    x = x.astype(np.float32)
    nodes = [node("Cast", ["x"], ["q"], to=to), helper.make_node("Cast", ["q"], ["y"], to=TensorProto.FLOAT)]
    model = make_model(nodes, {"x": x}, ["q", "y"], opset=25)
    _check_against_reference(model, {"x": x})


@pytest.mark.parametrize(
    "zp",
    [
        np.array(0, ml_dtypes.float8_e4m3fn),
        np.array(0, ml_dtypes.float8_e5m2fnuz),
        np.array(-1, ml_dtypes.int2),
        np.array(1, ml_dtypes.uint2),
    ],
    ids=lambda z: str(z.dtype),
)
def test_quantize_linear_to_narrow_types(zp: np.ndarray) -> None:
    x = np.array([0.0, 0.4, -3.0, 900.0, 1e6, -2.2], np.float32)
    nodes = [node("QuantizeLinear", ["x", "s", "zp"], ["y"])]
    model = make_model(nodes, {"x": x}, ["y"], opset=25, initializers={"s": np.float32(0.5), "zp": zp})
    _check_against_reference(model, {"x": x})


def test_castlike_saturates_like_cast() -> None:
    x, target = np.array([1e4, -500.0, 3.0], np.float32), np.zeros(1, ml_dtypes.float8_e4m3fn)
    model = make_model([node("CastLike", ["x", "t"], ["y"])], {"x": x, "t": target}, ["y"], opset=23)
    _check_against_reference(model, {"x": x, "t": target})


@pytest.mark.parametrize(
    ("name", "dtype", "values"),
    [
        ("u2", ml_dtypes.uint2, [0, 1, 2, 3, 1]),
        ("i2", ml_dtypes.int2, [0, 1, -2, -1, 1]),
        ("f4e2m1", ml_dtypes.float4_e2m1fn, [0.0, 1.0, -6.0, 1.5, 0.5]),
        ("f8e8m0", ml_dtypes.float8_e8m0fnu, [1.0, 2.0, 0.25, 2.0**-127, 2.0**100]),
        ("f8e4m3fnuz", ml_dtypes.float8_e4m3fnuz, [1.0, -240.0, 0.125, 0.0, 3.5]),
        ("f8e5m2fnuz", ml_dtypes.float8_e5m2fnuz, [1.0, -57344.0, 0.25, 0.0, 3.0]),
    ],
)
def test_types_map_to_dtypes_and_round_trip_through_ir(name: str, dtype: type, values: list) -> None:
    et = ov.Type.resolve(name)
    assert et.to_dtype() == np.dtype(dtype) and ov.Type.resolve(np.dtype(dtype)) == et
    data = np.array(values, np.float32).astype(dtype)
    model = ov.Model([o.convert(o.constant(data), "f32")], [], "c")
    xml, weights = to_bytes(model)
    again = read_ir(xml, weights).get_results()[0].input_value(0).get_node().input_value(0).get_node()
    assert again.get_element_type() == et
    np.testing.assert_array_equal(again.get_data().view(np.uint8), data.view(np.uint8))


@pytest.mark.parametrize("name", ["u2", "f4e2m1", "f8e8m0"])
def test_openvino_reads_the_types_it_has(name: str, tmp_path) -> None:
    dtype = ov.Type.resolve(name).to_dtype()
    data = np.array([0, 1, 2, 3, 1, 2, 0], np.float32).astype(dtype)
    if name == "f8e8m0":
        data = np.array([1, 2, 4, 0.5, 8, 1, 2], np.float32).astype(dtype)
    model = ov.Model([o.convert(o.constant(data), "f32")], [], "c")
    ov.serialize(model, str(tmp_path / "m.xml"))
    compiled = openvino.Core().compile_model(str(tmp_path / "m.xml"), "CPU")
    np.testing.assert_array_equal(compiled({})[0], data.astype(np.float32))
