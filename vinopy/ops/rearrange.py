"""Ops that move elements without changing them: DepthToSpace, SpaceToDepth, ShuffleChannels,
BatchToSpace, SpaceToBatch, ReverseSequence, Reverse and Roll."""

from __future__ import annotations

import math

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import (
    const_ints,
    divide_dim,
    normalize_axes,
    normalize_axis,
    require,
    require_element_type,
    require_int_input,
    require_rank,
    static_rank,
)
from vinopy.ops.registry import register

_MODES = ("blocks_first", "depth_first")


def _interleave(a: list[int], b: list[int]) -> list[int]:
    return [x for pair in zip(a, b) for x in pair]


def _require_divisible(dim: Dimension, n: int, what: str) -> Dimension:
    require(dim.is_dynamic or dim.get_length() % n == 0, f"{what} {dim} must be divisible by {n}")
    return divide_dim(dim, n)


class _BlockOp(Node):
    """DepthToSpace and SpaceToDepth: move block_size^k channel groups to or from k spatial axes."""

    inputs_spec = ("data",)
    mode: str = attr()
    block_size: int = attr(1)

    def check(self, data: Output) -> PartialShape | None:
        require(self.mode in _MODES, f"mode must be one of {_MODES}, got '{self.mode}'")
        require(self.block_size > 0, f"block_size must be positive, got {self.block_size}")
        shape = data.get_partial_shape()
        if shape.rank.is_dynamic:
            return None
        require(len(shape) >= 3, f"data must have rank >= 3 (N, C, spatial...), got {shape}")
        return shape


@register
class DepthToSpace(_BlockOp):
    """Rearrange channel blocks into spatial blocks of size block_size."""

    type_name, version = "DepthToSpace", "opset1"

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        shape = self.check(data)
        if shape is None:
            return data.get_element_type(), PartialShape.dynamic()
        bs, k = self.block_size, len(shape) - 2
        channels = _require_divisible(shape[1], bs**k, "channels")
        return data.get_element_type(), PartialShape([shape[0], channels] + [d * bs for d in shape[2:]])

    def evaluate(self, data: np.ndarray) -> np.ndarray:
        bs, k = self.block_size, data.ndim - 2
        n, c, spatial = data.shape[0], data.shape[1] // bs**k, list(data.shape[2:])
        if self.mode == "blocks_first":
            x = data.reshape([n] + [bs] * k + [c] + spatial)
            perm = [0, k + 1] + _interleave([k + 2 + i for i in range(k)], [1 + i for i in range(k)])
        else:
            x = data.reshape([n, c] + [bs] * k + spatial)
            perm = [0, 1] + _interleave([k + 2 + i for i in range(k)], [2 + i for i in range(k)])
        return x.transpose(perm).reshape([n, c] + [d * bs for d in spatial])


@register
class SpaceToDepth(_BlockOp):
    """Rearrange spatial blocks of size block_size into channels."""

    type_name, version = "SpaceToDepth", "opset1"

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        shape = self.check(data)
        if shape is None:
            return data.get_element_type(), PartialShape.dynamic()
        bs, k = self.block_size, len(shape) - 2
        spatial = [_require_divisible(d, bs, f"spatial dimension {i + 2}") for i, d in enumerate(shape[2:])]
        return data.get_element_type(), PartialShape([shape[0], shape[1] * bs**k] + spatial)

    def evaluate(self, data: np.ndarray) -> np.ndarray:
        bs, k = self.block_size, data.ndim - 2
        n, c = data.shape[:2]
        reduced = [d // bs for d in data.shape[2:]]
        x = data.reshape([n, c] + _interleave(reduced, [bs] * k))
        blocks, cells = [3 + 2 * i for i in range(k)], [2 + 2 * i for i in range(k)]
        perm = [0] + blocks + [1] + cells if self.mode == "blocks_first" else [0, 1] + blocks + cells
        return x.transpose(perm).reshape([n, c * bs**k] + reduced)


@register
class ShuffleChannels(Node):
    """Split an axis into ``group`` groups and interleave them."""

    type_name, version = "ShuffleChannels", "opset1"
    inputs_spec = ("data",)
    axis: int = attr(1)
    group: int = attr(1)

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        require(self.group >= 1, f"group must be >= 1, got {self.group}")
        shape = data.get_partial_shape()
        if shape.rank.is_static:
            require(len(shape) >= 1, "ShuffleChannels data must have rank >= 1")
            axis = normalize_axis(self.axis, len(shape), "ShuffleChannels axis")
            _require_divisible(shape[axis], self.group, f"dimension {axis}")
        return data.get_element_type(), shape

    def evaluate(self, data: np.ndarray) -> np.ndarray:
        axis = self.axis % data.ndim
        pre, post = math.prod(data.shape[:axis]), math.prod(data.shape[axis + 1 :])
        x = data.reshape(pre, self.group, data.shape[axis] // self.group, post)
        return x.transpose(0, 2, 1, 3).reshape(data.shape)


def _block_values(data: Output, inputs: tuple[Output, ...], names: tuple[str, ...]) -> list[list[int]] | None:
    """The constant 1-D block/pad inputs of BatchToSpace/SpaceToBatch, one value per data axis."""
    for out, what in zip(inputs, names):
        require_int_input(out, what, (1,))
    values = [const_ints(o) for o in inputs]
    rank = static_rank(data)
    if rank is None or any(v is None for v in values):
        return None
    for v, what in zip(values, names):
        require(len(v) == rank, f"{what} must have {rank} values (one per data axis), got {v}")
        require(min(v) >= 0, f"{what} must be >= 0, got {v}")
    require(
        min(values[0]) >= 1 and values[0][0] == 1,
        f"block_shape must be >= 1 and start with 1, got {values[0]}",
    )
    return values


@register
class BatchToSpace(Node):
    """Move blocks of the batch into the spatial axes, then crop."""

    type_name, version = "BatchToSpace", "opset2"
    inputs_spec = ("data", "block_shape", "crops_begin", "crops_end")

    def infer(self, data: Output, *args: Output) -> tuple[Type, PartialShape]:
        values = _block_values(data, args, ("block_shape", "crops_begin", "crops_end"))
        shape = data.get_partial_shape()
        if values is None:
            return data.get_element_type(), PartialShape.dynamic(static_rank(data))
        block, begin, end = values
        batch = _require_divisible(shape[0], math.prod(block), "batch")
        spatial = []
        for d, b, cb, ce in zip(list(shape)[1:], block[1:], begin[1:], end[1:]):
            grown = d * b
            require(grown.is_dynamic or cb + ce <= grown.get_length(), f"crops {cb}, {ce} exceed {grown}")
            spatial.append(grown - Dimension(cb + ce))
        return data.get_element_type(), PartialShape([batch] + spatial)

    def evaluate(self, data: np.ndarray, block: np.ndarray, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        r, bs = data.ndim, [int(b) for b in block[1:]]
        n = data.shape[0] // math.prod(bs)
        x = data.reshape(bs + [n] + list(data.shape[1:]))
        perm = [r - 1] + _interleave([r - 1 + i for i in range(1, r)], list(range(r - 1)))
        x = x.transpose(perm).reshape([n] + [d * b for d, b in zip(data.shape[1:], bs)])
        crop = tuple(slice(int(b), x.shape[i] - int(e)) for i, (b, e) in enumerate(zip(begin, end)))
        return np.ascontiguousarray(x[crop])


@register
class SpaceToBatch(Node):
    """Pad, then move spatial blocks into the batch."""

    type_name, version = "SpaceToBatch", "opset2"
    inputs_spec = ("data", "block_shape", "pads_begin", "pads_end")

    def infer(self, data: Output, *args: Output) -> tuple[Type, PartialShape]:
        values = _block_values(data, args, ("block_shape", "pads_begin", "pads_end"))
        shape = data.get_partial_shape()
        if values is None:
            return data.get_element_type(), PartialShape.dynamic(static_rank(data))
        block, begin, end = values
        out = [shape[0] * math.prod(block)]
        for i, (d, b, pb, pe) in enumerate(zip(list(shape)[1:], block[1:], begin[1:], end[1:])):
            out.append(_require_divisible(d + Dimension(pb + pe), b, f"padded dimension {i + 1}"))
        return data.get_element_type(), PartialShape(out)

    def evaluate(self, data: np.ndarray, block: np.ndarray, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        x = np.pad(data, [(int(b), int(e)) for b, e in zip(begin, end)])
        r, bs = data.ndim, [int(b) for b in block[1:]]
        reduced = [d // b for d, b in zip(x.shape[1:], bs)]
        x = x.reshape([x.shape[0]] + _interleave(reduced, bs))
        perm = [2 + 2 * i for i in range(r - 1)] + [0] + [1 + 2 * i for i in range(r - 1)]
        return x.transpose(perm).reshape([x.shape[0] * math.prod(bs)] + reduced)


def _along(axis: int, rank: int) -> list[int]:
    """The shape that lays a 1-D array along ``axis`` of a rank-``rank`` tensor."""
    return [-1 if i == axis else 1 for i in range(rank)]


@register
class ReverseSequence(Node):
    """Reverse the first seq_lengths[b] elements along seq_axis for each b along batch_axis."""

    type_name, version = "ReverseSequence", "opset1"
    inputs_spec = ("input", "seq_lengths")
    batch_axis: int = attr(0)
    seq_axis: int = attr(1)

    def infer(self, data: Output, lengths: Output) -> tuple[Type, PartialShape]:
        require_element_type(lengths.get_element_type(), "numeric", "seq_lengths")
        require_rank(lengths, (1,), "seq_lengths")
        shape = data.get_partial_shape()
        if shape.rank.is_static:
            batch = normalize_axis(self.batch_axis, len(shape), "batch_axis")
            normalize_axis(self.seq_axis, len(shape), "seq_axis")
            count = lengths.get_partial_shape()
            require(
                count.rank.is_dynamic or count[0].compatible(shape[batch]),
                f"seq_lengths {count} must have one value per batch element ({shape[batch]})",
            )
        return data.get_element_type(), shape

    def evaluate(self, data: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        batch, seq = self.batch_axis % data.ndim, self.seq_axis % data.ndim
        pos = np.arange(data.shape[seq]).reshape(_along(seq, data.ndim))
        lens = lengths.astype(np.int64).reshape(_along(batch, data.ndim))
        src = np.where(pos < lens, lens - 1 - pos, pos)
        return np.take_along_axis(data, np.broadcast_to(src, data.shape), axis=seq)


@register
class Reverse(Node):
    """Reverse along axes given as indices (mode 'index') or as a boolean mask (mode 'mask')."""

    type_name, version = "Reverse", "opset1"
    inputs_spec = ("data", "reversed_axes")
    mode: str = attr()

    def infer(self, data: Output, axes: Output) -> tuple[Type, PartialShape]:
        require(self.mode in ("index", "mask"), f"mode must be 'index' or 'mask', got '{self.mode}'")
        kind = "boolean" if self.mode == "mask" else "integer"
        require_element_type(axes.get_element_type(), kind, f"reversed_axes in mode '{self.mode}'")
        require_rank(axes, (1,), "reversed_axes")
        rank, values = static_rank(data), const_ints(axes)
        if rank is not None and values is not None:
            self._axes(values, rank)
        return data.get_element_type(), data.get_partial_shape()

    def _axes(self, values: list[int], rank: int) -> list[int]:
        if self.mode == "mask":
            require(len(values) == rank, f"the mask must have {rank} values, got {len(values)}")
            return [i for i, v in enumerate(values) if v]
        return normalize_axes(values, rank, "reversed axis")

    def evaluate(self, data: np.ndarray, axes: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.flip(data, self._axes(axes.astype(np.int64).tolist(), data.ndim)))


@register
class Roll(Node):
    """Shift elements cyclically along axes (a scalar shift applies to every axis)."""

    type_name, version = "Roll", "opset7"
    inputs_spec = ("data", "shift", "axes")

    def infer(self, data: Output, shift: Output, axes: Output) -> tuple[Type, PartialShape]:
        require_int_input(shift, "Roll shift")
        require_int_input(axes, "Roll axes", (1,))
        shifts, values, rank = const_ints(shift), const_ints(axes), static_rank(data)
        if values is not None:
            if rank is not None:
                normalize_axes(values, rank, "Roll axis")
            require(
                shifts is None or len(shifts) in (1, len(values)),
                f"shift must be a scalar or have one value per axis {values}, got {shifts}",
            )
        return data.get_element_type(), data.get_partial_shape()

    def evaluate(self, data: np.ndarray, shift: np.ndarray, axes: np.ndarray) -> np.ndarray:
        axes_list = [a % data.ndim for a in axes.tolist()]
        shifts = np.broadcast_to(shift.reshape(-1), (len(axes_list),)).tolist()
        return np.roll(data, shifts, axes_list)
