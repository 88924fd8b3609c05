"""QDQ models in OpenVINO's form: FuseQuantizeDequantize turns a QuantizeLinear -> DequantizeLinear
pair into one FakeQuantize; PullReshapeThroughDequantization keeps reshaped weights integer.

ONNX models in QDQ form (what ``onnxruntime.quantization`` writes) mark each quantized activation
with such a pair, which the ONNX frontend translates into

    Convert(Clamp(Add(Round(Divide(x, scale)), zero_point), qmin, qmax), u8|i8)      quantize
    Multiply(Subtract(Convert(q), zero_point), scale)                                dequantize

(the Add and Subtract only for a zero point other than 0). With per-tensor scales and zero points
known before run time, that is FakeQuantize(x, levels=256) with the input range
``[(qmin - zero_point) * scale, (qmax - zero_point) * scale]`` of the quantize step and the output
range of the same form of the dequantize step: the same numbers (up to float rounding, and ties of
the rounding, which FakeQuantize breaks on its own grid), and the form OpenVINO's ONNX frontend gives
QDQ models, which the CPU plugin runs on integers.

Weights are ``Constant(i8) -> Convert -> Multiply(scale)``, which the CPU plugin reads as int8
weights; a Reshape after them (a grouped Conv's filters split into groups) moves onto the integers
and the scales, as OpenVINO's PullReshapeThroughDequantization does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import ml_dtypes
import numpy as np

from vinopy import opset16 as ops
from vinopy.graph.model import Model
from vinopy.graph.node import Output, const_value
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.passes.base import MatcherPass, Pass, replace_output
from vinopy.passes.dead_code import DeadCodeElimination
from vinopy.passes.pattern import Match, any_input, wrap_type

_LEVELS = 256
_EIGHT_BIT = (Type.u8, Type.i8)


def _is_constant(output: Output) -> bool:
    return const_value(output) is not None


@dataclass(frozen=True)
class _QDQPattern:
    """The pattern outputs of one Q -> DQ variant (with or without each zero point)."""

    x: Output
    in_scale: Output
    in_zero_point: Output | None
    rounded: Output
    clamp: Output
    quantized: Output
    out_scale: Output
    out_zero_point: Output | None
    root: Output


def _pattern(quantize_zero_point: bool, dequantize_zero_point: bool) -> _QDQPattern:
    x, in_scale = any_input(), any_input(_is_constant)
    rounded = ops.round(ops.divide(x, in_scale), "half_to_even").output(0)
    value = rounded
    in_zero_point = any_input(_is_constant) if quantize_zero_point else None
    if in_zero_point is not None:
        value = ops.add(value, in_zero_point).output(0)
    clamp = ops.clamp(value, 0.0, 1.0).output(0)  # attributes are not matched: _fuse checks them
    quantized = ops.convert(clamp, "u8").output(0)
    value = ops.convert(quantized, "f32").output(0)
    out_zero_point = any_input(_is_constant) if dequantize_zero_point else None
    if out_zero_point is not None:
        value = ops.subtract(value, out_zero_point).output(0)
    out_scale = any_input(_is_constant)
    root = ops.multiply(value, out_scale).output(0)
    return _QDQPattern(x, in_scale, in_zero_point, rounded, clamp, quantized, out_scale, out_zero_point, root)


def _scalar(m: Match, pattern: Output | None) -> float | None:
    """The single value a matched scale or zero point holds (0 for an absent zero point), else None."""
    if pattern is None:
        return 0.0
    value = const_value(m[pattern])
    return float(value.reshape(-1)[0]) if value is not None and value.size == 1 else None


def _range(
    m: Match, scale: Output, zero_point: Output | None, qmin: int, qmax: int
) -> tuple[float, float] | None:
    """The float values of the lowest and highest integers, or None when not per tensor."""
    step, zero = _scalar(m, scale), _scalar(m, zero_point)
    if step is None or zero is None or not step > 0:
        return None
    return (qmin - zero) * step, (qmax - zero) * step


def _fuse(p: _QDQPattern, m: Match) -> bool:
    x, dequantized = m[p.x], m.root
    target = m[p.quantized].node.destination_type
    if target not in _EIGHT_BIT or x.get_element_type() != dequantized.get_element_type():
        return False
    info = ml_dtypes.iinfo(target.to_dtype())
    clamp = m[p.clamp].node
    if (clamp.min, clamp.max) != (info.min, info.max) or m[p.rounded].node.mode != "half_to_even":
        return False
    in_range = _range(m, p.in_scale, p.in_zero_point, info.min, info.max)
    out_range = _range(m, p.out_scale, p.out_zero_point, info.min, info.max)
    if in_range is None or out_range is None:
        return False
    name = dequantized.node.get_friendly_name()
    dtype = x.get_element_type().to_dtype()
    bounds = [
        ops.constant(np.array(value, dtype), name=f"{name}/{key}")
        for key, value in zip(
            ("input_low", "input_high", "output_low", "output_high"), (*in_range, *out_range)
        )
    ]
    replace_output(dequantized, ops.fake_quantize(x, *bounds, _LEVELS, name=name).output(0))
    return True


class _RewriteThenUnhook(Pass):
    """Runs its matchers; the nodes they leave dead still read live outputs, so when something
    changed, unhook them (a plugin walking an output's readers then meets live nodes only)."""

    matchers: list[MatcherPass]

    def run_on_model(self, model: Model) -> bool:
        if not any([matcher.run_on_model(model) for matcher in self.matchers]):  # a list: run them all
            return False
        DeadCodeElimination().run_on_model(model)
        return True


class FuseQuantizeDequantize(_RewriteThenUnhook):
    """Replaces each per-tensor 8-bit quantize -> dequantize pair (as translated from ONNX's
    QuantizeLinear and DequantizeLinear) with the equivalent FakeQuantize(levels=256)."""

    def __init__(self) -> None:
        variants = [_pattern(q, dq) for q in (True, False) for dq in (True, False)]
        self.matchers = [MatcherPass(p.root, partial(_fuse, p)) for p in variants]


def _without_repeats(values: np.ndarray) -> np.ndarray:
    """``values`` with each axis along which they do not vary cut to length 1 (still broadcasting
    to the same array)."""
    for axis in range(values.ndim):
        first = values.take([0], axis)
        if np.array_equal(np.broadcast_to(first, values.shape), values):
            values = first
    return values


def _reshaped_weights_pattern() -> tuple[Output, Output, Output]:
    """Reshape(Multiply(Convert(Constant), scale), shape): the weights, their scale and the root."""
    weights, scale = wrap_type("Constant"), any_input(_is_constant)
    dequantized = ops.multiply(ops.convert(weights, "f32"), scale)
    return weights, scale, wrap_type("Reshape", dequantized, any_input(_is_constant))


def _pull_reshape(weights: Output, scale: Output, m: Match) -> bool:
    reshape = m.root
    dequantized = reshape.get_node().input_value(0)
    integers = m[weights].get_node().get_data()
    if integers.dtype not in (np.int8, np.uint8) or not reshape.get_partial_shape().is_static:
        return False
    if dequantized.get_partial_shape() != PartialShape(list(integers.shape)):
        return False  # the scale broadcasts the integers to more elements
    shape = tuple(reshape.get_shape())
    steps = np.broadcast_to(const_value(m[scale]), integers.shape).reshape(shape)
    convert = ops.convert(ops.constant(integers.reshape(shape)), reshape.get_element_type())
    name = dequantized.get_node().get_friendly_name()
    replace_output(reshape, ops.multiply(convert, ops.constant(_without_repeats(steps)), name=name).output(0))
    return True


class PullReshapeThroughDequantization(_RewriteThenUnhook):
    """Reshape(Convert(integers) * scale) -> Convert(reshaped integers) * reshaped scale."""

    def __init__(self) -> None:
        weights, scale, root = _reshaped_weights_pattern()
        self.matchers = [MatcherPass(root, partial(_pull_reshape, weights, scale))]
