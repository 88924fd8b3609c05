"""TopK (1, 3, 11): the k largest or smallest values along an axis, with their indices."""

from __future__ import annotations

import numpy as np

from vinopy.graph.node import Node, Output, attr, shape_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import normalize_axis, require, require_element_type, require_scalar, static_rank
from vinopy.ops.registry import register

MODES = ("max", "min")
SORTS = ("value", "index", "none")


def top_k_indices(x: np.ndarray, k: int, axis: int, largest: bool) -> np.ndarray:
    """Indices of the k largest (or smallest) values along axis, best first; ties keep the lower index."""
    if not largest:
        return np.argsort(x, axis=axis, kind="stable").take(np.arange(k), axis=axis)
    # a stable ascending sort of the reversed axis, read backwards: descending, ties by lower index
    n = x.shape[axis]
    order = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (n - 1 - np.flip(order, axis)).take(np.arange(k), axis=axis)


@register
class TopK(Node):
    """TopK-1: values and indices of the top ``k`` (a scalar input) along ``axis``; sort by value,
    by index or none (we keep value order). Ties always keep the lower index first (stable)."""

    type_name, version = "TopK", "opset1"
    factory_name = "topk"
    inputs_spec = ("data", "k")
    axis: int = attr()
    mode: str = attr()
    sort: str = attr()
    index_element_type: Type = attr(Type.i32)
    factory_args = ("data", "k", "axis", "mode", "sort")

    def infer(self, data: Output, k: Output) -> list[tuple[Type, PartialShape]]:
        et = require_element_type(data.get_element_type(), "numeric", "data")
        require_element_type(k.get_element_type(), "integer", "k")
        require_scalar(k, "k")
        self.mode, self.sort = self.mode.lower(), self.sort.lower()
        require(self.mode in MODES, f"mode must be one of {MODES}, got {self.mode!r}")
        require(self.sort in SORTS, f"sort must be one of {SORTS}, got {self.sort!r}")
        require(
            self.index_element_type in (Type.i32, Type.i64),
            f"index_element_type must be i32 or i64, got {self.index_element_type}",
        )
        rank = static_rank(data)
        if rank is None:
            shape = PartialShape.dynamic()
        else:
            axis = normalize_axis(self.axis, rank)
            dims = list(data.get_partial_shape())
            dims[axis] = self._k_dim(k, dims[axis])
            shape = PartialShape(dims)
        return [(et, shape), (self.index_element_type, shape)]

    @staticmethod
    def _k_dim(k: Output, axis_dim: Dimension) -> Dimension:
        """k when known (at most the axis size), else a dimension bounded by the axis size."""
        value = shape_value(k)
        if value is not None and value[0].is_static:
            count = value[0].get_length()
            return Dimension(min(count, axis_dim.get_length()) if axis_dim.is_static else count)
        return Dimension(0, axis_dim.max_length)

    def evaluate(self, x: np.ndarray, k: np.ndarray) -> list[np.ndarray]:
        axis = normalize_axis(self.axis, x.ndim)
        count = min(int(np.asarray(k).reshape(-1)[0]), x.shape[axis])
        indices = top_k_indices(x, count, axis, self.mode == "max")
        if self.sort == "index":
            indices = np.sort(indices, axis=axis)
        values = np.take_along_axis(x, indices, axis)
        return [values, indices.astype(self.index_element_type.to_dtype())]


@register
class TopK3(TopK):
    """TopK with the index_element_type attribute in its factory."""

    type_name, version = "TopK", "opset3"
    factory_args = ("data", "k", "axis", "mode", "sort", "index_element_type")


@register
class TopK11(TopK3):
    """TopK with ``stable``: ties in order of index (which every version here does anyway)."""

    type_name, version = "TopK", "opset11"
    stable: bool = attr(False)
    factory_args = ("data", "k", "axis", "mode", "sort", "index_element_type", "stable")
