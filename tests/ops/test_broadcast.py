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
    "shape,repeats", [((2, 3), [2, 1]), ((2, 3), [3]), ((3,), [2, 2]), ((2, 1, 2), [1, 3, 0])]
)
@pytest.mark.parametrize("dynamic", [False, True])
def test_tile_matches_numpy_and_onnx(shape, repeats, dynamic):
    x = rand(shape)
    (out,) = run_op(lambda p: ops.tile(p, i64(repeats)), [x], dynamic=dynamic)
    if len(repeats) == x.ndim:
        assert_close(out, onnx_reference("Tile", [x, i64(repeats)])[0])
    assert_close(out, np.tile(x, repeats))


def test_tile_shape_inference():
    x = ops.parameter(ov.PartialShape("[?,3]"))
    assert str(ops.tile(x, i64([2, 1, 2])).get_output_partial_shape(0)) == "[2,?,6]"
    assert ops.tile(x, ops.parameter([3], ov.Type.i64)).get_output_partial_shape(
        0
    ) == ov.PartialShape.dynamic(3)


@pytest.mark.parametrize("shape,target", [((3, 1), [2, 3, 4]), ((1,), [5]), ((2, 3), [2, 3])])
@pytest.mark.parametrize("dynamic", [False, True])
def test_broadcast_numpy_matches_onnx_expand(shape, target, dynamic):
    x = rand(shape)
    (out,) = run_op(lambda p: ops.broadcast(p, i64(target)), [x], dynamic=dynamic)
    assert_close(out, onnx_reference("Expand", [x, i64(target)])[0])


@pytest.mark.parametrize("shape,target", [((3, 1), [2, 1, 4]), ((4,), [2, 1]), ((2, 3), [1])])
def test_broadcast_bidirectional_matches_openvino(shape, target):
    x = rand(shape)
    (out,) = run_op(lambda p: ops.broadcast(p, i64(target), None, "BIDIRECTIONAL"), [x])
    expected = openvino_reference(lambda p: real.broadcast(p, i64(target), None, "BIDIRECTIONAL"), [x])[0]
    assert_close(out, expected)


@pytest.mark.parametrize(
    "shape,target,axes", [((3,), [2, 3, 4], [1]), ((2, 4), [2, 3, 4], [0, 2]), ((1, 4), [2, 3, 4], [1, 2])]
)
def test_broadcast_explicit_matches_openvino(shape, target, axes):
    x = rand(shape)
    (out,) = run_op(lambda p: ops.broadcast(p, i64(target), i64(axes), "explicit"), [x])
    expected = openvino_reference(lambda p: real.broadcast(p, i64(target), i64(axes), "EXPLICIT"), [x])[0]
    assert_close(out, expected)


def test_broadcast_pdpd_and_v1_modes():
    x = rand((3, 1))
    (out,) = run_op(lambda p: ov.opset1.broadcast(p, i64([2, 3, 4]), None, "pdpd"), [x])
    assert_close(out, np.broadcast_to(x, (2, 3, 4)))
    with pytest.raises(NodeValidationError, match="mode must be one of"):
        ov.opset1.broadcast(ops.parameter([3]), i64([3]), None, "bidirectional")


def test_broadcast_shape_inference_matches_openvino():
    import openvino as real_ov

    def build(m, shape_type, mode, data, like):
        target = m.shape_of(m.parameter(shape_type(like))) if like else m.parameter([3], np.int64)
        return m.broadcast(m.parameter(shape_type(data)), target, None, mode).get_output_partial_shape(0)

    for mode, data, like in [
        ("numpy", "[?,1]", "[?,3,4]"),
        ("bidirectional", "[?,1]", "[?,3,1]"),
        ("bidirectional", "[3]", None),
    ]:
        ours = build(ops, ov.PartialShape, mode, data, like)
        assert str(ours) == str(build(real, real_ov.PartialShape, mode, data, like))
    # one-directional: a data dim other than 1 must be the target's (OpenVINO leaves it '?')
    assert str(build(ops, ov.PartialShape, "numpy", "[3]", None)) == "[?,?,3]"


def test_broadcast_errors():
    with pytest.raises(NodeValidationError, match="cannot be broadcast"):
        ops.broadcast(ops.parameter([3]), i64([2, 4]))
    with pytest.raises(NodeValidationError, match="lower rank"):
        ops.broadcast(ops.parameter([2, 3]), i64([3]))
    with pytest.raises(NodeValidationError, match="axes_mapping"):
        ops.broadcast(ops.parameter([3]), i64([2, 3]), i64([0, 1]), "explicit")
    with pytest.raises(NodeValidationError, match="does not match"):
        ops.broadcast(ops.parameter([3]), i64([2, 3]), i64([0]), "explicit")


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("dynamic", [False, True])
def test_pad_matches_onnx(mode, dynamic):
    x = rand((3, 4))
    b, e = [1, 2], [2, 0]
    value = np.array(1.5, np.float32)
    extra = [value] if mode == "constant" else []
    (out,) = run_op(lambda p: ops.pad(p, i64(b), i64(e), mode, *extra), [x], dynamic=dynamic)
    expected = onnx_reference("Pad", [x, i64(b + e), *extra], mode=mode)[0]
    assert_close(out, expected)


@pytest.mark.parametrize(
    "mode,b,e", [("symmetric", [2, 1], [3, 0]), ("constant", [-1, 2], [1, -2]), ("edge", [2, -1], [-1, 1])]
)
def test_pad_symmetric_and_negative_match_openvino(mode, b, e):
    x = rand((3, 4))
    (out,) = run_op(lambda p: ops.pad(p, i64(b), i64(e), mode), [x])
    expected = openvino_reference(lambda p: real.pad(p, i64(b), i64(e), mode), [x])[0]
    assert_close(out, expected)


def test_pad_shape_inference_and_errors():
    x = ops.parameter(ov.PartialShape("[?,4]"))
    assert str(ops.pad(x, i64([1, -1]), i64([0, 2]), "constant").get_output_partial_shape(0)) == "[1..,5]"
    assert ops.pad(x, ops.parameter([2], ov.Type.i64), i64([0, 2]), "edge").get_output_partial_shape(
        0
    ) == ov.PartialShape.dynamic(2)
    with pytest.raises(NodeValidationError, match=">= 0"):
        ov.opset1.pad(x, i64([1, -1]), i64([0, 2]), "constant")
    with pytest.raises(NodeValidationError, match="exceed"):
        ops.pad(x, i64([0, 4]), i64([0, 0]), "reflect")
    with pytest.raises(NodeValidationError, match="2 values"):
        ops.pad(x, i64([1]), i64([0, 2]), "constant")
    with pytest.raises(NodeValidationError, match="pad_mode"):
        ops.pad(x, i64([1, 1]), i64([0, 2]), "wrap")
