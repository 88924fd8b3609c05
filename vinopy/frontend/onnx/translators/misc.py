"""Unique, DFT, STFT, Det and the random generators."""

from __future__ import annotations

import itertools
from functools import reduce

import numpy as np

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import NodeContext, const, element_type, i64, like, rank_of, shape_of
from vinopy.frontend.onnx.registry import onnx_op
from vinopy.graph.node import Output
from vinopy.graph.types import Type


@onnx_op("Unique")
def unique(ctx: NodeContext) -> list[Output]:
    axis = ctx.attr("axis")
    node = ops.unique(
        ctx.input(0), None if axis is None else i64(axis), bool(ctx.attr("sorted", 1)), "i64", "i64"
    )
    return node.outputs()


@onnx_op("DFT", changed=(20,))
def dft(ctx: NodeContext) -> Output:
    """ONNX keeps real/imaginary parts in a last axis of size 1 (real input) or 2; OpenVINO's DFT
    wants complex input (size 2), its RDFT real input without that axis."""
    x = ctx.input(0)
    rank = rank_of(x)
    components = x.get_partial_shape()[-1] if rank is not None else None
    if components is None or components.is_dynamic:
        raise ctx.fail("the last axis (real/imaginary parts) must be static")
    if ctx.opset >= 20:
        axis = ops.convert(ctx.input(2), "i64").output(0) if ctx.has_input(2) else i64(-2)
    else:
        axis = i64(ctx.attr("axis", 1))
    # ONNX counts axes over all dims, the parts axis included: make the axis non-negative
    axes = ops.floor_mod(ops.reshape(axis, i64([1]), False), i64(rank)).output(0)
    length = ctx.optional(1)
    signal = [] if length is None else [ops.reshape(length, i64([1]), False).output(0)]
    inverse, onesided = ctx.attr("inverse", 0), ctx.attr("onesided", 0)
    if components.get_length() == 1 and onesided and not inverse:
        return ops.rdft(ops.squeeze(x, i64([-1])), axes, *signal).output(0)
    if inverse and onesided:  # a one-sided spectrum back to a real signal
        return ops.unsqueeze(ops.irdft(x, axes, *signal), i64([-1])).output(0)
    if components.get_length() == 1:  # a real signal as complex with zero imaginary parts
        x = ops.concat([x, ops.multiply(x, like(0, x))], -1).output(0)
    return (ops.idft if inverse else ops.dft)(x, axes, *signal).output(0)


@onnx_op("STFT")
def stft(ctx: NodeContext) -> Output:
    """OpenVINO's STFT (one-sided, of a real signal without ONNX's parts axis); no window is a
    rectangular one of frame_length."""
    signal = ctx.input(0)
    parts = signal.get_partial_shape()[-1] if rank_of(signal) is not None else None
    if parts is None or parts.is_dynamic or parts.get_length() != 1 or not ctx.attr("onesided", 1):
        raise ctx.fail("only the one-sided transform of a real signal ([batch, length, 1]) is supported")
    step = ops.convert(ctx.input(1), "i64").output(0)
    if ctx.has_input(2):
        window = ctx.input(2)
    elif ctx.has_input(3):
        window = ops.broadcast(like(1.0, signal), ops.reshape(ctx.input(3), i64([1]), False)).output(0)
    else:
        raise ctx.fail("needs a window or a frame_length")
    size = ops.convert(ctx.input(3), "i64").output(0) if ctx.has_input(3) else shape_of(window)
    size = ops.reshape(size, i64([]), False).output(0)
    step = ops.reshape(step, i64([]), False).output(0)
    return ops.stft(ops.squeeze(signal, i64([-1])), window, size, step, False).output(0)


_MAX_DET_SIZE = 3


@onnx_op("Det")
def det(ctx: NodeContext) -> Output:
    """OpenVINO has no determinant: for matrices up to 3x3 the Leibniz formula, a sum over the
    permutations p of sign(p) * prod_i x[..., i, p(i)]."""
    x = ctx.input(0)
    dims = x.get_partial_shape()
    n = dims[-1] if dims.rank.is_static and len(dims) >= 2 else None
    if n is None or n.is_dynamic or n.get_length() > _MAX_DET_SIZE:
        raise ctx.fail(f"only matrices of a static size up to {_MAX_DET_SIZE}x{_MAX_DET_SIZE} are supported")
    size = n.get_length()
    rows = [ops.gather(x, i64(i), i64(-2)).output(0) for i in range(size)]
    total = None
    for perm in itertools.permutations(range(size)):
        term = reduce(ops.multiply, (ops.gather(rows[i], i64(j), i64(-1)) for i, j in enumerate(perm)))
        inversions = sum(a > b for a, b in itertools.combinations(perm, 2))
        if total is None:
            total = term
        elif inversions % 2:
            total = ops.subtract(total, term)
        else:
            total = ops.add(total, term)
    return total.output(0)


def _random_type(ctx: NodeContext, default: Type) -> Type:
    return element_type(ctx.attr("dtype")) if ctx.has_attr("dtype") else default


def _seed(ctx: NodeContext) -> int:
    return int(ctx.attr("seed", 0.0))


def _uniform(ctx: NodeContext, shape: Output, et: Type) -> Output:
    low, high = ctx.attr("low", 0.0), ctx.attr("high", 1.0)
    return ops.random_uniform(
        shape, const(low, et.to_dtype()), const(high, et.to_dtype()), et, _seed(ctx), 0
    ).output(0)


def _normal(ctx: NodeContext, shape: Output, et: Type) -> Output:
    """Box-Muller: two uniform draws make one standard normal draw."""
    u1 = ops.random_uniform(
        shape, const(np.finfo(np.float32).tiny, np.float32), const(1.0, np.float32), Type.f32, _seed(ctx), 0
    )
    u2 = ops.random_uniform(shape, const(0.0, np.float32), const(1.0, np.float32), Type.f32, _seed(ctx), 1)
    radius = ops.sqrt(ops.multiply(ops.log(u1), const(-2.0, np.float32)))
    normal = ops.multiply(radius, ops.cos(ops.multiply(u2, const(2 * np.pi, np.float32))))
    scaled = ops.add(
        ops.multiply(normal, const(ctx.attr("scale", 1.0), np.float32)),
        const(ctx.attr("mean", 0.0), np.float32),
    )
    return ops.convert(scaled, et).output(0)


@onnx_op("RandomUniform", "RandomNormal")
def random(ctx: NodeContext) -> Output:
    make = _uniform if ctx.op_type == "RandomUniform" else _normal
    return make(ctx, i64(ctx.attr("shape")), _random_type(ctx, Type.f32))


@onnx_op("RandomUniformLike", "RandomNormalLike")
def random_like(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    make = _uniform if ctx.op_type == "RandomUniformLike" else _normal
    return make(ctx, shape_of(x), _random_type(ctx, x.get_element_type()))
