"""The runtime: Core, CompiledModel, InferRequest; also the legacy ``openvino.runtime`` namespace."""

from vinopy.graph import Dimension, Layout, Model, PartialShape, Shape, Tensor, Type, layout_helpers
from vinopy.graph.node import Input, Node, Output
from vinopy.runtime.async_queue import AsyncInferQueue
from vinopy.runtime.compiled_model import CompiledModel
from vinopy.runtime.core import Core, compile_model
from vinopy.runtime.infer_request import InferRequest, OVDict
from vinopy.runtime.plugin import ProfilingInfo

__all__ = [
    "AsyncInferQueue", "CompiledModel", "Core", "Dimension", "InferRequest", "Input", "Layout",
    "Model", "Node", "OVDict", "Output", "PartialShape", "ProfilingInfo", "Shape", "Tensor", "Type",
    "compile_model", "layout_helpers",
]
