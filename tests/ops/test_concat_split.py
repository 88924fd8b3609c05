import numpy as np
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, rand, run_op
from vinopy.graph.node import NodeValidationError, shape_value

ops = ov.opset15


def i64(values):
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize(
    "shapes,axis", [([(2, 3), (4, 3)], 0), ([(2, 1, 3), (2, 2, 3), (2, 3, 3)], -2), ([(5,)], 0)]
)
@pytest.mark.parametrize("dynamic", [False, True])
def test_concat_matches_onnx(shapes, axis, dynamic):
    xs = [rand(s) for s in shapes]
    (out,) = run_op(lambda *ps: ops.concat(list(ps), axis), xs, dynamic=dynamic)
    assert_close(out, onnx_reference("Concat", xs, axis=axis)[0])


def test_concat_shape_inference_and_errors():
    a = ops.parameter(ov.PartialShape("[?,3]"))
    b = ops.parameter(ov.PartialShape("[2,?]"))
    assert str(ops.concat([a, b], 0).get_output_partial_shape(0)) == "[2..,3]"
    assert str(ops.concat([a, b], 1).get_output_partial_shape(0)) == "[2,3..]"
    assert (
        str(ops.concat([ops.parameter([2, 3]), ops.parameter([4, 3])], 0).get_output_partial_shape(0))
        == "[6,3]"
    )
    assert (
        str(ops.concat([a, ops.parameter(ov.PartialShape.dynamic())], 1).get_output_partial_shape(0))
        == "[?,3..]"
    )
    with pytest.raises(NodeValidationError, match="differ in dimension 1"):
        ops.concat([ops.parameter([2, 3]), ops.parameter([2, 4])], 0)
    with pytest.raises(NodeValidationError, match="same rank"):
        ops.concat([ops.parameter([2, 3]), ops.parameter([2])], 0)
    with pytest.raises(NodeValidationError, match="out of range"):
        ops.concat([ops.parameter([2, 3])], 2)
    with pytest.raises(NodeValidationError, match="same element type"):
        ops.concat([ops.parameter([2]), ops.parameter([2], ov.Type.i32)], 0)


def test_concat_of_shape_values():
    x = ops.parameter(ov.PartialShape("[?,4]"))
    out = ops.concat([ops.shape_of(x), i64([7])], 0)
    assert [str(d) for d in shape_value(out.output(0))] == ["?", "4", "7"]


@pytest.mark.parametrize("shape,axis,n", [((6, 4), 0, 3), ((2, 8), -1, 2), ((3,), 0, 1)])
@pytest.mark.parametrize("dynamic", [False, True])
def test_split_matches_onnx(shape, axis, n, dynamic):
    x = rand(shape)
    outs = run_op(lambda p: ops.split(p, i64(axis), n), [x], dynamic=dynamic)
    expected = onnx_reference("Split", [x], n_outputs=n, axis=axis, num_outputs=n)
    assert len(outs) == n
    for o, e in zip(outs, expected):
        assert_close(o, e)


def test_split_shape_inference_and_errors():
    x = ops.parameter(ov.PartialShape("[4..9,?]"))
    node = ops.split(x, i64(0), 2)
    assert [str(o.get_partial_shape()) for o in node.outputs()] == ["[2..4,?]"] * 2
    with pytest.raises(NodeValidationError, match="equal parts"):
        ops.split(ops.parameter([5, 2]), i64(0), 2)
    with pytest.raises(NodeValidationError, match="rank 0"):
        ops.split(ops.parameter([4, 2]), i64([0]), 2)


@pytest.mark.parametrize("lengths,axis", [([1, 2, 3], 0), ([2, -1], 1), ([-1, 0, 1], -1)])
@pytest.mark.parametrize("dynamic", [False, True])
def test_variadic_split_matches_onnx(lengths, axis, dynamic):
    x = rand((6, 5))
    outs = run_op(lambda p: ops.variadic_split(p, i64(axis), i64(lengths)), [x], dynamic=dynamic)
    sizes = [v if v >= 0 else x.shape[axis] - sum(s for s in lengths if s >= 0) for v in lengths]
    expected = onnx_reference("Split", [x, i64(sizes)], n_outputs=len(sizes), axis=axis)
    for o, e in zip(outs, expected):
        assert_close(o, e)


def test_variadic_split_shape_inference_and_errors():
    x = ops.parameter(ov.PartialShape("[?,10]"))
    node = ops.variadic_split(x, i64(1), i64([3, -1]))
    assert [str(o.get_partial_shape()) for o in node.outputs()] == ["[?,3]", "[?,7]"]
    lengths = ops.parameter([3], ov.Type.i64)
    assert ops.variadic_split(x, i64(1), lengths).get_output_size() == 3
    with pytest.raises(NodeValidationError, match="sum to"):
        ops.variadic_split(x, i64(1), i64([3, 4]))
    with pytest.raises(NodeValidationError, match="one -1"):
        ops.variadic_split(x, i64(1), i64([-1, -1]))
