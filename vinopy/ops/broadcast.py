"""Tile, Broadcast and Pad."""

from __future__ import annotations

from typing import Any

import numpy as np

from vinopy.graph.node import Node, NodeValidationError, Output, attr, shape_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import (
    broadcast_shapes,
    const_ints,
    normalize_axes,
    require,
    require_int_input,
    require_rank,
    static_rank,
)
from vinopy.ops.registry import register


def target_dims(target: Output, what: str) -> list[Dimension] | None:
    """A shape-like input's value as dimensions, or None when not even its length is known."""
    require_int_input(target, what, (1,))
    dims = shape_value(target)
    if dims is not None:
        return dims
    length = target.get_partial_shape()
    if length.rank.is_static and length[0].is_static:
        return [Dimension() for _ in range(length[0].get_length())]
    return None


@register
class Tile(Node):
    """Repeat a tensor along each axis; the shorter of data rank and repeats is padded with 1s in front."""

    type_name, version = "Tile", "opset1"
    inputs_spec = ("data", "repeats")

    def infer(self, data: Output, repeats: Output) -> tuple[Type, PartialShape]:
        counts = target_dims(repeats, "Tile repeats")
        et, shape = data.get_element_type(), data.get_partial_shape()
        if counts is None or shape.rank.is_dynamic:
            return et, PartialShape.dynamic()
        rank = max(len(counts), len(shape))
        dims = [Dimension(1)] * (rank - len(shape)) + list(shape)
        counts = [Dimension(1)] * (rank - len(counts)) + counts
        return et, PartialShape([d if r == 1 else d * r for d, r in zip(dims, counts)])

    def evaluate(self, data: np.ndarray, repeats: np.ndarray) -> np.ndarray:
        require(bool((repeats >= 0).all()), f"Tile repeats must be >= 0, got {repeats.tolist()}")
        return np.tile(data, repeats.tolist())


@register
class Broadcast(Node):
    """Broadcast data to a target shape: numpy (one-directional), explicit (axes_mapping) or pdpd."""

    type_name, version = "Broadcast", "opset1"
    inputs_spec = ("data", "target_shape", "axes_mapping?")
    mode: str = attr("numpy")
    modes = ("numpy", "explicit", "pdpd")

    @classmethod
    def factory(
        cls,
        data: Any,
        target_shape: Any,
        axes_mapping: Any = None,
        broadcast_spec: str = "NUMPY",
        name: str | None = None,
    ) -> Broadcast:
        inputs = [data, target_shape] + ([] if axes_mapping is None else [axes_mapping])
        return cls(*inputs, mode=broadcast_spec.lower(), name=name)

    def infer(self, data: Output, target: Output, axes: Output | None = None) -> tuple[Type, PartialShape]:
        require(self.mode in self.modes, f"mode must be one of {self.modes}, got '{self.mode}'")
        dims = target_dims(target, "Broadcast target_shape")
        et, shape = data.get_element_type(), data.get_partial_shape()
        if self.mode == "explicit":
            require(axes is not None, "explicit mode needs axes_mapping")
            return et, self._explicit(shape, dims, axes)
        if dims is None:
            return et, PartialShape.dynamic()
        if self.mode == "bidirectional":
            return et, broadcast_shapes(shape, PartialShape(dims))
        return et, _one_directional(shape, dims)

    def _explicit(self, shape: PartialShape, dims: list[Dimension] | None, axes: Output) -> PartialShape:
        mapping = const_ints(axes)
        if dims is None or mapping is None or shape.rank.is_dynamic:
            return PartialShape.dynamic() if dims is None else PartialShape(dims)
        require(
            len(mapping) == len(shape),
            f"axes_mapping {mapping} must have one axis per data dimension of {shape}",
        )
        mapping = normalize_axes(mapping, len(dims), "axes_mapping value")
        require(mapping == sorted(set(mapping)), f"axes_mapping must be increasing, got {mapping}")
        for d, a in zip(shape, mapping):
            require(
                d.compatible(1) or d.compatible(dims[a]),
                f"data dimension {d} does not match target dimension {dims[a]} at axis {a}",
            )
        return PartialShape(dims)

    def evaluate(self, data: np.ndarray, target: np.ndarray, axes: np.ndarray | None = None) -> np.ndarray:
        shape = [int(v) for v in target]
        if self.mode == "explicit":
            kept = set(normalize_axes(axes.reshape(-1).tolist(), len(shape)))
            data = data.reshape(
                [data.shape[sorted(kept).index(i)] if i in kept else 1 for i in range(len(shape))]
            )
        elif self.mode == "bidirectional":
            shape = list(np.broadcast_shapes(data.shape, tuple(shape)))
        return np.array(np.broadcast_to(data, shape))


def _one_directional(shape: PartialShape, dims: list[Dimension]) -> PartialShape:
    """numpy broadcasting of data to a target that the data may not grow."""
    if shape.rank.is_dynamic:
        return PartialShape(dims)
    require(len(dims) >= len(shape), f"target shape {PartialShape(dims)} has a lower rank than data {shape}")
    out = list(dims)
    offset = len(dims) - len(shape)
    for i, d in enumerate(shape):
        t = dims[offset + i]
        if d.is_static and d != 1:
            if t.is_static and t != d:
                raise NodeValidationError(f"data dimension {d} cannot be broadcast to {t} (target {dims})")
            out[offset + i] = d if t.is_dynamic else t
    return PartialShape(out)


@register
class Broadcast3(Broadcast):
    version = "opset3"
    modes = ("numpy", "explicit", "bidirectional", "pdpd")


@register
class Pad(Node):
    """Pad (constant, edge, reflect or symmetric) by pads_begin/pads_end elements per axis."""

    type_name, version = "Pad", "opset1"
    inputs_spec = ("arg", "pads_begin", "pads_end", "arg_pad_value?")
    factory_args = ("arg", "pads_begin", "pads_end", "pad_mode", "arg_pad_value")
    pad_mode: str = attr()
    allows_negative = False
    _MODES = ("constant", "edge", "reflect", "symmetric")  # OpenVINO's pad modes are numpy's names

    def infer(
        self, data: Output, begin: Output, end: Output, value: Output | None = None
    ) -> tuple[Type, PartialShape]:
        require(
            self.pad_mode in self._MODES,
            f"pad_mode must be one of {list(self._MODES)}, got '{self.pad_mode}'",
        )
        if value is not None:
            require_rank(value, (0,), "Pad arg_pad_value")
            require(
                value.get_element_type().compatible(data.get_element_type()),
                "arg_pad_value must have the element type of the data",
            )
        et, shape = data.get_element_type(), data.get_partial_shape()
        b_dims, e_dims = target_dims(begin, "Pad pads_begin"), target_dims(end, "Pad pads_end")
        b, e = const_ints(begin), const_ints(end)
        rank = static_rank(data)
        if rank is None:
            return et, PartialShape.dynamic(len(b_dims) if b_dims is not None else None)
        for what, pads in (("pads_begin", b_dims), ("pads_end", e_dims)):
            require(
                pads is None or len(pads) == rank, f"{what} must have {rank} values, got {len(pads or [])}"
            )
        if b is None or e is None:
            return et, PartialShape.dynamic(rank)
        return et, PartialShape([self._padded(i, d, p, q) for i, (d, p, q) in enumerate(zip(shape, b, e))])

    def _padded(self, axis: int, dim: Dimension, before: int, after: int) -> Dimension:
        require(
            self.allows_negative or min(before, after) >= 0,
            f"pads must be >= 0 in {self.type_name}-{self.version}, got {before}, {after} at axis {axis}",
        )
        if self.pad_mode in ("reflect", "symmetric") and dim.is_static:
            limit = dim.get_length() - (self.pad_mode == "reflect")
            require(
                max(before, after) <= limit,
                f"{self.pad_mode} pads {before}, {after} exceed {limit} for dimension {dim} at axis {axis}",
            )
        grown = dim + Dimension(max(before, 0) + max(after, 0))
        return grown - Dimension(-min(before, 0) - min(after, 0))

    def evaluate(
        self, data: np.ndarray, begin: np.ndarray, end: np.ndarray, value: np.ndarray | None = None
    ) -> np.ndarray:
        widths = [(max(int(b), 0), max(int(e), 0)) for b, e in zip(begin, end)]
        mode = self.pad_mode
        extra = {"constant_values": value if value is not None else 0} if mode == "constant" else {}
        out = np.pad(data, widths, mode=mode, **extra).astype(data.dtype, copy=False)
        crop = tuple(
            slice(-min(int(b), 0), out.shape[i] + min(int(e), 0)) for i, (b, e) in enumerate(zip(begin, end))
        )
        return np.ascontiguousarray(out[crop])


@register
class Pad12(Pad):
    """Pad where negative pads crop."""

    version = "opset12"
    allows_negative = True
