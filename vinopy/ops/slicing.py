"""StridedSlice, Slice and SliceScatter.

Both slicing ops are lowered to a numpy index tuple (slices, ints, ``np.newaxis``, ``...``): the
kernel applies it to the data, shape inference walks it over the input dimensions, and shape
vectors are sliced as lists of dimensions.
"""

from __future__ import annotations

from typing import Any

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

_SCAN_LIMIT = 1024  # dynamic dims with a bounded range up to this wide are sliced value by value


def slice_length(dim: Dimension, sl: slice) -> Dimension:
    """The length of ``sl`` applied to a dimension, as precise as its range allows."""
    if dim.is_static:
        return Dimension(len(range(*sl.indices(dim.get_length()))))
    b, e, s = sl.start, sl.stop, 1 if sl.step is None else sl.step
    if b is None and e is None and abs(s) == 1:
        return dim
    lo, hi = dim.get_interval()
    if hi != -1 and hi - lo <= _SCAN_LIMIT:
        lengths = [len(range(*sl.indices(d))) for d in range(lo, hi + 1)]
        return Dimension(min(lengths), max(lengths))
    if s > 0 and b is not None and e is not None and b >= 0 and e >= 0:
        return Dimension(len(range(*sl.indices(lo))), len(range(b, e, s)))
    if s == 1 and e is None and b is not None:
        return dim - Dimension(b) if b >= 0 else Dimension(min(lo, -b), -b)
    return Dimension()


def indexed_shape(shape: PartialShape, index: tuple) -> PartialShape:
    """The shape of ``data[index]`` for a basic numpy index, from the data's partial shape."""
    consuming = sum(1 for item in index if item is not None and item is not Ellipsis)
    if shape.rank.is_dynamic:
        return PartialShape.dynamic()
    rank = len(shape)
    require(consuming <= rank, f"the slice addresses {consuming} axes of a rank-{rank} input")
    if Ellipsis not in index:
        index = index + (Ellipsis,)
    dims, out = iter(shape), []
    for axis_item in index:
        if axis_item is Ellipsis:
            out.extend(next(dims) for _ in range(rank - consuming))
        elif axis_item is None:
            out.append(Dimension(1))
        elif isinstance(axis_item, slice):
            out.append(slice_length(next(dims), axis_item))
        else:
            d = next(dims)
            require(
                d.is_dynamic or -d.get_length() <= axis_item < d.get_length(),
                f"index {axis_item} is out of range for dimension {d}",
            )
    return PartialShape(out)


class SlicingOp(Node):
    """An op whose effect is ``data[index]`` for an index built from its (constant) inputs."""

    def make_index(self, values: list[list[int]], data_rank: int | None) -> tuple:
        raise NotImplementedError

    def dynamic_shape(self, data: Output) -> PartialShape:
        """The output shape when the bounds are only known at run time."""
        raise NotImplementedError

    def index_from_inputs(self, inputs: list[Output]) -> tuple | None:
        values = [const_ints(o) for o in inputs[1:]]
        if any(v is None for v in values):
            return None
        return self.make_index(values, static_rank(inputs[0]))

    def infer(self, data: Output, *bounds: Output) -> tuple[Type, PartialShape]:
        index = self.index_from_inputs([data, *bounds])
        shape = self.dynamic_shape(data) if index is None else indexed_shape(data.get_partial_shape(), index)
        return data.get_element_type(), shape

    def evaluate(self, data: np.ndarray, *bounds: np.ndarray) -> np.ndarray:
        index = self.make_index([b.reshape(-1).tolist() for b in bounds], data.ndim)
        return np.ascontiguousarray(data[index])

    def fold_dims(self, index: int) -> list[Dimension] | None:
        dims = super().fold_dims(index)
        source = shape_value(self._inputs[0])
        if dims is not None or source is None or static_rank(self._inputs[0]) != 1:
            return dims
        item = self.index_from_inputs(self._inputs)
        if item is None or static_rank(self.output(index)) not in (0, 1):
            return None
        return [source[k] for k in np.arange(len(source))[item].reshape(-1)]


def _mask(bits: list[int], n: int) -> list[bool]:
    return [bool(b) for b in bits[:n]] + [False] * max(0, n - len(bits))


@register
class StridedSlice(SlicingOp):
    """Slice with begin/end/strides and TensorFlow-style masks (a set bit ignores begin or end)."""

    type_name, version = "StridedSlice", "opset1"
    inputs_spec = ("data", "begin", "end", "strides?")
    begin_mask: list[int] = attr()
    end_mask: list[int] = attr()
    new_axis_mask: list[int] = attr([])
    shrink_axis_mask: list[int] = attr([])
    ellipsis_mask: list[int] = attr([])

    def infer(self, data: Output, *bounds: Output) -> tuple[Type, PartialShape]:
        for out, what in zip(bounds, ("begin", "end", "strides")):
            require_int_input(out, f"StridedSlice {what}", (1,))
        require(sum(self.ellipsis_mask) <= 1, f"ellipsis_mask may set one bit, got {self.ellipsis_mask}")
        return super().infer(data, *bounds)

    def make_index(self, values: list[list[int]], data_rank: int | None) -> tuple:
        begin, end = values[0], values[1]
        strides = values[2] if len(values) > 2 else [1] * len(begin)
        n = len(begin)
        require(
            len(end) == n and len(strides) == n,
            f"begin, end and strides must have the same length, got {begin}, {end}, {strides}",
        )
        require(0 not in strides, f"strides must not be zero, got {strides}")
        masks = [
            _mask(m, n)
            for m in (
                self.begin_mask,
                self.end_mask,
                self.new_axis_mask,
                self.shrink_axis_mask,
                self.ellipsis_mask,
            )
        ]
        return tuple(self._item(i, begin, end, strides, *masks) for i in range(n))

    @staticmethod
    def _item(
        i: int,
        begin: list[int],
        end: list[int],
        strides: list[int],
        begin_m: list[bool],
        end_m: list[bool],
        new_m: list[bool],
        shrink_m: list[bool],
        ellipsis_m: list[bool],
    ) -> Any:
        if ellipsis_m[i]:
            return Ellipsis
        if new_m[i]:
            return None
        if shrink_m[i]:
            return begin[i]
        return slice(None if begin_m[i] else begin[i], None if end_m[i] else end[i], strides[i])

    def dynamic_shape(self, data: Output) -> PartialShape:
        begin = self._inputs[1].get_partial_shape()
        if data.get_partial_shape().rank.is_dynamic or begin.rank.is_dynamic or begin[0].is_dynamic:
            return PartialShape.dynamic()
        n = begin[0].get_length()
        new, shrink = _mask(self.new_axis_mask, n), _mask(self.shrink_axis_mask, n)
        added = sum(new) - sum(s and not a for s, a in zip(shrink, new))
        return PartialShape.dynamic(len(data.get_partial_shape()) + added)


@register
class Slice(SlicingOp):
    """Slice with start/stop/step along the given axes (all leading axes by default)."""

    type_name, version = "Slice", "opset8"
    inputs_spec = ("data", "start", "stop", "step", "axes?")

    def infer(self, data: Output, *bounds: Output) -> tuple[Type, PartialShape]:
        for out, what in zip(bounds, ("start", "stop", "step", "axes")):
            require_int_input(out, f"Slice {what}", (1,))
        return super().infer(data, *bounds)

    def make_index(self, values: list[list[int]], data_rank: int | None) -> tuple:
        return slice_index(values, data_rank)

    def index_from_inputs(self, inputs: list[Output]) -> tuple | None:
        if static_rank(inputs[0]) is None:
            return None
        return super().index_from_inputs(inputs)

    def dynamic_shape(self, data: Output) -> PartialShape:
        shape = data.get_partial_shape()
        if shape.rank.is_dynamic:
            return shape
        sliced = self._sliced_axes(len(shape))
        return PartialShape(
            [Dimension(0, d.get_max_length()) if i in sliced else d for i, d in enumerate(shape)]
        )

    def _sliced_axes(self, rank: int) -> set[int]:
        """The axes that may be sliced, as far as is known before run time."""
        if len(self._inputs) > 4:
            axes = const_ints(self._inputs[4])
            return set(range(rank)) if axes is None else set(normalize_axes(axes, rank, "Slice axis"))
        count = self._inputs[1].get_partial_shape()
        return set(range(count[0].get_length() if count.is_static else rank))


def slice_index(values: list[list[int]], data_rank: int) -> tuple:
    """The numpy index of Slice's start, stop, step and (optional) axes values."""
    start, stop, step = values[:3]
    axes = values[3] if len(values) > 3 else list(range(len(start)))
    require(
        len(stop) == len(start) == len(step) == len(axes),
        f"start, stop, step and axes must have the same length, got {start}, {stop}, {step}, {axes}",
    )
    require(0 not in step, f"step must not be zero, got {step}")
    axes = normalize_axes(axes, data_rank, "Slice axis")
    require(len(set(axes)) == len(axes), f"Slice axes must be unique, got {axes}")
    index = [slice(None)] * data_rank
    for a, b, e, s in zip(axes, start, stop, step):
        index[a] = slice(b, e, s)
    return tuple(index)


@register
class SliceScatter(Node):
    """``data`` with the Slice given by start/stop/step/axes replaced by ``updates``."""

    type_name, version = "SliceScatter", "opset15"
    inputs_spec = ("data", "updates", "start", "stop", "step", "axes?")

    def infer(self, data: Output, updates: Output, *bounds: Output) -> tuple[Type, PartialShape]:
        for out, what in zip(bounds, ("start", "stop", "step", "axes")):
            require_int_input(out, f"SliceScatter {what}", (1,))
        merged = data.get_element_type().merge(updates.get_element_type())
        require(merged is not None, "data and updates must have the same element type")
        values, rank = [const_ints(b) for b in bounds], static_rank(data)
        if rank is not None and all(v is not None for v in values):
            sliced = indexed_shape(data.get_partial_shape(), slice_index(values, rank))
            if not sliced.compatible(updates.get_partial_shape()):
                raise NodeValidationError(
                    f"updates {updates.get_partial_shape()} do not fit the slice {sliced} of the data"
                )
        return merged, data.get_partial_shape()

    def evaluate(self, data: np.ndarray, updates: np.ndarray, *bounds: np.ndarray) -> np.ndarray:
        out = data.copy()
        out[slice_index([b.reshape(-1).tolist() for b in bounds], data.ndim)] = updates
        return out
