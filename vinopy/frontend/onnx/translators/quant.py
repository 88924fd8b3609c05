"""Quantization: QuantizeLinear, DequantizeLinear and the integer / QLinear ops built from them."""

from __future__ import annotations

import ml_dtypes
import numpy as np

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import NodeContext, element_type, i64, rank_of
from vinopy.frontend.onnx.registry import onnx_op
from vinopy.frontend.onnx.translators.elementwise import cast_to
from vinopy.graph.node import Output, const_value
from vinopy.graph.types import Type


def _per_axis(param: Output, x: Output, axis: int) -> Output:
    """A 1-D per-channel scale or zero point reshaped to broadcast along ``axis`` of x."""
    rank = rank_of(x)
    if rank_of(param) != 1 or rank is None or rank <= 1:
        return param
    axis %= rank
    shape = [1] * rank
    shape[axis] = -1
    return ops.reshape(param, i64(shape), False).output(0)


def _blocked_params(ctx: NodeContext) -> tuple[Output, Output | None]:
    """Scale and zero point; with ``block_size`` (opset 21) each entry covers a block of the axis,
    so repeat them to the input's length along it."""
    scale, zero_point = ctx.input(1), ctx.optional(2)
    block = ctx.attr("block_size", 0)
    if not block:
        return scale, zero_point
    x, axis = ctx.input(0), ctx.attr("axis", 1)
    dim = x.get_partial_shape()[axis] if rank_of(x) is not None else None
    if dim is None or dim.is_dynamic:
        raise ctx.fail("blocked quantization needs a static length along the axis")
    index = i64(np.arange(dim.get_length()) // block)
    repeat = [
        ops.gather(v, index, i64(axis)).output(0) if v is not None else None for v in (scale, zero_point)
    ]
    return repeat[0], repeat[1]


def _convert_like(value: Output, like: Output) -> Output:
    """A Convert to ``like``'s type when known: unlike ConvertLike, it folds when ``value`` is a
    constant and ``like`` is not (a scale converted to the type of the activation it divides)."""
    et = like.get_element_type()
    return (ops.convert(value, et) if et.is_static() else ops.convert_like(value, like)).output(0)


def _nonzero(zero_point: Output | None) -> Output | None:
    """The zero point, or None when it is known to be all zeros (as ORT writes for symmetric s8
    weights): no Subtract then, so that weights stay ``Constant(i8) -> Convert -> Multiply(scale)``,
    the form the CPU plugin runs as int8 weights."""
    if zero_point is None:
        return None
    value = const_value(zero_point)
    return None if value is not None and not np.any(value) else zero_point


def dequantize(
    x: Output, scale: Output, zero_point: Output | None, axis: int, name: str | None = None
) -> Output:
    """(x - zero_point) * scale, computed in the scale's type; ``name`` names the result's node (the
    FakeQuantize it may become takes it)."""
    value = _convert_like(x, scale)
    zero_point = _nonzero(zero_point)
    if zero_point is not None:
        value = ops.subtract(value, _per_axis(_convert_like(zero_point, scale), x, axis)).output(0)
    return ops.multiply(value, _per_axis(scale, x, axis), name=name).output(0)


def dequantized_input(ctx: NodeContext, index: int, axis: int = 1) -> Output:
    """Input ``index`` of a QLinear op as float: its scale and zero point are the next two inputs;
    named after the input tensor."""
    x, tensor = ctx.input(index), ctx.node.input[index]
    et = x.get_element_type()
    if et.is_static() and et.get_bitwidth() > 8:
        raise ctx.fail(
            f"input {index} ('{tensor}') must be a quantized 8-bit tensor, got {et.get_type_name()}"
        )
    return dequantize(x, ctx.input(index + 1), ctx.optional(index + 2), axis, f"{tensor}/dequantized")


def quantize(
    x: Output, scale: Output, zero_point: Output | None, axis: int, target: Type, saturate: bool = True
) -> Output:
    """saturate(round_half_even(x / scale) + zero_point), in the target integer (or float8) type."""
    value = ops.divide(x, _per_axis(_convert_like(scale, x), x, axis)).output(0)
    if target.is_real():  # float8/float4: the conversion rounds itself; ONNX's Cast rules for saturation
        return cast_to(value, target, saturate)
    value = ops.round(value, "half_to_even").output(0)
    zero_point = _nonzero(zero_point)
    if zero_point is not None:
        value = ops.add(value, _per_axis(_convert_like(zero_point, x), x, axis)).output(0)
    info = ml_dtypes.iinfo(target.to_dtype())
    value = ops.clamp(value, float(info.min), float(info.max)).output(0)
    return ops.convert(value, target).output(0)


@onnx_op("DequantizeLinear", changed=(13, 19, 21))
def dequantize_linear(ctx: NodeContext) -> Output:
    scale, zero_point = _blocked_params(ctx)
    return dequantize(ctx.input(0), scale, zero_point, ctx.attr("axis", 1))


@onnx_op("QuantizeLinear", changed=(13, 19, 21))
def quantize_linear(ctx: NodeContext) -> Output:
    scale, zero_point = _blocked_params(ctx)
    if zero_point is not None:
        target = zero_point.get_element_type()
    elif ctx.has_attr("output_dtype") and ctx.attr("output_dtype"):
        target = element_type(ctx.attr("output_dtype"))
    else:
        target = Type.u8
    saturate = bool(ctx.attr("saturate", 1))
    return quantize(ctx.input(0), scale, zero_point, ctx.attr("axis", 1), target, saturate)


@onnx_op("QLinearMatMul")
def qlinear_matmul(ctx: NodeContext) -> Output:
    a, b = dequantized_input(ctx, 0, -1), dequantized_input(ctx, 3, -1)
    y = ops.matmul(a, b, False, False).output(0)
    zero_point = ctx.input(7)
    return quantize(y, ctx.input(6), zero_point, -1, zero_point.get_element_type())


def _centered(ctx: NodeContext, index: int, zp_index: int, axis: int = -1) -> Output:
    """An integer input minus its zero point, as f32 (exact for 8-bit products) for the reference ops;
    a 1-D zero point holds one value per index of ``axis``."""
    value = ops.convert(ctx.input(index), "f32").output(0)
    if ctx.has_input(zp_index):
        zero_point = ops.convert(ctx.input(zp_index), "f32").output(0)
        value = ops.subtract(value, _per_axis(zero_point, value, axis)).output(0)
    return value


@onnx_op("MatMulInteger")
def matmul_integer(ctx: NodeContext) -> Output:
    # a's zero point is per row, b's per column
    y = ops.matmul(_centered(ctx, 0, 2, -2), _centered(ctx, 1, 3, -1), False, False)
    return ops.convert(y, "i32").output(0)


@onnx_op("ConvInteger")
def conv_integer(ctx: NodeContext) -> Output:
    from vinopy.frontend.onnx.translators.nn import convolve

    # x's zero point is one value, w's one per output channel
    y = convolve(ctx, _centered(ctx, 0, 2), _centered(ctx, 1, 3, 0))
    return ops.convert(y, "i32").output(0)


@onnx_op("QLinearConv")
def qlinear_conv(ctx: NodeContext) -> Output:
    from vinopy.frontend.onnx.translators.nn import convolve

    x, w = dequantized_input(ctx, 0), dequantized_input(ctx, 3, 0)
    y = convolve(ctx, x, w)
    if ctx.has_input(8):  # int32 bias in units of x_scale * w_scale
        bias_scale = ops.multiply(ctx.input(1), ctx.input(4))
        bias = ops.multiply(ops.convert(ctx.input(8), "f32"), bias_scale)
        y = ops.add(y, ops.reshape(bias, i64([1, -1] + [1] * (rank_of(y) - 2)), False)).output(0)
    zero_point = ctx.input(7)
    return quantize(y, ctx.input(6), zero_point, 1, zero_point.get_element_type())
