"""Comparisons and logical ops returning boolean, and Select."""

from __future__ import annotations

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.ops.arithmetic import BinaryElementwise, broadcast_mode
from vinopy.ops.common import broadcast_shapes, require_element_type, same_type
from vinopy.ops.registry import register


class Comparison(BinaryElementwise):
    """Compares inputs of one element type; the result is boolean."""

    input_kind = "any"

    def output_type(self, input_type: Type) -> Type:
        return Type.boolean

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(type(self).kernel(a, b), dtype=np.bool_)


class Logical(Comparison):
    input_kind = "boolean"


@register
class Equal(Comparison):
    type_name, version = "Equal", "opset1"
    kernel = np.equal


@register
class NotEqual(Comparison):
    type_name, version = "NotEqual", "opset1"
    kernel = np.not_equal


@register
class Less(Comparison):
    type_name, version = "Less", "opset1"
    kernel = np.less


@register
class LessEqual(Comparison):
    type_name, version = "LessEqual", "opset1"
    kernel = np.less_equal


@register
class Greater(Comparison):
    type_name, version = "Greater", "opset1"
    kernel = np.greater


@register
class GreaterEqual(Comparison):
    type_name, version = "GreaterEqual", "opset1"
    kernel = np.greater_equal


@register
class LogicalAnd(Logical):
    type_name, version = "LogicalAnd", "opset1"
    kernel = np.logical_and


@register
class LogicalOr(Logical):
    type_name, version = "LogicalOr", "opset1"
    kernel = np.logical_or


@register
class LogicalXor(Logical):
    type_name, version = "LogicalXor", "opset1"
    kernel = np.logical_xor


@register
class LogicalNot(Node):
    type_name, version = "LogicalNot", "opset1"
    inputs_spec = ("node",)

    def infer(self, x: Output) -> tuple[Type, PartialShape]:
        require_element_type(x.get_element_type(), "boolean")
        return Type.boolean, x.get_partial_shape()

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return np.logical_not(x)


@register
class Select(Node):
    """``cond ? then : else`` element-wise; all three broadcast together."""

    type_name, version = "Select", "opset1"
    inputs_spec = ("cond", "then_node", "else_node")
    auto_broadcast: str = attr("numpy")

    def infer(self, cond: Output, then: Output, other: Output) -> tuple[Type, PartialShape]:
        require_element_type(cond.get_element_type(), "boolean", "cond")
        et = same_type(then, other, what="then and else")
        mode = broadcast_mode(self.auto_broadcast)
        values = broadcast_shapes(then.get_partial_shape(), other.get_partial_shape(), mode)
        return et, broadcast_shapes(cond.get_partial_shape(), values, mode)

    def evaluate(self, cond: np.ndarray, then: np.ndarray, other: np.ndarray) -> np.ndarray:
        return np.where(cond, then, other).astype(then.dtype, copy=False)
