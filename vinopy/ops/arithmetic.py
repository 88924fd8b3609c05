"""Binary element-wise arithmetic with numpy broadcasting: Add, Subtract, Multiply, Divide, ..."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import broadcast_shapes, require, require_element_type, same_type
from vinopy.ops.registry import register


def broadcast_mode(value: str) -> str:
    """The auto_broadcast attribute normalized; element-wise ops support numpy and none."""
    mode = value.lower()
    require(mode in ("numpy", "none"), f"auto_broadcast must be 'numpy' or 'none', got {value!r}")
    return mode


class BinaryElementwise(Node):
    """Base of binary ops whose output has the inputs' common type and broadcast shape."""

    inputs_spec = ("left_node", "right_node")
    auto_broadcast: str = attr("numpy")
    kernel: ClassVar[Any] = None
    input_kind: ClassVar[str] = "numeric"  # see common.require_element_type

    def infer(self, a: Output, b: Output) -> tuple[Type, PartialShape]:
        et = require_element_type(same_type(a, b), self.input_kind, "inputs")
        mode = broadcast_mode(self.auto_broadcast)
        return self.output_type(et), broadcast_shapes(a.get_partial_shape(), b.get_partial_shape(), mode)

    def output_type(self, input_type: Type) -> Type:
        return input_type

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # integer division by zero and overflow as the hardware gives
            return np.asarray(type(self).kernel(a, b)).astype(a.dtype, copy=False)


@register
class Add(BinaryElementwise):
    type_name, version = "Add", "opset1"
    kernel = np.add


@register
class Subtract(BinaryElementwise):
    type_name, version = "Subtract", "opset1"
    kernel = np.subtract


@register
class Multiply(BinaryElementwise):
    type_name, version = "Multiply", "opset1"
    kernel = np.multiply


@register
class Divide(BinaryElementwise):
    """Integer division floors with ``m_pythondiv`` (OpenVINO's default), truncates without it."""

    type_name, version = "Divide", "opset1"
    m_pythondiv: bool = attr(True)
    factory_args = ("left_node", "right_node", "auto_broadcast")

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype.kind not in "iu":
            return np.divide(a, b).astype(a.dtype, copy=False)
        with np.errstate(all="ignore"):
            if self.m_pythondiv:
                return np.floor_divide(a, b).astype(a.dtype, copy=False)
            return (np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(a.dtype, copy=False)


@register
class Power(BinaryElementwise):
    type_name, version = "Power", "opset1"

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype.kind not in "iu":
            return np.power(a, b).astype(a.dtype, copy=False)
        # integer powers go through double like C++ std::pow: 2 ** -1 truncates to 0
        with np.errstate(all="ignore"):
            result = np.trunc(np.power(a.astype(np.float64), b.astype(np.float64)))
        info = np.iinfo(a.dtype)
        return np.clip(np.nan_to_num(result, nan=0.0), info.min, info.max).astype(a.dtype)


@register
class Maximum(BinaryElementwise):
    type_name, version = "Maximum", "opset1"
    kernel = np.maximum


@register
class Minimum(BinaryElementwise):
    type_name, version = "Minimum", "opset1"
    kernel = np.minimum


@register
class Mod(BinaryElementwise):
    """Truncated remainder: the result has the sign of the dividend."""

    type_name, version = "Mod", "opset1"
    kernel = np.fmod


@register
class FloorMod(BinaryElementwise):
    """Floored remainder: the result has the sign of the divisor."""

    type_name, version = "FloorMod", "opset1"
    kernel = np.mod


@register
class SquaredDifference(BinaryElementwise):
    type_name, version = "SquaredDifference", "opset1"
    inputs_spec = ("x1", "x2")

    @staticmethod
    def kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        diff = np.subtract(a, b)
        return diff * diff


@register
class BitwiseAnd(BinaryElementwise):
    type_name, version = "BitwiseAnd", "opset13"
    kernel = np.bitwise_and
    input_kind = "integral"


@register
class BitwiseOr(BinaryElementwise):
    type_name, version = "BitwiseOr", "opset13"
    kernel = np.bitwise_or
    input_kind = "integral"


@register
class BitwiseXor(BinaryElementwise):
    type_name, version = "BitwiseXor", "opset13"
    kernel = np.bitwise_xor
    input_kind = "integral"


@register
class BitwiseLeftShift(BinaryElementwise):
    type_name, version = "BitwiseLeftShift", "opset15"
    inputs_spec = ("arg0", "arg1")
    kernel = np.left_shift
    input_kind = "integer"


@register
class BitwiseRightShift(BinaryElementwise):
    type_name, version = "BitwiseRightShift", "opset15"
    inputs_spec = ("arg0", "arg1")
    kernel = np.right_shift
    input_kind = "integer"


@register
class BitwiseNot(Node):
    type_name, version = "BitwiseNot", "opset13"
    inputs_spec = ("node",)

    def infer(self, x: Output) -> tuple[Type, PartialShape]:
        return require_element_type(x.get_element_type(), "integral"), x.get_partial_shape()

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return np.invert(x)
