"""The graph IR: element types, shapes, layouts, tensors, nodes and models."""

from vinopy.graph.layout import Layout, layout_helpers
from vinopy.graph.model import Model
from vinopy.graph.node import (
    Attr,
    Input,
    Node,
    NodeValidationError,
    Output,
    RTMap,
    as_output,
    attr,
    const_value,
    shape_value,
)
from vinopy.graph.shape import Dimension, PartialShape, Shape, as_partial_shape
from vinopy.graph.tensor import Tensor
from vinopy.graph.types import Type

__all__ = [
    "Attr",
    "Dimension",
    "Input",
    "Layout",
    "Model",
    "Node",
    "NodeValidationError",
    "Output",
    "PartialShape",
    "RTMap",
    "Shape",
    "Tensor",
    "Type",
    "as_output",
    "as_partial_shape",
    "attr",
    "const_value",
    "layout_helpers",
    "shape_value",
]
