"""The runtime: Core, CompiledModel, InferRequest; also the legacy ``openvino.runtime`` namespace
(``from vinopy.runtime import Core, Model, Tensor, opset13`` as OpenVINO 2023 code writes it).

``__all__`` is also the top-level ``vinopy`` namespace's list, less its own ``properties`` (the
legacy ``openvino.runtime.properties``), which must not replace ``vinopy.properties`` there."""

from vinopy import (
    opset1,
    opset2,
    opset3,
    opset4,
    opset5,
    opset6,
    opset7,
    opset8,
    opset9,
    opset10,
    opset11,
    opset12,
    opset13,
    opset14,
    opset15,
    opset16,
)
from vinopy.graph import Dimension, Layout, Model, PartialShape, Shape, Tensor, Type, layout_helpers
from vinopy.graph.node import Input, Node, Output
from vinopy.runtime import properties as properties
from vinopy.runtime.async_queue import AsyncInferQueue
from vinopy.runtime.compiled_model import CompiledModel
from vinopy.runtime.core import Core, Version, compile_model
from vinopy.runtime.infer_request import InferRequest, OVDict
from vinopy.runtime.plugin import ProfilingInfo

ConstOutput = Output

__all__ = [
    "AsyncInferQueue",
    "CompiledModel",
    "ConstOutput",
    "Core",
    "Dimension",
    "InferRequest",
    "Input",
    "Layout",
    "Model",
    "Node",
    "OVDict",
    "Output",
    "PartialShape",
    "ProfilingInfo",
    "Shape",
    "Tensor",
    "Type",
    "Version",
    "compile_model",
    "layout_helpers",
    "opset1",
    "opset2",
    "opset3",
    "opset4",
    "opset5",
    "opset6",
    "opset7",
    "opset8",
    "opset9",
    "opset10",
    "opset11",
    "opset12",
    "opset13",
    "opset14",
    "opset15",
    "opset16",
]
