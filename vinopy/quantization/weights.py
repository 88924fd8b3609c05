"""Integer weights and the decompression subgraph OpenVINO recognises for them:

    Constant(i8|u8|i4|u4) -> Convert(float) [-> Subtract(Convert(zero point))] -> Multiply(scale)
        [-> Reshape to the original shape, for per-group scales]

This is what NNCF writes for OpenVINO (``quantize`` after its weight compression transformation,
and ``compress_weights``), and what the CPU plugin's low-precision transformations match to run
int8 kernels: the weights of quantized layers are stored as integers, not as float + FakeQuantize.
"""

from __future__ import annotations

from dataclasses import dataclass

import ml_dtypes
import numpy as np

from vinopy import opset13 as ops
from vinopy.graph.node import Output
from vinopy.graph.types import Type

_STORAGE = {
    (8, True): np.dtype(np.int8),
    (8, False): np.dtype(np.uint8),
    (4, True): np.dtype(ml_dtypes.int4),
    (4, False): np.dtype(ml_dtypes.uint4),
}


@dataclass(frozen=True)
class IntWeight:
    """``(values - zero_point) * scale`` gives the weight back; ``shape`` is the original shape when
    ``values`` is grouped (one scale per group of input channels)."""

    values: np.ndarray
    scale: np.ndarray
    zero_point: np.ndarray | None
    shape: tuple[int, ...]

    def dequantize(self, dtype: np.dtype | type = np.float32) -> np.ndarray:
        values = self.values.astype(np.float32)
        if self.zero_point is not None:
            values = values - self.zero_point.astype(np.float32)
        return (values * self.scale).reshape(self.shape).astype(dtype)


def _storage(bits: int, signed: bool) -> np.dtype:
    return _STORAGE[(bits, signed)]


def quantize_symmetric(
    w: np.ndarray,
    reduce_axes: tuple[int, ...],
    bits: int,
    narrow: bool,
    shape: tuple[int, ...] | None = None,
    half_range: bool = False,
) -> IntWeight:
    """Signed levels ``-q..q`` (narrow) or ``-(q+1)..q`` with ``q = 2**(bits-1) - 1``; the scale maps
    ``max|w|`` to the most negative level, so per channel no weight is clipped.

    ``half_range`` (the overflow fix) halves the 8-bit narrow grid as NNCF does: the scale is
    ``max|w| / 63.5`` and the levels ``-63..63``, the extreme weights clipped by half a step."""
    q = 2 ** (bits - 1) - 1
    low = -q if narrow else -q - 1
    divisor = -low
    if half_range:
        divisor = divisor / 2
        q = int(divisor)
        low = -q
    absmax = np.abs(w).max(axis=reduce_axes, keepdims=True).astype(np.float32)
    scale = np.where(absmax > 0, absmax / divisor, 1.0).astype(np.float32)
    values = np.clip(np.round(w / scale), low, q).astype(np.int8).astype(_storage(bits, True))
    return IntWeight(values, scale, None, shape or w.shape)


def quantize_asymmetric(
    w: np.ndarray, reduce_axes: tuple[int, ...], bits: int, shape: tuple[int, ...] | None = None
) -> IntWeight:
    """Unsigned levels ``0..2**bits - 1`` over ``[min(w, 0), max(w, 0)]`` with an integer zero point."""
    top = 2**bits - 1
    lo = np.minimum(w.min(axis=reduce_axes, keepdims=True), 0).astype(np.float32)
    hi = np.maximum(w.max(axis=reduce_axes, keepdims=True), 0).astype(np.float32)
    scale = np.where(hi > lo, (hi - lo) / top, 1.0).astype(np.float32)
    zero_point = np.clip(np.round(-lo / scale), 0, top)
    values = np.clip(np.round(w / scale) + zero_point, 0, top).astype(np.uint8).astype(_storage(bits, False))
    return IntWeight(
        values, scale, zero_point.astype(np.uint8).astype(_storage(bits, False)), shape or w.shape
    )


def split_groups(w: np.ndarray, axis: int, group_size: int) -> np.ndarray:
    """``w`` with ``axis`` split into (groups, group_size): the group axis is ``axis + 1``."""
    axis %= w.ndim
    groups = w.shape[axis] // group_size
    return w.reshape(w.shape[:axis] + (groups, group_size) + w.shape[axis + 1 :])


def decompression(weight: IntWeight, element_type: Type, name: str) -> Output:
    """Build the decompression subgraph for ``weight``; its last node is called ``name`` and its
    output has ``element_type``."""
    grouped = weight.values.shape != weight.shape
    values = ops.constant(weight.values, name=f"{name}/int")
    out = ops.convert(values, element_type, name=f"{name}/convert").output(0)
    if weight.zero_point is not None:
        zero_point = ops.convert(ops.constant(weight.zero_point, name=f"{name}/zero_point"), element_type)
        out = ops.subtract(out, zero_point, name=f"{name}/subtract").output(0)
    scale = ops.constant(weight.scale.astype(element_type.to_dtype()), name=f"{name}/scale")
    out = ops.multiply(out, scale, name=f"{name}/multiply" if grouped else name).output(0)
    if grouped:
        target = ops.constant(np.array(weight.shape, dtype=np.int64))
        out = ops.reshape(out, target, False, name=name).output(0)
    return out
