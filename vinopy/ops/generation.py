"""Range, OneHot, NonZero, CumSum and Eye."""

from __future__ import annotations

import math

import numpy as np

from vinopy.graph.node import Node, Output, attr, const_value, shape_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import (
    const_ints,
    normalize_axis,
    require,
    require_element_type,
    require_int_input,
    require_rank,
    same_type,
)
from vinopy.ops.registry import register


def _scalar(output: Output, what: str, kind: str = "numeric") -> None:
    require_element_type(output.get_element_type(), kind, what)
    require_rank(output, (0, 1), what)
    shape = output.get_partial_shape()
    require(
        shape.rank.is_dynamic or len(shape) == 0 or shape[0].compatible(1),
        f"{what} must hold a single value, got shape {shape}",
    )


def _range_length(start: Output, stop: Output, step: Output) -> Dimension:
    values = [const_value(o) for o in (start, stop, step)]
    if any(v is None for v in values):
        return Dimension()
    b, e, s = (float(v.reshape(-1)[0]) for v in values)
    require(s != 0, "Range step must not be zero")
    return Dimension(max(0, math.ceil((e - b) / s)))


@register
class Range(Node):
    """Evenly spaced values in [start, stop) by step; all inputs share the output type."""

    type_name, version = "Range", "opset1"
    inputs_spec = ("start", "stop", "step")

    def index_type(self, inputs: tuple[Output, ...]) -> Type:
        return same_type(*inputs, what="Range start, stop and step")

    def infer(self, start: Output, stop: Output, step: Output) -> tuple[Type, PartialShape]:
        for out, what in zip((start, stop, step), ("start", "stop", "step")):
            _scalar(out, f"Range {what}")
        return self.index_type((start, stop, step)), PartialShape([_range_length(start, stop, step)])

    def evaluate(self, start: np.ndarray, stop: np.ndarray, step: np.ndarray) -> np.ndarray:
        b, e, s = (np.float64(v.reshape(-1)[0]) for v in (start, stop, step))
        n = max(0, math.ceil((e - b) / s))
        dtype = self.get_output_element_type(0).to_dtype()
        if np.dtype(dtype).kind in "iu":  # integer ranges stay exact beyond float precision
            return np.arange(n, dtype=np.int64).astype(dtype) * dtype.type(s) + dtype.type(b)
        return (b + s * np.arange(n, dtype=np.float64)).astype(dtype)


@register
class Range4(Range):
    """Range with an explicit output type; the inputs may differ in type."""

    version = "opset4"
    output_type: Type = attr()

    def index_type(self, inputs: tuple[Output, ...]) -> Type:
        require_element_type(self.output_type, "numeric", "Range output_type")
        return self.output_type


@register
class OneHot(Node):
    """One-hot encode ``indices`` along a new ``axis`` of length ``depth``; out-of-range indices are off."""

    type_name, version = "OneHot", "opset1"
    inputs_spec = ("indices", "depth", "on_value", "off_value")
    axis: int = attr()

    def infer(self, indices: Output, depth: Output, on: Output, off: Output) -> tuple[Type, PartialShape]:
        require_element_type(indices.get_element_type(), "integer", "OneHot indices")
        _scalar(depth, "OneHot depth", "integer")
        _scalar(on, "OneHot on_value", "any")
        _scalar(off, "OneHot off_value", "any")
        et = same_type(on, off, what="on_value and off_value")
        shape = indices.get_partial_shape()
        if shape.rank.is_dynamic:
            return et, PartialShape.dynamic()
        axis = normalize_axis(self.axis, len(shape) + 1, "OneHot axis")
        count = const_ints(depth)
        if count is not None:
            require(count[0] >= 0, f"OneHot depth must be >= 0, got {count[0]}")
        dims = list(shape)
        dims.insert(axis, Dimension() if count is None else Dimension(count[0]))
        return et, PartialShape(dims)

    def evaluate(self, indices: np.ndarray, depth: np.ndarray, on: np.ndarray, off: np.ndarray) -> np.ndarray:
        axis = self.axis % (indices.ndim + 1)
        classes = np.arange(int(depth.reshape(-1)[0])).reshape((-1,) + (1,) * (indices.ndim - axis))
        hot = np.expand_dims(indices, axis) == classes
        return np.where(hot, on.reshape(()), off.reshape(()))


@register
class NonZero(Node):
    """The indices of the non-zero elements: one row per input axis, one column per element found."""

    type_name, version = "NonZero", "opset3"
    inputs_spec = ("data",)
    output_type: Type = attr(Type.i64)

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        require(
            self.output_type in (Type.i32, Type.i64),
            f"output_type must be i32 or i64, got {self.output_type.get_type_name()}",
        )
        shape = data.get_partial_shape()
        if shape.rank.is_dynamic:
            return self.output_type, PartialShape.dynamic(2)
        count = math.prod((d for d in shape), start=Dimension(1))
        return self.output_type, PartialShape([max(len(shape), 1), Dimension(0, count.get_max_length())])

    def evaluate(self, data: np.ndarray) -> np.ndarray:
        return np.array(
            np.nonzero(data.reshape(-1) if data.ndim == 0 else data), dtype=self.output_type.to_dtype()
        )


@register
class CumSum(Node):
    """Cumulative sum along an axis, optionally exclusive and/or from the end."""

    type_name, version = "CumSum", "opset3"
    factory_name = "cumsum"
    inputs_spec = ("arg", "axis?")
    exclusive: bool = attr(False)
    reverse: bool = attr(False)

    def infer(self, data: Output, axis: Output | None = None) -> tuple[Type, PartialShape]:
        require_element_type(data.get_element_type(), "numeric", "CumSum data")
        shape = data.get_partial_shape()
        if axis is not None:
            _scalar(axis, "CumSum axis", "integer")
            value = const_ints(axis)
            if value is not None and shape.rank.is_static:
                normalize_axis(value[0], len(shape), "CumSum axis")
        return data.get_element_type(), shape

    def evaluate(self, data: np.ndarray, axis: np.ndarray | None = None) -> np.ndarray:
        ax = 0 if axis is None else int(axis.reshape(-1)[0]) % data.ndim
        x = np.flip(data, ax) if self.reverse else data
        out = np.cumsum(x, axis=ax, dtype=data.dtype)
        if self.exclusive:  # shift by one along the axis, starting from zero
            shifted = np.zeros_like(out)
            np.moveaxis(shifted, ax, 0)[1:] = np.moveaxis(out, ax, 0)[:-1]
            out = shifted
        return np.ascontiguousarray(np.flip(out, ax) if self.reverse else out)


@register
class Eye(Node):
    """A (batch of) num_rows x num_columns matrices with ones on the diagonal_index-th diagonal."""

    type_name, version = "Eye", "opset9"
    inputs_spec = ("num_rows", "num_columns", "diagonal_index", "batch_shape?")
    factory_args = ("num_rows", "num_columns", "diagonal_index", "output_type", "batch_shape")
    output_type: Type = attr()

    def infer(
        self, rows: Output, cols: Output, diagonal: Output, batch: Output | None = None
    ) -> tuple[Type, PartialShape]:
        for out, what in ((rows, "num_rows"), (cols, "num_columns"), (diagonal, "diagonal_index")):
            _scalar(out, f"Eye {what}", "integer")
        dims = [self._size(rows, "num_rows"), self._size(cols, "num_columns")]
        if batch is None:
            return self.output_type, PartialShape(dims)
        require_int_input(batch, "Eye batch_shape", (1,))
        lead = shape_value(batch)
        if lead is None:
            return self.output_type, PartialShape.dynamic()
        return self.output_type, PartialShape(lead + dims)

    @staticmethod
    def _size(output: Output, what: str) -> Dimension:
        value = const_ints(output)
        if value is None:
            return Dimension()
        require(value[0] >= 0, f"Eye {what} must be >= 0, got {value[0]}")
        return Dimension(value[0])

    def evaluate(
        self, rows: np.ndarray, cols: np.ndarray, diagonal: np.ndarray, batch: np.ndarray | None = None
    ) -> np.ndarray:
        n, m, k = (int(v.reshape(-1)[0]) for v in (rows, cols, diagonal))
        eye = np.eye(n, m, k, dtype=self.output_type.to_dtype())
        lead = [] if batch is None else [int(v) for v in batch]
        return np.array(np.broadcast_to(eye, lead + [n, m]))
