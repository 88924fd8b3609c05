"""Interpolate (opset1, opset4, opset11): resampling of chosen axes, separable per axis.

Every mode is written as, for each axis, an index array ``[out, K]`` into the (padded) input and
a weight array of the same shape; the kernel gathers along the axis and sums the weighted taps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from vinopy.graph.node import Node, Output, attr, const_value, shape_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import normalize_axes, require, require_element_type
from vinopy.ops.registry import register

# OpenVINO computes scaled sizes as floor(len * scale + eps) so that e.g. 3 * (1/3 * 3) stays 3
_SCALE_EPS = 1e-5

Coordinate = Callable[[np.ndarray, float, int, int], np.ndarray]

# output index -> input coordinate, given (x, scale, in_len, out_len)
_COORDINATES: dict[str, Coordinate] = {
    "half_pixel": lambda x, s, n, m: (x + 0.5) / s - 0.5,
    "pytorch_half_pixel": lambda x, s, n, m: (x + 0.5) / s - 0.5 if m > 1 else np.zeros_like(x),
    "asymmetric": lambda x, s, n, m: x / s,
    "tf_half_pixel_for_nn": lambda x, s, n, m: (x + 0.5) / s,
    "align_corners": lambda x, s, n, m: x * (n - 1) / (m - 1) if m > 1 else np.zeros_like(x),
}


def _round_half(x: np.ndarray, prefer_ceil: bool) -> np.ndarray:
    halves = x - np.floor(x) == 0.5
    return np.where(halves, np.ceil(x) if prefer_ceil else np.floor(x), np.round(x))


# input coordinate -> nearest input index, given (x, scale)
_NEAREST: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "round_prefer_floor": lambda x, s: _round_half(x, False),
    "round_prefer_ceil": lambda x, s: _round_half(x, True),
    "floor": lambda x, s: np.floor(x),
    "ceil": lambda x, s: np.ceil(x),
    "simple": lambda x, s: np.ceil(x) if s < 1 else np.trunc(x),
}


def _triangle(d: np.ndarray, a: float) -> np.ndarray:
    return np.maximum(0.0, 1.0 - np.abs(d))


def _cubic(d: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel with coefficient ``a``."""
    d = np.abs(d)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return np.where(d <= 1, near, np.where(d < 2, far, 0.0))


# mode -> (kernel, support radius, outside policy, always antialiased, fixed coordinate mode)
# "clamp" repeats the edge sample; "exclude" drops taps outside and renormalizes the rest
_FILTERS: dict[str, tuple[Any, float, str, bool, str | None]] = {
    "linear_onnx": (_triangle, 1.0, "clamp", False, None),
    "linear": (_triangle, 1.0, "exclude", False, None),
    "cubic": (_cubic, 2.0, "clamp", False, None),
    "bilinear_pillow": (_triangle, 1.0, "exclude", True, "half_pixel"),
    "bicubic_pillow": (_cubic, 2.0, "exclude", True, "half_pixel"),
}
MODES_V4 = ("nearest", "linear", "linear_onnx", "cubic")
MODES_V11 = MODES_V4 + ("bilinear_pillow", "bicubic_pillow")


def _nearest_taps(
    x: np.ndarray, scale: float, in_len: int, nearest_mode: str
) -> tuple[np.ndarray, np.ndarray]:
    idx = np.clip(_NEAREST[nearest_mode](x, scale), 0, in_len - 1).astype(np.int64)
    return idx[:, None], np.ones((len(idx), 1))


def _filter_taps(
    mode: str, x: np.ndarray, scale: float, in_len: int, antialias: bool, cube_coeff: float
) -> tuple[np.ndarray, np.ndarray]:
    kernel, support, outside, always_aa, _ = _FILTERS[mode]
    antialias = (antialias and mode == "linear") or always_aa
    stretch = min(scale, 1.0) if antialias else 1.0
    radius = support / stretch
    first = np.floor(x - radius) + 1
    idx = first[:, None] + np.arange(int(np.ceil(2 * radius)) + 1)
    weights = kernel((idx - x[:, None]) * stretch, cube_coeff)
    if outside == "exclude":
        weights = np.where((idx >= 0) & (idx < in_len), weights, 0.0)
    if outside == "exclude" or antialias:
        total = weights.sum(axis=1, keepdims=True)
        weights = weights / np.where(total == 0, 1.0, total)
    return np.clip(idx, 0, in_len - 1).astype(np.int64), weights


def resample(
    data: np.ndarray,
    axes: list[int],
    sizes: list[int],
    scales: list[float],
    mode: str,
    coordinate_mode: str,
    nearest_mode: str = "round_prefer_floor",
    antialias: bool = False,
    cube_coeff: float = -0.75,
) -> np.ndarray:
    """Resize ``data`` along ``axes`` to ``sizes``; ``scales`` drive the coordinate transform."""
    out = data.astype(np.float64)
    for axis, size, scale in zip(axes, sizes, scales):
        in_len = out.shape[axis]
        fixed = _FILTERS[mode][4] if mode in _FILTERS else None
        x = _COORDINATES[fixed or coordinate_mode](np.arange(size, dtype=np.float64), scale, in_len, size)
        if mode == "nearest":
            idx, weights = _nearest_taps(x, scale, in_len, nearest_mode)
        else:
            idx, weights = _filter_taps(mode, x, scale, in_len, antialias, cube_coeff)
        taps = np.take(out, idx, axis=axis)  # axis becomes (size, K)
        w_shape = [1] * out.ndim + [1]
        w_shape[axis], w_shape[axis + 1] = weights.shape
        out = (taps * weights.reshape(w_shape)).sum(axis=axis + 1)
    if np.issubdtype(data.dtype, np.integer):
        info = np.iinfo(data.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(data.dtype)


def _pads(pads: list[int], rank: int) -> list[int]:
    return (list(pads) + [0] * rank)[:rank]


def _pad(data: np.ndarray, pads_begin: list[int], pads_end: list[int]) -> np.ndarray:
    begin, end = _pads(pads_begin, data.ndim), _pads(pads_end, data.ndim)
    if not any(begin) and not any(end):
        return data
    return np.pad(data, list(zip(begin, end)))


def _padded_shape(shape: PartialShape, pads_begin: list[int], pads_end: list[int]) -> list[Dimension]:
    rank = len(shape)
    return [d + b + e for d, b, e in zip(shape, _pads(pads_begin, rank), _pads(pads_end, rank))]


def _scaled(dim: Dimension, scale: float) -> Dimension:
    if dim.is_static:
        return Dimension(int(np.floor(dim.get_length() * scale + _SCALE_EPS)))
    return Dimension()


def _axes_value(node: Node, axes: Output | None, rank: int) -> list[int] | None:
    """The interpolated axes: the axes input's value, or all axes when it is absent."""
    if axes is None:
        return list(range(rank))
    value = const_value(axes)
    return None if value is None else normalize_axes(value.reshape(-1), rank, f"{node.type_name} axes")


class InterpolateBase(Node):
    """Shared inference and evaluation of Interpolate-4 and Interpolate-11."""

    mode: str = attr()
    shape_calculation_mode: str = attr()
    pads_begin: list[int] = attr([0])
    pads_end: list[int] = attr([0])
    coordinate_transformation_mode: str = attr("half_pixel")
    nearest_mode: str = attr("round_prefer_floor")
    antialias: bool = attr(False)
    cube_coeff: float = attr(-0.75)

    modes: tuple[str, ...] = MODES_V4

    def _check_attrs(self) -> None:
        require(self.mode in self.modes, f"mode must be one of {list(self.modes)}, got '{self.mode}'")
        require(
            self.shape_calculation_mode in ("sizes", "scales"),
            f"shape_calculation_mode must be 'sizes' or 'scales', got '{self.shape_calculation_mode}'",
        )
        require(
            self.coordinate_transformation_mode in _COORDINATES,
            f"coordinate_transformation_mode must be one of {list(_COORDINATES)}, "
            f"got '{self.coordinate_transformation_mode}'",
        )
        require(
            self.nearest_mode in _NEAREST,
            f"nearest_mode must be one of {list(_NEAREST)}, got '{self.nearest_mode}'",
        )

    def _infer_shape(self, data: Output, target: Output, axes: Output | None) -> tuple[Type, PartialShape]:
        self._check_attrs()
        et = require_element_type(data.get_element_type(), "numeric", "Interpolate data")
        shape = data.get_partial_shape()
        if shape.rank.is_dynamic:
            return et, shape
        rank = len(shape)
        out = _padded_shape(shape, self.pads_begin, self.pads_end)
        axes_list = _axes_value(self, axes, rank)
        if axes_list is None:
            return et, PartialShape.dynamic(rank)
        target_shape = target.get_partial_shape()
        if target_shape.rank.is_static and target_shape[0].is_static:
            require(
                target_shape[0].get_length() == len(axes_list),
                f"{self.shape_calculation_mode} must have one value per axis ({len(axes_list)}), "
                f"got shape {target_shape}",
            )
        for axis, dim in zip(axes_list, self._target_dims(target, out, axes_list)):
            out[axis] = dim
        return et, PartialShape(out)

    def _target_dims(self, target: Output, padded: list[Dimension], axes: list[int]) -> list[Dimension]:
        if self.shape_calculation_mode == "sizes":
            dims = shape_value(target)
            return dims if dims is not None else [Dimension() for _ in axes]
        scales = const_value(target)
        if scales is None:
            return [Dimension() for _ in axes]
        return [_scaled(padded[a], float(s)) for a, s in zip(axes, scales.reshape(-1))]

    def _run(self, data: np.ndarray, target: np.ndarray, axes: np.ndarray | None) -> np.ndarray:
        padded = _pad(data, self.pads_begin, self.pads_end)
        axes_list = list(range(data.ndim)) if axes is None else normalize_axes(axes.reshape(-1), data.ndim)
        lengths = [padded.shape[a] for a in axes_list]
        target = np.asarray(target).reshape(-1)
        if self.shape_calculation_mode == "sizes":
            sizes = [int(v) for v in target]
            scales = [s / n for s, n in zip(sizes, lengths)]
        else:
            scales = [float(v) for v in target]
            sizes = [int(np.floor(n * s + _SCALE_EPS)) for n, s in zip(lengths, scales)]
        return resample(
            padded,
            axes_list,
            sizes,
            scales,
            self.mode,
            self.coordinate_transformation_mode,
            self.nearest_mode,
            self.antialias,
            self.cube_coeff,
        )


@register
class Interpolate4(InterpolateBase):
    """Interpolate-4: output sizes and scales both given; shape_calculation_mode says which counts."""

    type_name, version = "Interpolate", "opset4"
    inputs_spec = ("image", "output_shape", "scales", "axes?")
    factory_args = (
        "image",
        "output_shape",
        "scales",
        *InterpolateBase.attrs,
        "axes",
    )  # OpenVINO puts axes last

    def infer(self, data: Output, sizes: Output, scales: Output, axes: Output | None = None) -> Any:
        target = sizes if self.shape_calculation_mode == "sizes" else scales
        return self._infer_shape(data, target, axes)

    def evaluate(
        self, data: np.ndarray, sizes: np.ndarray, scales: np.ndarray, axes: np.ndarray | None = None
    ) -> np.ndarray:
        return self._run(data, sizes if self.shape_calculation_mode == "sizes" else scales, axes)


@register
class Interpolate11(InterpolateBase):
    """Interpolate-11: one ``scales_or_sizes`` input; adds the Pillow-compatible modes."""

    type_name, version = "Interpolate", "opset11"
    inputs_spec = ("image", "scales_or_sizes", "axes?")
    factory_args = ("image", "scales_or_sizes", *InterpolateBase.attrs, "axes")
    modes = MODES_V11

    def infer(self, data: Output, target: Output, axes: Output | None = None) -> Any:
        return self._infer_shape(data, target, axes)

    def evaluate(self, data: np.ndarray, target: np.ndarray, axes: np.ndarray | None = None) -> np.ndarray:
        return self._run(data, target, axes)


# Interpolate-1 mode -> (Interpolate-4 mode, nearest mode); coordinates are asymmetric unless
# align_corners, and antialias has no effect, as in OpenVINO
_V1_MODES = {
    "nearest": ("nearest", "simple"),
    "linear": ("linear_onnx", "floor"),
    "cubic": ("cubic", "floor"),
}


@register
class Interpolate1(Node):
    """Interpolate-1: ``interpolate(image, output_shape, attrs)`` with attrs a dict of axes, mode,
    align_corners, antialias, pads_begin, pads_end; output_shape holds the sizes of ``axes``."""

    type_name, version = "Interpolate", "opset1"
    inputs_spec = ("image", "output_shape")
    axes: list[int] = attr()
    mode: str = attr()
    align_corners: bool = attr(False)
    antialias: bool = attr(False)
    pads_begin: list[int] = attr([0])
    pads_end: list[int] = attr([0])

    @classmethod
    def factory(cls, image: Any, output_shape: Any, attrs: dict[str, Any], name: str | None = None) -> Node:
        return cls(image, output_shape, name=name, **attrs)

    def infer(self, data: Output, sizes: Output) -> tuple[Type, PartialShape]:
        require(self.mode in _V1_MODES, f"mode must be one of {list(_V1_MODES)}, got '{self.mode}'")
        et = require_element_type(data.get_element_type(), "numeric", "Interpolate data")
        shape = data.get_partial_shape()
        if shape.rank.is_dynamic:
            return et, shape
        out = _padded_shape(shape, self.pads_begin, self.pads_end)
        axes = normalize_axes(self.axes, len(shape), "Interpolate axes")
        dims = shape_value(sizes) or [Dimension() for _ in axes]
        require(
            len(dims) == len(axes),
            f"output_shape must have one value per axis ({len(axes)}), got {len(dims)}",
        )
        for axis, dim in zip(axes, dims):
            out[axis] = dim
        return et, PartialShape(out)

    def evaluate(self, data: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        padded = _pad(data, self.pads_begin, self.pads_end)
        axes = normalize_axes(self.axes, data.ndim)
        sizes_list = [int(v) for v in np.asarray(sizes).reshape(-1)]
        scales = [s / padded.shape[a] for a, s in zip(axes, sizes_list)]
        mode, nearest = _V1_MODES[self.mode]
        coordinates = "align_corners" if self.align_corners else "asymmetric"
        return resample(padded, axes, sizes_list, scales, mode, coordinates, nearest)
