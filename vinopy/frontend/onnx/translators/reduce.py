"""Reductions, ArgMax/ArgMin and TopK."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import NodeContext, axes_input, i64, like, scalar, shape_of
from vinopy.frontend.onnx.registry import onnx_op
from vinopy.graph.node import Output, const_value
from vinopy.graph.types import Type

Reducer = Callable[[Output, Output, bool], Output]


def _simple(factory: str) -> Reducer:
    return lambda x, axes, keep: getattr(ops, factory)(x, axes, keep).output(0)


def _log_sum(x: Output, axes: Output, keep: bool) -> Output:
    return ops.log(ops.reduce_sum(x, axes, keep)).output(0)


def _log_sum_exp(x: Output, axes: Output, keep: bool) -> Output:
    # shift by the max so that exp does not overflow
    peak = ops.reduce_max(x, axes, True)
    total = ops.reduce_sum(ops.exp(ops.subtract(x, peak)), axes, keep)
    shift = peak if keep else ops.squeeze(peak, axes)
    return ops.add(ops.log(total), shift).output(0)


def _sum_square(x: Output, axes: Output, keep: bool) -> Output:
    return ops.reduce_sum(ops.multiply(x, x), axes, keep).output(0)


_REDUCERS: dict[str, Reducer] = {
    "ReduceSum": _simple("reduce_sum"),
    "ReduceMean": _simple("reduce_mean"),
    "ReduceMax": _simple("reduce_max"),
    "ReduceMin": _simple("reduce_min"),
    "ReduceProd": _simple("reduce_prod"),
    "ReduceL1": _simple("reduce_l1"),
    "ReduceL2": _simple("reduce_l2"),
    "ReduceLogSum": _log_sum,
    "ReduceLogSumExp": _log_sum_exp,
    "ReduceSumSquare": _sum_square,
}

# ReduceMax/ReduceMin accept booleans from opset 20: any / all
_BOOLEAN_REDUCERS = {"ReduceMax": _simple("reduce_logical_or"), "ReduceMin": _simple("reduce_logical_and")}


def _all_axes(x: Output) -> Output:
    rank = ops.squeeze(shape_of(shape_of(x)), i64([0]))
    return ops.range(i64(0), rank, i64(1), "i64").output(0)


@onnx_op(*_REDUCERS, changed=(13, 18))
def reduce(ctx: NodeContext) -> Output:
    """Axes are an attribute before opset 13 (ReduceSum) or 18 (the others), an input after."""
    x = ctx.input(0)
    axes = axes_input(ctx, 1)
    if axes is not None and axes.get_partial_shape().is_static and axes.get_shape() == [0]:
        axes = None
    if axes is None:
        if ctx.attr("noop_with_empty_axes", 0):
            return x
        axes = _all_axes(x)
    reducer = _REDUCERS[ctx.op_type]
    if x.get_element_type() == Type.boolean and ctx.op_type in _BOOLEAN_REDUCERS:
        reducer = _BOOLEAN_REDUCERS[ctx.op_type]
    y = reducer(x, axes, bool(ctx.attr("keepdims", 1)))
    if ctx.op_type in _EMPTY_SET and x.get_element_type().is_real() and _may_be_empty(x, axes):
        # ONNX: the max of an empty set is -inf (min: +inf); OpenVINO's ReduceMax gives the lowest
        # finite value, so results over no elements are replaced
        count = ops.reduce_prod(ops.gather(shape_of(x), axes, i64(0)), i64([0]), False)
        empty = ops.equal(count, i64(0))
        return ops.select(empty, like(_EMPTY_SET[ctx.op_type], x), y).output(0)
    return y


_EMPTY_SET = {"ReduceMax": float("-inf"), "ReduceMin": float("inf")}


def _may_be_empty(x: Output, axes: Output) -> bool:
    """Whether a reduced axis of x may have length 0 (it has, or it is dynamic)."""
    shape, known = x.get_partial_shape(), const_value(axes)
    if shape.rank.is_dynamic:
        return True
    reduced = list(shape) if known is None else [shape[int(a)] for a in np.reshape(known, -1)]
    return any(d.is_dynamic or d.get_length() == 0 for d in reduced)


@onnx_op("ArgMax", "ArgMin", changed=(12,))
def arg_extreme(ctx: NodeContext) -> Output:
    x, axis = ctx.input(0), ctx.attr("axis", 0)
    mode = "max" if ctx.op_type == "ArgMax" else "min"
    last = ctx.attr("select_last_index", 0)
    source = ops.slice(x, i64([-1]), i64([-(2**62)]), i64([-1]), i64([axis])).output(0) if last else x
    index = ops.topk(source, i64(1), axis, mode, "none", "i64", True).output(1)
    if last:  # the first extreme of the reversed tensor is the last of the original
        top = ops.subtract(ops.gather(shape_of(x), i64(axis), i64(0)), i64(1))
        index = ops.subtract(top, index).output(0)
    return index if ctx.attr("keepdims", 1) else ops.squeeze(index, i64([axis])).output(0)


@onnx_op("TopK", changed=(10, 11))
def topk(ctx: NodeContext) -> list[Output]:
    x = ctx.input(0)
    k = i64(ctx.attr("k")) if ctx.opset < 10 else scalar(ctx.input(1))
    mode = "max" if ctx.attr("largest", 1) else "min"
    sort = "value" if ctx.attr("sorted", 1) else "none"
    node = ops.topk(x, k, ctx.attr("axis", -1), mode, sort, "i64", True)
    return [node.output(0), node.output(1)]
