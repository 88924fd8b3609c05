"""ONNX Runtime's quantized contrib ops (com.microsoft), which ``quantize_static(...,
quant_format=QuantFormat.QOperator)`` writes next to the standard QLinearConv and QLinearMatMul.

Each takes 8-bit inputs, each followed by its scale and zero point, and gives an 8-bit output with
the scale and zero point it is given: it becomes dequantize -> the float op -> quantize, built as the
QuantizeLinear and DequantizeLinear translations are. The quantize of one op and the dequantize of
the next are then a Q -> DQ pair, which the frontend fuses into a FakeQuantize (passes/qdq.py), so
that the CPU plugin runs the layers between them on integers as it does for QDQ models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import onnx

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import NodeContext, i64, like, static_rank
from vinopy.frontend.onnx.registry import find_translator, onnx_op
from vinopy.frontend.onnx.translators.microsoft import MS
from vinopy.frontend.onnx.translators.quant import (
    dequantize_linear,
    dequantized_input,
    quantize,
    quantize_linear,
)
from vinopy.graph.node import Output

# the contrib Q/DQ (ORT writes them for 16-bit QDQ models) read their scale and zero point alike
onnx_op("QuantizeLinear", domain=MS)(quantize_linear)
onnx_op("DequantizeLinear", domain=MS)(dequantize_linear)


def _requantized(ctx: NodeContext, y: Output, index: int, like_index: int = 0) -> Output:
    """``y`` quantized with the scale and (optional) zero point at ``index`` and ``index + 1``: into
    the zero point's type, or without one into the type of input ``like_index``."""
    zero_point = ctx.optional(index + 1)
    target = (zero_point if zero_point is not None else ctx.input(like_index)).get_element_type()
    return quantize(y, ctx.input(index), zero_point, 1, target)


def _float_op(ctx: NodeContext, op_type: str, inputs: Sequence[Output], opset: int | None = None) -> Output:
    """The ONNX op ``op_type`` with this node's attributes, translated on float ``inputs`` (at the
    model's ONNX opset unless ``opset`` is given)."""
    node = onnx.NodeProto()
    node.CopyFrom(ctx.node)
    node.op_type, node.domain = op_type, ""
    translator = find_translator("", op_type)
    assert translator is not None, op_type
    version = ctx.scope.opset("") if opset is None else opset
    return translator.fn(NodeContext(node, list(inputs), version, ctx.scope))


def _channels_first(ctx: NodeContext, x: Output, apply: Callable[[Output], Output]) -> Output:
    """``apply`` on N C spatial... data; with ``channels_last`` the input is N spatial... C, so it is
    transposed around ``apply``."""
    if not ctx.attr("channels_last", 0):
        return apply(x)
    rank = static_rank(ctx, x)
    to_first = i64([0, rank - 1, *range(1, rank - 1)])
    to_last = i64([0, *range(2, rank), 1])
    return ops.transpose(apply(ops.transpose(x, to_first).output(0)), to_last).output(0)


_BINARY = {"QLinearAdd": ops.add, "QLinearMul": ops.multiply}


@onnx_op(*_BINARY, domain=MS)
def qlinear_binary(ctx: NodeContext) -> Output:
    """A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale, C_zero_point."""
    y = _BINARY[ctx.op_type](dequantized_input(ctx, 0), dequantized_input(ctx, 3)).output(0)
    return _requantized(ctx, y, 6)


_ELEMENTWISE = {"QLinearSigmoid": "Sigmoid", "QLinearLeakyRelu": "LeakyRelu"}


@onnx_op(*_ELEMENTWISE, domain=MS)
def qlinear_elementwise(ctx: NodeContext) -> Output:
    """X, X_scale, X_zero_point, Y_scale, Y_zero_point; LeakyRelu's ``alpha`` as in ONNX."""
    y = _float_op(ctx, _ELEMENTWISE[ctx.op_type], [dequantized_input(ctx, 0)])
    return _requantized(ctx, y, 3)


@onnx_op("QLinearSoftmax", domain=MS)
def qlinear_softmax(ctx: NodeContext) -> Output:
    """Softmax of the version in the ``opset`` attribute: before 13 over the dims from ``axis`` on
    (default 1), from 13 over ``axis`` alone (default -1)."""
    version = ctx.attr("opset")
    if version is None:
        raise ctx.fail("the 'opset' attribute (the version of the Softmax it quantizes) is required")
    y = _float_op(ctx, "Softmax", [dequantized_input(ctx, 0)], version)
    return _requantized(ctx, y, 3)


@onnx_op("QLinearReduceMean", domain=MS)
def qlinear_reduce_mean(ctx: NodeContext) -> Output:
    """ReduceMean with ``axes`` and ``keepdims`` attributes (as ReduceMean-13 has them)."""
    y = _float_op(ctx, "ReduceMean", [dequantized_input(ctx, 0)], 13)
    return _requantized(ctx, y, 3)


@onnx_op("QLinearAveragePool", domain=MS)
def qlinear_average_pool(ctx: NodeContext) -> Output:
    """AveragePool's attributes (kernel_shape, strides, pads, auto_pad, ceil_mode,
    count_include_pad) and ``channels_last``."""
    y = _channels_first(ctx, dequantized_input(ctx, 0), lambda x: _float_op(ctx, "AveragePool", [x]))
    return _requantized(ctx, y, 3)


@onnx_op("QLinearGlobalAveragePool", domain=MS)
def qlinear_global_average_pool(ctx: NodeContext) -> Output:
    y = _channels_first(ctx, dequantized_input(ctx, 0), lambda x: _float_op(ctx, "GlobalAveragePool", [x]))
    return _requantized(ctx, y, 3)


@onnx_op("QLinearConcat", domain=MS)
def qlinear_concat(ctx: NodeContext) -> Output:
    """Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) for each input."""
    count, rest = divmod(len(ctx.inputs) - 2, 3)
    if count < 1 or rest:
        raise ctx.fail(
            f"expected Y_scale, Y_zero_point and a (tensor, scale, zero point) triple per input, "
            f"got {len(ctx.inputs)} inputs"
        )
    axis = ctx.attr("axis")
    if axis is None:
        raise ctx.fail("the 'axis' attribute is required")
    parts = [dequantized_input(ctx, 2 + 3 * i) for i in range(count)]
    return _requantized(ctx, ops.concat(parts, axis).output(0), 0)


@onnx_op("QLinearWhere", domain=MS)
def qlinear_where(ctx: NodeContext) -> Output:
    """condition, X, x_scale, x_zero_point, Y, y_scale, y_zero_point, z_scale, z_zero_point."""
    y = ops.select(ctx.input(0), dequantized_input(ctx, 1), dequantized_input(ctx, 4)).output(0)
    return _requantized(ctx, y, 7, like_index=1)


@onnx_op("QGemm", domain=MS)
def qgemm(ctx: NodeContext) -> Output:
    """alpha * (A' B' + C * A_scale * B_scale): B's scale and zero point may be per column, C is
    int32 in units of A_scale * B_scale. Quantized with y_scale and y_zero_point when given, else
    float."""
    trans_a, trans_b = bool(ctx.attr("transA", 0)), bool(ctx.attr("transB", 0))
    a, b = dequantized_input(ctx, 0), dequantized_input(ctx, 3, 0 if trans_b else 1)
    y = ops.matmul(a, b, trans_a, trans_b).output(0)
    if ctx.has_input(6):
        bias_scale = ops.multiply(ctx.input(1), ctx.input(4))
        y = ops.add(y, ops.multiply(ops.convert(ctx.input(6), "f32"), bias_scale)).output(0)
    alpha = ctx.attr("alpha", 1.0)
    if alpha != 1.0:
        y = ops.multiply(y, like(alpha, y)).output(0)
    if not ctx.has_input(7):
        return y
    if not ctx.has_input(8):
        raise ctx.fail("y_scale without y_zero_point is not supported (both quantize the output)")
    return _requantized(ctx, y, 7)
