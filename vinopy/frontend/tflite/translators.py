"""TFLite operator translators: ``TRANSLATORS[name](ctx, op) -> list of outputs``.

TFLite keeps images NHWC while our convolutions and pools are NCHW: those ops transpose in and back
out, and everything else works on the tensors as TFLite lays them out.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vinopy import opset8, opset13
from vinopy import opset13 as ops
from vinopy.frontend.tflite.context import Context, TfliteConversionError, as_i64
from vinopy.frontend.tflite.reader import OpRecord
from vinopy.graph.node import Output
from vinopy.graph.types import Type

Translator = Callable[[Context, OpRecord], list[Output]]
TRANSLATORS: dict[str, Translator] = {}

_TO_NCHW, _TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]
_PADDING = {0: "same_upper", 1: "valid"}  # schema Padding: SAME, VALID


def translator(*names: str) -> Callable[[Translator], Translator]:
    def register(function: Translator) -> Translator:
        for name in names:
            TRANSLATORS[name] = function
        return function

    return register


# --- helpers ---------------------------------------------------------------------------------------
def _activation(value: Output, options: object) -> Output:
    """Apply a fused activation (schema ActivationFunctionType)."""
    kind = options.FusedActivationFunction() if options is not None else 0
    if kind == 0:
        return value
    if kind == 1:
        return ops.relu(value).output(0)
    if kind == 2:
        return ops.clamp(value, -1.0, 1.0).output(0)
    if kind == 3:
        return ops.clamp(value, 0.0, 6.0).output(0)
    if kind == 4:
        return ops.tanh(value).output(0)
    raise TfliteConversionError(f"fused activation {kind} is not supported")


def _nchw(value: Output) -> Output:
    return ops.transpose(value, as_i64(_TO_NCHW)).output(0)


def _nhwc(value: Output) -> Output:
    return ops.transpose(value, as_i64(_TO_NHWC)).output(0)


def _padding(options: object) -> dict:
    mode = _PADDING.get(options.Padding())
    if mode is None:
        raise TfliteConversionError(f"padding {options.Padding()} is not supported")
    return {"pads_begin": [0, 0], "pads_end": [0, 0], "auto_pad": mode}


def _add_bias(ctx: Context, op: OpRecord, value: Output, channel_axis: int) -> Output:
    bias = ctx.input(op, 2)
    if bias is None:
        return value
    if channel_axis != -1:
        bias = ops.reshape(bias, as_i64([1, -1, 1, 1]), False).output(0)
    return ops.add(value, bias).output(0)


# --- convolutions, pools, dense -------------------------------------------------------------------
@translator("CONV_2D")
def conv_2d(ctx: Context, op: OpRecord) -> list[Output]:
    o = op.options
    weights = ops.transpose(ctx.input(op, 1), as_i64([0, 3, 1, 2]))  # OHWI -> OIHW
    y = ops.convolution(
        _nchw(ctx.input(op, 0)),
        weights,
        [o.StrideH(), o.StrideW()],
        dilations=[o.DilationHFactor(), o.DilationWFactor()],
        **_padding(o),
    ).output(0)
    return [_activation(_nhwc(_add_bias(ctx, op, y, 1)), o)]


@translator("DEPTHWISE_CONV_2D")
def depthwise_conv_2d(ctx: Context, op: OpRecord) -> list[Output]:
    o = op.options
    data = ctx.input(op, 0)
    channels = data.get_partial_shape()[3]
    if channels.is_dynamic:
        raise TfliteConversionError(f"DEPTHWISE_CONV_2D (operator {op.index}) needs a static channel count")
    c = channels.get_length()
    # [1, H, W, C*M] -> [C, M, 1, H, W]: one group per input channel
    w = ctx.input(op, 1)
    kh, kw = (w.get_partial_shape()[i].get_length() for i in (1, 2))
    w = ops.reshape(w, as_i64([kh, kw, c, -1]), False)
    w = ops.transpose(w, as_i64([2, 3, 0, 1]))
    w = ops.reshape(w, as_i64([c, -1, 1, kh, kw]), False)
    y = ops.group_convolution(
        _nchw(data),
        w,
        [o.StrideH(), o.StrideW()],
        dilations=[o.DilationHFactor(), o.DilationWFactor()],
        **_padding(o),
    ).output(0)
    return [_activation(_nhwc(_add_bias(ctx, op, y, 1)), o)]


@translator("FULLY_CONNECTED")
def fully_connected(ctx: Context, op: OpRecord) -> list[Output]:
    o = op.options
    data, weights = ctx.input(op, 0), ctx.input(op, 1)
    depth = weights.get_partial_shape()[1].get_length()
    if o is None or not o.KeepNumDims():
        data = ops.reshape(data, as_i64([-1, depth]), False).output(0)
    y = ops.matmul(data, weights, False, True).output(0)
    return [_activation(_add_bias(ctx, op, y, -1), o)]


def _pool(ctx: Context, op: OpRecord, average: bool) -> list[Output]:
    o = op.options
    args = (_nchw(ctx.input(op, 0)), [o.StrideH(), o.StrideW()])
    padding = _padding(o)
    kernel = [o.FilterHeight(), o.FilterWidth()]
    if average:
        y = ops.avg_pool(
            *args, padding["pads_begin"], padding["pads_end"], kernel, True, auto_pad=padding["auto_pad"]
        ).output(0)
    else:
        y = opset8.max_pool(
            *args, [1, 1], padding["pads_begin"], padding["pads_end"], kernel, auto_pad=padding["auto_pad"]
        ).output(0)
    return [_activation(_nhwc(y), o)]


@translator("AVERAGE_POOL_2D")
def average_pool_2d(ctx: Context, op: OpRecord) -> list[Output]:
    return _pool(ctx, op, True)


@translator("MAX_POOL_2D")
def max_pool_2d(ctx: Context, op: OpRecord) -> list[Output]:
    return _pool(ctx, op, False)


# --- element-wise ----------------------------------------------------------------------------------
_BINARY = {
    "ADD": ops.add,
    "SUB": ops.subtract,
    "MUL": ops.multiply,
    "DIV": ops.divide,
    "MAXIMUM": ops.maximum,
    "MINIMUM": ops.minimum,
}


@translator(*_BINARY)
def binary(ctx: Context, op: OpRecord) -> list[Output]:
    y = _BINARY[op.name](ctx.input(op, 0), ctx.input(op, 1)).output(0)
    return [_activation(y, op.options)]


_UNARY = {"RELU": ops.relu, "LOGISTIC": ops.sigmoid, "TANH": ops.tanh, "HARD_SWISH": ops.hswish}


@translator(*_UNARY)
def unary(ctx: Context, op: OpRecord) -> list[Output]:
    return [_UNARY[op.name](ctx.input(op, 0)).output(0)]


@translator("RELU6")
def relu6(ctx: Context, op: OpRecord) -> list[Output]:
    return [ops.clamp(ctx.input(op, 0), 0.0, 6.0).output(0)]


@translator("SOFTMAX")
def softmax(ctx: Context, op: OpRecord) -> list[Output]:
    x = ctx.input(op, 0)
    beta = op.options.Beta() if op.options is not None else 1.0
    if beta != 1.0:
        x = ops.multiply(x, ops.constant(np.float32(beta))).output(0)
    return [opset8.softmax(x, -1).output(0)]


@translator("DEQUANTIZE")
def dequantize(ctx: Context, op: OpRecord) -> list[Output]:
    x = ctx.input(op, 0)  # already f32 when quantized: Context dequantizes on reading
    return [x if x.get_element_type() == Type.f32 else ops.convert(x, Type.f32).output(0)]


@translator("QUANTIZE")
def quantize(ctx: Context, op: OpRecord) -> list[Output]:
    return [ctx.input(op, 0)]  # Context.set_outputs snaps the value to the output's grid


# --- shapes and data movement ---------------------------------------------------------------------
@translator("RESHAPE")
def reshape(ctx: Context, op: OpRecord) -> list[Output]:
    shape = ctx.input(op, 1)
    if shape is None:
        shape = as_i64(list(op.options.NewShapeAsNumpy()))
    return [ops.reshape(ctx.input(op, 0), shape, False).output(0)]


@translator("CONCATENATION")
def concatenation(ctx: Context, op: OpRecord) -> list[Output]:
    values = [ctx.input(op, i) for i in range(len(op.inputs))]
    return [_activation(ops.concat(values, op.options.Axis()).output(0), op.options)]


@translator("MEAN")
def mean(ctx: Context, op: OpRecord) -> list[Output]:
    keep = bool(op.options.KeepDims()) if op.options is not None else False
    return [ops.reduce_mean(ctx.input(op, 0), as_i64(ctx.static(op, 1)), keep).output(0)]


@translator("PAD", "PADV2")
def pad(ctx: Context, op: OpRecord) -> list[Output]:
    pads = ctx.static(op, 1).astype(np.int64)
    value = ctx.input(op, 2)
    if value is None:
        value = ops.constant(np.zeros((), ctx.input(op, 0).get_element_type().to_dtype())).output(0)
    return [ops.pad(ctx.input(op, 0), as_i64(pads[:, 0]), as_i64(pads[:, 1]), "constant", value).output(0)]


@translator("TRANSPOSE")
def transpose(ctx: Context, op: OpRecord) -> list[Output]:
    return [ops.transpose(ctx.input(op, 0), as_i64(ctx.static(op, 1))).output(0)]


@translator("SQUEEZE")
def squeeze(ctx: Context, op: OpRecord) -> list[Output]:
    axes = list(op.options.SqueezeDimsAsNumpy()) if op.options and op.options.SqueezeDimsLength() else []
    if axes:
        return [ops.squeeze(ctx.input(op, 0), as_i64(axes)).output(0)]
    return [ops.squeeze(ctx.input(op, 0)).output(0)]


def _mask(bits: int, rank: int) -> list[int]:
    return [(bits >> i) & 1 for i in range(rank)]


@translator("STRIDED_SLICE")
def strided_slice(ctx: Context, op: OpRecord) -> list[Output]:
    o = op.options
    rank = ctx.input(op, 1).get_partial_shape()[0].get_length()
    return [
        ops.strided_slice(
            ctx.input(op, 0),
            ctx.input(op, 1),
            ctx.input(op, 2),
            ctx.input(op, 3),
            _mask(o.BeginMask(), rank),
            _mask(o.EndMask(), rank),
            _mask(o.NewAxisMask(), rank),
            _mask(o.ShrinkAxisMask(), rank),
            _mask(o.EllipsisMask(), rank),
        ).output(0)
    ]


@translator("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")
def resize(ctx: Context, op: OpRecord) -> list[Output]:
    o = op.options
    bilinear = op.name == "RESIZE_BILINEAR"
    if o.AlignCorners():
        coordinates, nearest = "align_corners", "round_prefer_ceil"
    elif o.HalfPixelCenters():
        coordinates = "half_pixel" if bilinear else "tf_half_pixel_for_nn"
        nearest = "floor"
    else:
        coordinates, nearest = "asymmetric", "floor"
    sizes = ops.convert(ctx.input(op, 1), Type.i64)
    y = opset13.interpolate(
        ctx.input(op, 0),
        sizes,
        "linear_onnx" if bilinear else "nearest",
        "sizes",
        coordinate_transformation_mode=coordinates,
        nearest_mode=nearest,
        axes=as_i64([1, 2]),
    )
    return [y.output(0)]
