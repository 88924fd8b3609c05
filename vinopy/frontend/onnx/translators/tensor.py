"""Tensor layout and data movement: reshape, transpose, squeeze, concat, split, slice, gather,
scatter, pad, expand, tile, shape, constants, range, one-hot, non-zero, cumsum, depth/space."""

from __future__ import annotations

import numpy as np

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import (
    NodeContext,
    axes_input,
    const,
    element_type,
    i64,
    like,
    scalar,
    shape_of,
    static_rank,
)
from vinopy.frontend.onnx.registry import onnx_op
from vinopy.graph.node import Output

_REDUCTIONS = {"none": "none", "add": "sum", "mul": "prod", "max": "max", "min": "min"}


@onnx_op("Reshape", changed=(14,))
def reshape(ctx: NodeContext) -> Output:
    # a 0 in the target copies the input dimension unless allowzero (opset 14) says it means 0
    return ops.reshape(ctx.input(0), ctx.input(1), not ctx.attr("allowzero", 0)).output(0)


@onnx_op("Transpose")
def transpose(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    perm = ctx.attr("perm") or list(reversed(range(static_rank(ctx, x))))
    return ops.transpose(x, i64(perm)).output(0)


@onnx_op("Squeeze", changed=(13,))
def squeeze(ctx: NodeContext) -> Output:
    axes = axes_input(ctx, 1)
    return (ops.squeeze(ctx.input(0)) if axes is None else ops.squeeze(ctx.input(0), axes)).output(0)


@onnx_op("Unsqueeze", changed=(13,))
def unsqueeze(ctx: NodeContext) -> Output:
    return ops.unsqueeze(ctx.input(0), axes_input(ctx, 1)).output(0)


@onnx_op("Concat")
def concat(ctx: NodeContext) -> Output:
    return ops.concat([v for v in ctx.inputs if v is not None], ctx.attr("axis")).output(0)


@onnx_op("Split", changed=(13, 18))
def split(ctx: NodeContext) -> list[Output]:
    x, axis = ctx.input(0), ctx.attr("axis", 0)
    lengths = (
        ctx.optional(1) if ctx.opset >= 13 else (i64(ctx.attr("split")) if ctx.has_attr("split") else None)
    )
    count = ctx.attr("num_outputs", ctx.num_outputs)
    if lengths is None and ctx.has_attr("num_outputs"):
        dim = x.get_partial_shape()[axis]
        if dim.is_static and dim.get_length() % count:  # the last chunk is smaller
            chunk = -(-dim.get_length() // count)
            lengths = i64([chunk] * (count - 1) + [dim.get_length() - chunk * (count - 1)])
    if lengths is not None:
        return ops.variadic_split(x, i64(axis), lengths).outputs()
    return ops.split(x, i64(axis), count).outputs()


@onnx_op("Slice", changed=(10,))
def slice_(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    if ctx.opset < 10:
        starts, ends = i64(ctx.attr("starts")), i64(ctx.attr("ends"))
        axes = ctx.attr("axes")
        return ops.slice(
            x, starts, ends, i64([1] * len(ctx.attr("starts"))), None if axes is None else i64(axes)
        ).output(0)
    starts, ends = ctx.input(1), ctx.input(2)
    steps = ctx.optional(4)
    if steps is None:
        steps = ops.broadcast(like(1, starts), shape_of(starts)).output(0)
    return ops.slice(x, starts, ends, steps, ctx.optional(3)).output(0)


@onnx_op("Gather")
def gather(ctx: NodeContext) -> Output:
    return ops.gather(ctx.input(0), ctx.input(1), i64(ctx.attr("axis", 0))).output(0)


@onnx_op("GatherElements")
def gather_elements(ctx: NodeContext) -> Output:
    return ops.gather_elements(ctx.input(0), ctx.input(1), ctx.attr("axis", 0)).output(0)


@onnx_op("GatherND")
def gather_nd(ctx: NodeContext) -> Output:
    return ops.gather_nd(ctx.input(0), ctx.input(1), ctx.attr("batch_dims", 0)).output(0)


@onnx_op("ScatterElements", "Scatter", changed=(16, 18))
def scatter_elements(ctx: NodeContext) -> Output:
    reduction = _REDUCTIONS[ctx.attr("reduction", "none")]
    return ops.scatter_elements_update(
        ctx.input(0), ctx.input(1), ctx.input(2), i64(ctx.attr("axis", 0)), reduction, True
    ).output(0)


@onnx_op("ScatterND", changed=(16, 18))
def scatter_nd(ctx: NodeContext) -> Output:
    reduction = _REDUCTIONS[ctx.attr("reduction", "none")]
    return ops.scatter_nd_update(ctx.input(0), ctx.input(1), ctx.input(2), reduction).output(0)


@onnx_op("TensorScatter")
def tensor_scatter(ctx: NodeContext) -> Output:
    """Writes ``update`` into the cache along ``axis`` from position write_indices[b] of each batch
    item b (modulo the cache length in circular mode): ScatterElementsUpdate with those positions."""
    cache, update = ctx.input(0), ctx.input(1)
    rank = static_rank(ctx, cache)
    axis = ctx.attr("axis", -2) % rank
    steps = ops.gather(shape_of(update), i64([axis]), i64(0))
    offsets = ops.range(i64(0), ops.squeeze(steps, i64([0])), i64(1), "i64")
    offsets = ops.reshape(offsets, i64([1] * axis + [-1] + [1] * (rank - axis - 1)), False).output(0)
    if ctx.has_input(2):
        starts = ops.reshape(ops.convert(ctx.input(2), "i64"), i64([-1] + [1] * (rank - 1)), False)
        offsets = ops.add(starts, offsets).output(0)
    if ctx.attr("mode", "linear") == "circular":
        length = ops.gather(shape_of(cache), i64([axis]), i64(0))
        offsets = ops.floor_mod(offsets, length).output(0)
    positions = ops.broadcast(offsets, shape_of(update)).output(0)
    return ops.scatter_elements_update(cache, positions, update, i64(axis), "none").output(0)


@onnx_op("Pad", changed=(11, 18, 19))
def pad(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    mode = ctx.attr("mode", "constant")
    if ctx.opset < 11:
        pads, value = i64(ctx.attr("pads")), like(ctx.attr("value", 0.0), x)
    else:
        pads = ops.convert(ctx.input(1), "i64").output(0)
        value = scalar(ctx.input(2)) if ctx.has_input(2) else like(0, x)
    begin, end = _split_pads(ctx, x, pads)
    if mode == "wrap":
        return _wrap_pad(ctx, x, begin, end)
    return ops.pad(x, begin, end, mode, value if mode == "constant" else None).output(0)


def _wrap_pad(ctx: NodeContext, x: Output, begin: Output, end: Output) -> Output:
    """Pad mode 'wrap' (OpenVINO's Pad has no such mode): per axis, negative pads crop, then the
    last ``begin`` and the first ``end`` elements are concatenated around x (pads up to the axis'
    length, as each wraps once)."""
    zero, big = i64([0]), i64([np.iinfo(np.int64).max])
    for axis in range(static_rank(ctx, x)):
        b, e = (ops.gather(v, i64([axis]), i64(0)).output(0) for v in (begin, end))
        length = ops.gather(shape_of(x), i64([axis]), i64(0)).output(0)
        start, stop = ops.maximum(ops.negative(b), zero), ops.add(length, ops.minimum(e, zero))
        x = ops.slice(x, start, stop, i64([1]), i64([axis])).output(0)
        length = ops.gather(shape_of(x), i64([axis]), i64(0)).output(0)
        head_start = ops.subtract(length, ops.maximum(b, zero))
        head = ops.slice(x, head_start, big, i64([1]), i64([axis])).output(0)
        tail = ops.slice(x, zero, ops.maximum(e, zero), i64([1]), i64([axis])).output(0)
        x = ops.concat([head, x, tail], axis).output(0)
    return x


def _split_pads(ctx: NodeContext, x: Output, pads: Output) -> tuple[Output, Output]:
    """ONNX's [begins..., ends...] (over ``axes`` when given) as full-rank begin and end vectors."""
    begin, end = ops.split(pads, i64(0), 2).outputs()
    if ctx.opset < 18 or not ctx.has_input(3):
        return begin, end
    rank = static_rank(ctx, x)
    index = ops.floor_mod(ops.convert(ctx.input(3), "i64"), i64(rank))
    zeros = i64([0] * rank)
    return tuple(ops.scatter_update(zeros, index, v, i64(0)).output(0) for v in (begin, end))  # type: ignore[return-value]


@onnx_op("Expand")
def expand(ctx: NodeContext) -> Output:
    return ops.broadcast(ctx.input(0), ctx.input(1), None, "bidirectional").output(0)


@onnx_op("Tile")
def tile(ctx: NodeContext) -> Output:
    return ops.tile(ctx.input(0), ctx.input(1)).output(0)


@onnx_op("Shape", changed=(15,))
def shape(ctx: NodeContext) -> Output:
    dims = shape_of(ctx.input(0))
    start, end = ctx.attr("start", 0), ctx.attr("end")
    if start == 0 and end is None:
        return dims
    stop = i64([end if end is not None else np.iinfo(np.int64).max])
    return ops.slice(dims, i64([start]), stop, i64([1])).output(0)


@onnx_op("Size")
def size(ctx: NodeContext) -> Output:
    return ops.reduce_prod(shape_of(ctx.input(0)), i64(0), False).output(0)


@onnx_op("Constant")
def constant(ctx: NodeContext) -> Output:
    for name, dtype in (
        ("value", None),
        ("sparse_value", None),
        ("value_float", np.float32),
        ("value_floats", np.float32),
        ("value_int", np.int64),
        ("value_ints", np.int64),
        ("value_string", np.str_),
        ("value_strings", np.str_),
    ):
        if ctx.has_attr(name):
            return const(ctx.attr(name), dtype)
    raise ctx.fail("has no value attribute")


@onnx_op("ConstantOfShape")
def constant_of_shape(ctx: NodeContext) -> Output:
    value = ctx.attr("value", np.zeros(1, np.float32))
    return ops.broadcast(const(value.reshape(())), ctx.input(0)).output(0)


@onnx_op("Range")
def range_(ctx: NodeContext) -> Output:
    start = ctx.input(0)
    return ops.range(start, ctx.input(1), ctx.input(2), start.get_element_type()).output(0)


@onnx_op("OneHot")
def one_hot(ctx: NodeContext) -> Output:
    indices, depth, values = ctx.input(0), ctx.input(1), ctx.input(2)
    depth = scalar(ops.convert(depth, "i64").output(0))
    indices = ops.convert(indices, "i64").output(0)
    # negative indices count from the end of the depth
    wrapped = ops.add(indices, depth)
    indices = ops.select(ops.less(indices, i64(0)), wrapped, indices).output(0)
    off, on = (ops.gather(values, i64(i), i64(0)) for i in (0, 1))
    return ops.one_hot(indices, depth, on, off, ctx.attr("axis", -1)).output(0)


@onnx_op("NonZero")
def non_zero(ctx: NodeContext) -> Output:
    return ops.non_zero(ctx.input(0), "i64").output(0)


@onnx_op("Compress")
def compress(ctx: NodeContext) -> Output:
    x, axis = ctx.input(0), ctx.attr("axis")
    if axis is None:
        x, axis = ops.reshape(x, i64([-1]), False).output(0), 0
    index = ops.squeeze(ops.non_zero(ctx.input(1), "i64"), i64([0]))
    return ops.gather(x, index, i64(axis)).output(0)


@onnx_op("CumSum")
def cumsum(ctx: NodeContext) -> Output:
    return ops.cumsum(
        ctx.input(0), ctx.input(1), bool(ctx.attr("exclusive", 0)), bool(ctx.attr("reverse", 0))
    ).output(0)


def _block_mode(ctx: NodeContext) -> str:
    # DCR: depth-column-row ordering of the blocks (blocks first); CRD: column-row-depth (depth first)
    return "depth_first" if ctx.attr("mode", "DCR") == "CRD" else "blocks_first"


@onnx_op("DepthToSpace")
def depth_to_space(ctx: NodeContext) -> Output:
    return ops.depth_to_space(ctx.input(0), _block_mode(ctx), ctx.attr("blocksize")).output(0)


@onnx_op("SpaceToDepth", changed=(25,))
def space_to_depth(ctx: NodeContext) -> Output:
    return ops.space_to_depth(ctx.input(0), _block_mode(ctx), ctx.attr("blocksize")).output(0)


@onnx_op("ReverseSequence")
def reverse_sequence(ctx: NodeContext) -> Output:
    return ops.reverse_sequence(
        ctx.input(0), ctx.input(1), ctx.attr("batch_axis", 1), ctx.attr("time_axis", 0)
    ).output(0)


@onnx_op("EyeLike")
def eye_like(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    dims = shape_of(x)
    rows, cols = (ops.gather(dims, i64(i), i64(0)) for i in (0, 1))
    dtype = element_type(ctx.attr("dtype")) if ctx.has_attr("dtype") else x.get_element_type()
    return ops.eye(rows, cols, i64(ctx.attr("k", 0)), dtype).output(0)


@onnx_op("Trilu")
def trilu(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    k = ops.convert(ctx.input(1), "i64").output(0) if ctx.has_input(1) else i64(0)
    dims = shape_of(x)
    rows, cols = (ops.gather(dims, i64(i), i64(0)) for i in (-2, -1))
    row = ops.unsqueeze(ops.range(i64(0), rows, i64(1), "i64"), i64([1]))
    col = ops.range(i64(0), cols, i64(1), "i64")
    offset = ops.subtract(col, row)  # j - i
    keep = ops.greater_equal(offset, k) if ctx.attr("upper", 1) else ops.less_equal(offset, k)
    return ops.select(keep, x, like(0, x)).output(0)


@onnx_op("Einsum")
def einsum(ctx: NodeContext) -> Output:
    return ops.einsum(list(ctx.inputs), ctx.attr("equation").replace(" ", "")).output(0)


@onnx_op("CumProd")
def cumprod(ctx: NodeContext) -> Output:
    """No opset op multiplies cumulatively: sign * exp(cumsum(log|x|)) in f64, where a zero makes every
    later product zero (log 0 = -inf) and the sign flips with each negative factor so far."""
    x, axis = ctx.input(0), ctx.input(1)
    flags = (bool(ctx.attr("exclusive", 0)), bool(ctx.attr("reverse", 0)))
    wide = ops.convert(x, "f64").output(0)
    magnitude = ops.exp(ops.cumsum(ops.log(ops.abs(wide)), axis, *flags))
    negatives = ops.cumsum(ops.convert(ops.less(wide, const(0.0)), "f64"), axis, *flags)
    sign = ops.subtract(const(1.0), ops.multiply(ops.floor_mod(negatives, const(2.0)), const(2.0)))
    product = ops.multiply(sign, magnitude).output(0)
    if x.get_element_type().is_integral_number():
        product = ops.round(product, "half_to_even").output(0)
    return ops.convert(product, x.get_element_type()).output(0)
