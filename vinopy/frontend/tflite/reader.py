"""Reading a TFLite flatbuffer into plain Python records with the generated schema classes."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["OpRecord", "Quantization", "TensorRecord", "TfliteModel", "parse_tflite"]


class TfliteParseError(ValueError):
    """The bytes are not a TFLite model this frontend can read."""


# TensorType enum value -> numpy dtype (schema.fbs order)
_DTYPES = {
    0: np.float32,
    1: np.float16,
    2: np.int32,
    3: np.uint8,
    4: np.int64,
    6: np.bool_,
    7: np.int16,
    9: np.int8,
    10: np.float64,
    12: np.uint64,
    15: np.uint32,
    16: np.uint16,
}


@dataclass
class Quantization:
    """Affine quantization: ``real = scale * (q - zero_point)``, per tensor or along ``axis``."""

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int

    @property
    def per_tensor(self) -> bool:
        return self.scale.size == 1


@dataclass
class TensorRecord:
    index: int
    name: str
    shape: list[int]  # -1 for a dynamic dimension (from shape_signature)
    dtype: np.dtype
    data: np.ndarray | None  # constant contents, None for activations
    quantization: Quantization | None


@dataclass
class OpRecord:
    index: int
    name: str  # BuiltinOperator name, e.g. "CONV_2D", or the custom code
    inputs: list[int]  # tensor indices; -1 for an omitted optional input
    outputs: list[int]
    options: Any  # the generated <Name>Options reader, or None


@dataclass
class TfliteModel:
    tensors: list[TensorRecord]
    operators: list[OpRecord]
    inputs: list[int]
    outputs: list[int]
    description: str = ""


def _schema(name: str) -> Any:
    return importlib.import_module(f"tflite.{name}")


def _enum_names(enum_class: str) -> dict[int, str]:
    cls = getattr(_schema(enum_class), enum_class)
    return {v: k for k, v in vars(cls).items() if not k.startswith("_")}


def parse_tflite(data: bytes) -> TfliteModel:
    """The first subgraph of a TFLite model (``data`` is the whole .tflite file)."""
    if data[4:8] != b"TFL3":
        raise TfliteParseError(f"Not a TFLite model: {len(data)} bytes without the 'TFL3' identifier")
    model = _schema("Model").Model.GetRootAs(data, 0)
    if model.SubgraphsLength() < 1:
        raise TfliteParseError("TFLite model has no subgraph")
    graph = model.Subgraphs(0)
    buffers = [model.Buffers(i) for i in range(model.BuffersLength())]
    opcodes = [_opcode_name(model.OperatorCodes(i)) for i in range(model.OperatorCodesLength())]
    tensors = [_tensor(graph.Tensors(i), i, buffers, data) for i in range(graph.TensorsLength())]
    operators = [_operator(graph.Operators(i), i, opcodes) for i in range(graph.OperatorsLength())]
    return TfliteModel(
        tensors,
        operators,
        [int(i) for i in graph.InputsAsNumpy()],
        [int(i) for i in graph.OutputsAsNumpy()],
        (model.Description() or b"").decode(),
    )


def _opcode_name(code: Any) -> str:
    builtin = max(int(code.BuiltinCode()), int(code.DeprecatedBuiltinCode()))
    names = _enum_names("BuiltinOperator")
    if names.get(builtin) == "CUSTOM":
        return (code.CustomCode() or b"CUSTOM").decode()
    return names.get(builtin, f"BUILTIN_{builtin}")


def _tensor(t: Any, index: int, buffers: list[Any], data: bytes) -> TensorRecord:
    type_id = int(t.Type())
    if type_id not in _DTYPES:
        raise TfliteParseError(f"Tensor '{t.Name().decode()}' has unsupported TensorType {type_id}")
    dtype = np.dtype(_DTYPES[type_id])
    shape = [int(d) for d in t.ShapeAsNumpy()] if t.ShapeLength() else []
    if t.ShapeSignatureLength():
        shape = [int(d) for d in t.ShapeSignatureAsNumpy()]
    return TensorRecord(
        index, t.Name().decode(), shape, dtype, _buffer(buffers[t.Buffer()], dtype, shape, data), _quant(t)
    )


def _buffer(buffer: Any, dtype: np.dtype, shape: list[int], data: bytes) -> np.ndarray | None:
    if buffer is None:
        return None
    if buffer.DataLength():
        raw = buffer.DataAsNumpy().tobytes()
    elif buffer.Offset() > 1:  # large models keep buffers after the flatbuffer
        raw = data[buffer.Offset() : buffer.Offset() + buffer.Size()]
    else:
        return None
    return np.frombuffer(raw, dtype=dtype).reshape([max(d, 0) for d in shape]).copy()


def _quant(t: Any) -> Quantization | None:
    q = t.Quantization()
    if q is None or q.ScaleLength() == 0:
        return None
    scale = q.ScaleAsNumpy().astype(np.float32)
    zero_point = (
        q.ZeroPointAsNumpy().astype(np.int64) if q.ZeroPointLength() else np.zeros_like(scale, np.int64)
    )
    return Quantization(scale, zero_point, int(q.QuantizedDimension()))


def _operator(op: Any, index: int, opcodes: list[str]) -> OpRecord:
    name = opcodes[op.OpcodeIndex()]
    inputs = [int(i) for i in op.InputsAsNumpy()] if op.InputsLength() else []
    outputs = [int(i) for i in op.OutputsAsNumpy()] if op.OutputsLength() else []
    return OpRecord(index, name, inputs, outputs, _options(op))


def _options(op: Any) -> Any:
    kind = int(op.BuiltinOptionsType())
    table = op.BuiltinOptions()
    if kind == 0 or table is None:
        return None
    class_name = _enum_names("BuiltinOptions")[kind]
    options = getattr(_schema(class_name), class_name)()
    options.Init(table.Bytes, table.Pos)
    return options
