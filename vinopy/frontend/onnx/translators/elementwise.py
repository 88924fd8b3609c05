"""Element-wise ops: unary math, binary arithmetic and logic, variadic reductions, activations, casts."""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce

import ml_dtypes
import numpy as np

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import NodeContext, const, element_type, like
from vinopy.frontend.onnx.registry import onnx_op
from vinopy.graph.node import Output
from vinopy.graph.types import Type

# ONNX op -> the opset factory that has the same semantics
_UNARY = {
    "Abs": "abs",
    "Acos": "acos",
    "Acosh": "acosh",
    "Asin": "asin",
    "Asinh": "asinh",
    "Atan": "atan",
    "Atanh": "atanh",
    "Ceil": "ceiling",
    "Cos": "cos",
    "Cosh": "cosh",
    "Erf": "erf",
    "Exp": "exp",
    "Floor": "floor",
    "Log": "log",
    "Neg": "negative",
    "Not": "logical_not",
    "Relu": "relu",
    "Sigmoid": "sigmoid",
    "Sign": "sign",
    "Sin": "sin",
    "Sinh": "sinh",
    "Sqrt": "sqrt",
    "Tan": "tan",
    "Tanh": "tanh",
    "Softplus": "softplus",
    "Softsign": "softsign",
    "HardSwish": "hswish",
    "Mish": "mish",
    "IsNaN": "is_nan",
    "BitwiseNot": "bitwise_not",
}
_BINARY = {
    "Add": "add",
    "Sub": "subtract",
    "Mul": "multiply",
    "And": "logical_and",
    "Or": "logical_or",
    "Xor": "logical_xor",
    "Equal": "equal",
    "Greater": "greater",
    "GreaterOrEqual": "greater_equal",
    "Less": "less",
    "LessOrEqual": "less_equal",
    "BitwiseAnd": "bitwise_and",
    "BitwiseOr": "bitwise_or",
    "BitwiseXor": "bitwise_xor",
}
_VARIADIC = {"Sum": "add", "Max": "maximum", "Min": "minimum"}


def _unary(factory: str) -> Callable[[NodeContext], Output]:
    return lambda ctx: getattr(ops, factory)(ctx.input(0)).output(0)


def _binary(factory: str) -> Callable[[NodeContext], Output]:
    return lambda ctx: getattr(ops, factory)(ctx.input(0), ctx.input(1)).output(0)


def _fold(factory: str) -> Callable[[NodeContext], Output]:
    return lambda ctx: reduce(lambda a, b: getattr(ops, factory)(a, b).output(0), ctx.inputs)


for _op, _factory in _UNARY.items():
    onnx_op(_op)(_unary(_factory))
for _op, _factory in _BINARY.items():
    onnx_op(_op)(_binary(_factory))
for _op, _factory in _VARIADIC.items():
    onnx_op(_op)(_fold(_factory))


@onnx_op("Mean")
def mean(ctx: NodeContext) -> Output:
    total = _fold("add")(ctx)
    return ops.divide(total, like(len(ctx.inputs), total)).output(0)


@onnx_op("Div")
def divide(ctx: NodeContext) -> Output:
    # ONNX truncates integer quotients toward zero (C semantics), not Python's floor
    return ops.divide(ctx.input(0), ctx.input(1), m_pythondiv=False).output(0)


@onnx_op("Pow")
def power(ctx: NodeContext) -> Output:
    base, exponent = ctx.input(0), ctx.input(1)
    if exponent.get_element_type() != base.get_element_type():
        exponent = ops.convert_like(exponent, base).output(0)
    return ops.power(base, exponent).output(0)


@onnx_op("Mod")
def mod(ctx: NodeContext) -> Output:
    a, b = ctx.input(0), ctx.input(1)
    # fmod=1 keeps the dividend's sign (C fmod); fmod=0 the divisor's (Python %)
    return (ops.mod(a, b) if ctx.attr("fmod", 0) else ops.floor_mod(a, b)).output(0)


@onnx_op("BitShift")
def bit_shift(ctx: NodeContext) -> Output:
    shift = ops.bitwise_left_shift if ctx.attr("direction") == "LEFT" else ops.bitwise_right_shift
    return shift(ctx.input(0), ctx.input(1)).output(0)


@onnx_op("Reciprocal")
def reciprocal(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    return ops.divide(like(1, x), x).output(0)


@onnx_op("Where")
def where(ctx: NodeContext) -> Output:
    return ops.select(ctx.input(0), ctx.input(1), ctx.input(2)).output(0)


@onnx_op("IsInf")
def is_inf(ctx: NodeContext) -> Output:
    attrs = {
        "detect_positive": bool(ctx.attr("detect_positive", 1)),
        "detect_negative": bool(ctx.attr("detect_negative", 1)),
    }
    return ops.is_inf(ctx.input(0), attrs).output(0)


@onnx_op("Identity", "Dropout", changed=(12,))
def identity(ctx: NodeContext) -> list[Output]:
    """Identity, and Dropout at inference (its optional mask output is all true)."""
    x = ctx.input(0)
    if ctx.op_type == "Dropout" and ctx.has_input(2):
        # a training_mode computed at run time is taken as inference (the deployment case)
        training, ratio = ctx.const_input(2), ctx.const_input(1) if ctx.has_input(1) else 0.5
        if training is not None and training.any() and (ratio is None or np.any(ratio)):
            raise ctx.fail("training_mode=True with a non-zero ratio (random dropout) is not supported")
    if ctx.op_type == "Dropout" and ctx.output_used(1):
        mask = ops.broadcast(const(True), ops.shape_of(x, "i64")).output(0)
        return [x, mask]
    return [x]


# float8 types whose ONNX Cast clamps to the largest finite value when ``saturate`` is set (the
# default); OpenVINO's Convert does not saturate, so the translation clamps first
_SATURATING = ("f8e4m3", "f8e5m2", "f8e4m3fnuz", "f8e5m2fnuz")


def cast_to(x: Output, target: Type, saturate: bool = True, round_mode: str = "up") -> Output:
    """ONNX Cast of ``x`` to ``target``."""
    source = x.get_element_type()
    if target == Type.f8e8m0 and source.is_real():
        x = _power_of_two(x, saturate, round_mode)
    elif saturate and target.get_type_name() in _SATURATING and source.is_real():
        info = ml_dtypes.finfo(target.to_dtype())
        x = ops.clamp(x, float(info.min), float(info.max)).output(0)
    return ops.convert(x, target).output(0)


def _power_of_two(x: Output, saturate: bool, round_mode: str) -> Output:
    """|x| (as f32) rounded to a power of two in [2^-127, 2^127] the way ONNX casts to float8e8m0:
    its f32 exponent, plus one when rounding up a value with a fraction ("up"), or one with a
    fraction of at least a half ("nearest"); NaN and inf stay (they become NaN). OpenVINO's Convert
    rounds to nearest, so it then only sees exact powers of two."""
    a = ops.abs(ops.convert(x, "f32")).output(0)
    two = const(2.0, np.float32)
    exponent = ops.floor(ops.divide(ops.log(a), const(np.log(2.0), np.float32)))
    p = ops.power(two, exponent).output(0)  # 2^floor(log2 a), corrected for log's rounding below
    p = ops.select(ops.greater(p, a), ops.divide(p, two), p).output(0)
    doubled = ops.multiply(p, two).output(0)
    p = ops.select(ops.less_equal(doubled, a), doubled, p).output(0)
    doubled = ops.multiply(p, two).output(0)
    if round_mode == "up":
        p = ops.select(ops.greater(a, p), doubled, p).output(0)
    elif round_mode == "nearest":
        p = ops.select(ops.greater_equal(a, ops.multiply(p, const(1.5, np.float32))), doubled, p).output(0)
    p = ops.maximum(p, const(2.0**-127, np.float32)).output(0)  # zero and tiny values: the lowest code
    if round_mode != "down":  # f32 subnormals have exponent 0: up with any fraction, nearest above 2^-127
        lowest = 0.0 if round_mode == "up" else 2.0**-127
        tiny = ops.logical_and(
            ops.greater(a, const(lowest, np.float32)), ops.less(a, const(2.0**-126, np.float32))
        )
        p = ops.select(tiny, const(2.0**-126, np.float32), p).output(0)
    if saturate:  # rounding past 2^127 stays there; inf and NaN inputs do not saturate
        finite = ops.less_equal(a, const(np.finfo(np.float32).max, np.float32))
        p = ops.select(ops.logical_and(ops.is_inf(p), finite), const(2.0**127, np.float32), p).output(0)
    return p


@onnx_op("Cast", changed=(19, 24))
def cast(ctx: NodeContext) -> Output:
    target = element_type(ctx.attr("to"))
    return cast_to(ctx.input(0), target, bool(ctx.attr("saturate", 1)), ctx.attr("round_mode", "up"))


@onnx_op("CastLike", changed=(19, 24))
def cast_like(ctx: NodeContext) -> Output:
    target = ctx.input(1).get_element_type()
    if target.is_dynamic():
        return ops.convert_like(ctx.input(0), ctx.input(1)).output(0)
    saturate, round_mode = bool(ctx.attr("saturate", 1)), ctx.attr("round_mode", "up")
    return cast_to(ctx.input(0), target, saturate, round_mode)


# --- activations with parameters --------------------------------------------------------------------


@onnx_op("LeakyRelu")
def leaky_relu(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    return ops.prelu(x, like([ctx.attr("alpha", 0.01)], x)).output(0)


@onnx_op("PRelu")
def prelu(ctx: NodeContext) -> Output:
    # ONNX broadcasts the slope numpy-style; OpenVINO's PRelu too when ranks are aligned
    return ops.prelu(ctx.input(0), ctx.input(1)).output(0)


@onnx_op("Elu")
def elu(ctx: NodeContext) -> Output:
    return ops.elu(ctx.input(0), ctx.attr("alpha", 1.0)).output(0)


@onnx_op("Celu")
def celu(ctx: NodeContext) -> Output:
    x, alpha = ctx.input(0), ctx.attr("alpha", 1.0)
    scaled = ops.divide(x, like(alpha, x))
    return ops.multiply(ops.elu(scaled, 1.0), like(alpha, x)).output(0)


@onnx_op("Selu")
def selu(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    alpha = like([ctx.attr("alpha", 1.67326319217681884765625)], x)
    gamma = like([ctx.attr("gamma", 1.05070102214813232421875)], x)
    return ops.selu(x, alpha, gamma).output(0)


@onnx_op("HardSigmoid")
def hard_sigmoid(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    return ops.hard_sigmoid(x, like(ctx.attr("alpha", 0.2), x), like(ctx.attr("beta", 0.5), x)).output(0)


@onnx_op("ThresholdedRelu")
def thresholded_relu(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    keep = ops.greater(x, like(ctx.attr("alpha", 1.0), x))
    return ops.select(keep, x, like(0, x)).output(0)


@onnx_op("Shrink")
def shrink(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    lambd, bias = ctx.attr("lambd", 0.5), ctx.attr("bias", 0.0)
    below = ops.select(ops.less(x, like(-lambd, x)), ops.add(x, like(bias, x)), like(0, x))
    return ops.select(ops.greater(x, like(lambd, x)), ops.subtract(x, like(bias, x)), below).output(0)


@onnx_op("Swish")
def swish(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    return ops.swish(x, like(ctx.attr("alpha", 1.0), x)).output(0)


@onnx_op("Gelu")
def gelu(ctx: NodeContext) -> Output:
    mode = "tanh" if ctx.attr("approximate", "none") == "tanh" else "erf"
    return ops.gelu(ctx.input(0), mode).output(0)


@onnx_op("Clip", changed=(11,))
def clip(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    if ctx.opset < 11:
        low: Output | None = like(ctx.attr("min", float(np.finfo(np.float32).min)), x)
        high: Output | None = like(ctx.attr("max", float(np.finfo(np.float32).max)), x)
    else:
        low, high = ctx.optional(1), ctx.optional(2)
    if low is not None:
        x = ops.maximum(x, low).output(0)
    if high is not None:
        x = ops.minimum(x, high).output(0)
    return x


@onnx_op("Round")
def round_(ctx: NodeContext) -> Output:
    return ops.round(ctx.input(0), "half_to_even").output(0)
