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
    dims_product,
    map_dim,
    require,
    require_element_type,
    same_type,
    sliding_windows,
    window_output_dims,
    window_pads,
)
from vinopy.ops.registry import register


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
        return self._forward_shape(data, filters)

    def _forward_shape(self, data: Output, filters: Output) -> tuple[Type, PartialShape]:
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

    def _resolved_pads(self, spatial: tuple[int, ...], kernel: list[int]) -> tuple[list[int], list[int]]:
        """Begin and end pads for an input of this spatial size, auto_pad applied."""
        per_axis = zip(spatial, kernel, self.strides, self.dilations, self.pads_begin, self.pads_end)
        pads = [window_pads(n, k, s, d, self.auto_pad, b, e) for n, k, s, d, b, e in per_axis]
        return [p[0] for p in pads], [p[1] for p in pads]

    def evaluate(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        w = self._grouped_filters(w)
        begin, end = self._resolved_pads(x.shape[2:], list(w.shape[3:]))
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


def _bilinear_samples(x: np.ndarray, y_pos: np.ndarray, x_pos: np.ndarray, zero_pad: bool) -> np.ndarray:
    """Bilinear samples of x (N, DG, C', H, W) at positions (N, DG, taps, P) -> (N, DG, C', taps, P).
    As OpenVINO: with ``zero_pad`` points in (-1, H) x (-1, W) count and outside pixels are 0;
    without it only points in [0, H) x [0, W) count and the last row and column repeat."""
    n, dg, c, h, w = x.shape
    if zero_pad:
        valid = (y_pos > -1) & (y_pos < h) & (x_pos > -1) & (x_pos < w)
    else:
        valid = (y_pos >= 0) & (y_pos < h) & (x_pos >= 0) & (x_pos < w)
    y0, x0 = np.floor(y_pos), np.floor(x_pos)
    ly, lx = y_pos - y0, x_pos - x0
    flat = x.reshape(n, dg, c, h * w)
    total = np.zeros((n, dg, c) + y_pos.shape[2:], dtype=np.result_type(x, y_pos))
    for dy, dx, weight in (
        (0, 0, (1 - ly) * (1 - lx)),
        (0, 1, (1 - ly) * lx),
        (1, 0, ly * (1 - lx)),
        (1, 1, ly * lx),
    ):
        yy, xx = (y0 + dy).astype(np.int64), (x0 + dx).astype(np.int64)
        if zero_pad:
            weight = weight * ((yy >= 0) & (yy < h) & (xx >= 0) & (xx < w))
        index = np.clip(yy, 0, h - 1) * w + np.clip(xx, 0, w - 1)
        taken = np.take_along_axis(flat, index.reshape(n, dg, 1, -1), axis=3)
        total += taken.reshape(total.shape) * (weight * valid)[:, :, np.newaxis]
    return total


@register
class DeformableConvolution(_Convolution):
    """2-D convolution whose taps sample the data at learned offsets (bilinearly), optionally
    scaled by a mask. offsets: (N, DG*2*kh*kw, OH, OW) as (dy, dx) pairs per tap; mask:
    (N, DG*kh*kw, OH, OW); filters (O, C/group, kh, kw)."""

    type_name, version = "DeformableConvolution", "opset8"
    inputs_spec = ("data", "offsets", "filters", "mask?")
    group: int = attr(1)
    deformable_group: int = attr(1)
    bilinear_interpolation_pad: bool = attr(False)
    factory_args = (
        "data", "offsets", "filters", "strides", "pads_begin", "pads_end", "dilations", "mask", "auto_pad",
        "group", "deformable_group", "bilinear_interpolation_pad",
    )  # fmt: skip

    def infer(
        self, data: Output, offsets: Output, filters: Output, mask: Output | None = None
    ) -> tuple[Type, PartialShape]:
        require(self.group >= 1 and self.deformable_group >= 1, "group and deformable_group must be positive")
        require(
            data.get_partial_shape().rank.compatible(4), f"data must be 4-D, got {data.get_partial_shape()}"
        )
        et, shape = self._forward_shape(data, filters)
        fs = filters.get_partial_shape()
        taps = dims_product(list(fs)[2:]) if fs.rank.is_static else Dimension()
        for name, port, per_tap in (("offsets", offsets, 2), ("mask", mask, 1)):
            if port is None:
                continue
            same_type(port, data, what=f"data and {name}")
            if shape.rank.is_dynamic:
                continue
            expected = PartialShape([shape[0], taps * (per_tap * self.deformable_group), *list(shape)[2:]])
            require(
                port.get_partial_shape().compatible(expected),
                f"{name} must have shape {expected} (batch, {per_tap}*deformable_group*taps, output "
                f"spatial), got {port.get_partial_shape()}",
            )
        return et, shape

    def _channels(self, fs: PartialShape, output: bool) -> Dimension:
        return fs[0] if output else fs[1] * self.group

    def evaluate(
        self, x: np.ndarray, offsets: np.ndarray, w: np.ndarray, mask: np.ndarray | None = None
    ) -> np.ndarray:
        n, c = x.shape[:2]
        out_channels, cg, kh, kw = w.shape
        dg, taps, out = self.deformable_group, kh * kw, offsets.shape[2:]
        begin, _ = self._resolved_pads(x.shape[2:], [kh, kw])
        grid = [
            np.arange(o)[np.newaxis, :] * s - b + np.arange(k)[:, np.newaxis] * d
            for o, s, b, k, d in zip(out, self.strides, begin, (kh, kw), self.dilations)
        ]  # per axis: (kernel, out) sampling positions before offsets
        base_y = np.broadcast_to(grid[0][:, np.newaxis, :, np.newaxis], (kh, kw, *out)).reshape(taps, -1)
        base_x = np.broadcast_to(grid[1][np.newaxis, :, np.newaxis, :], (kh, kw, *out)).reshape(taps, -1)
        shifts = offsets.reshape(n, dg, taps, 2, -1)
        samples = _bilinear_samples(
            x.reshape(n, dg, c // dg, *x.shape[2:]),
            base_y + shifts[:, :, :, 0],
            base_x + shifts[:, :, :, 1],
            self.bilinear_interpolation_pad,
        )  # (N, DG, C/DG, taps, P)
        if mask is not None:
            samples = samples * mask.reshape(n, dg, 1, taps, -1)
        groups = self.group
        cols = (
            samples.reshape(n, groups, cg, taps, -1).transpose(1, 0, 4, 2, 3).reshape(groups, -1, cg * taps)
        )
        y = np.matmul(cols, w.reshape(groups, out_channels // groups, -1).transpose(0, 2, 1))
        y = y.reshape(groups, n, *out, -1).transpose(1, 0, 4, 2, 3).reshape(n, out_channels, *out)
        return y.astype(x.dtype, copy=False)
