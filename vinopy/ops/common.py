"""Helpers shared by op definitions: broadcasting, axes, type checks."""

from __future__ import annotations

from typing import Any

from vinopy.graph.node import NodeValidationError, Output
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type


def broadcast_dims(a: Dimension, b: Dimension) -> Dimension:
    """numpy broadcasting of two dimensions; a dynamic one may turn out to be 1."""
    if a == 1:
        return b
    if b == 1:
        return a
    if not a.compatible(b) and a.min_length > 1 and b.min_length > 1:
        raise NodeValidationError(f"dimensions {a} and {b} cannot be broadcast together")
    if a.is_static or b.is_static:
        return a if a.is_static else b
    if a.min_length > 1 and b.min_length > 1:
        return a.merge(b)
    return Dimension()


def broadcast_shapes(a: PartialShape, b: PartialShape, mode: str = "numpy") -> PartialShape:
    """Output shape of a binary element-wise op under ``auto_broadcast`` = numpy or none."""
    if mode == "none":
        merged = a.merge(b)
        if merged is None:
            raise NodeValidationError(f"shapes {a} and {b} must match (auto_broadcast='none')")
        return merged
    if a.rank.is_dynamic or b.rank.is_dynamic:
        return PartialShape.dynamic()
    rank = max(len(a), len(b))
    da = [Dimension(1)] * (rank - len(a)) + list(a)
    db = [Dimension(1)] * (rank - len(b)) + list(b)
    return PartialShape([broadcast_dims(x, y) for x, y in zip(da, db)])


def same_type(*outputs: Output, what: str = "inputs") -> Type:
    """The common element type of outputs; dynamic types merge with anything."""
    result = Type.dynamic
    for out in outputs:
        merged = result.merge(out.get_element_type())
        if merged is None:
            types = ", ".join(o.get_element_type().get_type_name() for o in outputs)
            raise NodeValidationError(f"{what} must have the same element type, got {types}")
        result = merged
    return result


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < max(rank, 1):
        raise NodeValidationError(f"{what} {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def normalize_axes(axes: Any, rank: int, what: str = "axes") -> list[int]:
    return [normalize_axis(int(a), rank, what) for a in axes]


def require(condition: bool, message: str) -> None:
    if not condition:
        raise NodeValidationError(message)
