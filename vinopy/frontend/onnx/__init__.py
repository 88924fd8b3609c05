"""The ONNX frontend: ``read_onnx(path | bytes | ModelProto) -> ov.Model``."""

from __future__ import annotations

import os
from typing import Any

import onnx
from google.protobuf.message import DecodeError

from vinopy.frontend.onnx.context import OnnxConversionError
from vinopy.frontend.onnx.converter import ModelInfo, Scope, convert_graph, opset_map
from vinopy.frontend.onnx.functions import find_unsupported
from vinopy.graph.model import Model
from vinopy.passes.qdq import (
    FuseQuantizeDequantize,
    MergeDuplicateReaders,
    MoveDequantizeBeforeDataMovement,
    PullReshapeThroughDequantization,
)

__all__ = ["OnnxConversionError", "UnsupportedOpsError", "load_onnx", "read_onnx"]


class UnsupportedOpsError(OnnxConversionError):
    """The model uses ops with no translator and no function body; ``ops`` lists them all."""

    def __init__(self, ops: list[str]) -> None:
        self.ops = ops
        lines = "\n  ".join(ops)
        super().__init__(f"ONNX model has {len(ops)} unsupported op(s):\n  {lines}")


def load_onnx(model: Any) -> tuple[onnx.ModelProto, str]:
    """The ModelProto and the folder its external data is relative to, from a path, bytes or a proto."""
    if isinstance(model, onnx.ModelProto):
        return model, ""
    if isinstance(model, (bytes, bytearray, memoryview)):
        try:
            return onnx.load_model_from_string(bytes(model)), ""
        except DecodeError as e:
            raise OnnxConversionError(f"Cannot parse ONNX model from {len(model)} bytes: {e}") from e
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"ONNX model file '{path}' does not exist")
        try:
            proto = onnx.load(path, load_external_data=False)
        except (DecodeError, RuntimeWarning, ValueError) as e:
            raise OnnxConversionError(f"Cannot parse ONNX model file '{path}': {e}") from e
        return proto, os.path.dirname(os.path.abspath(path))
    raise TypeError(f"Cannot read an ONNX model from {type(model).__name__}")


def read_onnx(model: Any) -> Model:
    """Convert an ONNX model (path, bytes or onnx.ModelProto) into an ov.Model."""
    proto, base_dir = load_onnx(model)
    return convert_model_proto(proto, base_dir)


def convert_model_proto(proto: onnx.ModelProto, base_dir: str = "") -> Model:
    from vinopy.frontend.onnx.registry import normalize_domain

    opsets = opset_map(proto.opset_import)
    functions = {(normalize_domain(f.domain), f.name): f for f in proto.functions}
    info = ModelInfo(base_dir, functions)
    unsupported = find_unsupported(proto.graph, opsets, info)
    if unsupported:
        raise UnsupportedOpsError(unsupported)
    model = convert_graph(proto.graph, Scope(info, opsets), proto.graph.name)
    # QDQ pairs become FakeQuantize here, as in OpenVINO's ONNX frontend: the model read from ONNX
    # then has OpenVINO's form for every plugin, for save_model and for vinopy.quantization
    qdq_passes = (
        MoveDequantizeBeforeDataMovement(),
        FuseQuantizeDequantize(),
        MergeDuplicateReaders(),
        PullReshapeThroughDequantization(),
    )
    for qdq_pass in qdq_passes:
        qdq_pass.run_on_model(model)
    for prop in proto.metadata_props:
        model.set_rt_info(prop.value, ["framework", prop.key])
    return model
