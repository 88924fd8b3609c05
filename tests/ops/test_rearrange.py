import numpy as np
import openvino.opset15 as real
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError

ops = ov.opset15


def i64(values):
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize("mode,onnx_mode", [("blocks_first", "DCR"), ("depth_first", "CRD")])
@pytest.mark.parametrize("dynamic", [False, True])
def test_depth_to_space_matches_onnx(mode, onnx_mode, dynamic):
    x = rand((2, 8, 3, 4))
    (out,) = run_op(lambda p: ops.depth_to_space(p, mode, 2), [x], dynamic=dynamic)
    assert_close(out, onnx_reference("DepthToSpace", [x], blocksize=2, mode=onnx_mode)[0])


@pytest.mark.parametrize("mode", ["blocks_first", "depth_first"])
def test_depth_and_space_to_depth_3d_match_openvino(mode):
    x = rand((1, 16, 2, 3, 2))
    (out,) = run_op(lambda p: ops.depth_to_space(p, mode, 2), [x])
    assert_close(out, openvino_reference(lambda p: real.depth_to_space(p, mode, 2), [x])[0])
    y = rand((1, 3, 4, 2, 6))
    (out,) = run_op(lambda p: ops.space_to_depth(p, mode, 2), [y])
    assert_close(out, openvino_reference(lambda p: real.space_to_depth(p, mode, 2), [y])[0])


@pytest.mark.parametrize("dynamic", [False, True])
def test_space_to_depth_matches_onnx(dynamic):
    x = rand((2, 3, 4, 6))
    (out,) = run_op(lambda p: ops.space_to_depth(p, "blocks_first", 2), [x], dynamic=dynamic)
    assert_close(out, onnx_reference("SpaceToDepth", [x], blocksize=2)[0])


def test_depth_space_shape_inference_and_errors():
    x = ops.parameter(ov.PartialShape("[?,8,?,3]"))
    assert str(ops.depth_to_space(x, "blocks_first", 2).get_output_partial_shape(0)) == "[?,2,?,6]"
    y = ops.parameter(ov.PartialShape("[?,2,?,4]"))
    assert str(ops.space_to_depth(y, "depth_first", 2).get_output_partial_shape(0)) == "[?,8,?,2]"
    with pytest.raises(NodeValidationError, match="divisible"):
        ops.depth_to_space(ops.parameter([1, 6, 2, 2]), "blocks_first", 2)
    with pytest.raises(NodeValidationError, match="mode"):
        ops.depth_to_space(ops.parameter([1, 8, 2, 2]), "rows_first", 2)


@pytest.mark.parametrize("axis,group", [(1, 3), (-1, 2), (0, 1)])
def test_shuffle_channels_matches_openvino(axis, group):
    x = rand((6, 6, 4))
    (out,) = run_op(lambda p: ops.shuffle_channels(p, axis, group), [x], dynamic=True)
    assert_close(out, openvino_reference(lambda p: real.shuffle_channels(p, axis, group), [x])[0])
    with pytest.raises(NodeValidationError, match="divisible"):
        ops.shuffle_channels(ops.parameter([2, 5]), 1, 2)


CASES = [
    ((8, 2, 3, 3), [1, 2, 2, 1], [0, 0, 1, 0], [0, 0, 0, 1]),
    ((4, 3, 2), [1, 2, 2], [0, 1, 0], [0, 1, 1]),
]


@pytest.mark.parametrize("shape,block,begin,end", CASES)
def test_batch_to_space_matches_openvino(shape, block, begin, end):
    x = rand(shape)
    args = (i64(block), i64(begin), i64(end))
    (out,) = run_op(lambda p: ops.batch_to_space(p, *args), [x])
    assert_close(out, openvino_reference(lambda p: real.batch_to_space(p, *args), [x])[0])


@pytest.mark.parametrize(
    "shape,block,begin,end",
    [((2, 2, 3, 3), [1, 2, 2, 1], [0, 0, 1, 0], [0, 0, 0, 1]), ((1, 3, 2), [1, 2, 3], [0, 1, 0], [0, 0, 1])],
)
def test_space_to_batch_matches_openvino(shape, block, begin, end):
    x = rand(shape)
    args = (i64(block), i64(begin), i64(end))
    (out,) = run_op(lambda p: ops.space_to_batch(p, *args), [x])
    assert_close(out, openvino_reference(lambda p: real.space_to_batch(p, *args), [x])[0])


def test_batch_space_shape_inference_and_errors():
    args = (i64([1, 2, 2, 1]), i64([0, 0, 1, 0]), i64([0, 0, 0, 1]))
    assert (
        str(ops.batch_to_space(ops.parameter([8, 2, 3, 3]), *args).get_output_partial_shape(0)) == "[2,4,5,2]"
    )
    assert (
        str(ops.space_to_batch(ops.parameter([2, 2, 3, 3]), *args).get_output_partial_shape(0)) == "[8,1,2,4]"
    )
    dyn = ops.parameter(ov.PartialShape("[?,2,?,3]"))
    assert str(ops.batch_to_space(dyn, *args).get_output_partial_shape(0)) == "[?,4,?,2]"
    with pytest.raises(NodeValidationError, match="divisible"):
        ops.batch_to_space(ops.parameter([6, 2, 3, 3]), *args)
    with pytest.raises(NodeValidationError, match="one per data axis"):
        ops.space_to_batch(ops.parameter([2, 2, 3]), *args)


@pytest.mark.parametrize("batch_axis,seq_axis", [(0, 1), (1, 0), (2, -2)])
def test_reverse_sequence_matches_onnx(batch_axis, seq_axis):
    x = rand((4, 4, 4))
    lens = i64([1, 4, 2, 3])
    (out,) = run_op(lambda p, q: ops.reverse_sequence(p, q, batch_axis, seq_axis), [x, lens], dynamic=True)
    if batch_axis in (0, 1) and seq_axis in (0, 1):
        expected = onnx_reference("ReverseSequence", [x, lens], batch_axis=batch_axis, time_axis=seq_axis)[0]
    else:
        expected = openvino_reference(
            lambda p, q: real.reverse_sequence(p, q, batch_axis, seq_axis), [x, lens], compile_cpu=True
        )[0]
    assert_close(out, expected)


def test_reverse_sequence_errors():
    with pytest.raises(NodeValidationError, match="one value per batch"):
        ops.reverse_sequence(ops.parameter([3, 4]), i64([1, 2]), 0, 1)


@pytest.mark.parametrize(
    "mode,axes", [("index", i64([0, 2])), ("mask", np.array([False, True, True])), ("index", i64([-1]))]
)
def test_reverse_matches_numpy(mode, axes):
    x = rand((2, 3, 4))
    (out,) = run_op(lambda p: ov.opset1.reverse(p, axes, mode), [x], dynamic=True)
    flip = np.flatnonzero(axes) if mode == "mask" else axes % 3
    assert_close(out, np.flip(x, tuple(flip)))


def test_reverse_errors():
    with pytest.raises(NodeValidationError, match="boolean"):
        ov.opset1.reverse(ops.parameter([2, 3]), i64([0]), "mask")
    with pytest.raises(NodeValidationError, match="out of range"):
        ov.opset1.reverse(ops.parameter([2, 3]), i64([2]), "index")


@pytest.mark.parametrize(
    "shift,axes", [(i64(2), i64([0])), (i64([1, -2]), i64([0, 1])), (i64([1, 2]), i64([1, -2]))]
)
def test_roll_matches_openvino(shift, axes):
    x = rand((3, 4))
    (out,) = run_op(lambda p: ops.roll(p, shift, axes), [x], dynamic=True)
    assert_close(out, openvino_reference(lambda p: real.roll(p, shift, axes), [x], compile_cpu=True)[0])


def test_roll_scalar_shift_applies_to_every_axis():
    x = rand((3, 4))
    (out,) = run_op(lambda p: ops.roll(p, i64(1), i64([0, 1])), [x])
    assert_close(out, np.roll(x, (1, 1), (0, 1)))


def test_roll_errors():
    with pytest.raises(NodeValidationError, match="out of range"):
        ops.roll(ops.parameter([3, 4]), i64(1), i64([2]))
    with pytest.raises(NodeValidationError, match="one value per axis"):
        ops.roll(ops.parameter([3, 4]), i64([1, 2, 3]), i64([0, 1]))
