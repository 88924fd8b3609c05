"""ShapeOf, Reshape, Squeeze, Unsqueeze and Transpose.

Shape values flow through these ops for inference: ShapeOf of a partly dynamic tensor gives its
dimension objects (see ``shape_value``), and Reshape resolves ``-1`` by cancelling dimension objects
that stand for the same run-time value.
"""

from __future__ import annotations

import math

import numpy as np

from vinopy.graph.node import Node, NodeValidationError, Output, attr, shape_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import (
    const_ints,
    normalize_axes,
    require,
    require_int_input,
    static_rank,
)
from vinopy.ops.registry import register


class KeepsValues(Node):
    """An op that only re-shapes a scalar or vector: a shape vector's value passes through it."""

    def fold_dims(self, index: int) -> list[Dimension] | None:
        dims = super().fold_dims(index)
        if dims is None and static_rank(self.output(index)) in (0, 1):
            return shape_value(self._inputs[0])
        return dims


@register
class ShapeOf(Node):
    """The shape of a tensor as a 1-D integer tensor."""

    type_name, version = "ShapeOf", "opset1"
    inputs_spec = ("data",)

    def index_type(self) -> Type:
        return Type.i64

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        return self.index_type(), PartialShape([data.get_partial_shape().rank])

    def evaluate(self, data: np.ndarray) -> np.ndarray:
        return np.array(data.shape, dtype=self.index_type().to_dtype())

    def fold(self) -> list[np.ndarray] | None:
        shape = self._inputs[0].get_partial_shape()
        if shape.is_dynamic:
            return None
        return [np.array(list(shape.to_shape()), dtype=self.index_type().to_dtype())]

    def fold_dims(self, index: int) -> list[Dimension] | None:
        shape = self._inputs[0].get_partial_shape()
        return None if shape.rank.is_dynamic else list(shape)


@register
class ShapeOf3(ShapeOf):
    version = "opset3"
    output_type: Type = attr(Type.i64)

    def index_type(self) -> Type:
        require(
            self.output_type in (Type.i32, Type.i64),
            f"output_type must be i32 or i64, got {self.output_type.get_type_name()}",
        )
        return self.output_type


@register
class Reshape(KeepsValues):
    """Reshape to a target shape; ``-1`` is inferred and, with special_zero, ``0`` copies the input dim."""

    type_name, version = "Reshape", "opset1"
    inputs_spec = ("node", "output_shape")
    special_zero: bool = attr()

    def infer(self, data: Output, target: Output) -> tuple[Type, PartialShape]:
        require_int_input(target, "Reshape output_shape")
        return data.get_element_type(), self._output_shape(data.get_partial_shape(), target)

    def _output_shape(self, in_shape: PartialShape, target: Output) -> PartialShape:
        values = const_ints(target)
        if values is not None:
            entries: list[int | Dimension] = values
        else:
            dims = shape_value(target)
            if dims is None:
                length = target.get_partial_shape()
                return PartialShape.dynamic(length[0] if static_rank(target) == 1 else None)
            entries = [d.get_length() if d.is_static else d for d in dims]
        require(
            sum(1 for v in entries if isinstance(v, int) and v == -1) <= 1,
            f"output_shape has more than one -1: {entries}",
        )
        out = [self._entry_dim(i, v, in_shape) for i, v in enumerate(entries)]
        unknown = [i for i, d in enumerate(out) if d is None]
        if len(unknown) == 1:
            out[unknown[0]] = _solve_missing(in_shape, [d for d in out if d is not None], entries)
        else:
            _check_same_size(in_shape, out)
        return PartialShape([Dimension() if d is None else d for d in out])

    def _entry_dim(self, i: int, value: int | Dimension, in_shape: PartialShape) -> Dimension | None:
        """The output dim for one target entry; None where it must be inferred or is unknown."""
        if isinstance(value, Dimension):  # a dynamic shape value: known only if it is an input dim
            is_input_dim = in_shape.rank.is_static and any(value is d for d in in_shape)
            return value if is_input_dim else None
        if value == -1:
            return None
        require(value >= 0, f"output_shape values must be >= -1, got {value}")
        if value == 0 and self.special_zero:
            if in_shape.rank.is_dynamic:
                return Dimension()
            require(i < len(in_shape), f"special_zero copies input dim {i}, but the input is {in_shape}")
            return in_shape[i]
        return Dimension(value)

    def evaluate(self, data: np.ndarray, target: np.ndarray) -> np.ndarray:
        shape = [int(v) for v in target.reshape(-1)]
        if self.special_zero:
            shape = [data.shape[i] if v == 0 else v for i, v in enumerate(shape)]
        return data.reshape(shape)


def _cancel_common(in_dims: list[Dimension], out_dims: list[Dimension]) -> tuple[list, list]:
    """Drop dynamic dimensions present (as the same object) on both sides of a reshape."""
    rest_in = list(in_dims)
    rest_out = []
    for d in out_dims:
        match = next((k for k, e in enumerate(rest_in) if d.is_dynamic and e is d), None)
        if match is None:
            rest_out.append(d)
        else:
            del rest_in[match]
    return rest_in, rest_out


def _solve_missing(in_shape: PartialShape, known: list[Dimension], entries: list) -> Dimension:
    """The one missing output dim of a reshape, from the element count (an interval if need be)."""
    if in_shape.rank.is_dynamic:
        return Dimension()
    rest_in, rest_out = _cancel_common(list(in_shape), known)
    if any(d.is_dynamic for d in rest_out):
        return Dimension()
    divisor = math.prod(d.get_length() for d in rest_out)
    if divisor == 0:
        return Dimension()
    lo = math.prod(d.get_min_length() for d in rest_in)
    if all(d.is_static for d in rest_in):
        require(
            lo % divisor == 0,
            f"cannot reshape {in_shape} to {entries}: {lo} elements are not a multiple of {divisor}",
        )
        return Dimension(lo // divisor)
    unbounded = any(d.get_max_length() == -1 for d in rest_in)
    hi = -1 if unbounded else math.prod(d.get_max_length() for d in rest_in) // divisor
    return Dimension(-(-lo // divisor), hi)


def _check_same_size(in_shape: PartialShape, out: list[Dimension | None]) -> None:
    if in_shape.rank.is_dynamic or any(d is None for d in out):
        return
    rest_in, rest_out = _cancel_common(list(in_shape), out)
    if all(d.is_static for d in rest_in + rest_out):
        n_in = math.prod(d.get_length() for d in rest_in)
        n_out = math.prod(d.get_length() for d in rest_out)
        require(n_in == n_out, f"cannot reshape {in_shape} to {PartialShape(out)}: the element counts differ")


@register
class Squeeze(KeepsValues):
    """Remove dimensions of size 1: the given axes, or all of them."""

    type_name, version = "Squeeze", "opset1"
    inputs_spec = ("data", "axes?")

    def skips_non_one(self) -> bool:
        return False

    def infer(self, data: Output, axes: Output | None = None) -> tuple[Type, PartialShape]:
        et, shape = data.get_element_type(), data.get_partial_shape()
        if axes is not None:
            require_int_input(axes, "Squeeze axes")
        values = [] if axes is None else const_ints(axes)
        if shape.rank.is_dynamic or values is None:
            return et, PartialShape.dynamic()
        if not values:
            if any(d.is_dynamic and d.compatible(1) for d in shape):
                return et, PartialShape.dynamic()
            return et, PartialShape([d for d in shape if d != 1])
        chosen = set(normalize_axes(values, len(shape), "Squeeze axis"))
        out = []
        for i, d in enumerate(shape):
            if i not in chosen:
                out.append(d)
            elif d == 1:
                continue
            elif not self.skips_non_one():
                require(d.compatible(1), f"cannot squeeze axis {i} of size {d}: only size-1 axes")
            elif d.compatible(1):
                return et, PartialShape.dynamic()  # whether the axis goes is only known at run time
            else:
                out.append(d)
        return et, PartialShape(out)

    def evaluate(self, data: np.ndarray, axes: np.ndarray | None = None) -> np.ndarray:
        if axes is None or axes.size == 0:
            return data.reshape([d for d in data.shape if d != 1])
        chosen = {a % data.ndim for a in axes.reshape(-1).tolist()}
        if self.skips_non_one():
            chosen = {a for a in chosen if data.shape[a] == 1}
        return data.reshape([d for i, d in enumerate(data.shape) if i not in chosen])


@register
class Squeeze15(Squeeze):
    version = "opset15"
    allow_axis_skip: bool = attr(False)

    def skips_non_one(self) -> bool:
        return self.allow_axis_skip


@register
class Unsqueeze(KeepsValues):
    """Insert dimensions of size 1 at the given axes of the output."""

    type_name, version = "Unsqueeze", "opset1"
    inputs_spec = ("data", "axes")

    def infer(self, data: Output, axes: Output) -> tuple[Type, PartialShape]:
        require_int_input(axes, "Unsqueeze axes")
        et, shape = data.get_element_type(), data.get_partial_shape()
        values = const_ints(axes)
        if shape.rank.is_dynamic or values is None:
            return et, PartialShape.dynamic()
        require(len(values) > 0, "Unsqueeze axes must not be empty")
        return et, PartialShape(_unsqueezed(list(shape), values, Dimension(1)))

    def evaluate(self, data: np.ndarray, axes: np.ndarray) -> np.ndarray:
        return data.reshape(_unsqueezed(list(data.shape), axes.reshape(-1).tolist(), 1))


def _unsqueezed(dims: list, axes: list[int], one: object) -> list:
    """dims with ``one`` inserted at the (deduplicated) output axes."""
    chosen = set(normalize_axes(axes, len(dims) + len(axes), "Unsqueeze axis"))
    rest = iter(dims)
    return [one if i in chosen else next(rest) for i in range(len(dims) + len(chosen))]


@register
class Transpose(Node):
    """Permute the axes; an empty order reverses them."""

    type_name, version = "Transpose", "opset1"
    inputs_spec = ("data", "input_order")

    def infer(self, data: Output, order: Output) -> tuple[Type, PartialShape]:
        require_int_input(order, "Transpose input_order", (1,))
        et, shape = data.get_element_type(), data.get_partial_shape()
        values = const_ints(order)
        if shape.rank.is_dynamic:
            return et, PartialShape.dynamic()
        if values is None:
            return et, PartialShape.dynamic(len(shape))
        perm = _permutation(values, len(shape))
        return et, PartialShape([shape[p] for p in perm])

    def evaluate(self, data: np.ndarray, order: np.ndarray) -> np.ndarray:
        return np.transpose(data, _permutation(order.tolist(), data.ndim))


def _permutation(values: list[int], rank: int) -> list[int]:
    if not values:
        return list(range(rank))[::-1]
    perm = normalize_axes(values, rank, "Transpose order")
    if sorted(perm) != list(range(rank)):
        raise NodeValidationError(f"input_order {values} is not a permutation of the {rank} axes")
    return perm
