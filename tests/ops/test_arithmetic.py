import numpy as np
import openvino.opset15 as real_ops
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError

ops = ov.opset15

SHAPES = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 5)), ((), (2, 2))]

ONNX_TWINS = [
    ("add", "Add", {}),
    ("subtract", "Sub", {}),
    ("multiply", "Mul", {}),
    ("divide", "Div", {}),
    ("maximum", "Max", {}),
    ("minimum", "Min", {}),
    ("mod", "Mod", {"fmod": 1}),
]


@pytest.mark.parametrize("factory,onnx_op,attrs", ONNX_TWINS)
@pytest.mark.parametrize("a_shape,b_shape", SHAPES)
@pytest.mark.parametrize("dynamic", [False, True])
def test_float_arithmetic_matches_onnx(factory, onnx_op, attrs, a_shape, b_shape, dynamic):
    a, b = rand(a_shape), rand(b_shape, low=0.5, high=3.0)
    (out,) = run_op(lambda x, y: getattr(ops, factory)(x, y), [a, b], dynamic=dynamic)
    assert_close(out, onnx_reference(onnx_op, [a, b], **attrs)[0])


@pytest.mark.parametrize("a_shape,b_shape", SHAPES[:3])
def test_power_and_squared_difference(a_shape, b_shape):
    a, b = rand(a_shape, low=0.5, high=3.0), rand(b_shape)
    (out,) = run_op(ops.power, [a, b])
    assert_close(out, onnx_reference("Pow", [a, b])[0], rtol=1e-5)
    (out,) = run_op(ops.squared_difference, [a, b], dynamic=True)
    assert_close(out, ((a.astype(np.float64) - b) ** 2).astype(np.float32), rtol=1e-5)


def test_floor_mod_and_mod_signs_match_onnx():
    a = np.array([-7, -7, 7, 7, 5, -5], np.int32)
    b = np.array([3, -3, 3, -3, 5, 3], np.int32)
    (floor_mod,) = run_op(ops.floor_mod, [a, b])
    (mod,) = run_op(ops.mod, [a, b])
    assert_close(floor_mod, onnx_reference("Mod", [a, b], fmod=0)[0])
    assert_close(mod, onnx_reference("Mod", [a, b], fmod=1)[0])
    af, bf = rand((3, 4)), rand((4,), low=0.5)
    (out,) = run_op(ops.floor_mod, [af, -bf])
    assert_close(out, np.mod(af, -bf), rtol=1e-5)


def test_integer_divide_floors_by_default_and_truncates_without_pythondiv():
    a = np.array([[7, -7, 7, -7, 0]], np.int32)
    b = np.array([2, 2, -2, -2, 3], np.int32)
    (out,) = run_op(ops.divide, [a, b])
    assert_close(out, a // b)
    from vinopy.ops.arithmetic import Divide

    (out,) = run_op(lambda x, y: Divide(x, y, m_pythondiv=False), [a, b])
    assert_close(out, onnx_reference("Div", [a, b])[0])  # ONNX integer Div truncates


def test_integer_arithmetic_matches_onnx():
    a, b = rand((3, 4), np.int64, -9, 9), rand((4,), np.int64, 1, 5)
    for factory, onnx_op in [("add", "Add"), ("subtract", "Sub"), ("multiply", "Mul"), ("maximum", "Max")]:
        (out,) = run_op(getattr(ops, factory), [a, b], dynamic=True)
        assert_close(out, onnx_reference(onnx_op, [a, b])[0])


@pytest.mark.parametrize("factory", ["power", "divide", "mod", "floor_mod"])
def test_integer_semantics_match_openvino(factory):
    a = np.array([2, -3, 4, 0, 5, -7, 7, -7], np.int32)
    b = np.array([3, 2, -1, 2, 1, 2, -3, -3], np.int32)
    (out,) = run_op(getattr(ops, factory), [a, b])
    assert_close(out, openvino_reference(getattr(real_ops, factory), [a, b])[0])


@pytest.mark.parametrize(
    "factory,onnx_op",
    [("bitwise_and", "BitwiseAnd"), ("bitwise_or", "BitwiseOr"), ("bitwise_xor", "BitwiseXor")],
)
@pytest.mark.parametrize("dtype", [np.int32, np.uint8])
def test_bitwise_matches_onnx(factory, onnx_op, dtype):
    a, b = rand((2, 5), dtype, 0, 200), rand((5,), dtype, 0, 200)
    (out,) = run_op(getattr(ops, factory), [a, b], dynamic=True)
    assert_close(out, onnx_reference(onnx_op, [a, b])[0])


def test_bitwise_on_booleans_and_not():
    a, b = rand((4, 3), np.bool_), rand((3,), np.bool_)
    (out,) = run_op(ops.bitwise_and, [a, b])
    assert_close(out, a & b)
    x = rand((3, 4), np.int16, -100, 100)
    (out,) = run_op(ops.bitwise_not, [x], dynamic=True)
    assert_close(out, onnx_reference("BitwiseNot", [x])[0])
    (out,) = run_op(ops.bitwise_not, [a])
    assert_close(out, ~a)


@pytest.mark.parametrize(
    "factory,direction", [("bitwise_left_shift", "LEFT"), ("bitwise_right_shift", "RIGHT")]
)
def test_shifts_match_onnx(factory, direction):
    a, b = rand((2, 6), np.uint32, 0, 1000), rand((6,), np.uint32, 0, 7)
    (out,) = run_op(getattr(ops, factory), [a, b])
    assert_close(out, onnx_reference("BitShift", [a, b], direction=direction)[0])


def test_shifts_only_in_opset15():
    assert not hasattr(ov.opset14, "bitwise_left_shift")
    assert hasattr(ov.opset13, "bitwise_and")


def test_auto_broadcast_none_requires_equal_shapes():
    a, b = rand((2, 3)), rand((2, 3))
    (out,) = run_op(lambda x, y: ops.add(x, y, "none"), [a, b])
    assert_close(out, a + b)
    with pytest.raises(NodeValidationError, match="must match"):
        ops.add(ops.parameter([2, 3]), ops.parameter([3]), "none")


def test_errors():
    with pytest.raises(NodeValidationError, match="cannot be broadcast"):
        ops.multiply(ops.parameter([2, 3]), ops.parameter([4]))
    with pytest.raises(NodeValidationError, match="same element type"):
        ops.add(ops.parameter([2], np.float32), ops.parameter([2], np.int32))
    with pytest.raises(NodeValidationError, match="numeric element type"):
        ops.add(ops.parameter([2], np.bool_), ops.parameter([2], np.bool_))
    with pytest.raises(NodeValidationError, match="integral element type"):
        ops.bitwise_and(ops.parameter([2]), ops.parameter([2]))
    with pytest.raises(NodeValidationError, match="integer element type"):
        ops.bitwise_left_shift(ops.parameter([2], np.bool_), ops.parameter([2], np.bool_))
    with pytest.raises(NodeValidationError, match="auto_broadcast"):
        ops.add(ops.parameter([2]), ops.parameter([2]), "pdpd")


def test_dynamic_rank_and_attributes():
    node = ops.divide(ops.parameter(ov.PartialShape.dynamic()), ops.parameter([3]))
    assert node.get_output_partial_shape(0).rank.is_dynamic
    assert node.get_attributes() == {"auto_broadcast": "numpy", "m_pythondiv": True}
