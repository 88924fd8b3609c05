"""Pooling: MaxPool (1, 8, 14), AvgPool (1, 14, 16), AdaptiveAvgPool and AdaptiveMaxPool (8)."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from vinopy.graph.node import Node, Output, attr, shape_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import (
    auto_pad_mode,
    check_window_attrs,
    normalize_axis,
    require,
    require_element_type,
    sliding_windows,
    window_count,
    window_output_dims,
    window_pads,
)
from vinopy.ops.registry import register


class _Pool(Node):
    """Shared attributes, shape inference and window layout of MaxPool and AvgPool."""

    inputs_spec = ("data",)
    strides: list[int] = attr()
    pads_begin: list[int] = attr()
    pads_end: list[int] = attr()
    kernel_shape: list[int] = attr(ir_name="kernel")
    roundings: ClassVar[tuple[str, ...]] = ("floor", "ceil")

    def _dilations(self) -> list[int]:
        return getattr(self, "dilations", None) or [1] * len(self.kernel_shape)

    def _spatial_shape(self, data: Output) -> tuple[Type, PartialShape]:
        et = require_element_type(data.get_element_type(), "numeric", "data")
        self.auto_pad = auto_pad_mode(self.auto_pad)
        self.rounding_type = self.rounding_type.lower()
        require(
            self.rounding_type in self.roundings,
            f"rounding_type must be one of {self.roundings}, got {self.rounding_type!r}",
        )
        ds = data.get_partial_shape()
        require(
            ds.rank.is_dynamic or len(ds) >= 3, f"data must have rank 3, 4 or 5 (N, C, spatial...), got {ds}"
        )
        n_spatial = len(ds) - 2 if ds.rank.is_static else len(self.kernel_shape)
        check_window_attrs(
            n_spatial,
            kernel_shape=self.kernel_shape,
            strides=self.strides,
            pads_begin=self.pads_begin,
            pads_end=self.pads_end,
            dilations=self._dilations(),
        )
        if ds.rank.is_dynamic:
            return et, PartialShape.dynamic(n_spatial + 2)
        spatial = window_output_dims(
            list(ds)[2:],
            self.kernel_shape,
            self.strides,
            self._dilations(),
            self.pads_begin,
            self.pads_end,
            self.auto_pad,
            self.rounding_type,
        )
        return et, PartialShape([ds[0], ds[1], *spatial])

    def _windows(self, x: np.ndarray, fill: float) -> tuple[np.ndarray, list[tuple[int, int]], list[int]]:
        """The windows view (N, C, *out, *kernel) of x padded with ``fill``, the resolved (begin, end)
        pads and the extra end pads that ceil rounding needs."""
        dilations = self._dilations()
        pads, counts, extra = [], [], []
        for n, k, s, d, b, e in zip(
            x.shape[2:], self.kernel_shape, self.strides, dilations, self.pads_begin, self.pads_end
        ):
            p = window_pads(n, k, s, d, self.auto_pad, b, e)
            count = window_count(n, k, s, d, p, self.rounding_type)
            pads.append(p)
            counts.append(count)
            extra.append(max(0, (count - 1) * s + (k - 1) * d + 1 - (n + p[0] + p[1])))
        width = [(0, 0), (0, 0)] + [(b, e + x_) for (b, e), x_ in zip(pads, extra)]
        padded = np.pad(x, width, constant_values=fill) if any(any(w) for w in width) else x
        win = sliding_windows(padded, self.kernel_shape, self.strides, dilations)
        return win[(Ellipsis, *(slice(0, c) for c in counts)) + (slice(None),) * len(counts)], pads, extra


def _lowest(dtype: np.dtype) -> float:
    """The padding value of max pooling: as in OpenVINO, the lowest finite value, which shows in
    windows that lie wholly in the padding (possible with ceil rounding)."""
    return np.finfo(dtype).min if dtype.kind == "f" else np.iinfo(dtype).min


def _flat_windows(win: np.ndarray, n_spatial: int) -> np.ndarray:
    return win.reshape(*win.shape[: 2 + n_spatial], -1)


@register
class MaxPool(_Pool):
    """Max over sliding windows; padding never wins."""

    type_name, version = "MaxPool", "opset1"
    rounding_type: str = attr("floor")
    auto_pad: str = attr("explicit")

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        return self._spatial_shape(data)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        win = self._windows(x, _lowest(x.dtype))[0]
        return win.max(axis=tuple(range(-len(self.kernel_shape), 0)))


@register
class MaxPool8(MaxPool):
    """MaxPool with dilations and a second output: the flat index of each maximum, counted over the
    dimensions from ``axis`` on."""

    type_name, version = "MaxPool", "opset8"
    dilations: list[int] = attr()
    index_element_type: Type = attr(Type.i64)
    axis: int = attr(0)
    factory_args = (
        "data",
        "strides",
        "dilations",
        "pads_begin",
        "pads_end",
        "kernel_shape",
        "rounding_type",
        "auto_pad",
        "index_element_type",
        "axis",
    )

    def infer(self, data: Output) -> list[tuple[Type, PartialShape]]:
        et, shape = self._spatial_shape(data)
        require(
            self.index_element_type in (Type.i32, Type.i64),
            f"index_element_type must be i32 or i64, got {self.index_element_type}",
        )
        self.axis = normalize_axis(self.axis, len(self.kernel_shape) + 2)
        return [(et, shape), (self.index_element_type, shape)]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        n_spatial = len(self.kernel_shape)
        plane = math.prod(x.shape[2:])
        # index within the spatial plane (0 for windows wholly in the padding, as OpenVINO has it),
        # then offset by the plane's position and counted over the dimensions from ``axis`` on
        plane_index = np.broadcast_to(np.arange(plane).reshape(1, 1, *x.shape[2:]), (1, 1, *x.shape[2:]))
        values = _flat_windows(self._windows(x, _lowest(x.dtype))[0], n_spatial)
        where = values.argmax(axis=-1)[..., np.newaxis]
        indices = np.take_along_axis(_flat_windows(self._windows(plane_index, 0)[0], n_spatial), where, -1)[
            ..., 0
        ]
        offsets = np.arange(x.shape[0] * x.shape[1]).reshape(x.shape[:2] + (1,) * n_spatial) * plane
        indices = (indices + offsets) % math.prod(x.shape[self.axis :])
        return [
            np.take_along_axis(values, where, -1)[..., 0],
            indices.astype(self.index_element_type.to_dtype()),
        ]


@register
class MaxPool14(MaxPool8):
    """MaxPool-8 with rounding_type ceil_torch (no window may start in the end padding)."""

    type_name, version = "MaxPool", "opset14"
    roundings = ("floor", "ceil", "ceil_torch")


@register
class AvgPool(_Pool):
    """Mean over sliding windows; exclude_pad leaves padding out of the divisor."""

    type_name, version = "AvgPool", "opset1"
    inputs_spec = ("data_batch",)
    exclude_pad: bool = attr(ir_name="exclude-pad")
    rounding_type: str = attr("floor")
    auto_pad: str = attr("explicit")

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        return self._spatial_shape(data)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        n_spatial = len(self.kernel_shape)
        win, pads, extra = self._windows(x, 0)
        sums = _flat_windows(win, n_spatial).sum(axis=-1)
        # the divisor: real pixels, plus the explicit padding unless excluded, never the ceil overhang
        mask = np.pad(
            np.ones((1, 1, *x.shape[2:]), dtype=x.dtype),
            [(0, 0), (0, 0)] + pads,
            constant_values=0 if self.exclude_pad else 1,
        )
        mask = np.pad(mask, [(0, 0), (0, 0)] + [(0, e) for e in extra])
        window = sliding_windows(mask, self.kernel_shape, self.strides, self._dilations())
        window = window[(Ellipsis, *(slice(0, c) for c in sums.shape[2:])) + (slice(None),) * n_spatial]
        counts = _flat_windows(window, n_spatial).sum(axis=-1)
        return (sums / np.maximum(counts, 1)).astype(x.dtype, copy=False)


@register
class AvgPool14(AvgPool):
    """AvgPool with rounding_type ceil_torch."""

    type_name, version = "AvgPool", "opset14"
    roundings = ("floor", "ceil", "ceil_torch")


@register
class AvgPool16(AvgPool14):
    """AvgPool-14 with dilations (empty: all 1); excluded padding and the ceil overhang stay out of
    the divisor as before."""

    type_name, version = "AvgPool", "opset16"
    dilations: list[int] = attr([])

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        self.dilations = self._dilations()
        return super().infer(data)


class _AdaptivePool(Node):
    inputs_spec = ("data", "output_shape")

    def _shape(self, data: Output, output_shape: Output) -> tuple[Type, PartialShape]:
        et = require_element_type(data.get_element_type(), "numeric", "data")
        require_element_type(output_shape.get_element_type(), "integer", "output_shape")
        ds, os_shape = data.get_partial_shape(), output_shape.get_partial_shape()
        require(ds.rank.is_dynamic or len(ds) in (3, 4, 5), f"data must have rank 3, 4 or 5, got {ds}")
        require(os_shape.rank.is_dynamic or len(os_shape) == 1, f"output_shape must be 1-D, got {os_shape}")
        if ds.rank.is_dynamic:
            return et, PartialShape.dynamic()
        n_spatial = len(ds) - 2
        require(
            os_shape.rank.is_dynamic or os_shape[0].compatible(n_spatial),
            f"output_shape must have {n_spatial} values for data {ds}, got shape {os_shape}",
        )
        dims = shape_value(output_shape) or [Dimension()] * n_spatial
        return et, PartialShape([ds[0], ds[1], *dims])


def _bins(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive bin bounds along one axis: [floor(i*size/out), ceil((i+1)*size/out))."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


@register
class AdaptiveAvgPool(_AdaptivePool):
    """Mean over adaptive bins, computed axis by axis from cumulative sums."""

    type_name, version = "AdaptiveAvgPool", "opset8"

    def infer(self, data: Output, output_shape: Output) -> tuple[Type, PartialShape]:
        return self._shape(data, output_shape)

    def evaluate(self, x: np.ndarray, output_shape: np.ndarray) -> np.ndarray:
        y = x.astype(np.float64)
        for axis, out in enumerate(np.asarray(output_shape).reshape(-1), start=2):
            start, end = _bins(y.shape[axis], int(out))
            sums = np.cumsum(y, axis=axis)
            sums = np.concatenate([np.zeros_like(np.take(sums, [0], axis)), sums], axis=axis)
            width = (end - start).reshape([-1] + [1] * (y.ndim - axis - 1))
            y = (np.take(sums, end, axis) - np.take(sums, start, axis)) / width
        return y.astype(x.dtype)


@register
class AdaptiveMaxPool(_AdaptivePool):
    """Max over adaptive bins, with the flat spatial index of each maximum."""

    type_name, version = "AdaptiveMaxPool", "opset8"
    index_element_type: Type = attr(Type.i64)

    def infer(self, data: Output, output_shape: Output) -> list[tuple[Type, PartialShape]]:
        require(
            self.index_element_type in (Type.i32, Type.i64),
            f"index_element_type must be i32 or i64, got {self.index_element_type}",
        )
        et, shape = self._shape(data, output_shape)
        return [(et, shape), (self.index_element_type, shape)]

    def evaluate(self, x: np.ndarray, output_shape: np.ndarray) -> list[np.ndarray]:
        spatial = x.shape[2:]
        index = np.broadcast_to(np.arange(math.prod(spatial)).reshape(spatial), x.shape)
        values = x
        # last axis first, so that ties keep the first maximum in raster order
        for axis in reversed(range(2, x.ndim)):
            start, end = _bins(values.shape[axis], int(np.asarray(output_shape).reshape(-1)[axis - 2]))
            taps = np.minimum(start[:, None] + np.arange(int((end - start).max()))[None, :], end[:, None] - 1)
            gathered = np.moveaxis(np.take(values, taps, axis), (axis, axis + 1), (-2, -1))
            where = gathered.argmax(axis=-1)[..., np.newaxis]
            values = np.moveaxis(np.take_along_axis(gathered, where, -1)[..., 0], -1, axis)
            gathered_index = np.moveaxis(np.take(index, taps, axis), (axis, axis + 1), (-2, -1))
            index = np.moveaxis(np.take_along_axis(gathered_index, where, -1)[..., 0], -1, axis)
        return [values, index.astype(self.index_element_type.to_dtype())]
