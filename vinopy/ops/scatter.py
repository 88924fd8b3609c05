"""ScatterUpdate, ScatterElementsUpdate and ScatterNDUpdate (with reductions)."""

from __future__ import annotations

from typing import Any

import numpy as np

from vinopy.graph.node import Node, NodeValidationError, Output, attr
from vinopy.graph.shape import PartialShape
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

_UFUNCS = {"sum": np.add, "prod": np.multiply, "min": np.minimum, "max": np.maximum, "sub": np.subtract}


def _data_type(data: Output, updates: Output, indices: Output, what: str) -> Type:
    require_element_type(indices.get_element_type(), "integer", f"{what} indices")
    merged = data.get_element_type().merge(updates.get_element_type())
    require(
        merged is not None,
        f"{what} data and updates must have the same element type, got "
        f"{data.get_element_type().get_type_name()} and "
        f"{updates.get_element_type().get_type_name()}",
    )
    return merged


def _check_updates(updates: Output, expected: PartialShape, what: str) -> None:
    if not updates.get_partial_shape().compatible(expected):
        raise NodeValidationError(
            f"{what} updates must have shape {expected}, got {updates.get_partial_shape()}"
        )


def _const_axis(data: Output, axis: Output, what: str) -> int | None:
    require_int_input(axis, f"{what} axis")
    value, rank = const_ints(axis), static_rank(data)
    if value is None or rank is None:
        return None
    return normalize_axis(value[0], rank, f"{what} axis")


@register
class ScatterUpdate(Node):
    """Overwrite the slices of ``data`` along ``axis`` at ``indices`` with ``updates``."""

    type_name, version = "ScatterUpdate", "opset3"
    inputs_spec = ("data", "indices", "updates", "axis")

    def infer(
        self, data: Output, indices: Output, updates: Output, axis: Output
    ) -> tuple[Type, PartialShape]:
        et = _data_type(data, updates, indices, "ScatterUpdate")
        ax = _const_axis(data, axis, "ScatterUpdate")
        d, i = data.get_partial_shape(), indices.get_partial_shape()
        if ax is not None and i.rank.is_static:
            _check_updates(updates, PartialShape(list(d[:ax]) + list(i) + list(d[ax + 1 :])), "ScatterUpdate")
        return et, d

    def evaluate(
        self, data: np.ndarray, indices: np.ndarray, updates: np.ndarray, axis: np.ndarray
    ) -> np.ndarray:
        ax = int(axis.reshape(-1)[0]) % data.ndim
        out = data.copy()
        out[(slice(None),) * ax + (wrap_negative(indices, data.shape[ax]),)] = updates
        return out


@register
class ScatterElementsUpdate(Node):
    """Write each element of ``updates`` at its own position with the ``axis`` coordinate from ``indices``."""

    type_name, version = "ScatterElementsUpdate", "opset3"
    inputs_spec = ("data", "indices", "updates", "axis")
    reductions: tuple[str, ...] = ("none",)

    def mode(self) -> tuple[str, bool]:
        return "none", True

    def infer(
        self, data: Output, indices: Output, updates: Output, axis: Output
    ) -> tuple[Type, PartialShape]:
        reduction, _ = self.mode()
        require(
            reduction in self.reductions, f"reduction must be one of {self.reductions}, got '{reduction}'"
        )
        et = _data_type(data, updates, indices, "ScatterElementsUpdate")
        _const_axis(data, axis, "ScatterElementsUpdate")
        _check_updates(updates, indices.get_partial_shape(), "ScatterElementsUpdate")
        d, i = data.get_partial_shape(), indices.get_partial_shape()
        require(
            d.rank.is_dynamic or i.rank.is_dynamic or len(d) == len(i),
            f"data and indices must have the same rank, got {d} and {i}",
        )
        return et, d

    def evaluate(
        self, data: np.ndarray, indices: np.ndarray, updates: np.ndarray, axis: np.ndarray
    ) -> np.ndarray:
        ax = int(axis.reshape(-1)[0]) % data.ndim
        coords = list(np.indices(indices.shape, sparse=True))
        coords[ax] = wrap_negative(indices, data.shape[ax])
        reduction, use_init = self.mode()
        return scatter_reduce(data, tuple(coords), updates, reduction, use_init)


def scatter_reduce(
    data: np.ndarray, where: tuple, updates: np.ndarray, reduction: str, use_init: bool = True
) -> np.ndarray:
    """``data`` with ``updates`` written (none) or reduced (sum, sub, prod, min, max, mean) at ``where``."""
    out = data.copy()
    if reduction == "none":
        out[where] = updates
        return out
    if not use_init:  # touched elements start from the reduction's identity
        out[where] = _identity(reduction, data.dtype)
    if reduction != "mean":
        _UFUNCS[reduction].at(out, where, updates)
        return out
    total = out.astype(np.float64)
    counts = np.full(data.shape, 1.0 if use_init else 0.0)
    np.add.at(total, where, updates)
    np.add.at(counts, where, 1.0)
    mean = np.where(counts > 0, total / np.maximum(counts, 1.0), total)
    return (np.floor(mean) if data.dtype.kind in "iu" else mean).astype(data.dtype)


def _identity(reduction: str, dtype: np.dtype) -> Any:
    if reduction in ("sum", "sub", "mean"):
        return 0
    if reduction == "prod":
        return 1
    info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype) if dtype.kind == "f" else None
    if info is None:
        return reduction == "min"  # booleans: True is the identity of min (and), False of max (or)
    return info.max if reduction == "min" else info.min


@register
class ScatterElementsUpdate12(ScatterElementsUpdate):
    version = "opset12"
    reductions = ("none", "sum", "prod", "min", "max", "mean")
    reduction: str = attr("none")
    use_init_val: bool = attr(True)

    def mode(self) -> tuple[str, bool]:
        return self.reduction.lower(), self.use_init_val


@register
class ScatterNDUpdate(Node):
    """Write slices of ``updates`` at the positions addressed by the last dimension of ``indices``."""

    type_name, version = "ScatterNDUpdate", "opset3"
    factory_name = "scatter_nd_update"
    inputs_spec = ("data", "indices", "updates")
    reductions: tuple[str, ...] = ("none",)

    def mode(self) -> str:
        return "none"

    def infer(self, data: Output, indices: Output, updates: Output) -> tuple[Type, PartialShape]:
        require(
            self.mode() in self.reductions, f"reduction must be one of {self.reductions}, got '{self.mode()}'"
        )
        et = _data_type(data, updates, indices, "ScatterNDUpdate")
        d, i = data.get_partial_shape(), indices.get_partial_shape()
        if d.rank.is_static and i.rank.is_static and i[-1].is_static:
            k = i[-1].get_length()
            require(k <= len(d), f"indices address {k} dims of data {d}")
            _check_updates(updates, PartialShape(list(i[:-1]) + list(d[k:])), "ScatterNDUpdate")
        return et, d

    def evaluate(self, data: np.ndarray, indices: np.ndarray, updates: np.ndarray) -> np.ndarray:
        k = indices.shape[-1]
        flat = wrap_negative(indices.reshape(-1, k), np.array(data.shape[:k]))
        rows = updates.reshape((flat.shape[0],) + data.shape[k:])
        return scatter_reduce(data, tuple(flat.T), rows, self.mode())


@register
class ScatterNDUpdate15(ScatterNDUpdate):
    version = "opset15"
    reductions = ("none", "sum", "sub", "prod", "min", "max")
    reduction: str = attr("none")

    def mode(self) -> str:
        return self.reduction.lower()
