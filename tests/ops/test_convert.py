import ml_dtypes
import numpy as np
import openvino.opset15 as real_ops
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError

ops = ov.opset13

FLOATS = np.array([2.5, -2.5, 1.7, -1.7, 0.5, -0.5, 300.7, -300.2, 127.5, -128.6, 255.5, 0.0], np.float32)
OUT_OF_RANGE = np.array([1e10, -1e10, 3e9, np.nan, np.inf, -np.inf], np.float32)


@pytest.mark.parametrize(
    "target", ["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "boolean", "f16", "f64"]
)
def test_float_to_other_types_like_openvino(target):
    (out,) = run_op(lambda x: ops.convert(x, target), [FLOATS])
    assert out.dtype == ov.Type(target).to_dtype()
    assert_close(out, openvino_reference(lambda x: real_ops.convert(x, target), [FLOATS])[0])


@pytest.mark.parametrize("target", ["i8", "u8", "i16", "i32", "i64", "boolean", "f16"])
def test_out_of_range_floats_like_openvino(target):
    (out,) = run_op(lambda x: ops.convert(x, target), [OUT_OF_RANGE])
    assert_close(out, openvino_reference(lambda x: real_ops.convert(x, target), [OUT_OF_RANGE])[0])


@pytest.mark.parametrize("target", ["i8", "u8", "i16", "u32", "f16", "f32", "boolean"])
def test_integers_wrap_and_f16_saturates_like_openvino(target):
    x = np.array([300, -300, 127, 128, -129, 70000, 0, 1], np.int32)
    (out,) = run_op(lambda p: ops.convert(p, target), [x], dynamic=True)
    assert_close(out, openvino_reference(lambda p: real_ops.convert(p, target), [x])[0])


@pytest.mark.parametrize("target", [np.int32, np.float16, np.bool_, np.uint8])
def test_matches_onnx_cast_in_range(target):
    x = rand((3, 4), np.float32, 0, 100)
    (out,) = run_op(lambda p: ops.convert(p, ov.Type(target)), [x])
    assert_close(out, onnx_reference("Cast", [x], to=onnx_type(target))[0])


def onnx_type(dtype):
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def test_bf16_rounds_to_nearest_even():
    x = np.concatenate([FLOATS, rand((20,), np.float32)])
    (out,) = run_op(lambda p: ops.convert(p, "bf16"), [x], dynamic=True)
    assert out.dtype == ml_dtypes.bfloat16
    assert_close(out.astype(np.float32), x.astype(ml_dtypes.bfloat16).astype(np.float32))
    # OpenVINO's reference rounds some values down instead: agree within one bf16 step
    real = openvino_reference(lambda p: real_ops.convert(p, "bf16"), [x])[0]
    assert_close(out.astype(np.float32), real.astype(np.float32), rtol=2**-7, atol=0)


def test_convert_like_matches_onnx():
    x, like = rand((2, 3), np.float32, -50, 50), rand((1,), np.int64)
    (out,) = run_op(ops.convert_like, [x, like], dynamic=True)
    assert out.dtype == np.int64
    assert_close(out, onnx_reference("CastLike", [x, like])[0])


def test_errors():
    with pytest.raises(NodeValidationError, match="static element type"):
        ops.convert(ops.parameter([2]), ov.Type.dynamic)
    with pytest.raises(NodeValidationError, match="cannot convert f32 to string"):
        ops.convert(ops.parameter([2]), ov.Type.string)
    with pytest.raises(TypeError):
        ops.convert(ops.parameter([2]), "no_such_type")
