import numpy as np
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, rand, run_op

ops = ov.opset11


def _onnx_topk(x, k, axis, mode):
    return onnx_reference(
        "TopK",
        [x, np.array([k], dtype=np.int64)],
        n_outputs=2,
        axis=axis,
        largest=int(mode == "max"),
        sorted=1,
    )


@pytest.mark.parametrize("mode", ["max", "min"])
@pytest.mark.parametrize(
    "shape,k,axis", [((5, 7), 3, 1), ((4, 6, 3), 2, 0), ((2, 3, 8), 8, -1), ((9,), 1, 0)]
)
@pytest.mark.parametrize("dynamic", [False, True])
def test_topk_sorted_by_value_matches_onnx(mode, shape, k, axis, dynamic):
    x = rand(shape)
    values, indices = run_op(
        lambda a: ops.topk(a, np.int64(k), axis, mode, "value", "i64"), [x], dynamic=dynamic
    )
    expected = _onnx_topk(x, k, axis, mode)
    assert_close(values, expected[0])
    assert_close(indices, expected[1])


@pytest.mark.parametrize("mode", ["max", "min"])
def test_topk_ties_keep_lower_index_and_sort_by_index(mode):
    x = rand((4, 10), dtype=np.int32, low=0, high=3)  # many ties
    values, indices = run_op(lambda a: ops.topk(a, np.int64(4), 1, mode, "value", "i32", True), [x])
    expected = _onnx_topk(x, 4, 1, mode)
    assert indices.dtype == np.int32
    assert_close(values, expected[0])
    assert_close(indices, expected[1].astype(np.int32))
    values, indices = run_op(lambda a: ops.topk(a, np.int64(4), 1, mode, "index"), [x])
    by_index = np.sort(expected[1], axis=1)
    assert_close(indices, by_index.astype(np.int32))
    assert_close(values, np.take_along_axis(x, by_index, 1))


def test_topk_k_from_input_and_versions():
    x = rand((3, 6))
    values, indices = run_op(lambda a, k: ov.opset1.topk(a, k, 1, "max", "value"), [x, np.array(2, np.int64)])
    expected = _onnx_topk(x, 2, 1, "max")
    assert_close(values, expected[0])
    assert indices.dtype == np.int32
    node = ov.opset3.topk(ops.parameter([3, 6]), ops.parameter([], ov.Type.i64), 1, "min", "none", "i64")
    assert node.get_output_partial_shape(1) == ov.PartialShape([3, ov.Dimension(0, 6)])
    assert node.get_output_element_type(1) == ov.Type.i64


def test_topk_errors():
    data = ops.parameter([3, 6])
    with pytest.raises(ov.graph.node.NodeValidationError, match="mode"):
        ops.topk(data, np.int64(2), 1, "largest", "value")
    with pytest.raises(ov.graph.node.NodeValidationError, match="sort"):
        ops.topk(data, np.int64(2), 1, "max", "ascending")
    with pytest.raises(ov.graph.node.NodeValidationError, match="out of range"):
        ops.topk(data, np.int64(2), 2, "max", "value")
    with pytest.raises(ov.graph.node.NodeValidationError, match="k must be a scalar"):
        ops.topk(data, np.array([2, 3]), 1, "max", "value")
