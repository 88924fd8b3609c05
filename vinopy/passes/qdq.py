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

ONNX Runtime's QOperator form (QLinearConv, QLinearAdd, ... translated as dequantize -> float op ->
quantize) gives the same pairs, with two differences that MoveDequantizeBeforeDataMovement and
MergeDuplicateReaders remove before and after the fusion: integers pass through Flatten, MaxPool,
Transpose or Split between a quantize and its dequantize, and each reader dequantizes a value on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import ml_dtypes
import numpy as np

from vinopy import opset16 as ops
from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output, const_value
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


# ops that only move or pick integers (or, as MaxPool, commute with a positive scale; a constant Pad
# with its value dequantized too): on a quantized value, dequantizing their result is dequantizing
# their input first, as ORT's QOperator form does it
_DATA_MOVEMENT = (
    "Reshape",
    "Squeeze",
    "Unsqueeze",
    "Transpose",
    "MaxPool",
    "Gather",
    "Split",
    "VariadicSplit",
    "Pad",
)
_SPLITS = ("Split", "VariadicSplit")  # every output moves data; MaxPool's second gives indices


@dataclass(frozen=True)
class _MovedDequantizePattern:
    """Multiply(Subtract?(Convert(mover), zero_point), scale): the dequantize of a data movement."""

    mover: Output
    zero_point: Output | None
    scale: Output
    root: Output


def _moved_dequantize_pattern(with_zero_point: bool) -> _MovedDequantizePattern:
    mover = wrap_type(_DATA_MOVEMENT)
    convert = ops.convert(mover, "f32").output(0)
    zero_point = any_input(_is_constant) if with_zero_point else None
    value = convert if zero_point is None else ops.subtract(convert, zero_point).output(0)
    scale = any_input(_is_constant)
    root = ops.multiply(value, scale).output(0)
    return _MovedDequantizePattern(mover, zero_point, scale, root)


def _moved_constant(value: Output) -> bool:
    """Whether ``value`` is a Constant, or data movement ops applied to one."""
    node = value.get_node()
    while node.get_type_name() in _DATA_MOVEMENT:
        node = node.input_value(0).get_node()
    return node.get_type_name() == "Constant"


def _other_inputs(mover: Node, step: float, zero: float, dtype: np.dtype) -> list[Output] | None:
    """The inputs after the data for ``mover`` on dequantized data: the same, but a constant Pad's
    value dequantized as well (None when that value is not known)."""
    others = mover.input_values()[1:]
    if mover.get_type_name() != "Pad" or mover.pad_mode != "constant":
        return others
    value = const_value(others[2]) if len(others) > 2 else np.zeros(())  # absent: integer 0
    if value is None:
        return None
    return [*others[:2], ops.constant(np.array((float(value) - zero) * step, dtype)).output(0)]


def _dequantize_first(p: _MovedDequantizePattern, m: Match) -> bool:
    moved, dequantized = m[p.mover], m.root
    integers = moved.node.input_value(0)
    step, zero = _scalar(m, p.scale), _scalar(m, p.zero_point)
    if (
        (moved.get_index() != 0 and moved.node.get_type_name() not in _SPLITS)
        or integers.get_element_type() not in _EIGHT_BIT
        or _moved_constant(integers)  # weights: PullReshapeThroughDequantization moves the other way
        or step is None
        or zero is None
        or not step > 0
        or dequantized.get_partial_shape() != moved.get_partial_shape()
    ):
        return False
    dtype = dequantized.get_element_type().to_dtype()
    others = _other_inputs(moved.node, step, zero, dtype)
    if others is None:
        return False
    value = ops.convert(integers, dequantized.get_element_type()).output(0)
    if p.zero_point is not None:
        value = ops.subtract(value, ops.constant(np.array(zero, dtype))).output(0)
    name = dequantized.node.get_friendly_name()
    source_name = f"{moved.node.get_friendly_name()}/input/dequantized"
    value = ops.multiply(value, ops.constant(np.array(step, dtype)), name=source_name).output(0)
    mover = moved.node.clone_with_new_inputs([value, *others])
    # the moved values are still on the grid: quantizing them again changes nothing, and gives
    # their readers a FakeQuantize to read (the CPU plugin runs a Conv or MatMul reading one on int8)
    info = ml_dtypes.iinfo(integers.get_element_type().to_dtype())
    low, high = (np.array((info.min - zero) * step, dtype), np.array((info.max - zero) * step, dtype))
    ranges = [ops.constant(v) for v in (low, high, low, high)]
    requantized = ops.fake_quantize(mover.output(moved.get_index()), *ranges, _LEVELS, name=name)
    replace_output(dequantized, requantized.output(0))
    return True


class MoveDequantizeBeforeDataMovement(_RewriteThenUnhook):
    """Dequantize(Reshape(q)) -> FakeQuantize(Reshape(Dequantize(q))) for per-tensor 8-bit values
    that are not constants (likewise Squeeze, Unsqueeze, Transpose, MaxPool, Gather, Split, Pad): ORT's
    QOperator models move quantized integers between ops, and this puts each dequantize right after
    its quantize, where FuseQuantizeDequantize makes them one FakeQuantize, and requantizes after the
    move (an exact no-op), as ORT's QDQ form of the same model does. Repeats until chains of such ops
    are crossed."""

    def __init__(self) -> None:
        variants = [_moved_dequantize_pattern(zp) for zp in (True, False)]
        self.matchers = [MatcherPass(p.root, partial(_dequantize_first, p)) for p in variants]

    def run_on_model(self, model: Model) -> bool:
        changed = False
        while super().run_on_model(model):
            changed = True
        return changed


def _input_key(value: Output) -> object:
    """An input as part of a node's identity: a Constant by its value, anything else by itself."""
    node = value.get_node()
    if node.get_type_name() != "Constant":
        return value
    data = node.get_data()
    return data.dtype.str, data.shape, data.tobytes()


def _identity(node: Node) -> tuple[object, ...]:
    """What makes a node compute what it computes: its type, attributes and inputs."""
    attributes = repr(sorted(node.get_attributes().items()))
    return (node.get_type_name(), attributes, *(_input_key(v) for v in node.input_values()))


class MergeDuplicateReaders(Pass):
    """FakeQuantize ops that compute the same from the same value become one, and so do data
    movement ops that do the same to one FakeQuantize's result: ORT's QOperator form dequantizes a
    value once per reader, which leaves a FakeQuantize (and a moved MaxPool or Reshape) per reader;
    the CPU plugin then quantizes and pools once. Float models keep their graphs."""

    def run_on_model(self, model: Model) -> bool:
        changed = False
        for node in model.get_ordered_ops():  # readers first merged are then read as one, in order
            types = (
                ("FakeQuantize", *_DATA_MOVEMENT)
                if node.get_type_name() == "FakeQuantize"
                else ("FakeQuantize",)
            )
            for output in node.outputs():
                changed = _merge_readers(output, types) or changed
        if changed:
            DeadCodeElimination().run_on_model(model)
        return changed


def _merge_readers(output: Output, types: tuple[str, ...]) -> bool:
    """Make the readers of ``output`` of the given types that compute the same one node."""
    kept: dict[tuple[object, ...], Node] = {}
    changed = False
    # in name order, so that the same model always keeps the same one
    for reader in sorted({t.get_node() for t in output.get_target_inputs()}, key=lambda n: n.get_name()):
        if reader.get_type_name() not in types:
            continue
        first = kept.setdefault(_identity(reader), reader)
        if first is not reader:
            for mine, theirs in zip(reader.outputs(), first.outputs()):
                replace_output(mine, theirs)
            changed = True
    return changed


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
