import numpy as np
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, rand, run_op
from vinopy.graph.node import NodeValidationError

ops = ov.opset13

COMPARISONS = [
    ("equal", "Equal"),
    ("less", "Less"),
    ("less_equal", "LessOrEqual"),
    ("greater", "Greater"),
    ("greater_equal", "GreaterOrEqual"),
]


@pytest.mark.parametrize("factory,onnx_op", COMPARISONS)
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
@pytest.mark.parametrize("dynamic", [False, True])
def test_comparisons_match_onnx(factory, onnx_op, dtype, dynamic):
    a, b = rand((2, 3, 4), dtype, -2, 2), rand((3, 1), dtype, -2, 2)
    (out,) = run_op(getattr(ops, factory), [a, b], dynamic=dynamic)
    assert out.dtype == np.bool_
    assert_close(out, onnx_reference(onnx_op, [a, b])[0])


def test_not_equal_is_the_negation_of_onnx_equal():
    a, b = rand((4, 5), np.int64, -2, 2), rand((5,), np.int64, -2, 2)
    (out,) = run_op(ops.not_equal, [a, b])
    assert_close(out, ~onnx_reference("Equal", [a, b])[0])


@pytest.mark.parametrize(
    "factory,onnx_op", [("logical_and", "And"), ("logical_or", "Or"), ("logical_xor", "Xor")]
)
def test_logical_match_onnx(factory, onnx_op):
    a, b = rand((3, 4), np.bool_), rand((1, 4), np.bool_)
    (out,) = run_op(getattr(ops, factory), [a, b], dynamic=True)
    assert_close(out, onnx_reference(onnx_op, [a, b])[0])
    (out,) = run_op(ops.logical_not, [a])
    assert_close(out, onnx_reference("Not", [a])[0])


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3), (2, 3)), ((3,), (2, 3), ()), ((2, 1), (1, 4), (4,))])
@pytest.mark.parametrize("dynamic", [False, True])
def test_select_matches_onnx_where(shapes, dynamic):
    c, t, e = rand(shapes[0], np.bool_), rand(shapes[1]), rand(shapes[2])
    (out,) = run_op(ops.select, [c, t, e], dynamic=dynamic)
    assert_close(out, onnx_reference("Where", [c, t, e])[0])


def test_errors():
    with pytest.raises(NodeValidationError, match="cannot be broadcast"):
        ops.less(ops.parameter([2, 3]), ops.parameter([2]))
    with pytest.raises(NodeValidationError, match="same element type"):
        ops.equal(ops.parameter([2], np.int32), ops.parameter([2], np.int64))
    with pytest.raises(NodeValidationError, match="boolean element type"):
        ops.logical_and(ops.parameter([2]), ops.parameter([2]))
    with pytest.raises(NodeValidationError, match="boolean element type"):
        ops.logical_not(ops.parameter([2], np.int32))
    with pytest.raises(NodeValidationError, match="cond must have a boolean"):
        ops.select(ops.parameter([2]), ops.parameter([2]), ops.parameter([2]))
    with pytest.raises(NodeValidationError, match="then and else"):
        ops.select(ops.parameter([2], np.bool_), ops.parameter([2]), ops.parameter([2], np.int32))
    with pytest.raises(NodeValidationError, match="cannot be broadcast"):
        ops.select(ops.parameter([3], np.bool_), ops.parameter([2]), ops.parameter([2]))
