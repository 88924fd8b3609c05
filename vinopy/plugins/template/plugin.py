"""The TEMPLATE plugin: interprets the graph op by op with the reference kernels."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import numpy as np

from vinopy.graph.model import Model
from vinopy.graph.node import Node
from vinopy.ops.constant import Constant, Parameter, Result
from vinopy.runtime.plugin import Executable, Executor, ExecutorResult, Plugin, ProfilingInfo


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
        self.plan = Plan(model)

    def create_executor(self) -> Executor:
        return TemplateExecutor(self.plan)


class Plan:
    """The ops of a model in execution order, each with the slots of its inputs."""

    def __init__(self, model: Model) -> None:
        ops = model.get_ordered_ops()
        slot = {id(n): i for i, n in enumerate(ops)}
        self.ops = ops
        self.args = [[(slot[id(o.node)], o.index) for o in n.input_values()] for n in ops]
        self.parameter_slots = [slot[id(p)] for p in model.get_parameters()]
        self.result_slots = [slot[id(r)] for r in model.get_results()]
        self.constants = {slot[id(n)]: [n.value] for n in ops if isinstance(n, Constant)}
        # release each value after its last reader so big models do not hold every activation
        last_use: dict[int, int] = {}
        for i, args in enumerate(self.args):
            for src, _ in args:
                last_use[src] = i
        self.free_after: list[list[int]] = [[] for _ in ops]
        keep = set(self.result_slots) | set(self.constants)
        for src, i in last_use.items():
            if src not in keep:
                self.free_after[i].append(src)


class TemplateExecutor(Executor):
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def run(self, inputs: list[np.ndarray], profile: bool = False) -> ExecutorResult:
        plan = self.plan
        values: dict[int, list[np.ndarray]] = dict(plan.constants)
        for slot, value in zip(plan.parameter_slots, inputs):
            values[slot] = [value]
        rows: list[ProfilingInfo] = []
        for i, node in enumerate(plan.ops):
            if i in values:
                continue
            args = [values[src][idx] for src, idx in plan.args[i]]
            start = time.perf_counter()
            values[i] = _run_node(node, args)
            if profile and not isinstance(node, (Parameter, Result, Constant)):
                elapsed = timedelta(seconds=time.perf_counter() - start)
                rows.append(ProfilingInfo(node.get_friendly_name(), node.get_type_name(),
                                          "ref_" + node.get_output_element_type(0).get_type_name(),
                                          elapsed, elapsed))
            for src in plan.free_after[i]:
                values.pop(src, None)
        return ExecutorResult([values[s][0] for s in plan.result_slots], rows)


def _run_node(node: Node, args: list[np.ndarray]) -> list[np.ndarray]:
    try:
        out = node.evaluate(*args)
    except (ValueError, IndexError, TypeError, ZeroDivisionError) as e:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in args)
        raise RuntimeError(
            f"{node.get_type_name()} '{node.get_friendly_name()}' failed on inputs ({shapes}): {e}"
        ) from e
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return [_as_type(o, node.get_output_element_type(i)) for i, o in enumerate(outs)]


def _as_type(value: Any, element_type: Any) -> np.ndarray:
    """Kernels compute in numpy's promoted types; the output keeps the type inference gave it."""
    value = np.asarray(value)
    if element_type.is_static() and element_type.get_type_name() != "string":
        dtype = element_type.to_dtype()
        if value.dtype != dtype:
            return value.astype(dtype)
    return value
