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
    "data_shape,axis,indices,upd_shape",
    [((3, 2, 4), 0, [[2, 0]], (1, 2, 2, 4)), ((3, 5), 1, [3, 0], (3, 2)), ((3, 5), -1, 1, (3,))],
)
@pytest.mark.parametrize("dynamic", [False, True])
def test_scatter_update_matches_openvino(data_shape, axis, indices, upd_shape, dynamic):
    x, idx, upd = rand(data_shape), i64(indices), rand(upd_shape)
    (out,) = run_op(lambda p, q, u: ops.scatter_update(p, q, u, i64(axis)), [x, idx, upd], dynamic=dynamic)
    expected = openvino_reference(lambda p, q, u: real.scatter_update(p, q, u, i64(axis)), [x, idx, upd])[0]
    assert_close(out, expected)


def test_scatter_update_errors():
    with pytest.raises(NodeValidationError, match="updates must have shape"):
        ops.scatter_update(
            ops.parameter([3, 4]), ops.parameter([2], ov.Type.i32), ops.parameter([3, 3]), i64(1)
        )
    with pytest.raises(NodeValidationError, match="same element type"):
        ops.scatter_update(
            ops.parameter([3]), ops.parameter([2], ov.Type.i32), ops.parameter([2], ov.Type.i32), i64(0)
        )


ONNX_REDUCTION = {"none": "none", "sum": "add", "prod": "mul", "min": "min", "max": "max"}


@pytest.mark.parametrize("reduction", ["none", "sum", "prod", "min", "max"])
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("dynamic", [False, True])
def test_scatter_elements_update_matches_onnx(reduction, axis, dynamic):
    x = rand((3, 4))
    idx = i64([[0, 2, 1, 1], [2, 0, 0, 1]]) if axis == 0 else i64([[3, 1], [0, 3], [2, 2]])
    if reduction == "none":  # duplicates have no defined order without a reduction
        idx = i64([[0, 2, 1, 1], [2, 0, 0, 2]]) if axis == 0 else i64([[3, 1], [0, 2], [2, 1]])
    upd = rand(idx.shape)
    (out,) = run_op(
        lambda p, q, u: ops.scatter_elements_update(p, q, u, i64(axis), reduction),
        [x, idx, upd],
        dynamic=dynamic,
    )
    expected = onnx_reference(
        "ScatterElements", [x, idx, upd], axis=axis, reduction=ONNX_REDUCTION[reduction]
    )[0]
    assert_close(out, expected)


@pytest.mark.parametrize("reduction", ["mean", "sum", "max", "prod"])
@pytest.mark.parametrize("use_init_val", [True, False])
def test_scatter_elements_update_init_and_mean_match_openvino(reduction, use_init_val):
    x, idx, upd = rand((4, 3)), i64([[0, 1, 0], [0, 3, 0], [-1, 3, 2]]), rand((3, 3))
    args = (i64(0), reduction, use_init_val)
    (out,) = run_op(lambda p, q, u: ops.scatter_elements_update(p, q, u, *args), [x, idx, upd])
    expected = openvino_reference(
        lambda p, q, u: real.scatter_elements_update(p, q, u, *args), [x, idx, upd]
    )[0]
    assert_close(out, expected, rtol=1e-5, atol=1e-6)


def test_scatter_elements_update_v3_has_no_reduction_and_errors():
    with pytest.raises(TypeError):
        ov.opset3.scatter_elements_update(ops.parameter([3]), i64([0]), ops.parameter([1]), i64(0), "sum")
    with pytest.raises(NodeValidationError, match="reduction must be one of"):
        ops.scatter_elements_update(ops.parameter([3]), i64([0]), ops.parameter([1]), i64(0), "sub")
    with pytest.raises(NodeValidationError, match="updates must have shape"):
        ops.scatter_elements_update(ops.parameter([3, 2]), i64([[0, 1]]), ops.parameter([2, 2]), i64(0))
    with pytest.raises(NodeValidationError, match="out of range"):
        ops.scatter_elements_update(ops.parameter([3, 2]), i64([[0, 1]]), ops.parameter([1, 2]), i64(2))


@pytest.mark.parametrize("reduction", ["none", "sum", "prod", "min", "max"])
@pytest.mark.parametrize("dynamic", [False, True])
def test_scatter_nd_update_matches_onnx(reduction, dynamic):
    x = rand((4, 3, 2))
    idx = i64([[1], [3]]) if reduction == "none" else i64([[1], [3], [1]])
    upd = rand((idx.shape[0], 3, 2))
    (out,) = run_op(lambda p, q, u: ops.scatter_nd_update(p, q, u, reduction), [x, idx, upd], dynamic=dynamic)
    expected = onnx_reference("ScatterND", [x, idx, upd], reduction=ONNX_REDUCTION[reduction])[0]
    assert_close(out, expected)


@pytest.mark.parametrize("reduction,indices", [("sub", [[0, 1], [-1, 2], [0, 1]]), (None, [[0, 1], [-1, 2]])])
def test_scatter_nd_update_elements_and_sub_match_openvino(reduction, indices):
    x, idx = rand((4, 3)), i64(indices)
    upd = rand((len(indices),))
    (out,) = run_op(lambda p, q, u: ops.scatter_nd_update(p, q, u, reduction), [x, idx, upd])
    expected = openvino_reference(lambda p, q, u: real.scatter_nd_update(p, q, u, reduction), [x, idx, upd])[
        0
    ]
    assert_close(out, expected)


def test_scatter_nd_update_errors():
    with pytest.raises(NodeValidationError, match="updates must have shape"):
        ops.scatter_nd_update(ops.parameter([4, 3]), i64([[0], [1]]), ops.parameter([2, 4]))
    with pytest.raises(NodeValidationError, match="address"):
        ops.scatter_nd_update(ops.parameter([4]), i64([[0, 1]]), ops.parameter([1]))
