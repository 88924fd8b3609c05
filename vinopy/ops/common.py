"""Helpers shared by op definitions: broadcasting, axes, type checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from vinopy.graph.node import NodeValidationError, Output, const_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type


def broadcast_dims(a: Dimension, b: Dimension) -> Dimension:
    """numpy broadcasting of two dimensions; a dynamic one may turn out to be 1."""
    if a == 1:
        return b
    if b == 1:
        return a
    if not a.compatible(b) and a.min_length > 1 and b.min_length > 1:
        raise NodeValidationError(f"dimensions {a} and {b} cannot be broadcast together")
    if a.is_static or b.is_static:
        return a if a.is_static else b
    if a.min_length > 1 and b.min_length > 1:
        return a.merge(b)
    return Dimension()


def broadcast_shapes(a: PartialShape, b: PartialShape, mode: str = "numpy") -> PartialShape:
    """Output shape of a binary element-wise op under ``auto_broadcast`` = numpy or none."""
    if mode == "none":
        merged = a.merge(b)
        if merged is None:
            raise NodeValidationError(f"shapes {a} and {b} must match (auto_broadcast='none')")
        return merged
    if a.rank.is_dynamic or b.rank.is_dynamic:
        return PartialShape.dynamic()
    rank = max(len(a), len(b))
    da = [Dimension(1)] * (rank - len(a)) + list(a)
    db = [Dimension(1)] * (rank - len(b)) + list(b)
    return PartialShape([broadcast_dims(x, y) for x, y in zip(da, db)])


def same_type(*outputs: Output, what: str = "inputs") -> Type:
    """The common element type of outputs; dynamic types merge with anything."""
    result = Type.dynamic
    for out in outputs:
        merged = result.merge(out.get_element_type())
        if merged is None:
            types = ", ".join(o.get_element_type().get_type_name() for o in outputs)
            raise NodeValidationError(f"{what} must have the same element type, got {types}")
        result = merged
    return result


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < max(rank, 1):
        raise NodeValidationError(f"{what} {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def normalize_axes(axes: Any, rank: int, what: str = "axes") -> list[int]:
    return [normalize_axis(int(a), rank, what) for a in axes]


def require(condition: bool, message: str) -> None:
    if not condition:
        raise NodeValidationError(message)


_TYPE_KINDS = {
    "real": lambda t: t.is_real(),
    "numeric": lambda t: t.is_real() or t.is_integral_number(),
    "integral": lambda t: t.is_integral(),
    "integer": lambda t: t.is_integral_number(),
    "boolean": lambda t: t == Type.boolean,
    "any": lambda t: True,
}


def require_element_type(et: Type, kind: str, what: str = "input") -> Type:
    """Check that a (possibly dynamic) element type is of a kind: real, numeric (not boolean),
    integral (integers and boolean), integer, boolean or any."""
    if et.is_static() and not _TYPE_KINDS[kind](et):
        raise NodeValidationError(f"{what} must have a {kind} element type, got {et.get_type_name()}")
    return et


def const_ints(output: Output) -> list[int] | None:
    """The value of an integer input as a flat list of ints, when known before run time."""
    value = const_value(output)
    return None if value is None else [int(v) for v in np.asarray(value).reshape(-1)]


def static_rank(output: Output) -> int | None:
    """The rank of an output, or None when it is dynamic."""
    rank = output.get_partial_shape().rank
    return None if rank.is_dynamic else rank.get_length()


def require_rank(output: Output, ranks: tuple[int, ...], what: str) -> None:
    """Check that an output of static rank has one of ``ranks`` (dynamic rank passes)."""
    rank = static_rank(output)
    if rank is not None and rank not in ranks:
        expected = " or ".join(str(r) for r in ranks)
        raise NodeValidationError(f"{what} must have rank {expected}, got {output.get_partial_shape()}")


def require_int_input(output: Output, what: str, ranks: tuple[int, ...] = (0, 1)) -> None:
    """An axes/shape-like input: integer elements and one of ``ranks`` (scalar or 1-D by default)."""
    require_element_type(output.get_element_type(), "integer", what)
    require_rank(output, ranks, what)


def dims_product(dims: list[Dimension]) -> Dimension:
    """The number of elements of a tensor with these dimensions (dynamic when any is)."""
    total = Dimension(1)
    for d in dims:
        total = total * d
    return total


def wrap_negative(indices: np.ndarray, size: int | np.ndarray) -> np.ndarray:
    """Indices as int64 with negative ones counted from the end of an axis of ``size``."""
    indices = indices.astype(np.int64)
    return np.where(indices < 0, indices + size, indices)


def require_scalar(output: Output, what: str) -> None:
    """A scalar input: rank 0 or a single-element 1-D tensor (dynamic shapes pass)."""
    shape = output.get_partial_shape()
    if shape.rank.is_static:
        ok = len(shape) == 0 or (len(shape) == 1 and shape[0].compatible(Dimension(1)))
        require(ok, f"{what} must be a scalar or a 1-element 1-D tensor, got shape {shape}")


# --- sliding windows: the spatial arithmetic of convolution and pooling ------------------------------

AUTO_PADS = ("explicit", "same_upper", "same_lower", "valid")


def auto_pad_mode(value: str) -> str:
    """OpenVINO's auto_pad in lower case (the Python API passes 'EXPLICIT'), checked."""
    mode = value.lower()
    require(mode in AUTO_PADS, f"auto_pad must be one of {AUTO_PADS}, got {value!r}")
    return mode


def window_pads(
    size: int, kernel: int, stride: int, dilation: int, auto_pad: str, pad_begin: int, pad_end: int
) -> tuple[int, int]:
    """The (begin, end) pads of one spatial axis of ``size`` under an auto_pad mode."""
    if auto_pad == "valid":
        return 0, 0
    if auto_pad in ("same_upper", "same_lower"):
        total = max(0, (-(-size // stride) - 1) * stride + (kernel - 1) * dilation + 1 - size)
        half = total // 2
        return (half, total - half) if auto_pad == "same_upper" else (total - half, half)
    return pad_begin, pad_end


def window_count(
    size: int, kernel: int, stride: int, dilation: int, pads: tuple[int, int], rounding: str = "floor"
) -> int:
    """How many windows fit along one axis; rounding floor, ceil or ceil_torch (no window that
    starts in the end padding). Below 1 when the dilated kernel is larger than the padded input."""
    span = size + pads[0] + pads[1] - (kernel - 1) * dilation - 1
    if rounding == "floor" or span < 0:
        return span // stride + 1
    count = -(-span // stride) + 1
    if rounding == "ceil_torch" and (count - 1) * stride >= size + pads[0]:
        count -= 1
    return count


def map_dim(dim: Dimension, size: Callable[[int], int]) -> Dimension:
    """A dimension through a non-decreasing size function: static stays static, bounds map to bounds."""
    if dim.is_static:
        return Dimension(max(0, size(dim.get_length())))
    hi = -1 if dim.max_length == -1 else max(0, size(dim.max_length))
    return Dimension(max(0, size(dim.min_length)), hi)


def window_output_dims(
    spatial: list[Dimension],
    kernel: list[int],
    strides: list[int],
    dilations: list[int],
    pads_begin: list[int],
    pads_end: list[int],
    auto_pad: str,
    rounding: str = "floor",
) -> list[Dimension]:
    """Output spatial dimensions of a sliding-window op; dynamic and bounded dims map by their bounds."""
    dims = []
    per_axis = zip(spatial, kernel, strides, dilations, pads_begin, pads_end)
    for axis, (dim, k, s, d, b, e) in enumerate(per_axis):
        count = partial(
            _axis_window_count,
            kernel=k,
            stride=s,
            dilation=d,
            auto_pad=auto_pad,
            pads=(b, e),
            rounding=rounding,
        )
        out = map_dim(dim, count)
        require(
            dim.is_dynamic or out.get_length() >= 1,
            f"the dilated kernel ({(k - 1) * d + 1}) is larger than the padded input along spatial "
            f"axis {axis} (size {dim})",
        )
        dims.append(out)
    return dims


def _axis_window_count(
    size: int, kernel: int, stride: int, dilation: int, auto_pad: str, pads: tuple[int, int], rounding: str
) -> int:
    resolved = window_pads(size, kernel, stride, dilation, auto_pad, *pads)
    return window_count(size, kernel, stride, dilation, resolved, rounding)


def check_window_attrs(n_spatial: int, **lists: list[int]) -> None:
    """Each per-axis attribute (strides, pads, ...) has one value per spatial axis; strides and
    dilations are positive."""
    for name, values in lists.items():
        require(
            len(values) == n_spatial,
            f"{name} must have {n_spatial} value(s), one per spatial axis, got {values}",
        )
        if name in ("strides", "dilations", "kernel_shape"):
            require(all(v > 0 for v in values), f"{name} must be positive, got {values}")


def sliding_windows(x: np.ndarray, kernel: list[int], strides: list[int], dilations: list[int]) -> np.ndarray:
    """A strided view (N, C, *out, *kernel) of the windows of an (already padded) (N, C, *spatial) array."""
    nd = len(kernel)
    extent = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    view = np.lib.stride_tricks.sliding_window_view(x, extent, axis=tuple(range(2, 2 + nd)))
    index = (slice(None),) * 2 + tuple(slice(None, None, s) for s in strides)
    return view[index + tuple(slice(None, None, d) for d in dilations)]


def divide_dim(dim: Dimension, n: int) -> Dimension:
    """A dimension split into ``n`` equal parts: exact when static, the range of whole parts otherwise."""
    if dim.is_static:
        return Dimension(dim.get_length() // n)
    hi = dim.get_max_length()
    return Dimension(-(-dim.get_min_length() // n), -1 if hi == -1 else hi // n)
