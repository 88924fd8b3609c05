"""com.microsoft contrib ops that exported transformer models use."""

from __future__ import annotations

import numpy as np

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import NodeContext, i64, like, shape_of
from vinopy.frontend.onnx.registry import onnx_op
from vinopy.frontend.onnx.translators.nn import layer_norm
from vinopy.graph.node import Output

MS = "com.microsoft"

onnx_op("LayerNormalization", domain=MS)(layer_norm)


def _with_bias(ctx: NodeContext, index: int) -> Output:
    x = ctx.input(0)
    return ops.add(x, ctx.input(index)).output(0) if ctx.has_input(index) else x


@onnx_op("Gelu", domain=MS)
def gelu(ctx: NodeContext) -> Output:
    return ops.gelu(ctx.input(0), "erf").output(0)


@onnx_op("BiasGelu", domain=MS)
def bias_gelu(ctx: NodeContext) -> Output:
    return ops.gelu(_with_bias(ctx, 1), "erf").output(0)


@onnx_op("FastGelu", domain=MS)
def fast_gelu(ctx: NodeContext) -> Output:
    return ops.gelu(_with_bias(ctx, 1), "tanh").output(0)


@onnx_op("QuickGelu", domain=MS)
def quick_gelu(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    gate = ops.sigmoid(ops.multiply(x, like(ctx.attr("alpha", 1.702), x)))
    return ops.multiply(x, gate).output(0)


def _normalize_last_axis(x: Output, gamma: Output, beta: Output | None, eps: float) -> Output:
    y = ops.multiply(ops.mvn(x, i64([-1]), True, eps, "inside_sqrt"), gamma).output(0)
    return y if beta is None else ops.add(y, beta).output(0)


@onnx_op("SkipLayerNormalization", domain=MS)
def skip_layer_norm(ctx: NodeContext) -> list[Output | None]:
    total = ops.add(ctx.input(0), ctx.input(1)).output(0)
    if ctx.has_input(4):
        total = ops.add(total, ctx.input(4)).output(0)
    y = _normalize_last_axis(total, ctx.input(2), ctx.optional(3), ctx.attr("epsilon", 1e-12))
    if ctx.output_used(1) or ctx.output_used(2):
        raise ctx.fail("the mean and inverse standard deviation outputs are not supported")
    return [y, None, None, total]


@onnx_op("SimplifiedLayerNormalization", domain=MS)
def rms_norm(ctx: NodeContext) -> Output:
    x, axis = ctx.input(0), ctx.attr("axis", -1)
    if axis != -1:
        raise ctx.fail("only axis=-1 is supported")
    mean_square = ops.reduce_mean(ops.multiply(x, x), i64([-1]), True)
    inv = ops.divide(like(1, x), ops.sqrt(ops.add(mean_square, like(ctx.attr("epsilon", 1e-5), x))))
    return ops.multiply(ops.multiply(x, inv), ctx.input(1)).output(0)


@onnx_op("FusedMatMul", domain=MS)
def fused_matmul(ctx: NodeContext) -> Output:
    if ctx.attr("transBatchA", 0) or ctx.attr("transBatchB", 0):
        raise ctx.fail("transBatchA/transBatchB are not supported")
    y = ops.matmul(ctx.input(0), ctx.input(1), bool(ctx.attr("transA", 0)), bool(ctx.attr("transB", 0)))
    alpha = ctx.attr("alpha", 1.0)
    return y.output(0) if alpha == 1.0 else ops.multiply(y, like(alpha, y.output(0))).output(0)


@onnx_op("Attention", domain=MS)
def attention(ctx: NodeContext) -> Output:
    """Multi-head self-attention with packed QKV weights: input [B, S, hidden] @ W [hidden, 3*hidden] + bias,
    an optional [B, S] key mask (1 keeps a position) and optional causal masking."""
    if ctx.has_input(4) or ctx.output_used(1):
        raise ctx.fail("past/present key-value state is not supported")
    x, heads = ctx.input(0), ctx.attr("num_heads")
    qkv = ops.matmul(x, ctx.input(1), False, False).output(0)
    if ctx.has_input(2):
        qkv = ops.add(qkv, ctx.input(2)).output(0)
    sizes = ctx.attr("qkv_hidden_sizes")
    parts = (ops.variadic_split(qkv, i64(-1), i64(sizes)) if sizes else ops.split(qkv, i64(-1), 3)).outputs()
    q, k, v = (_heads(p, heads) for p in parts)
    head_size = parts[0].get_partial_shape()[-1]
    if head_size.is_dynamic:
        raise ctx.fail("the hidden size must be static")
    scale = ctx.attr("scale", 1.0 / np.sqrt(head_size.get_length() / heads))
    scores = ops.multiply(ops.matmul(q, k, False, True), like(scale, x)).output(0)
    if ctx.has_input(3):
        scores = ops.add(scores, _key_mask(ctx, ctx.input(3), x)).output(0)
    if ctx.attr("unidirectional", 0):
        scores = ops.add(scores, _causal_mask(scores, x)).output(0)
    context = ops.matmul(ops.softmax(scores, -1), v, False, False)
    merged = ops.transpose(context, i64([0, 2, 1, 3]))
    return ops.reshape(merged, i64([0, 0, -1]), True).output(0)


def _heads(value: Output, heads: int) -> Output:
    """[B, S, heads * size] -> [B, heads, S, size]."""
    split = ops.reshape(value, i64([0, 0, heads, -1]), True)
    return ops.transpose(split, i64([0, 2, 1, 3])).output(0)


def _key_mask(ctx: NodeContext, mask: Output, x: Output) -> Output:
    shape = mask.get_partial_shape()
    if shape.rank.is_dynamic or len(shape) != 2:
        raise ctx.fail("only a 2-D [batch, sequence] mask_index is supported")
    filler = ctx.attr("mask_filter_value", -10000.0)
    blocked = ops.subtract(like(1, x), ops.convert_like(mask, x))
    return ops.unsqueeze(ops.multiply(blocked, like(filler, x)), i64([1, 2])).output(0)


def _causal_mask(scores: Output, x: Output) -> Output:
    length = ops.gather(shape_of(scores), i64(-1), i64(0))
    index = ops.range(i64(0), length, i64(1), "i64")
    future = ops.greater(index, ops.unsqueeze(index, i64([1])))
    return ops.select(future, like(-10000.0, x), like(0, x)).output(0)
