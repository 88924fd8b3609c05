"""Runs a Model with each node's numpy ``evaluate``: the engine of TEMPLATE, bodies and folding."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from vinopy.graph.model import Model
from vinopy.graph.node import Node
from vinopy.graph.types import Type

# called after each node with (node, seconds) when profiling
Profiler = Callable[[Node, float], None]


class Interpreter:
    """The nodes of a model in execution order, each with the slots of its inputs."""

    def __init__(self, model: Model) -> None:
        ops = model.get_ordered_ops()
        slot = {id(n): i for i, n in enumerate(ops)}
        self.ops = ops
        self.args = [[(slot[id(o.node)], o.index) for o in n.input_values()] for n in ops]
        self.parameter_slots = [slot[id(p)] for p in model.get_parameters()]
        self.result_slots = [slot[id(r)] for r in model.get_results()]
        params = set(self.parameter_slots)
        self.constants: dict[int, list[np.ndarray]] = {}
        for i, node in enumerate(ops):
            if not self.args[i] and i not in params:
                value = node.fold()
                if value is not None:
                    self.constants[i] = value
        # release each value after its last reader so big models do not hold every activation
        last_use: dict[int, int] = {}
        for i, args in enumerate(self.args):
            for src, _ in args:
                last_use[src] = i
        keep = set(self.result_slots) | set(self.constants)
        self.free_after: list[list[int]] = [[] for _ in ops]
        for src, i in last_use.items():
            if src not in keep:
                self.free_after[i].append(src)

    def run(self, inputs: list[np.ndarray], profiler: Profiler | None = None) -> list[np.ndarray]:
        """Inputs in parameter order; outputs in result order."""
        if len(inputs) != len(self.parameter_slots):
            raise ValueError(f"expected {len(self.parameter_slots)} inputs, got {len(inputs)}")
        values: dict[int, list[np.ndarray]] = dict(self.constants)
        for slot, value in zip(self.parameter_slots, inputs):
            values[slot] = [value]
        for i, node in enumerate(self.ops):
            if i in values:
                continue
            args = [values[src][idx] for src, idx in self.args[i]]
            start = time.perf_counter()
            values[i] = evaluate_node(node, args)
            if profiler is not None:
                profiler(node, time.perf_counter() - start)
            for src in self.free_after[i]:
                values.pop(src, None)
        return [values[s][0] for s in self.result_slots]


def evaluate_node(node: Node, args: list[np.ndarray]) -> list[np.ndarray]:
    """Run one node's reference kernel; errors name the node and its inputs."""
    try:
        out = node.evaluate(*args)
    except (ValueError, IndexError, TypeError, ZeroDivisionError, KeyError) as e:
        shapes = ", ".join(f"{np.asarray(a).dtype}{list(np.shape(a))}" for a in args)
        raise RuntimeError(
            f"{node.get_type_name()} '{node.get_friendly_name()}' failed on inputs ({shapes}): {e}"
        ) from e
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return [_as_type(o, node.get_output_element_type(i)) for i, o in enumerate(outs)]


def _as_type(value: Any, element_type: Type) -> np.ndarray:
    """Kernels compute in numpy's promoted types; the output keeps the type inference gave it."""
    value = np.asarray(value)
    if element_type.is_static() and element_type.get_type_name() != "string":
        dtype = element_type.to_dtype()
        if value.dtype != dtype:
            return value.astype(dtype)
    return value
