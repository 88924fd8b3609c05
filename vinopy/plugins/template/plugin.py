"""The TEMPLATE plugin: interprets the graph op by op with the reference kernels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from vinopy.graph.interpreter import Interpreter
from vinopy.graph.model import Model
from vinopy.graph.node import Node
from vinopy.runtime.plugin import (
    COMMON_RW,
    STREAMS_RW,
    Executable,
    Executor,
    ExecutorResult,
    Plugin,
    ProfilingInfo,
)


class TemplatePlugin(Plugin):
    """The reference device; requests run in parallel threads, so it accepts streams."""

    device_name = "TEMPLATE"
    default_config = {**COMMON_RW, **STREAMS_RW}

    def compile(self, model: Model, config: dict[str, Any]) -> Executable:
        return TemplateExecutable(model)

    def query_model(self, model: Model, config: dict[str, Any]) -> dict[str, str]:
        return {n.get_friendly_name(): self.device_name for n in model.get_ordered_ops()}

    def full_name(self) -> str:
        return "Template reference device (numpy)"


class TemplateExecutable(Executable):
    def __init__(self, model: Model) -> None:
        self.model = model
        self.interpreter = Interpreter(model)

    def create_executor(self) -> Executor:
        return TemplateExecutor(self.interpreter)


class TemplateExecutor(Executor):
    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter

    def run(self, inputs: list[np.ndarray], profile: bool = False) -> ExecutorResult:
        if not profile:
            return ExecutorResult(self.interpreter.run(inputs))
        times: dict[int, float] = {}

        def record(node: Node, seconds: float) -> None:
            times[id(node)] = seconds

        outputs = self.interpreter.run(inputs, record)
        return ExecutorResult(outputs, [_row(node, times.get(id(node))) for node in self.interpreter.ops])


def _row(node: Node, seconds: float | None) -> ProfilingInfo:
    """A profiling row; nodes with no kernel run (Parameter, Constant, Result) are NOT_RUN."""
    ran = seconds is not None and node.get_type_name() != "Result"
    elapsed = timedelta(seconds=seconds) if ran else timedelta()
    exec_type = "ref_" + node.get_output_element_type(0).get_type_name() if node.get_output_size() else "ref"
    status = ProfilingInfo.EXECUTED if ran else ProfilingInfo.NOT_RUN
    return ProfilingInfo(node.get_friendly_name(), node.get_type_name(), exec_type, elapsed, elapsed, status)
