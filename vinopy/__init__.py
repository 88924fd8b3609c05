"""vinopy: a deep-learning inference toolkit with OpenVINO's Python API."""

__version__ = "0.1.0"

from vinopy import opset1, opset2, opset3, opset4, opset5, opset6, opset7, opset8  # noqa: E402
from vinopy import opset9, opset10, opset11, opset12, opset13, opset14, opset15, opset16  # noqa: E402
from vinopy.graph import (  # noqa: E402
    Dimension,
    Layout,
    Model,
    PartialShape,
    Shape,
    Tensor,
    Type,
    layout_helpers,
)
from vinopy.graph.node import Input, Node, Output  # noqa: E402
from vinopy.runtime import (  # noqa: E402
    AsyncInferQueue,
    CompiledModel,
    Core,
    InferRequest,
    OVDict,
    ProfilingInfo,
    compile_model,
)
from vinopy.serialize import save_model, serialize  # noqa: E402

__all__ = [
    "AsyncInferQueue", "CompiledModel", "Core", "Dimension", "InferRequest", "Input", "Layout",
    "Model", "Node", "OVDict", "Output", "PartialShape", "ProfilingInfo", "Shape", "Tensor", "Type",
    "compile_model", "layout_helpers", "opset1", "opset2", "opset3", "opset4", "opset5", "opset6",
    "opset7", "opset8", "opset9", "opset10", "opset11", "opset12", "opset13", "opset14", "opset15",
    "opset16", "save_model", "serialize",
]
