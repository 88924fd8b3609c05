"""Gather, GatherElements and GatherND; Gather of a shape vector keeps its dimensions for inference."""

from __future__ import annotations

import math

import numpy as np

from vinopy.graph.node import Node, NodeValidationError, Output, attr, const_value, shape_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import (
    const_ints,
    normalize_axis,
    require,
    require_element_type,
    require_int_input,
    static_rank,
    wrap_negative,
)
from vinopy.ops.registry import register


def merge_dims(a: list[Dimension], b: list[Dimension], what: str) -> list[Dimension]:
    """Element-wise merge of two dimension lists that must describe the same extents."""
    out = []
    for x, y in zip(a, b):
        merged = x.merge(y)
        if merged is None:
            raise NodeValidationError(f"{what} differ: {PartialShape(a)} vs {PartialShape(b)}")
        out.append(x if x == merged else merged)
    return out


def wrap_indices(indices: np.ndarray, size: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Negative indices counted from the end; returns the indices and the in-range mask."""
    indices = wrap_negative(indices, size)
    valid = (indices >= 0) & (indices < size)
    return np.where(valid, indices, 0), valid


@register
class Gather(Node):
    """Take slices of ``data`` along ``axis`` at ``indices``."""

    type_name, version = "Gather", "opset1"
    inputs_spec = ("data", "indices", "axis")

    def batch(self, indices_rank: int) -> int:
        return 0

    def infer(self, data: Output, indices: Output, axis: Output) -> tuple[Type, PartialShape]:
        require_element_type(indices.get_element_type(), "integer", "Gather indices")
        require_int_input(axis, "Gather axis")
        et = data.get_element_type()
        d_shape, i_shape = data.get_partial_shape(), indices.get_partial_shape()
        axes = const_ints(axis)
        if d_shape.rank.is_dynamic or i_shape.rank.is_dynamic:
            return et, PartialShape.dynamic()
        b = self._batch_dims(len(i_shape), len(d_shape))
        if axes is None:
            return et, PartialShape.dynamic(len(d_shape) + len(i_shape) - 1 - b)
        ax = normalize_axis(axes[0], len(d_shape), "Gather axis")
        require(ax >= b, f"axis {ax} must be >= batch_dims {b}")
        batch = merge_dims(list(d_shape[:b]), list(i_shape[:b]), "Gather batch dimensions")
        return et, PartialShape(batch + list(d_shape[b:ax]) + list(i_shape[b:]) + list(d_shape[ax + 1 :]))

    def _batch_dims(self, indices_rank: int, data_rank: int) -> int:
        b = self.batch(indices_rank)
        require(
            0 <= b <= min(indices_rank, data_rank),
            f"batch_dims must be in [-{indices_rank}, {indices_rank}] and <= the data rank",
        )
        return b

    def evaluate(self, data: np.ndarray, indices: np.ndarray, axis: np.ndarray) -> np.ndarray:
        ax = int(axis.reshape(-1)[0]) % data.ndim
        b = self.batch(indices.ndim)
        batch_shape = data.shape[:b]
        n = math.prod(batch_shape)
        pre, size, post = math.prod(data.shape[b:ax]), data.shape[ax], math.prod(data.shape[ax + 1 :])
        idx, valid = wrap_indices(indices.reshape(n, -1), size)
        # (batch, size, pre, post) so that one fancy index picks rows per batch
        d = data.reshape(n, pre, size, post).transpose(0, 2, 1, 3)
        out = np.where(valid[:, :, None, None], d[np.arange(n)[:, None], idx], np.zeros((), data.dtype))
        out = out.transpose(0, 2, 1, 3)
        return out.reshape(batch_shape + data.shape[b:ax] + indices.shape[b:] + data.shape[ax + 1 :])

    def fold_dims(self, index: int) -> list[Dimension] | None:
        dims = super().fold_dims(index)
        if dims is not None:
            return dims
        source, picks = shape_value(self._inputs[0]), const_value(self._inputs[1])
        axes = const_ints(self._inputs[2])
        if source is None or picks is None or picks.ndim > 1 or axes is None or axes[0] not in (0, -1):
            return None
        if static_rank(self._inputs[0]) != 1 or not all(-len(source) <= p < len(source) for p in picks.flat):
            return None
        return [source[int(p)] for p in picks.reshape(-1)]


@register
class Gather7(Gather):
    version = "opset7"
    batch_dims: int = attr(0)

    def batch(self, indices_rank: int) -> int:
        return self.batch_dims + indices_rank if self.batch_dims < 0 else self.batch_dims


@register
class Gather8(Gather7):
    """Gather with negative indices counted from the end (out-of-range ones give zeros)."""

    version = "opset8"


@register
class GatherElements(Node):
    """Pick single elements along ``axis``: the output has the shape of ``indices``."""

    type_name, version = "GatherElements", "opset6"
    inputs_spec = ("data", "indices")
    axis: int = attr(0)

    def infer(self, data: Output, indices: Output) -> tuple[Type, PartialShape]:
        require_element_type(indices.get_element_type(), "integer", "GatherElements indices")
        d_shape, i_shape = data.get_partial_shape(), indices.get_partial_shape()
        et = data.get_element_type()
        if d_shape.rank.is_dynamic and i_shape.rank.is_dynamic:
            return et, PartialShape.dynamic()
        rank = len(d_shape) if d_shape.rank.is_static else len(i_shape)
        require(rank > 0, "GatherElements data must have rank >= 1")
        ax = normalize_axis(self.axis, rank, "GatherElements axis")
        if d_shape.rank.is_dynamic:
            return et, i_shape
        if i_shape.rank.is_dynamic:
            return et, PartialShape([Dimension() if i == ax else d for i, d in enumerate(d_shape)])
        require(
            len(i_shape) == rank, f"data and indices must have the same rank, got {d_shape} and {i_shape}"
        )
        out = list(i_shape)
        others = [i for i in range(rank) if i != ax]
        merged = merge_dims(
            [d_shape[i] for i in others],
            [i_shape[i] for i in others],
            "data and indices dimensions (except axis)",
        )
        for i, d in zip(others, merged):
            out[i] = d
        return et, PartialShape(out)

    def evaluate(self, data: np.ndarray, indices: np.ndarray) -> np.ndarray:
        ax = self.axis % data.ndim
        idx, _ = wrap_indices(indices, data.shape[ax])
        return np.take_along_axis(data, idx, axis=ax)


@register
class GatherND(Node):
    """Gather slices addressed by the last dimension of ``indices`` (after ``batch_dims``)."""

    type_name, version = "GatherND", "opset5"
    inputs_spec = ("data", "indices")
    batch_dims: int = attr(0)

    def batch_shape(self, batch: list[Dimension]) -> list[Dimension]:
        """v5 flattens the batch dimensions of the output into one."""
        if not batch:
            return []
        return [math.prod(batch[1:], start=batch[0])]

    def infer(self, data: Output, indices: Output) -> tuple[Type, PartialShape]:
        require_element_type(indices.get_element_type(), "integer", "GatherND indices")
        d_shape, i_shape = data.get_partial_shape(), indices.get_partial_shape()
        et, b = data.get_element_type(), self.batch_dims
        require(b >= 0, f"batch_dims must be >= 0, got {b}")
        if d_shape.rank.is_dynamic or i_shape.rank.is_dynamic or i_shape[-1].is_dynamic:
            return et, PartialShape.dynamic()
        require(
            len(i_shape) > b and len(d_shape) > b,
            f"batch_dims {b} must be less than the ranks of data and indices",
        )
        k = i_shape[-1].get_length()
        require(b + k <= len(d_shape), f"indices address {k} dims after {b} batch dims of data {d_shape}")
        batch = merge_dims(list(d_shape[:b]), list(i_shape[:b]), "GatherND batch dimensions")
        return et, PartialShape(self.batch_shape(batch) + list(i_shape[b:-1]) + list(d_shape[b + k :]))

    def evaluate(self, data: np.ndarray, indices: np.ndarray) -> np.ndarray:
        b, k = self.batch_dims, indices.shape[-1]
        n = math.prod(data.shape[:b])
        d = data.reshape((n,) + data.shape[b:])
        idx = indices.reshape(n, -1, k).astype(np.int64)
        idx = np.where(idx < 0, idx + np.array(d.shape[1 : k + 1]), idx)
        picked = d[(np.arange(n)[:, None],) + tuple(idx[..., j] for j in range(k))]
        batch = [Dimension(v) for v in data.shape[:b]]
        lead = [int(v.get_length()) for v in self.batch_shape(batch)]
        return picked.reshape(lead + list(indices.shape[b:-1]) + list(data.shape[b + k :]))


@register
class GatherND8(GatherND):
    version = "opset8"

    def batch_shape(self, batch: list[Dimension]) -> list[Dimension]:
        return batch
