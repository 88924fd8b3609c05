import numpy as np
import openvino.opset15 as real
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError

ops = ov.opset15


def i64(values):
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize(
    "start,stop,step,dtype",
    [(0, 10, 3, np.int64), (5, -3, -2, np.int32), (0.5, 2.0, 0.25, np.float32), (3, 1, 1, np.int64)],
)
def test_range_matches_onnx(start, stop, step, dtype):
    values = [np.array(v, dtype) for v in (start, stop, step)]
    (out,) = run_op(lambda *ps: ov.opset1.range(*ps), values)
    assert_close(out, onnx_reference("Range", values)[0])
    (out4,) = run_op(lambda *ps: ops.range(*ps, ov.Type.resolve(np.dtype(dtype))), values)
    assert_close(out4, onnx_reference("Range", values)[0])


def test_range_shape_inference_and_errors():
    assert ops.range(np.int64(1), np.int64(10), np.int64(3), "i32").get_output_partial_shape(
        0
    ) == ov.PartialShape([3])
    start = ops.parameter([], ov.Type.f32)
    assert str(ops.range(start, np.float32(4), np.float32(1), "f32").get_output_partial_shape(0)) == "[?]"
    with pytest.raises(NodeValidationError, match="zero"):
        ops.range(np.int64(1), np.int64(10), np.int64(0), "i64")
    with pytest.raises(NodeValidationError, match="same element type"):
        ov.opset1.range(np.int64(1), np.int32(10), np.int64(1))
    with pytest.raises(NodeValidationError, match="single value"):
        ops.range(i64([1, 2]), np.int64(10), np.int64(1), "i64")


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_one_hot_matches_openvino(axis):
    idx = i64([[0, 3, -1], [5, 2, 1]])
    args = (np.int64(4), np.float32(2.0), np.float32(-1.0), axis)
    (out,) = run_op(lambda p: ops.one_hot(p, *args), [idx])
    assert_close(out, openvino_reference(lambda p: real.one_hot(p, *args), [idx])[0])


def test_one_hot_matches_onnx_for_valid_indices():
    idx = i64([1, 0, 2])
    (out,) = run_op(
        lambda p: ops.one_hot(p, np.int64(3), np.float32(1), np.float32(0), 0), [idx], dynamic=True
    )
    expected = onnx_reference("OneHot", [idx, np.int64(3), np.array([0, 1], np.float32)], axis=0)[0]
    assert_close(out, expected)


def test_one_hot_errors():
    with pytest.raises(NodeValidationError, match="out of range"):
        ops.one_hot(ops.parameter([3], ov.Type.i64), np.int64(3), np.float32(1), np.float32(0), 2)
    with pytest.raises(NodeValidationError, match="same element type"):
        ops.one_hot(ops.parameter([3], ov.Type.i64), np.int64(3), np.float32(1), np.int32(0), 0)


@pytest.mark.parametrize("shape", [(3, 4), (5,), (2, 2, 3)])
@pytest.mark.parametrize("dynamic", [False, True])
def test_non_zero_matches_onnx(shape, dynamic):
    x = rand(shape, np.int32, low=-1, high=1)
    (out,) = run_op(lambda p: ops.non_zero(p), [x], dynamic=dynamic)
    assert_close(out, onnx_reference("NonZero", [x])[0])
    (out32,) = run_op(lambda p: ops.non_zero(p, "i32"), [x], dynamic=dynamic)
    assert out32.dtype == np.int32


def test_non_zero_shape_inference_and_scalar():
    assert str(ops.non_zero(ops.parameter([2, 3])).get_output_partial_shape(0)) == "[2,..6]"
    x = np.array(3.0, np.float32)
    (out,) = run_op(lambda p: ops.non_zero(p), [x])
    assert_close(out, openvino_reference(lambda p: real.non_zero(p), [x], compile_cpu=True)[0])


@pytest.mark.parametrize("exclusive,reverse", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("dynamic", [False, True])
def test_cumsum_matches_onnx(exclusive, reverse, axis, dynamic):
    x = rand((3, 4))
    (out,) = run_op(lambda p: ops.cumsum(p, i64(axis), exclusive, reverse), [x], dynamic=dynamic)
    expected = onnx_reference("CumSum", [x, i64(axis)], exclusive=int(exclusive), reverse=int(reverse))[0]
    assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_cumsum_errors():
    with pytest.raises(NodeValidationError, match="out of range"):
        ops.cumsum(ops.parameter([3, 4]), i64(2))
    with pytest.raises(NodeValidationError, match="numeric"):
        ops.cumsum(ops.parameter([3], ov.Type.boolean), i64(0))


@pytest.mark.parametrize(
    "rows,cols,k,batch", [(3, 4, 1, None), (4, 2, -1, None), (3, 3, 0, [2]), (2, 5, 7, [2, 1])]
)
def test_eye_matches_openvino(rows, cols, k, batch):
    args = [np.int64(rows), np.int64(cols), np.int64(k)]
    extra = [] if batch is None else [i64(batch)]
    (out,) = run_op(lambda: ops.eye(*args, "f32", *extra), [])
    assert_close(out, openvino_reference(lambda: real.eye(*args, "f32", *extra), [])[0])
    if batch is None:
        assert_close(out, onnx_reference("EyeLike", [np.zeros((rows, cols), np.float32)], k=k)[0])


def test_eye_errors():
    with pytest.raises(NodeValidationError, match=">= 0"):
        ops.eye(np.int64(-1), np.int64(2), np.int64(0), "f32")
    with pytest.raises(NodeValidationError, match="integer"):
        ops.eye(np.float32(2), np.int64(2), np.int64(0), "f32")
