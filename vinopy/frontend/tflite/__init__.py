"""The TFLite frontend: ``read_tflite(path | bytes) -> ov.Model``."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from vinopy import opset13 as ops
from vinopy.frontend.tflite.context import (
    Context,
    TfliteConversionError,
    dequantize,
    is_quantized,
    quantize_to,
)
from vinopy.frontend.tflite.reader import TfliteModel, TfliteParseError, parse_tflite
from vinopy.frontend.tflite.translators import TRANSLATORS
from vinopy.graph.model import Model
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type

__all__ = ["TfliteConversionError", "TfliteParseError", "UnsupportedOpsError", "read_tflite"]


class UnsupportedOpsError(TfliteConversionError):
    """The model uses operators with no translator; ``ops`` lists them all."""

    def __init__(self, ops_: list[str]) -> None:
        self.ops = ops_
        super().__init__(f"TFLite model has {len(ops_)} unsupported operator(s): {', '.join(ops_)}")


def read_tflite(model: Any) -> Model:
    """Convert a TFLite model, given as a path or the bytes of a .tflite file."""
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"TFLite model file '{path}' does not exist")
        with open(path, "rb") as f:
            data = f.read()
        name = os.path.splitext(os.path.basename(path))[0]
    elif isinstance(model, (bytes, bytearray, memoryview)):
        data, name = bytes(model), ""
    else:
        raise TypeError(f"Cannot read a TFLite model from {type(model).__name__}: expected a path or bytes")
    return convert_tflite(parse_tflite(data), name)


def convert_tflite(parsed: TfliteModel, name: str = "") -> Model:
    unsupported = sorted({op.name for op in parsed.operators if op.name not in TRANSLATORS})
    if unsupported:
        raise UnsupportedOpsError(unsupported)
    ctx = Context(parsed)
    params = [_parameter(ctx, index) for index in parsed.inputs]
    for op in parsed.operators:
        outputs = TRANSLATORS[op.name](ctx, op)
        ctx.set_outputs(op, outputs)
    results = [_result(ctx, index) for index in parsed.outputs]
    model = Model(results, params, name or "tflite_model")
    if parsed.description:
        model.set_rt_info(parsed.description, ["framework", "description"])
    return model


def _parameter(ctx: Context, index: int) -> Any:
    tensor = ctx.tensor(index)
    param = ops.parameter(PartialShape(tensor.shape), Type.resolve(tensor.dtype), name=tensor.name)
    param.output(0).set_names({tensor.name})
    value = param.output(0)
    if is_quantized(tensor):
        value = dequantize(value, tensor.quantization, len(tensor.shape))
    ctx.values[index] = value
    return param


def _result(ctx: Context, index: int) -> Any:
    tensor = ctx.tensor(index)
    value = ctx.values[index]
    if is_quantized(tensor) and tensor.dtype.type in (np.int8, np.uint8, np.int16):
        value = quantize_to(value, tensor.quantization, tensor.dtype)
        value.set_names({tensor.name})
        ctx.values[index].set_names(set())
    return ops.result(value)
