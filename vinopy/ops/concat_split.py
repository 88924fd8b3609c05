"""Concat, Split and VariadicSplit."""

from __future__ import annotations

import numpy as np

from vinopy.graph.node import Node, Output, attr, shape_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import (
    const_ints,
    divide_dim,
    normalize_axis,
    require,
    require_int_input,
    same_type,
    static_rank,
)
from vinopy.ops.registry import register


@register
class Concat(Node):
    """Join tensors along an axis; the other dimensions must match."""

    type_name, version = "Concat", "opset1"
    inputs_spec = ("*nodes",)
    axis: int = attr()

    def infer(self, *inputs: Output) -> tuple[Type, PartialShape]:
        require(len(inputs) > 0, "Concat needs at least one input")
        et = same_type(*inputs)
        shapes = [o.get_partial_shape() for o in inputs if o.get_partial_shape().rank.is_static]
        if not shapes:
            return et, PartialShape.dynamic()
        rank = len(shapes[0])
        require(rank > 0, "Concat inputs must have rank >= 1")
        require(all(len(s) == rank for s in shapes), "Concat inputs must have the same rank")
        axis = normalize_axis(self.axis, rank, "Concat axis")
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, d in enumerate(s):
                if i != axis:
                    merged = out[i].merge(d)
                    require(merged is not None, f"Concat inputs differ in dimension {i}: {out[i]} vs {d}")
                    out[i] = out[i] if out[i] == merged else merged  # keep the dim object when equal
        unranked = [Dimension()] * (len(inputs) - len(shapes))
        out[axis] = sum([s[axis] for s in shapes] + unranked, Dimension(0))
        return et, PartialShape(out)

    def evaluate(self, *inputs: np.ndarray) -> np.ndarray:
        return np.concatenate(inputs, axis=self.axis)

    def fold_dims(self, index: int) -> list[Dimension] | None:
        parts = [shape_value(o) for o in self._inputs]
        if any(p is None for p in parts) or static_rank(self.output(0)) != 1:
            return super().fold_dims(index)
        return [d for p in parts for d in p]


def _split_axis(data: Output, axis: Output) -> int | None:
    """The normalized split axis, or None when it is only known at run time."""
    require_int_input(axis, "split axis", (0,))
    values, rank = const_ints(axis), static_rank(data)
    if values is None or rank is None:
        return None
    return normalize_axis(values[0], rank, "split axis")


def _parts_shapes(data: Output, axis: int | None, lengths: list[Dimension]) -> list[PartialShape]:
    shape = data.get_partial_shape()
    if shape.rank.is_dynamic:
        return [PartialShape.dynamic() for _ in lengths]
    if axis is None:
        return [PartialShape.dynamic(len(shape)) for _ in lengths]
    return [PartialShape(list(shape[:axis]) + [d] + list(shape[axis + 1 :])) for d in lengths]


@register
class Split(Node):
    """Split into ``num_splits`` equal parts along an axis."""

    type_name, version = "Split", "opset1"
    inputs_spec = ("data", "axis")
    num_splits: int = attr()

    def infer(self, data: Output, axis: Output) -> list[tuple[Type, PartialShape]]:
        n = self.num_splits
        require(n > 0, f"num_splits must be positive, got {n}")
        index = _split_axis(data, axis)
        length = Dimension()
        if index is not None:
            dim = data.get_partial_shape()[index]
            require(
                dim.is_dynamic or dim.get_length() % n == 0,
                f"dimension {dim} of axis {index} cannot be split into {n} equal parts",
            )
            length = divide_dim(dim, n)
        et = data.get_element_type()
        return [(et, s) for s in _parts_shapes(data, index, [length] * n)]

    def evaluate(self, data: np.ndarray, axis: np.ndarray) -> list[np.ndarray]:
        return np.split(data, self.num_splits, axis=int(axis))


@register
class VariadicSplit(Node):
    """Split along an axis into parts of the given lengths (one of them may be -1)."""

    type_name, version = "VariadicSplit", "opset1"
    inputs_spec = ("data", "axis", "split_lengths")

    def infer(self, data: Output, axis: Output, lengths: Output) -> list[tuple[Type, PartialShape]]:
        require_int_input(lengths, "split_lengths", (1,))
        count = lengths.get_partial_shape()
        require(
            count.rank.is_static and count[0].is_static,
            "split_lengths must have a static length: it sets the number of outputs",
        )
        index = _split_axis(data, axis)
        values = const_ints(lengths)
        if values is None:
            dims = [Dimension()] * count[0].get_length()
        else:
            dim = Dimension() if index is None else data.get_partial_shape()[index]
            dims = _variadic_lengths(values, dim)
        et = data.get_element_type()
        return [(et, s) for s in _parts_shapes(data, index, dims)]

    def evaluate(self, data: np.ndarray, axis: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
        ax = int(axis) % data.ndim
        sizes = [d.get_length() for d in _variadic_lengths(lengths.tolist(), Dimension(data.shape[ax]))]
        return np.split(data, np.cumsum(sizes)[:-1], axis=ax)


def _variadic_lengths(values: list[int], dim: Dimension) -> list[Dimension]:
    """The part lengths, with a -1 resolved from the axis dimension where it is known."""
    require(values.count(-1) <= 1, f"split_lengths may hold one -1, got {values}")
    require(all(v >= -1 for v in values), f"split_lengths must be >= -1, got {values}")
    known = sum(v for v in values if v != -1)
    if -1 in values:
        rest = dim - Dimension(known)
        require(
            dim.is_dynamic or dim.get_length() >= known,
            f"split_lengths {values} exceed the axis dimension {dim}",
        )
        return [rest if v == -1 else Dimension(v) for v in values]
    require(
        dim.is_dynamic or dim.get_length() == known,
        f"split_lengths {values} must sum to the axis dimension {dim}",
    )
    return [Dimension(v) for v in values]
