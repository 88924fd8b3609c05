import numpy as np
import openvino.opset15 as real
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError, shape_value

ops = ov.opset15


def i64(values):
    return np.array(values, dtype=np.int64)


# begin, end, strides, begin_mask, end_mask, new_axis_mask, shrink_axis_mask, ellipsis_mask
STRIDED_CASES = [
    ([1, 0, 1], [3, 2, 4], [1, 1, 2], [0, 0, 0], [0, 0, 0], [], [], []),
    ([0, 1], [0, -1], [1, 1], [1, 0], [1, 0], [], [], []),
    ([-1, 0, 0], [0, 0, 0], [-1, 1, 1], [1, 1, 1], [1, 1, 1], [], [], []),
    ([1, 0], [0, 0], [1, 1], [0, 1], [0, 1], [], [1, 0], []),
    ([0, 0, 2], [0, 0, 3], [1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]),
    ([0, 1, 0], [0, 3, 0], [1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 0, 1], [], []),
    ([2, 0], [0, 0], [1, 1], [0, 0], [0, 0], [0, 0], [1, 0], [0, 1]),
    ([5, -10], [-10, 10], [-2, 3], [0, 0], [0, 0], [], [], []),
    ([0, 0], [1, 1], [1, 1], [0, 0], [0, 0], [1, 1], [1, 0], []),
]


@pytest.mark.parametrize("case", STRIDED_CASES)
@pytest.mark.parametrize("dynamic", [False, True])
def test_strided_slice_matches_openvino(case, dynamic):
    x = rand((4, 3, 5))
    b, e, s, *masks = case
    (out,) = run_op(lambda p: ops.strided_slice(p, i64(b), i64(e), i64(s), *masks), [x], dynamic=dynamic)
    expected = openvino_reference(lambda p: real.strided_slice(p, i64(b), i64(e), i64(s), *masks), [x])[0]
    assert_close(out, expected)


def test_strided_slice_dynamic_dims_match_openvino():
    shape = ov.PartialShape("[?,2..10,?]")
    for args in [
        ([0, 1, 0], [0, 5, 3], [1, 1, 1], [1, 0, 0], [1, 0, 0]),
        ([0, -3], [0, 0], [1, 1], [1, 0], [1, 1]),
        ([1, 0], [0, 0], [1, 1], [0, 0], [0, 0], [1, 1], [1, 0]),
    ]:
        ours = ops.strided_slice(ops.parameter(shape), *[i64(a) for a in args[:3]], *args[3:])
        import openvino as real_ov

        theirs = real.strided_slice(real.parameter(real_ov.PartialShape(str(shape))), *args)
        assert str(ours.get_output_partial_shape(0)) == str(theirs.get_output_partial_shape(0))


def test_strided_slice_unknown_bounds_keep_rank():
    x = ops.parameter([4, 3, 5])
    begin = ops.parameter([2], ov.Type.i64)
    node = ops.strided_slice(x, begin, i64([1, 1]), i64([1, 1]), [0, 0], [0, 0], [1, 0], [0, 1])
    assert node.get_output_partial_shape(0) == ov.PartialShape.dynamic(3)


def test_strided_slice_errors():
    x = ops.parameter([4, 3])
    with pytest.raises(NodeValidationError, match="zero"):
        ops.strided_slice(x, i64([0]), i64([1]), i64([0]), [0], [0])
    with pytest.raises(NodeValidationError, match="same length"):
        ops.strided_slice(x, i64([0, 0]), i64([1]), i64([1, 1]), [0], [0])
    with pytest.raises(NodeValidationError, match="out of range"):
        ops.strided_slice(x, i64([7]), i64([8]), i64([1]), [0], [0], [], [1])


def test_strided_slice_of_shape_vector():
    x = ops.parameter(ov.PartialShape("[?,4,?,8]"))
    tail = ops.strided_slice(ops.shape_of(x), i64([1]), i64([0]), i64([1]), [0], [1])
    assert [str(d) for d in shape_value(tail.output(0))] == ["4", "?", "8"]
    last = ops.strided_slice(ops.shape_of(x), i64([-1]), i64([0]), i64([1]), [0], [0], [], [1])
    assert [str(d) for d in shape_value(last.output(0))] == ["8"]


@pytest.mark.parametrize(
    "start,stop,step,axes",
    [
        ([1], [3], [1], None),
        ([0, 4], [2, 0], [1, -2], [1, 2]),
        ([-2], [100], [1], [-1]),
        ([10], [-100], [-1], [0]),
    ],
)
@pytest.mark.parametrize("dynamic", [False, True])
def test_slice_matches_onnx(start, stop, step, axes, dynamic):
    x = rand((4, 3, 5))
    extra = [] if axes is None else [i64(axes)]
    (out,) = run_op(lambda p: ops.slice(p, i64(start), i64(stop), i64(step), *extra), [x], dynamic=dynamic)
    expected = onnx_reference(
        "Slice",
        [x, i64(start), i64(stop), *extra, i64(step)]
        if axes
        else [x, i64(start), i64(stop), np.arange(len(start)), i64(step)],
    )[0]
    assert_close(out, expected)


def test_slice_shape_inference_and_errors():
    import openvino as real_ov

    shape = "[?,2..10,?]"
    for axes in ([2], [1]):
        ours = ops.slice(ops.parameter(ov.PartialShape(shape)), i64([1]), i64([4]), i64([1]), i64(axes))
        theirs = real.slice(real.parameter(real_ov.PartialShape(shape)), [1], [4], [1], axes)
        assert str(ours.get_output_partial_shape(0)) == str(theirs.get_output_partial_shape(0))
    stop = ops.parameter([1], ov.Type.i64)
    unknown = ops.slice(ops.parameter([4, 6]), i64([1]), stop, i64([1]), i64([1]))
    assert str(unknown.get_output_partial_shape(0)) == "[4,..6]"
    with pytest.raises(NodeValidationError, match="zero"):
        ops.slice(ops.parameter([4]), i64([0]), i64([1]), i64([0]))
    with pytest.raises(NodeValidationError, match="unique"):
        ops.slice(ops.parameter([4, 4]), i64([0, 0]), i64([1, 1]), i64([1, 1]), i64([0, -2]))


def test_slice_of_shape_vector():
    x = ops.parameter(ov.PartialShape("[?,4,?]"))
    head = ops.slice(ops.shape_of(x), i64([0]), i64([2]), i64([1]))
    assert [str(d) for d in shape_value(head.output(0))] == ["?", "4"]


def test_slice_scatter_matches_openvino():
    x, upd = rand((4, 6)), rand((4, 2))
    args = (i64([1]), i64([6]), i64([3]), i64([1]))
    (out,) = run_op(lambda p, u: ops.slice_scatter(p, u, *args), [x, upd])
    expected = openvino_reference(lambda p, u: real.slice_scatter(p, u, *args), [x, upd], compile_cpu=True)[0]
    assert_close(out, expected)
    with pytest.raises(NodeValidationError, match="do not fit"):
        ops.slice_scatter(ops.parameter([4, 6]), ops.parameter([4, 3]), *args)
