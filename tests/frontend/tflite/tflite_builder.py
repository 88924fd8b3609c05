"""Build small .tflite flatbuffers in code with the `tflite` package's generated schema builders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import flatbuffers
import numpy as np
import tflite

_TENSOR_TYPES = {
    np.float32: 0,
    np.float16: 1,
    np.int32: 2,
    np.uint8: 3,
    np.int64: 4,
    np.bool_: 6,
    np.int16: 7,
    np.int8: 9,
}


@dataclass
class _Tensor:
    name: str
    shape: list[int]
    dtype: type
    buffer: int
    signature: list[int] | None
    quant: tuple[np.ndarray, np.ndarray, int] | None


@dataclass
class _Op:
    code: str
    inputs: list[int]
    outputs: list[int]
    options: tuple[str, dict[str, Any]] | None


@dataclass
class TfliteBuilder:
    """``t = b.tensor(...)``, ``b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions", Padding=1, ...)``,
    then ``b.build(inputs, outputs)`` returns the .tflite bytes."""

    tensors: list[_Tensor] = field(default_factory=list)
    buffers: list[bytes] = field(default_factory=lambda: [b""])
    ops: list[_Op] = field(default_factory=list)

    def tensor(
        self,
        name: str,
        shape: list[int],
        dtype: type = np.float32,
        data: Any = None,
        scale: Any = None,
        zero_point: Any = 0,
        axis: int = 0,
        signature: list[int] | None = None,
    ) -> int:
        buffer = 0
        if data is not None:
            self.buffers.append(np.ascontiguousarray(data, dtype=dtype).tobytes())
            buffer = len(self.buffers) - 1
        quant = None
        if scale is not None:
            scale = np.atleast_1d(np.asarray(scale, np.float32))
            quant = (scale, np.broadcast_to(np.asarray(zero_point, np.int64), scale.shape).copy(), axis)
        self.tensors.append(_Tensor(name, list(shape), dtype, buffer, signature, quant))
        return len(self.tensors) - 1

    def const(self, name: str, data: Any, dtype: type = np.float32, **quant: Any) -> int:
        data = np.asarray(data, dtype=dtype)
        return self.tensor(name, list(data.shape), dtype, data, **quant)

    def op(
        self, code: str, inputs: list[int], outputs: list[int], options: str | None = None, **fields: Any
    ) -> None:
        self.ops.append(_Op(code, inputs, outputs, (options, fields) if options else None))

    def build(self, inputs: list[int], outputs: list[int]) -> bytes:
        b = flatbuffers.Builder(1024)
        codes = sorted({op.code for op in self.ops})
        buffers = [self._buffer(b, data) for data in self.buffers]
        tensors = [self._tensor(b, t) for t in self.tensors]
        operators = [self._operator(b, op, codes.index(op.code)) for op in self.ops]
        opcodes = [self._opcode(b, code) for code in codes]
        subgraph_vectors = [
            self._tables(b, tensors),
            b.CreateNumpyVector(np.asarray(inputs, np.int32)),
            b.CreateNumpyVector(np.asarray(outputs, np.int32)),
            self._tables(b, operators),
        ]
        name = b.CreateString("main")
        tflite.SubGraphStart(b)
        for add, value in zip(
            (
                tflite.SubGraphAddTensors,
                tflite.SubGraphAddInputs,
                tflite.SubGraphAddOutputs,
                tflite.SubGraphAddOperators,
            ),
            subgraph_vectors,
        ):
            add(b, value)
        tflite.SubGraphAddName(b, name)
        subgraph = tflite.SubGraphEnd(b)
        vectors = [self._tables(b, opcodes), self._tables(b, [subgraph]), self._tables(b, buffers)]
        description = b.CreateString("built in a test")
        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, 3)
        tflite.ModelAddOperatorCodes(b, vectors[0])
        tflite.ModelAddSubgraphs(b, vectors[1])
        tflite.ModelAddBuffers(b, vectors[2])
        tflite.ModelAddDescription(b, description)
        b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
        return bytes(b.Output())

    @staticmethod
    def _tables(b: flatbuffers.Builder, offsets: list[int]) -> int:
        b.StartVector(4, len(offsets), 4)
        for offset in reversed(offsets):
            b.PrependUOffsetTRelative(offset)
        return b.EndVector()

    @staticmethod
    def _buffer(b: flatbuffers.Builder, data: bytes) -> int:
        vector = b.CreateNumpyVector(np.frombuffer(data, np.uint8)) if data else None
        tflite.BufferStart(b)
        if vector is not None:
            tflite.BufferAddData(b, vector)
        return tflite.BufferEnd(b)

    @staticmethod
    def _tensor(b: flatbuffers.Builder, t: _Tensor) -> int:
        shape = b.CreateNumpyVector(np.asarray(t.shape, np.int32))
        signature = b.CreateNumpyVector(np.asarray(t.signature, np.int32)) if t.signature else None
        name = b.CreateString(t.name)
        quant = None
        if t.quant is not None:
            scale, zero_point = b.CreateNumpyVector(t.quant[0]), b.CreateNumpyVector(t.quant[1])
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, scale)
            tflite.QuantizationParametersAddZeroPoint(b, zero_point)
            tflite.QuantizationParametersAddQuantizedDimension(b, t.quant[2])
            quant = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        if signature is not None:
            tflite.TensorAddShapeSignature(b, signature)
        tflite.TensorAddType(b, _TENSOR_TYPES[t.dtype])
        tflite.TensorAddBuffer(b, t.buffer)
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        return tflite.TensorEnd(b)

    @staticmethod
    def _options(b: flatbuffers.Builder, kind: str, fields: dict[str, Any]) -> int:
        vectors = {
            k: b.CreateNumpyVector(np.asarray(v, np.int32)) for k, v in fields.items() if isinstance(v, list)
        }
        getattr(tflite, f"{kind}Start")(b)
        for key, value in fields.items():
            getattr(tflite, f"{kind}Add{key}")(b, vectors.get(key, value))
        return getattr(tflite, f"{kind}End")(b)

    def _operator(self, b: flatbuffers.Builder, op: _Op, opcode: int) -> int:
        options = self._options(b, *op.options) if op.options else None
        inputs = b.CreateNumpyVector(np.asarray(op.inputs, np.int32))
        outputs = b.CreateNumpyVector(np.asarray(op.outputs, np.int32))
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, opcode)
        tflite.OperatorAddInputs(b, inputs)
        tflite.OperatorAddOutputs(b, outputs)
        if options is not None:
            tflite.OperatorAddBuiltinOptionsType(b, getattr(tflite.BuiltinOptions, op.options[0]))
            tflite.OperatorAddBuiltinOptions(b, options)
        return tflite.OperatorEnd(b)

    @staticmethod
    def _opcode(b: flatbuffers.Builder, code: str) -> int:
        value = getattr(tflite.BuiltinOperator, code)
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(value, 127))
        tflite.OperatorCodeAddBuiltinCode(b, value)
        tflite.OperatorCodeAddVersion(b, 1)
        return tflite.OperatorCodeEnd(b)
