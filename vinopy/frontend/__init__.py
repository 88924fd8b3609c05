"""Frontends: read model files and framework objects into ov.Model."""

from __future__ import annotations

import os
from typing import Any

from vinopy.frontend.manager import FrontEnd, FrontEndManager, InputModel
from vinopy.graph.model import Model

__all__ = ["FrontEnd", "FrontEndManager", "InputModel", "read_model"]


def read_model(model: Any, weights: Any = None) -> Model:
    """Read a model from a path, bytes or a framework object, choosing the frontend by its format."""
    if isinstance(model, Model):
        return model
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.exists(path):
            raise FileNotFoundError(f"Model file '{path}' does not exist")
        suffix = os.path.splitext(path)[1].lower()
        if suffix == ".onnx":
            from vinopy.frontend.onnx import read_onnx

            return read_onnx(path)
        if suffix == ".xml":
            from vinopy.serialize import read_ir

            return read_ir(path, weights)
        if suffix == ".tflite":
            from vinopy.frontend.tflite import read_tflite

            return read_tflite(path)
        raise ValueError(
            f"Cannot read '{path}': unknown model format '{suffix}' (expected .onnx, .xml or .tflite)"
        )
    if isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
        if data.lstrip().startswith(b"<"):
            from vinopy.serialize import read_ir

            return read_ir(data, weights)
        if data[4:8] == b"TFL3":  # the TFLite flatbuffer file identifier
            from vinopy.frontend.tflite import read_tflite

            return read_tflite(data)
        from vinopy.frontend.onnx import read_onnx

        return read_onnx(data)
    if type(model).__name__ == "ModelProto":
        from vinopy.frontend.onnx import read_onnx

        return read_onnx(model)
    from vinopy.frontend.pytorch import is_torch_module, read_torch

    if is_torch_module(model):
        return read_torch(model)
    raise TypeError(f"Cannot read a model from {type(model).__name__}")
