import numpy as np
import openvino.opset15 as real
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError, shape_value

ops = ov.opset15


def i64(values):
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize(
    "shape,indices,axis",
    [((5, 3), [0, 4, 2], 0), ((2, 5, 3), [[1, -1], [0, 2]], 1), ((4,), 3, 0), ((3, 4), [1, 0], -1)],
)
@pytest.mark.parametrize("dynamic", [False, True])
def test_gather_matches_onnx(shape, indices, axis, dynamic):
    x, idx = rand(shape), i64(indices)
    (out,) = run_op(lambda p, q: ops.gather(p, q, i64(axis)), [x, idx], dynamic=dynamic)
    assert_close(out, onnx_reference("Gather", [x, idx], axis=axis)[0])


@pytest.mark.parametrize("batch_dims,axis", [(1, 1), (1, 2), (-1, 2), (2, 2)])
def test_gather_batch_dims_matches_openvino(batch_dims, axis):
    x = rand((2, 3, 4, 5))
    idx = rand((2, 3, 2), np.int32, low=-3, high=2)
    (out,) = run_op(lambda p, q: ops.gather(p, q, i64(axis), batch_dims), [x, idx])
    expected = openvino_reference(lambda p, q: real.gather(p, q, i64(axis), batch_dims), [x, idx])[0]
    assert_close(out, expected)


def test_gather_out_of_range_index_gives_zeros_like_openvino():
    x, idx = rand((4, 2)), i64([1, 7])
    (out,) = run_op(lambda p, q: ops.gather(p, q, i64(0)), [x, idx])
    assert_close(out, openvino_reference(lambda p, q: real.gather(p, q, i64(0)), [x, idx])[0])


def test_gather_shape_inference_and_errors():
    x = ops.parameter(ov.PartialShape("[?,5,6]"))
    idx = ops.parameter(ov.PartialShape("[2,?]"), ov.Type.i32)
    assert str(ops.gather(x, idx, i64(1)).get_output_partial_shape(0)) == "[?,2,?,6]"
    axis = ops.parameter([], ov.Type.i64)
    assert ops.gather(x, idx, axis).get_output_partial_shape(0) == ov.PartialShape.dynamic(4)
    with pytest.raises(NodeValidationError, match="out of range"):
        ops.gather(x, idx, i64(3))
    with pytest.raises(NodeValidationError, match="batch dimensions differ"):
        ops.gather(ops.parameter([3, 4]), ops.parameter([2, 1], ov.Type.i32), i64(1), 1)
    with pytest.raises(NodeValidationError, match="integer"):
        ops.gather(x, ops.parameter([2]), i64(0))


def test_gather_of_shape_vector_keeps_dimensions():
    x = ops.parameter(ov.PartialShape("[?,4,2..8]"))
    shape = ops.shape_of(x)
    assert [str(d) for d in shape_value(ops.gather(shape, i64([2, 0]), i64(0)).output(0))] == ["2..8", "?"]
    assert [str(d) for d in shape_value(ops.gather(shape, i64(-2), i64(0)).output(0))] == ["4"]


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("dynamic", [False, True])
def test_gather_elements_matches_onnx(axis, dynamic):
    x = rand((3, 4))
    idx = rand((3, 4), np.int64, low=-3, high=2)
    (out,) = run_op(lambda p, q: ops.gather_elements(p, q, axis), [x, idx], dynamic=dynamic)
    assert_close(out, onnx_reference("GatherElements", [x, idx], axis=axis)[0])


def test_gather_elements_errors():
    with pytest.raises(NodeValidationError, match="same rank"):
        ops.gather_elements(ops.parameter([3, 4]), ops.parameter([3], ov.Type.i32), 0)
    with pytest.raises(NodeValidationError, match="except axis"):
        ops.gather_elements(ops.parameter([3, 4]), ops.parameter([3, 5], ov.Type.i32), 0)


@pytest.mark.parametrize(
    "data_shape,indices,batch_dims",
    [((2, 3, 4), [[1, 2], [0, -1]], 0), ((2, 3, 4), [[[1], [0]], [[2], [1]]], 1), ((3, 4), [[1, 1]], 0)],
)
@pytest.mark.parametrize("dynamic", [False, True])
def test_gather_nd_matches_onnx(data_shape, indices, batch_dims, dynamic):
    x, idx = rand(data_shape), i64(indices)
    (out,) = run_op(lambda p, q: ops.gather_nd(p, q, batch_dims), [x, idx], dynamic=dynamic)
    assert_close(out, onnx_reference("GatherND", [x, idx], batch_dims=batch_dims)[0])


@pytest.mark.parametrize("make", [lambda m: m.opset5.gather_nd, lambda m: m.opset8.gather_nd])
def test_gather_nd_batch_dims_output_shape_matches_openvino(make):
    import openvino as real_ov

    x = rand((2, 3, 4, 5))
    idx = rand((2, 3, 2, 1), np.int32, low=0, high=3)
    (out,) = run_op(lambda p, q: make(ov)(p, q, 2), [x, idx])
    expected = openvino_reference(lambda p, q: make(real_ov)(p, q, 2), [x, idx], compile_cpu=True)[0]
    assert_close(out, expected)


def test_gather_nd_errors():
    with pytest.raises(NodeValidationError, match="address"):
        ops.gather_nd(ops.parameter([2, 3]), ops.parameter([4, 3], ov.Type.i32))
