"""The state of one TFLite translation: tensor index -> ov Output, with quantization handled here.

Every float or quantized tensor is carried as f32. Quantized constants become Convert -> Subtract
zero point -> Multiply scale; quantized activations pass through a FakeQuantize with the tensor's
scale and zero point, so values take the same int8 grid as in TFLite.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vinopy import opset13 as ops
from vinopy.frontend.tflite.reader import OpRecord, Quantization, TensorRecord, TfliteModel
from vinopy.graph.node import Output, const_value
from vinopy.graph.types import Type

_QUANTIZED = (np.int8, np.uint8, np.int16, np.int32)


class TfliteConversionError(ValueError):
    """The model uses something the TFLite frontend cannot translate."""


def is_quantized(tensor: TensorRecord) -> bool:
    return tensor.quantization is not None and tensor.dtype.type in _QUANTIZED


def _per_axis(values: np.ndarray, q: Quantization, rank: int) -> np.ndarray:
    """Scale / zero point shaped to broadcast along the quantized axis."""
    if q.per_tensor:
        return values.reshape([])
    shape = [1] * rank
    shape[q.axis] = -1
    return values.reshape(shape)


def dequantize(value: Output, q: Quantization, rank: int) -> Output:
    """``(value - zero_point) * scale`` in f32."""
    x = ops.convert(value, Type.f32).output(0)
    zero_point = _per_axis(q.zero_point.astype(np.float32), q, rank)
    if np.any(zero_point):
        x = ops.subtract(x, ops.constant(zero_point)).output(0)
    return ops.multiply(x, ops.constant(_per_axis(q.scale, q, rank))).output(0)


def quantize_to(value: Output, q: Quantization, dtype: np.dtype) -> Output:
    """f32 -> the integer type of a quantized model output: round(x / scale) + zero point, clamped."""
    info = np.iinfo(dtype)
    x = ops.divide(value, ops.constant(np.float32(q.scale.item()))).output(0)
    x = ops.round(x, "half_away_from_zero").output(0)
    x = ops.add(x, ops.constant(np.float32(q.zero_point.item()))).output(0)
    x = ops.clamp(x, float(info.min), float(info.max)).output(0)
    return ops.convert(x, Type.resolve(dtype)).output(0)


def fake_quantize(value: Output, q: Quantization, dtype: np.dtype) -> Output:
    """Snap f32 values to the grid of a per-tensor quantized activation."""
    info = np.iinfo(dtype)
    scale, zero_point = float(q.scale.item()), float(q.zero_point.item())
    low = np.float32((info.min - zero_point) * scale)
    high = np.float32((info.max - zero_point) * scale)
    low_c, high_c = ops.constant(low), ops.constant(high)
    levels = int(info.max) - int(info.min) + 1
    return ops.fake_quantize(value, low_c, high_c, low_c, high_c, levels).output(0)


class Context:
    """Values of the tensors translated so far, by TFLite tensor index."""

    def __init__(self, model: TfliteModel) -> None:
        self.model = model
        self.values: dict[int, Output] = {}

    def tensor(self, index: int) -> TensorRecord:
        return self.model.tensors[index]

    def input(self, op: OpRecord, position: int) -> Output | None:
        """The f32 (or plain integer) value of an operator input; None when an optional one is omitted."""
        if position >= len(op.inputs) or op.inputs[position] < 0:
            return None
        index = op.inputs[position]
        if index not in self.values:
            self.values[index] = self._constant(self.tensor(index), op)
        return self.values[index]

    def static(self, op: OpRecord, position: int) -> np.ndarray:
        """The value of an input that must be known while converting (shapes, axes, paddings)."""
        value = self.input(op, position)
        folded = const_value(value) if value is not None else None
        if folded is None:
            raise TfliteConversionError(f"{op.name} (operator {op.index}) needs a constant input {position}")
        return folded

    def _constant(self, tensor: TensorRecord, op: OpRecord) -> Output:
        if tensor.data is None:
            raise TfliteConversionError(
                f"{op.name} (operator {op.index}) reads tensor '{tensor.name}', which no operator produced"
            )
        value = ops.constant(tensor.data, name=tensor.name).output(0)
        if is_quantized(tensor):
            return dequantize(value, tensor.quantization, tensor.data.ndim)
        return value

    def set_outputs(self, op: OpRecord, values: list[Output]) -> None:
        for index, value in zip(op.outputs, values):
            tensor = self.tensor(index)
            if is_quantized(tensor) and tensor.quantization.per_tensor and tensor.dtype.type != np.int32:
                value = fake_quantize(value, tensor.quantization, tensor.dtype)
            if value.get_names():  # an op that passes its input through: the tensor keeps both names
                value.add_names({tensor.name})
            else:
                value.get_node().set_friendly_name(tensor.name)
                value.set_names({tensor.name})
            self.values[index] = value


def as_i64(values: Any) -> Output:
    return ops.constant(np.asarray(values, dtype=np.int64)).output(0)
