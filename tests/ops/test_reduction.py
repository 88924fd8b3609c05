import numpy as np
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op

ops = ov.opset13
ONNX_NAMES = {
    "reduce_sum": "ReduceSum",
    "reduce_mean": "ReduceMean",
    "reduce_max": "ReduceMax",
    "reduce_min": "ReduceMin",
    "reduce_prod": "ReduceProd",
    "reduce_l1": "ReduceL1",
    "reduce_l2": "ReduceL2",
}


@pytest.mark.parametrize("factory", sorted(ONNX_NAMES))
@pytest.mark.parametrize(
    "axes,keep_dims", [([1], False), ([0, 2], True), ([-1, 0], False), ([], True), ([0, 1, 2], False)]
)
def test_reductions_match_onnx(factory, axes, keep_dims):
    x = rand((3, 4, 5), low=0.5, high=1.5)
    axes_value = np.array(axes, dtype=np.int64)
    (out,) = run_op(lambda a: getattr(ops, factory)(a, ops.constant(axes_value), keep_dims), [x])
    (expected,) = onnx_reference(
        ONNX_NAMES[factory], [x, axes_value], keepdims=int(keep_dims), noop_with_empty_axes=1
    )
    assert_close(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("keep_dims", [False, True])
def test_reduction_axes_from_input_and_dynamic_shapes(keep_dims):
    x, axes = rand((2, 3, 4)), np.array([2, 0], dtype=np.int64)
    (out,) = run_op(lambda a, b: ops.reduce_max(a, b, keep_dims), [x, axes], dynamic=True)
    assert_close(out, onnx_reference("ReduceMax", [x, axes], keepdims=int(keep_dims))[0])
    node = ops.reduce_sum(ops.parameter([2, 3, 4]), ops.parameter([2], ov.Type.i64), keep_dims)
    assert node.get_output_partial_shape(0) == ov.PartialShape.dynamic(3 if keep_dims else 1)


def test_reduction_scalar_axis_and_integer_data():
    x = rand((4, 6), dtype=np.int32, low=-9, high=9)
    (out,) = run_op(lambda a: ops.reduce_sum(a, ops.constant(np.int64(1)), True), [x])
    assert out.dtype == np.int32
    assert_close(out, x.sum(axis=1, keepdims=True))
    (mean,) = run_op(lambda a: ops.reduce_mean(a, ops.constant(np.int64(0))), [x])
    assert_close(mean, np.trunc(x.sum(axis=0) / 4).astype(np.int32))


@pytest.mark.parametrize(
    "factory,numpy_kernel", [("reduce_logical_and", np.all), ("reduce_logical_or", np.any)]
)
def test_logical_reductions_match_numpy(factory, numpy_kernel):
    x = rand((3, 4, 2), dtype=np.bool_)
    (out,) = run_op(
        lambda a: getattr(ops, factory)(a, ops.constant(np.array([0, 2])), True), [x], dynamic=True
    )
    assert_close(out, numpy_kernel(x, axis=(0, 2), keepdims=True))


def test_reduction_errors():
    data = ops.parameter([2, 3])
    with pytest.raises(ov.graph.node.NodeValidationError, match="out of range"):
        ops.reduce_sum(data, ops.constant(np.array([2])))
    with pytest.raises(ov.graph.node.NodeValidationError, match="boolean element type"):
        ops.reduce_logical_and(data, ops.constant(np.array([0])))
    with pytest.raises(ov.graph.node.NodeValidationError, match="reduction_axes must be a scalar or 1-D"):
        ops.reduce_min(data, ops.constant(np.array([[0]])))
    with pytest.raises(ov.graph.node.NodeValidationError, match="integer element type"):
        ops.reduce_min(data, ops.constant(np.array([0.0])))


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8])
@pytest.mark.parametrize("factory", ["reduce_max", "reduce_min"])
def test_max_min_over_an_empty_axis_match_openvino(factory: str, dtype: type) -> None:
    import openvino.opset13 as real

    x, axes = np.zeros((2, 0, 4), dtype), np.array([1], np.int64)
    (ours,) = run_op(lambda p: getattr(ops, factory)(p, axes, True), [x])
    (expected,) = openvino_reference(lambda p: getattr(real, factory)(p, axes, True), [x])
    assert ours.shape == (2, 1, 4)
    np.testing.assert_array_equal(ours, expected)
