"""Reductions over the axes given by a second input: ReduceSum, ReduceMean, ReduceMax, ReduceMin,
ReduceProd, ReduceL1, ReduceL2, ReduceLogicalAnd, ReduceLogicalOr."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from vinopy.graph.node import Node, Output, attr, const_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import normalize_axes, require, require_element_type, static_rank
from vinopy.ops.registry import register


class Reduction(Node):
    """Base of the reductions: the output drops the reduced axes, or keeps them as 1 with keep_dims.
    An empty axes list reduces nothing."""

    inputs_spec = ("node", "reduction_axes")
    keep_dims: bool = attr(False)
    input_kind: ClassVar[str] = "numeric"
    kernel: ClassVar[Any] = None  # a numpy reduction of (x, axis, keepdims)

    def infer(self, data: Output, axes: Output) -> tuple[Type, PartialShape]:
        et = require_element_type(data.get_element_type(), self.input_kind, "data")
        require_element_type(axes.get_element_type(), "integer", "reduction_axes")
        axes_shape = axes.get_partial_shape()
        require(
            axes_shape.rank.is_dynamic or len(axes_shape) <= 1,
            f"reduction_axes must be a scalar or 1-D, got shape {axes_shape}",
        )
        rank = static_rank(data)
        if rank is None:
            return et, PartialShape.dynamic()
        value = const_value(axes)
        if value is None:
            return et, self._unknown_axes_shape(rank, axes_shape)
        reduced = set(normalize_axes(np.asarray(value).reshape(-1), rank, "reduction axis"))
        dims = data.get_partial_shape()
        if self.keep_dims:
            return et, PartialShape([Dimension(1) if i in reduced else d for i, d in enumerate(dims)])
        return et, PartialShape([d for i, d in enumerate(dims) if i not in reduced])

    def _unknown_axes_shape(self, rank: int, axes_shape: PartialShape) -> PartialShape:
        """Axes known only at run time: the rank is still known with keep_dims, or from the number of axes."""
        if self.keep_dims:
            return PartialShape.dynamic(rank)
        if axes_shape.rank.is_static and (len(axes_shape) == 0 or axes_shape[0].is_static):
            count = 1 if len(axes_shape) == 0 else axes_shape[0].get_length()
            return PartialShape.dynamic(max(0, rank - count))
        return PartialShape.dynamic()

    def evaluate(self, x: np.ndarray, axes: np.ndarray) -> np.ndarray:
        reduced = tuple(sorted(set(normalize_axes(np.asarray(axes).reshape(-1), x.ndim, "reduction axis"))))
        out = self.reduce(x, reduced)
        return np.asarray(out).astype(x.dtype, copy=False)

    def reduce(self, x: np.ndarray, axes: tuple[int, ...]) -> Any:
        return type(self).kernel(x, axis=axes, keepdims=self.keep_dims)


@register
class ReduceSum(Reduction):
    type_name, version = "ReduceSum", "opset1"
    kernel = np.sum


@register
class ReduceProd(Reduction):
    type_name, version = "ReduceProd", "opset1"
    kernel = np.prod


def _limit(dtype: np.dtype, highest: bool) -> Any:
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
    return info.max if highest else info.min


@register
class ReduceMax(Reduction):
    """Max over the axes; over an empty axis the lowest finite value, as OpenVINO's reference has it."""

    type_name, version = "ReduceMax", "opset1"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...]) -> Any:
        initial = _limit(x.dtype, highest=False) if x.size == 0 else None
        return np.max(x, axis=axes, keepdims=self.keep_dims, initial=initial)


@register
class ReduceMin(Reduction):
    """Min over the axes; over an empty axis +inf for floats and the largest value for integers, as
    OpenVINO's reference has it."""

    type_name, version = "ReduceMin", "opset1"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...]) -> Any:
        if x.size != 0:
            return np.min(x, axis=axes, keepdims=self.keep_dims)
        initial = np.inf if x.dtype.kind == "f" else _limit(x.dtype, highest=True)
        return np.min(x, axis=axes, keepdims=self.keep_dims, initial=initial)


@register
class ReduceLogicalAnd(Reduction):
    type_name, version = "ReduceLogicalAnd", "opset1"
    input_kind = "boolean"
    kernel = np.all


@register
class ReduceLogicalOr(Reduction):
    type_name, version = "ReduceLogicalOr", "opset1"
    input_kind = "boolean"
    kernel = np.any


@register
class ReduceMean(Reduction):
    """Mean over the axes (integer inputs: the sum divided with truncation)."""

    type_name, version = "ReduceMean", "opset1"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...]) -> Any:
        if x.dtype.kind in "iu":
            count = int(np.prod([x.shape[a] for a in axes]))
            total = np.sum(x, axis=axes, keepdims=self.keep_dims, dtype=np.int64)
            return np.trunc(total / max(count, 1))
        return np.mean(x, axis=axes, keepdims=self.keep_dims)


@register
class ReduceL1(Reduction):
    """Sum of absolute values over the axes."""

    type_name, version = "ReduceL1", "opset4"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...]) -> Any:
        return np.sum(np.abs(x), axis=axes, keepdims=self.keep_dims)


@register
class ReduceL2(Reduction):
    """Square root of the sum of squares over the axes."""

    type_name, version = "ReduceL2", "opset4"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...]) -> Any:
        return np.sqrt(np.sum(np.square(x), axis=axes, keepdims=self.keep_dims))
