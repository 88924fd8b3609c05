"""Binary element-wise arithmetic with numpy broadcasting: Add, Subtract, Multiply, Divide, ..."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import broadcast_shapes, same_type
from vinopy.ops.registry import register


class BinaryElementwise(Node):
    """Base of binary ops whose output has the inputs' common type and broadcast shape."""

    inputs_spec = ("left_node", "right_node")
    auto_broadcast: str = attr("numpy")
    kernel: ClassVar[Any] = None

    def infer(self, a: Output, b: Output) -> tuple[Type, PartialShape]:
        et = same_type(a, b)
        return self.output_type(et), broadcast_shapes(
            a.get_partial_shape(), b.get_partial_shape(), self.auto_broadcast
        )

    def output_type(self, input_type: Type) -> Type:
        return input_type

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
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
