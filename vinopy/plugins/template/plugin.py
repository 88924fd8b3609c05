"""The TEMPLATE plugin: interprets the graph op by op with the reference kernels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from vinopy.graph.interpreter import Interpreter
from vinopy.graph.model import Model
from vinopy.graph.node import Node
from vinopy.runtime.plugin import Executable, Executor, ExecutorResult, Plugin, ProfilingInfo

_NOT_PROFILED = ("Parameter", "Result", "Constant")


class TemplatePlugin(Plugin):
    device_name = "TEMPLATE"

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
        rows: list[ProfilingInfo] = []

        def record(node: Node, seconds: float) -> None:
            if node.get_type_name() not in _NOT_PROFILED:
                elapsed = timedelta(seconds=seconds)
                exec_type = "ref_" + node.get_output_element_type(0).get_type_name()
                rows.append(ProfilingInfo(node.get_friendly_name(), node.get_type_name(), exec_type,
                                          elapsed, elapsed))

        outputs = self.interpreter.run(inputs, record if profile else None)
        return ExecutorResult(outputs, rows)
