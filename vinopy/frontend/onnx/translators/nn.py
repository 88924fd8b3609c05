"""Neural-network layers: convolutions, pooling, normalizations, softmax family, Gemm/MatMul, Flatten."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import (
    NodeContext,
    i64,
    like,
    rank_of,
    shape_of,
    static_rank,
)
from vinopy.frontend.onnx.registry import onnx_op
from vinopy.graph.node import Output

_AUTO_PAD = {"NOTSET": "explicit", "SAME_UPPER": "same_upper", "SAME_LOWER": "same_lower", "VALID": "valid"}


class Window:
    """The spatial attributes shared by convolutions and pooling, with ONNX's defaults filled in."""

    def __init__(self, ctx: NodeContext, spatial: int, kernel: list[int] | None = None) -> None:
        self.kernel = list(ctx.attr("kernel_shape", kernel or []))
        self.strides = list(ctx.attr("strides", [1] * spatial))
        self.dilations = list(ctx.attr("dilations", [1] * spatial))
        pads = list(ctx.attr("pads", [0] * (2 * spatial)))
        self.pads_begin, self.pads_end = pads[:spatial], pads[spatial:]
        self.auto_pad = _AUTO_PAD[ctx.attr("auto_pad", "NOTSET")]


def _channel_shape(value: Output, rank: int) -> Output:
    """Reshape a per-channel vector [C] to [1, C, 1, ...] so it broadcasts over an NC... tensor."""
    return ops.reshape(value, i64([1, -1] + [1] * (rank - 2)), False).output(0)


def _grouped_filters(weights: Output, group: int) -> Output:
    """Split the first filter axis into groups: Conv's [O, I/G, k...] -> [G, O/G, I/G, k...],
    ConvTranspose's [I, O/G, k...] -> [G, I/G, O/G, k...]."""
    shape = weights.get_partial_shape()
    if shape.is_static:
        dims = [d.get_length() for d in shape]
        target = i64([group, dims[0] // group] + dims[1:])
    else:
        rest = ops.gather(shape_of(weights), i64(list(range(1, static_rank_of(weights)))), i64(0))
        target = ops.concat([i64([group, -1]), rest], 0).output(0)
    return ops.reshape(weights, target, False).output(0)


def static_rank_of(value: Output) -> int:
    rank = rank_of(value)
    if rank is None:
        raise ValueError("filters must have a known rank")
    return rank


def _add_bias(ctx: NodeContext, y: Output, index: int) -> Output:
    if not ctx.has_input(index):
        return y
    name_without_biases(ctx, y)
    return ops.add(y, _channel_shape(ctx.input(index), static_rank_of(y))).output(0)


def name_without_biases(ctx: NodeContext, product: Output) -> None:
    """Name the product that a bias is added to as OpenVINO's ONNX frontend does (the Add takes the
    node's name), so per-layer profiles of the two match by name."""
    product.get_node().set_friendly_name(f"{ctx.name}/WithoutBiases")


@onnx_op("Conv")
def conv(ctx: NodeContext) -> Output:
    return _add_bias(ctx, convolve(ctx, ctx.input(0), ctx.input(1)), 2)


def convolve(ctx: NodeContext, x: Output, w: Output) -> Output:
    """Conv's convolution without the bias, from the node's attributes (shared with the quantized convs)."""
    spatial = static_rank(ctx, w) - 2
    win = Window(ctx, spatial)
    group = ctx.attr("group", 1)
    args = (win.strides, win.pads_begin, win.pads_end, win.dilations, win.auto_pad)
    if group == 1:
        y = ops.convolution(x, w, *args)
    else:
        y = ops.group_convolution(x, _grouped_filters(w, group), *args)
    return y.output(0)


@onnx_op("DeformConv")
def deform_conv(ctx: NodeContext) -> Output:
    """DeformableConvolution-8; ONNX samples bilinearly with zero padding around the image, which is
    OpenVINO's bilinear_interpolation_pad."""
    x, w, offsets = ctx.input(0), ctx.input(1), ctx.input(2)
    if static_rank(ctx, w) != 4:
        raise ctx.fail("only 2-D deformable convolution is supported (OpenVINO's DeformableConvolution)")
    win = Window(ctx, 2)
    y = ops.deformable_convolution(
        x,
        offsets,
        w,
        win.strides,
        win.pads_begin,
        win.pads_end,
        win.dilations,
        ctx.optional(4),
        "explicit",
        ctx.attr("group", 1),
        ctx.attr("offset_group", 1),
        True,
    ).output(0)
    return _add_bias(ctx, y, 3)


@onnx_op("ConvTranspose")
def conv_transpose(ctx: NodeContext) -> Output:
    x, w = ctx.input(0), ctx.input(1)
    spatial = static_rank(ctx, w) - 2
    win = Window(ctx, spatial)
    group = ctx.attr("group", 1)
    kernel = win.kernel or [d.get_length() for d in list(w.get_partial_shape())[2:]]
    out_pad = list(ctx.attr("output_padding", [0] * spatial))
    out_shape = ctx.attr("output_shape")
    pads_begin, pads_end, auto_pad = win.pads_begin, win.pads_end, win.auto_pad
    in_dims = list(x.get_partial_shape())[2:] if rank_of(x) is not None else []
    if (out_shape is not None or auto_pad in ("same_upper", "same_lower")) and all(
        d.is_static for d in in_dims
    ):
        sizes = [d.get_length() for d in in_dims]
        targets = (
            list(out_shape)[-spatial:]
            if out_shape is not None
            else [s * st for s, st in zip(sizes, win.strides)]
        )
        pads_begin, pads_end, out_pad = _transpose_pads(sizes, targets, kernel, win, out_pad, auto_pad)
        auto_pad = "explicit"
    filters = w if group == 1 else _grouped_filters(w, group)
    make = ops.convolution_backprop_data if group == 1 else ops.group_convolution_backprop_data
    y = make(x, filters, win.strides, None, pads_begin, pads_end, win.dilations, auto_pad, out_pad)
    return _add_bias(ctx, y.output(0), 2)


def _transpose_pads(
    sizes: list[int], targets: list[int], kernel: list[int], win: Window, out_pad: list[int], auto_pad: str
) -> tuple[list[int], list[int], list[int]]:
    """Explicit pads giving ConvTranspose's requested output size, split the way ONNX says."""
    begin, end, extra = [], [], []
    for i, (size, target) in enumerate(zip(sizes, targets)):
        full = win.strides[i] * (size - 1) + out_pad[i] + (kernel[i] - 1) * win.dilations[i] + 1
        total = full - target
        if total < 0:  # asked for more than the kernel covers: grow with output padding
            begin.append(0), end.append(0), extra.append(out_pad[i] - total)
            continue
        small, large = total // 2, total - total // 2
        begin.append(small if auto_pad == "same_upper" else large)
        end.append(large if auto_pad == "same_upper" else small)
        extra.append(out_pad[i])
    return begin, end, extra


# --- pooling --------------------------------------------------------------------------------------


def _pool_rounding(ctx: NodeContext) -> str:
    return "ceil_torch" if ctx.attr("ceil_mode", 0) else "floor"


@onnx_op("MaxPool")
def max_pool(ctx: NodeContext) -> list[Output]:
    x = ctx.input(0)
    spatial = len(ctx.attr("kernel_shape"))
    win = Window(ctx, spatial)
    column_major = bool(ctx.attr("storage_order", 0)) and ctx.output_used(1)
    if column_major and spatial != 2:
        raise ctx.fail("storage_order=1 (column-major indices) is supported for 2-D pooling only")
    node = ops.max_pool(
        x,
        win.strides,
        win.dilations,
        win.pads_begin,
        win.pads_end,
        win.kernel,
        _pool_rounding(ctx),
        win.auto_pad,
        "i64",
        0,
    )
    indices = node.output(1)
    if column_major:
        indices = _column_major(x, indices)
    return [node.output(0), indices]


def _column_major(x: Output, indices: Output) -> Output:
    """Row-major flat indices (n, c, h, w) of an (N, C, H, W) tensor turned column-major within
    each plane: offset of the plane + h + w * H."""
    height, width = (ops.gather(shape_of(x), i64(axis), i64(0)).output(0) for axis in (2, 3))
    within = ops.floor_mod(indices, ops.multiply(height, width)).output(0)
    row, col = ops.divide(within, width), ops.floor_mod(within, width)  # non-negative: exact
    plane = ops.subtract(indices, within)
    return ops.add(plane, ops.add(row, ops.multiply(col, height))).output(0)


@onnx_op("AveragePool")
def avg_pool(ctx: NodeContext) -> Output:
    spatial = len(ctx.attr("kernel_shape"))
    win = Window(ctx, spatial)
    exclude_pad = not ctx.attr("count_include_pad", 0)
    return _avg_pool(ctx.input(0), win, exclude_pad, _pool_rounding(ctx))


def _avg_pool(x: Output, win: Window, exclude_pad: bool, rounding: str) -> Output:
    # dilations only when set: not every AvgPool version has them
    dilations = [win.dilations] if any(d != 1 for d in win.dilations) else []
    return ops.avg_pool(
        x,
        win.strides,
        win.pads_begin,
        win.pads_end,
        win.kernel,
        exclude_pad,
        rounding,
        win.auto_pad,
        *dilations,
    ).output(0)


@onnx_op("LpPool", changed=(11,))
def lp_pool(ctx: NodeContext) -> Output:
    x, p = ctx.input(0), float(ctx.attr("p", 2))
    win = Window(ctx, len(ctx.attr("kernel_shape")))
    powered = ops.power(ops.abs(x), like(p, x))
    mean = _avg_pool(powered.output(0), win, False, _pool_rounding(ctx))
    total = ops.multiply(mean, like(float(np.prod(win.kernel)), x))
    return ops.power(total, like(1.0 / p, x)).output(0)


def _spatial_axes(ctx: NodeContext, x: Output) -> Output:
    return i64(list(range(2, static_rank(ctx, x))))


@onnx_op("GlobalAveragePool")
def global_avg_pool(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    return ops.reduce_mean(x, _spatial_axes(ctx, x), True).output(0)


@onnx_op("GlobalMaxPool")
def global_max_pool(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    return ops.reduce_max(x, _spatial_axes(ctx, x), True).output(0)


@onnx_op("GlobalLpPool")
def global_lp_pool(ctx: NodeContext) -> Output:
    x, p = ctx.input(0), float(ctx.attr("p", 2))
    powered = ops.power(ops.abs(x), like(p, x))
    total = ops.reduce_sum(powered, _spatial_axes(ctx, x), True)
    return ops.power(total, like(1.0 / p, x)).output(0)


# --- normalization --------------------------------------------------------------------------------


@onnx_op("BatchNormalization", changed=(14,))
def batch_norm(ctx: NodeContext) -> list[Output]:
    x, scale, bias, mean, var = (ctx.input(i) for i in range(5))
    eps = ctx.attr("epsilon", 1e-5)
    if not ctx.attr("training_mode", 0):
        return [ops.batch_norm_inference(x, scale, bias, mean, var, eps).output(0)]
    # training mode (opset 14): normalize with the batch statistics and update the running ones
    rank = static_rank(ctx, x)
    axes = i64([0] + list(range(2, rank)))
    batch_mean = ops.reduce_mean(x, axes, False).output(0)
    batch_var = ops.reduce_mean(
        ops.squared_difference(x, _channel_shape(batch_mean, rank)), axes, False
    ).output(0)
    y = ops.batch_norm_inference(x, scale, bias, batch_mean, batch_var, eps).output(0)
    momentum = ctx.attr("momentum", 0.9)

    def running(old: Output, new: Output) -> Output:
        return ops.add(
            ops.multiply(old, like(momentum, old)), ops.multiply(new, like(1 - momentum, new))
        ).output(0)

    return [y, running(mean, batch_mean), running(var, batch_var)]


@onnx_op("InstanceNormalization")
def instance_norm(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    rank = static_rank(ctx, x)
    normed = ops.mvn(x, _spatial_axes(ctx, x), True, ctx.attr("epsilon", 1e-5), "inside_sqrt")
    scaled = ops.multiply(normed, _channel_shape(ctx.input(1), rank))
    return ops.add(scaled, _channel_shape(ctx.input(2), rank)).output(0)


def _norm_axes(ctx: NodeContext, x: Output, axis: int) -> list[int]:
    """Axes from ``axis`` to the last; negative when the rank is unknown."""
    if axis < 0:
        return list(range(axis, 0))
    return list(range(axis, static_rank(ctx, x)))


@onnx_op("LayerNormalization")
def layer_norm(ctx: NodeContext) -> list[Output]:
    x, eps = ctx.input(0), ctx.attr("epsilon", 1e-5)
    axes = i64(_norm_axes(ctx, x, ctx.attr("axis", -1)))
    y = ops.mvn(x, axes, True, eps, "inside_sqrt").output(0)
    y = ops.multiply(y, ctx.input(1)).output(0)
    if ctx.has_input(2):
        y = ops.add(y, ctx.input(2)).output(0)
    if not (ctx.output_used(1) or ctx.output_used(2)):
        return [y]
    mean = ops.reduce_mean(x, axes, True)
    var = ops.reduce_mean(ops.squared_difference(x, mean), axes, True)
    inv_std = ops.divide(like(1, x), ops.sqrt(ops.add(var, like(eps, x))))
    return [y, mean.output(0), inv_std.output(0)]


@onnx_op("GroupNormalization", changed=(21,))
def group_norm(ctx: NodeContext) -> Output:
    x, scale, bias = ctx.input(0), ctx.input(1), ctx.input(2)
    groups = ctx.attr("num_groups")
    if ctx.opset < 21:  # scale and bias per group: repeat each over its channels
        channels = x.get_partial_shape()[1]
        if channels.is_dynamic:
            raise ctx.fail("opset < 21 needs a static channel dimension")
        per_group = channels.get_length() // groups
        scale, bias = (_repeat_groups(v, groups, per_group) for v in (scale, bias))
    return ops.group_normalization(x, scale, bias, groups, ctx.attr("epsilon", 1e-5)).output(0)


def _repeat_groups(value: Output, groups: int, per_group: int) -> Output:
    column = ops.reshape(value, i64([groups, 1]), False)
    tiled = ops.broadcast(column, i64([groups, per_group]))
    return ops.reshape(tiled, i64([groups * per_group]), False).output(0)


@onnx_op("LRN")
def lrn(ctx: NodeContext) -> Output:
    return ops.lrn(
        ctx.input(0),
        i64([1]),
        ctx.attr("alpha", 1e-4),
        ctx.attr("beta", 0.75),
        ctx.attr("bias", 1.0),
        ctx.attr("size"),
    ).output(0)


@onnx_op("LpNormalization")
def lp_normalization(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    reduce_norm = ops.reduce_l1 if ctx.attr("p", 2) == 1 else ops.reduce_l2
    norm = reduce_norm(x, i64([ctx.attr("axis", -1)]), True)
    # an all-zero slice stays zero instead of 0/0
    safe = ops.select(ops.equal(norm, like(0, x)), like(1, x), norm)
    return ops.divide(x, safe).output(0)


@onnx_op("MeanVarianceNormalization")
def mean_variance_norm(ctx: NodeContext) -> Output:
    axes = i64(ctx.attr("axes", [0, 2, 3]))
    return ops.mvn(ctx.input(0), axes, True, 1e-9, "outside_sqrt").output(0)


# --- softmax family -------------------------------------------------------------------------------


def _hardmax(x: Output, axis: int) -> Output:
    depth = ops.gather(shape_of(x), i64(axis), i64(0))
    top = ops.topk(x, i64(1), axis, "max", "none", "i64")
    index = ops.squeeze(top.output(1), i64([axis]))
    return ops.one_hot(index, depth, like(1, x), like(0, x), axis).output(0)


_SOFTMAX: dict[str, Callable[[Output, int], Output]] = {
    "Softmax": lambda x, axis: ops.softmax(x, axis).output(0),
    "LogSoftmax": lambda x, axis: ops.log_softmax(x, axis).output(0),
    "Hardmax": _hardmax,
}


@onnx_op("Softmax", "LogSoftmax", "Hardmax", changed=(13,))
def softmax(ctx: NodeContext) -> Output:
    x, apply = ctx.input(0), _SOFTMAX[ctx.op_type]
    if ctx.opset >= 13:
        return apply(x, ctx.attr("axis", -1))
    # before opset 13 the input is seen as 2-D: [prod(dims[:axis]), prod(dims[axis:])]
    flat = _flatten(ctx, x, ctx.attr("axis", 1))
    return ops.reshape(apply(flat, 1), shape_of(x), False).output(0)


# --- dense ----------------------------------------------------------------------------------------


@onnx_op("MatMul")
def matmul(ctx: NodeContext) -> Output:
    return ops.matmul(ctx.input(0), ctx.input(1), False, False).output(0)


@onnx_op("Gemm")
def gemm(ctx: NodeContext) -> Output:
    a, b = ctx.input(0), ctx.input(1)
    y = ops.matmul(a, b, bool(ctx.attr("transA", 0)), bool(ctx.attr("transB", 0))).output(0)
    if ctx.has_input(2):
        name_without_biases(ctx, y)
    alpha, beta = ctx.attr("alpha", 1.0), ctx.attr("beta", 1.0)
    if alpha != 1.0:
        y = ops.multiply(y, like(alpha, y)).output(0)
    if ctx.has_input(2):
        c = ctx.input(2)
        if beta != 1.0:
            c = ops.multiply(c, like(beta, c)).output(0)
        y = ops.add(y, c).output(0)
    return y


@onnx_op("Flatten")
def flatten(ctx: NodeContext) -> Output:
    return _flatten(ctx, ctx.input(0), ctx.attr("axis", 1))


def _flatten(ctx: NodeContext, x: Output, axis: int) -> Output:
    """Reshape to 2-D around ``axis``: [prod(dims[:axis]), prod(dims[axis:])]."""
    if axis < 0:
        axis += static_rank(ctx, x)
    if axis == 0:
        return ops.reshape(x, i64([1, -1]), False).output(0)
    # the target shape must not bake in the leading (batch) dims, so the model can be reshaped later
    dims = list(x.get_partial_shape()) if rank_of(x) is not None else []
    if dims and all(d.is_static for d in dims[axis:]):
        return ops.reshape(x, i64([-1, int(np.prod([d.get_length() for d in dims[axis:]]))]), False).output(0)
    if axis == 1:
        return ops.reshape(x, i64([0, -1]), True).output(0)
    shape = shape_of(x)
    head = ops.reduce_prod(ops.slice(shape, i64([0]), i64([axis]), i64([1])), i64([0]), True)
    return ops.reshape(x, ops.concat([head, i64([-1])], 0).output(0), False).output(0)


@onnx_op("MaxUnpool")
def max_unpool(ctx: NodeContext) -> Output:
    """Scatter the pooled values to their flat MaxPool indices in a zero tensor of the shape MaxPool
    read; an output_shape input pads that at the end."""
    x, indices = ctx.input(0), ctx.input(1)
    win = Window(ctx, len(ctx.attr("kernel_shape")))
    dims = list(x.get_partial_shape())[2:]
    if any(d.is_dynamic for d in dims):
        raise ctx.fail("needs static spatial dimensions")
    spatial = [
        (d.get_length() - 1) * s + k - b - e
        for d, s, k, b, e in zip(dims, win.strides, win.kernel, win.pads_begin, win.pads_end)
    ]
    head = ops.slice(shape_of(x), i64([0]), i64([2]), i64([1]))
    shape = ops.concat([head, i64(spatial)], 0).output(0)
    zeros = ops.broadcast(like(0, x), ops.reduce_prod(shape, i64([0]), True))
    flat = [ops.reshape(v, i64([-1]), False) for v in (indices, x)]
    y = ops.reshape(ops.scatter_elements_update(zeros, flat[0], flat[1], i64(0)), shape, False).output(0)
    if not ctx.has_input(2):
        return y
    extra = ops.subtract(ops.convert(ctx.input(2), "i64"), shape)
    return ops.pad(y, i64([0] * (len(dims) + 2)), extra, "constant", like(0, x)).output(0)
