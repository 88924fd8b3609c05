import numpy as np
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, rand, run_op
from vinopy.graph.node import NodeValidationError, shape_value

ops = ov.opset15


def i64(values):
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize("dynamic", [False, True])
def test_shape_of_matches_onnx(dynamic):
    x = rand((2, 3, 4))
    (out,) = run_op(lambda p: ops.shape_of(p), [x], dynamic=dynamic)
    assert_close(out, onnx_reference("Shape", [x])[0])
    (out32,) = run_op(lambda p: ops.shape_of(p, "i32"), [x], dynamic=dynamic)
    assert out32.dtype == np.int32 and list(out32) == [2, 3, 4]


def test_shape_of_v1_is_i64_and_rejects_bad_output_type():
    assert ov.opset1.shape_of(ops.parameter([2])).get_element_type() == ov.Type.i64
    with pytest.raises(NodeValidationError, match="i32 or i64"):
        ops.shape_of(ops.parameter([2]), "f32")


def test_shape_of_gives_dimensions_of_dynamic_input():
    x = ops.parameter(ov.PartialShape("[?,4,2..8]"))
    dims = shape_value(ops.shape_of(x).output(0))
    assert [str(d) for d in dims] == ["?", "4", "2..8"]
    assert ops.shape_of(ops.parameter([2, 3])).get_output_partial_shape(0) == ov.PartialShape([2])


@pytest.mark.parametrize(
    "shape,target,special_zero",
    [
        ((2, 3, 4), [4, -1], False),
        ((2, 3, 4), [0, -1], True),
        ((0, 3, 4), [0, 12], False),
        ((2, 3, 4), [24], False),
        ((3, 2), [3, 0, 1], True),
        ((2, 3), [-1], False),
    ],
)
@pytest.mark.parametrize("dynamic", [False, True])
def test_reshape_matches_onnx(shape, target, special_zero, dynamic):
    x = rand(shape)
    (out,) = run_op(lambda p: ops.reshape(p, i64(target), special_zero), [x], dynamic=dynamic)
    expected = onnx_reference("Reshape", [x, i64(target)], allowzero=int(not special_zero))[0]
    assert_close(out, expected)


def test_reshape_static_shape_inference():
    x = ops.parameter([2, 3, 4])
    assert ops.reshape(x, i64([0, -1]), True).get_output_partial_shape(0) == ov.PartialShape([2, 12])
    bounded = ops.parameter(ov.PartialShape("[2..5,4,128]"))
    assert str(ops.reshape(bounded, i64([-1, 64]), False).get_output_partial_shape(0)) == "[16..40,64]"
    dyn = ops.parameter(ov.PartialShape("[?,4,128]"))
    assert str(ops.reshape(dyn, i64([0, -1, 64]), True).get_output_partial_shape(0)) == "[?,8,64]"


def test_reshape_from_shape_of_keeps_known_dims():
    x = ops.parameter(ov.PartialShape("[?,4,128]"))
    batch = ops.gather(ops.shape_of(x), i64([0]), i64(0))
    target = ops.concat([batch, i64([-1, 64])], 0)
    out = ops.reshape(x, target, False)
    assert str(out.get_output_partial_shape(0)) == "[?,8,64]"
    # the batch dim is the input's own dim, so a reshape back cancels it too
    back = ops.reshape(
        out, ops.concat([ops.gather(ops.shape_of(out), i64([0]), i64(0)), i64([-1])], 0), False
    )
    assert str(back.get_output_partial_shape(0)) == "[?,512]"
    xv = rand((3, 4, 128))
    model = ov.Model([back], [x])
    (res,) = ov.Core().compile_model(model, "TEMPLATE")([xv]).values()
    assert_close(res, xv.reshape(3, 512))


def test_reshape_from_scalar_shape_values_through_unsqueeze():
    x = ops.parameter(ov.PartialShape("[?,?,12]"))
    shape = ops.shape_of(x)
    b = ops.unsqueeze(ops.gather(shape, i64(0), i64(0)), i64([0]))
    s = ops.unsqueeze(ops.gather(shape, i64(1), i64(0)), i64(0))
    target = ops.concat([b, s, i64([3, 4])], 0)
    out = ops.reshape(x, target, False)
    assert str(out.get_output_partial_shape(0)) == "[?,?,3,4]"
    merged = ops.reshape(out, ops.concat([b, s, i64([-1])], 0), False)
    assert str(merged.get_output_partial_shape(0)) == "[?,?,12]"


def test_reshape_all_static_folds_to_constant_shape():
    x = ops.parameter([6, 4])
    target = ops.concat([ops.gather(ops.shape_of(x), i64([1]), i64(0)), i64([-1])], 0)
    node = ops.reshape(x, target, False)
    assert node.get_output_partial_shape(0) == ov.PartialShape([4, 6])


def test_reshape_errors():
    x = ops.parameter([2, 3])
    with pytest.raises(NodeValidationError, match="more than one -1"):
        ops.reshape(x, i64([-1, -1]), False)
    with pytest.raises(NodeValidationError, match="multiple"):
        ops.reshape(x, i64([4, -1]), False)
    with pytest.raises(NodeValidationError, match="element counts"):
        ops.reshape(x, i64([5]), False)
    with pytest.raises(NodeValidationError, match="integer"):
        ops.reshape(x, np.array([6.0], np.float32), False)


def test_reshape_unknown_target_gives_rank_from_target_length():
    x = ops.parameter([2, 3])
    t = ops.parameter([3], ov.Type.i64)
    assert ops.reshape(x, t, False).get_output_partial_shape(0) == ov.PartialShape.dynamic(3)


@pytest.mark.parametrize("shape,axes", [((1, 3, 1, 2), [0, 2]), ((1, 3, 1), [-1]), ((1, 3, 1, 2), None)])
@pytest.mark.parametrize("dynamic", [False, True])
def test_squeeze_matches_onnx(shape, axes, dynamic):
    x = rand(shape)
    inputs = [x] if axes is None else [x, i64(axes)]
    args = () if axes is None else (i64(axes),)
    (out,) = run_op(lambda p: ops.squeeze(p, *args), [x], dynamic=dynamic)
    assert_close(out, onnx_reference("Squeeze", inputs)[0])


def test_squeeze_shape_inference_and_axis_skip():
    dyn = ops.parameter(ov.PartialShape("[?,3]"))
    assert ov.opset1.squeeze(dyn, i64([0])).get_output_partial_shape(0) == ov.PartialShape([3])
    assert ops.squeeze(dyn, i64([0]), True).get_output_partial_shape(0) == ov.PartialShape.dynamic()
    assert ops.squeeze(ops.parameter(ov.PartialShape("[?,1,3]"))).get_output_partial_shape(0).rank.is_dynamic
    assert ops.squeeze(ops.parameter([2, 3]), i64([0]), True).get_output_partial_shape(0) == ov.PartialShape(
        [2, 3]
    )
    (out,) = run_op(lambda p: ops.squeeze(p, i64([0, 1]), True), [rand((2, 1))])
    assert out.shape == (2,)
    with pytest.raises(NodeValidationError, match="only size-1"):
        ov.opset1.squeeze(ops.parameter([2, 3]), i64([0]))
    with pytest.raises(NodeValidationError, match="out of range"):
        ops.squeeze(ops.parameter([1, 3]), i64([2]))


@pytest.mark.parametrize("axes", [[0], [1, -1], [0, 3], [-3]])
@pytest.mark.parametrize("dynamic", [False, True])
def test_unsqueeze_matches_onnx(axes, dynamic):
    x = rand((2, 3))
    (out,) = run_op(lambda p: ops.unsqueeze(p, i64(axes)), [x], dynamic=dynamic)
    assert_close(out, onnx_reference("Unsqueeze", [x, i64(axes)])[0])


def test_unsqueeze_errors_and_duplicates():
    assert ops.unsqueeze(ops.parameter([2, 3]), i64([0, 0])).get_output_partial_shape(0) == ov.PartialShape(
        [1, 2, 3]
    )
    with pytest.raises(NodeValidationError, match="out of range"):
        ops.unsqueeze(ops.parameter([2, 3]), i64([5]))


@pytest.mark.parametrize("order", [[1, 0, 2], [2, 0, 1], []])
@pytest.mark.parametrize("dynamic", [False, True])
def test_transpose_matches_onnx(order, dynamic):
    x = rand((2, 3, 4))
    (out,) = run_op(lambda p: ops.transpose(p, i64(order)), [x], dynamic=dynamic)
    expected = onnx_reference("Transpose", [x], **({"perm": order} if order else {}))[0]
    assert_close(out, expected)


def test_transpose_shape_inference_and_errors():
    x = ops.parameter(ov.PartialShape("[?,3,4]"))
    assert str(ops.transpose(x, i64([2, 0, 1])).get_output_partial_shape(0)) == "[4,?,3]"
    order = ops.parameter([3], ov.Type.i64)
    assert ops.transpose(x, order).get_output_partial_shape(0) == ov.PartialShape.dynamic(3)
    with pytest.raises(NodeValidationError, match="permutation"):
        ops.transpose(x, i64([0, 0, 1]))


def test_shape_values_pass_through_squeeze_unsqueeze_and_reshape():
    x = ops.parameter(ov.PartialShape("[?,4]"))
    batch = ops.gather(ops.shape_of(x), i64(0), i64(0))  # a scalar shape value
    vec = ops.unsqueeze(batch, i64(0))
    assert [str(d) for d in shape_value(vec.output(0))] == ["?"]
    assert shape_value(ops.squeeze(vec, i64([0])).output(0))[0] is x.get_output_partial_shape(0)[0]
    flat = ops.reshape(ops.shape_of(x), i64([-1]), False)
    assert [str(d) for d in shape_value(flat.output(0))] == ["?", "4"]
