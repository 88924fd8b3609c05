"""The executed graph that ``CompiledModel.get_runtime_model()`` returns, as OpenVINO's does: a node per
layer the device runs (several source ops fused into one layer are one node), described by string
rt_info under the keys below. Its Parameters and Results carry the same keys."""

from __future__ import annotations

from typing import Any

from vinopy.graph.node import Node, Output
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type

LAYER_TYPE = "layerType"  # the layer's kind: "Convolution", "Input", "Output", ...
ORIGINAL_NAMES = "originalLayersNames"  # the source ops it runs, comma-separated
IMPL_TYPE = "primitiveType"  # the kernel, as profiling's exec_type
EXECUTION_ORDER = "execOrder"
PERF_COUNTER = "execTimeMcs"
OUTPUT_PRECISIONS = "outputPrecisions"
RUNTIME_PRECISION = "runtimePrecision"  # the element type the layer computes in ("u8" for int8 layers)
OUTPUT_LAYOUTS = "outputLayouts"
NOT_EXECUTED = "not_executed"


class ExecutionNode(Node):
    """One layer of an executed graph: its inputs, and outputs of the types and shapes it writes."""

    type_name = "ExecutionNode"
    inputs_spec = ("*args",)

    def __init__(
        self, inputs: list[Output], outputs: list[tuple[Type, PartialShape]], name: str, info: dict[str, str]
    ) -> None:
        self._declared = outputs
        super().__init__(inputs, name=name)
        self.get_rt_info().update(info)

    def infer(self, *inputs: Output) -> Any:
        return list(self._declared)
