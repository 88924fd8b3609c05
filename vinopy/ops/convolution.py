"""Convolution, GroupConvolution and their transposes (ConvolutionBackpropData,
GroupConvolutionBackpropData): 1-D, 2-D and 3-D, as im2col + batched matmul over groups."""

from __future__ import annotations

import itertools
import math
from functools import partial
from typing import ClassVar

import numpy as np

from vinopy.graph.node import Node, Output, attr, shape_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import (
    auto_pad_mode,
    check_window_attrs,
    map_dim,
    require,
    require_element_type,
    same_type,
    sliding_windows,
    window_output_dims,
    window_pads,
)
from vinopy.ops.registry import register


def _product(dims: list[Dimension]) -> Dimension:
    result = Dimension(1)
    for d in dims:
        result = result * d
    return result


def _pad(x: np.ndarray, pads_begin: list[int], pads_end: list[int], value: float = 0) -> np.ndarray:
    if not any(pads_begin) and not any(pads_end):
        return x
    return np.pad(x, [(0, 0), (0, 0)] + list(zip(pads_begin, pads_end)), constant_values=value)


def convolve(
    x: np.ndarray,
    w: np.ndarray,
    strides: list[int],
    dilations: list[int],
    pads_begin: list[int],
    pads_end: list[int],
) -> np.ndarray:
    """Grouped convolution of x (N, G*Cg, *spatial) with w (G, Og, Cg, *kernel) -> (N, G*Og, *out)."""
    groups, og, cg, *kernel = w.shape
    nd = len(kernel)
    win = sliding_windows(_pad(x, pads_begin, pads_end), kernel, strides, dilations)
    n, out = x.shape[0], win.shape[2 : 2 + nd]
    win = win.reshape(n, groups, cg, *win.shape[2:])
    # im2col per group: (G, N*pixels, Cg*taps), then one batched matmul with the filters
    order = (1, 0, *range(3, 3 + nd), 2, *range(3 + nd, 3 + 2 * nd))
    cols = win.transpose(order).reshape(groups, n * math.prod(out), cg * math.prod(kernel))
    y = np.matmul(cols, w.reshape(groups, og, -1).transpose(0, 2, 1))
    y = y.reshape(groups, n, *out, og).transpose(1, 0, 2 + nd, *range(2, 2 + nd))
    return y.reshape(n, groups * og, *out)


def convolve_transposed(
    x: np.ndarray,
    w: np.ndarray,
    strides: list[int],
    dilations: list[int],
    pads_begin: list[int],
    out_size: list[int],
) -> np.ndarray:
    """Grouped transposed convolution of x (N, G*Ci, *in) with w (G, Ci, Co, *kernel): every input
    pixel scatters Co*taps values; ``out_size`` pixels are kept starting at ``pads_begin``."""
    groups, ci, co, *kernel = w.shape
    n, in_size, nd = x.shape[0], list(x.shape[2:]), len(kernel)
    xg = x.reshape(n, groups, ci, -1).transpose(1, 0, 3, 2).reshape(groups, -1, ci)
    cols = np.matmul(xg, w.reshape(groups, ci, -1))  # (G, N*pixels, Co*taps)
    cols = cols.reshape(groups, n, *in_size, co, *kernel)
    cols = cols.transpose(1, 0, 2 + nd, *range(3 + nd, 3 + 2 * nd), *range(2, 2 + nd))
    full = [s * (i - 1) + (k - 1) * d + 1 for s, i, k, d in zip(strides, in_size, kernel, dilations)]
    lo = [min(0, p) for p in pads_begin]
    hi = [max(f, p + o) for f, p, o in zip(full, pads_begin, out_size)]
    buf = np.zeros((n, groups, co, *(h - low for h, low in zip(hi, lo))), dtype=x.dtype)
    for tap in itertools.product(*(range(k) for k in kernel)):
        starts = [t * d - low for t, d, low in zip(tap, dilations, lo)]
        index = tuple(slice(b, b + s * (i - 1) + 1, s) for b, s, i in zip(starts, strides, in_size))
        buf[(Ellipsis, *index)] += cols[(slice(None),) * 3 + tap]
    crop = tuple(slice(p - low, p - low + o) for p, low, o in zip(pads_begin, lo, out_size))
    return buf[(Ellipsis, *crop)].reshape(n, groups * co, *out_size)


class _ConvolutionBase(Node):
    """Shared attributes and checks. Filters are read as (G, A, B, *kernel): ``grouped`` ops have
    the leading G axis; for forward ops A, B = out, in channels, for transposed ops in, out."""

    inputs_spec = ("data", "filters")
    strides: list[int] = attr()
    pads_begin: list[int] = attr()
    pads_end: list[int] = attr()
    dilations: list[int] = attr()
    auto_pad: str = attr("explicit")
    grouped: ClassVar[bool] = False
    transposed: ClassVar[bool] = False

    def _check(self, data: Output, filters: Output) -> tuple[Type, int | None]:
        """The element type and the number of spatial axes (None while ranks are dynamic)."""
        et = require_element_type(same_type(data, filters, what="data and filters"), "numeric")
        self.auto_pad = auto_pad_mode(self.auto_pad)
        ds, fs = data.get_partial_shape(), filters.get_partial_shape()
        extra = 3 if self.grouped else 2
        n_spatial = len(ds) - 2 if ds.rank.is_static else (len(fs) - extra if fs.rank.is_static else None)
        if n_spatial is None:
            return et, None
        require(n_spatial >= 1, f"data must have rank 3, 4 or 5 (N, C, spatial...), got {ds}")
        require(
            fs.rank.is_dynamic or len(fs) == n_spatial + extra,
            f"filters must have rank {n_spatial + extra} for data of rank {n_spatial + 2}, got {fs}",
        )
        self._fill_defaults(n_spatial)
        check_window_attrs(
            n_spatial,
            strides=self.strides,
            pads_begin=self.pads_begin,
            pads_end=self.pads_end,
            dilations=self.dilations,
        )
        if ds.rank.is_static and fs.rank.is_static:
            expected = self._channels(fs, output=False)
            require(
                ds[1].compatible(expected),
                f"data has {ds[1]} channels but filters {fs} expect {expected} input channels",
            )
        return et, n_spatial

    def _fill_defaults(self, n_spatial: int) -> None:
        """Optional per-axis attributes left empty take their neutral value."""
        self.pads_begin = self.pads_begin or [0] * n_spatial
        self.pads_end = self.pads_end or [0] * n_spatial
        self.dilations = self.dilations or [1] * n_spatial

    def _channels(self, fs: PartialShape, output: bool) -> Dimension:
        """Input or output channels that the filters' shape implies."""
        forward_out = output != self.transposed
        axis = 0 if forward_out else 1
        if not self.grouped:
            return fs[axis]
        return fs[0] * fs[1 + axis]

    def _kernel(self, fs: PartialShape) -> list[int] | None:
        spatial = list(fs)[3 if self.grouped else 2 :]
        return [d.get_length() for d in spatial] if all(d.is_static for d in spatial) else None

    def _grouped_filters(self, w: np.ndarray) -> np.ndarray:
        return w if self.grouped else w[np.newaxis]


class _Convolution(_ConvolutionBase):
    def infer(self, data: Output, filters: Output) -> tuple[Type, PartialShape]:
        et, n_spatial = self._check(data, filters)
        if n_spatial is None:
            return et, PartialShape.dynamic()
        ds, fs = data.get_partial_shape(), filters.get_partial_shape()
        batch = ds[0] if ds.rank.is_static else Dimension()
        channels = self._channels(fs, output=True) if fs.rank.is_static else Dimension()
        kernel = self._kernel(fs) if fs.rank.is_static else None
        if ds.rank.is_dynamic or kernel is None:
            return et, PartialShape([batch, channels] + [Dimension()] * n_spatial)
        spatial = window_output_dims(
            list(ds)[2:], kernel, self.strides, self.dilations, self.pads_begin, self.pads_end, self.auto_pad
        )
        return et, PartialShape([batch, channels, *spatial])

    def evaluate(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        w = self._grouped_filters(w)
        kernel = list(w.shape[3:])
        pads = [
            window_pads(n, k, s, d, self.auto_pad, b, e)
            for n, k, s, d, b, e in zip(
                x.shape[2:], kernel, self.strides, self.dilations, self.pads_begin, self.pads_end
            )
        ]
        begin, end = [p[0] for p in pads], [p[1] for p in pads]
        return convolve(x, w, self.strides, self.dilations, begin, end).astype(x.dtype, copy=False)


@register
class Convolution(_Convolution):
    """Convolution of data (N, C, *spatial) with filters (O, C, *kernel)."""

    type_name, version = "Convolution", "opset1"


@register
class GroupConvolution(_Convolution):
    """Grouped convolution with filters (G, O/G, C/G, *kernel); G == C is depthwise."""

    type_name, version = "GroupConvolution", "opset1"
    grouped = True


class _BackpropData(_ConvolutionBase):
    inputs_spec = ("data", "filters", "output_shape?")
    pads_begin: list[int] = attr([])
    pads_end: list[int] = attr([])
    dilations: list[int] = attr([])
    output_padding: list[int] = attr([])
    transposed = True
    factory_args = (
        "data",
        "filters",
        "strides",
        "output_shape",
        "pads_begin",
        "pads_end",
        "dilations",
        "auto_pad",
        "output_padding",
    )

    def _fill_defaults(self, n_spatial: int) -> None:
        super()._fill_defaults(n_spatial)
        self.output_padding = self.output_padding or [0] * n_spatial
        check_window_attrs(n_spatial, output_padding=self.output_padding)

    def infer(
        self, data: Output, filters: Output, output_shape: Output | None = None
    ) -> tuple[Type, PartialShape]:
        et, n_spatial = self._check(data, filters)
        if output_shape is not None:
            require_element_type(output_shape.get_element_type(), "integer", "output_shape")
            os_shape = output_shape.get_partial_shape()
            require(
                os_shape.rank.is_dynamic or len(os_shape) == 1,
                f"output_shape must be a 1-D tensor, got shape {os_shape}",
            )
            if n_spatial is None and os_shape.rank.is_static and os_shape[0].is_static:
                n_spatial = os_shape[0].get_length()
        if n_spatial is None:
            return et, PartialShape.dynamic()
        ds, fs = data.get_partial_shape(), filters.get_partial_shape()
        batch = ds[0] if ds.rank.is_static else Dimension()
        channels = self._channels(fs, output=True) if fs.rank.is_static else Dimension()
        return et, PartialShape([batch, channels, *self._spatial(ds, fs, n_spatial, output_shape)])

    def _spatial(
        self, ds: PartialShape, fs: PartialShape, n_spatial: int, output_shape: Output | None
    ) -> list[Dimension]:
        if output_shape is not None:
            dims = shape_value(output_shape)
            if dims is not None:
                require(
                    len(dims) == n_spatial,
                    f"output_shape must have {n_spatial} value(s), one per spatial axis, got {len(dims)}",
                )
                return dims
            return [Dimension()] * n_spatial
        kernel = self._kernel(fs) if fs.rank.is_static else None
        if ds.rank.is_dynamic or kernel is None:
            return [Dimension()] * n_spatial
        return [
            map_dim(dim, partial(self._size_without_output_shape, axis, kernel[axis]))
            for axis, dim in enumerate(list(ds)[2:])
        ]

    def _size_without_output_shape(self, axis: int, kernel: int, size: int) -> int:
        """strides * (size - 1) + dilated kernel - pads + output_padding; auto_pad other than explicit
        means no pads here."""
        pads = self.pads_begin[axis] + self.pads_end[axis] if self.auto_pad == "explicit" else 0
        extent = (kernel - 1) * self.dilations[axis] + 1
        return self.strides[axis] * (max(size, 1) - 1) + extent - pads + self.output_padding[axis]

    def evaluate(self, x: np.ndarray, w: np.ndarray, output_shape: np.ndarray | None = None) -> np.ndarray:
        w = self._grouped_filters(w)
        kernel = list(w.shape[3:])
        in_size = list(x.shape[2:])
        full = [
            s * (i - 1) + (k - 1) * d + 1 for s, i, k, d in zip(self.strides, in_size, kernel, self.dilations)
        ]
        if output_shape is not None:
            out = [int(v) for v in np.asarray(output_shape).reshape(-1)]
            begin = self._begin_pads_for(out, full)
        else:
            explicit = self.auto_pad == "explicit"
            begin = list(self.pads_begin) if explicit else [0] * len(kernel)
            end = list(self.pads_end) if explicit else [0] * len(kernel)
            out = [f - b - e + p for f, b, e, p in zip(full, begin, end, self.output_padding)]
        y = convolve_transposed(x, w, self.strides, self.dilations, begin, out)
        return y.astype(x.dtype, copy=False)

    def _begin_pads_for(self, out: list[int], full: list[int]) -> list[int]:
        """Begin pads that give the requested output size: split as auto_pad says (explicit
        keeps pads_begin)."""
        if self.auto_pad == "explicit":
            return list(self.pads_begin)
        if self.auto_pad == "valid":
            return [0] * len(out)
        totals = [f - o + p for f, o, p in zip(full, out, self.output_padding)]
        if self.auto_pad == "same_upper":
            return [t // 2 for t in totals]
        return [t - t // 2 for t in totals]


@register
class ConvolutionBackpropData(_BackpropData):
    """Transposed convolution of data (N, C, *spatial) with filters (C, O, *kernel)."""

    type_name, version = "ConvolutionBackpropData", "opset1"


@register
class GroupConvolutionBackpropData(_BackpropData):
    """Grouped transposed convolution with filters (G, C/G, O/G, *kernel)."""

    type_name, version = "GroupConvolutionBackpropData", "opset1"
    grouped = True
