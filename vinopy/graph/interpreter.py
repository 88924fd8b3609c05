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
    """The nodes of a model in execution order, each with the slots of its inputs.

    Everything that does not depend on the input values is worked out once here: constant
    subgraphs are folded, and each step knows what it reads, its output dtypes and which values
    it is the last reader of."""

    def __init__(self, model: Model) -> None:
        ops = model.get_ordered_ops()
        slot = {id(n): i for i, n in enumerate(ops)}
        self.ops = ops
        args = [[(slot[id(o.node)], o.index) for o in n.input_values()] for n in ops]
        self.parameter_slots = [slot[id(p)] for p in model.get_parameters()]
        self.result_slots = [slot[id(r)] for r in model.get_results()]
        params = set(self.parameter_slots)
        self.constants: dict[int, list[np.ndarray]] = {}
        for i, node in enumerate(ops):
            if not args[i] and i not in params:
                value = node.fold()
                if value is not None:
                    self.constants[i] = value
        free_after = _last_readers(args, keep=set(self.result_slots) | set(self.constants))
        self._steps = [
            (i, node, args[i], _output_dtypes(node), free_after[i])
            for i, node in enumerate(ops)
            if i not in params and i not in self.constants
        ]

    def run(self, inputs: list[np.ndarray], profiler: Profiler | None = None) -> list[np.ndarray]:
        """Inputs in parameter order; outputs in result order."""
        if len(inputs) != len(self.parameter_slots):
            raise ValueError(f"expected {len(self.parameter_slots)} inputs, got {len(inputs)}")
        values: list[list[np.ndarray] | None] = [None] * len(self.ops)
        for i, value in self.constants.items():
            values[i] = value
        for i, value in zip(self.parameter_slots, inputs):
            values[i] = [value]
        for i, node, args, dtypes, free in self._steps:
            arrays = [values[src][idx] for src, idx in args]
            if profiler is None:
                values[i] = evaluate_node(node, arrays, dtypes)
            else:
                start = time.perf_counter()
                values[i] = evaluate_node(node, arrays, dtypes)
                profiler(node, time.perf_counter() - start)
            for src in free:
                values[src] = None
        return [values[s][0] for s in self.result_slots]


def _last_readers(args: list[list[tuple[int, int]]], keep: set[int]) -> list[list[int]]:
    """For each step, the values it reads last (and so can release), except those in ``keep``: big
    models then do not hold every activation."""
    last_use: dict[int, int] = {}
    for i, step_args in enumerate(args):
        for src, _ in step_args:
            last_use[src] = i
    free_after: list[list[int]] = [[] for _ in args]
    for src, i in last_use.items():
        if src not in keep:
            free_after[i].append(src)
    return free_after


def _output_dtypes(node: Node) -> list[np.dtype | None]:
    """The numpy dtype of each output, or None where the type is dynamic or string."""
    return [_dtype_of(node.get_output_element_type(i)) for i in range(node.get_output_size())]


def evaluate_node(
    node: Node, args: list[np.ndarray], dtypes: list[np.dtype | None] | None = None
) -> list[np.ndarray]:
    """Run one node's reference kernel; errors name the node and its inputs. The outputs get the
    node's output types (``dtypes``, when the caller has them at hand)."""
    try:
        out = node.evaluate(*args)
    except (ValueError, IndexError, TypeError, ZeroDivisionError, KeyError) as e:
        shapes = ", ".join(f"{np.asarray(a).dtype}{list(np.shape(a))}" for a in args)
        raise RuntimeError(
            f"{node.get_type_name()} '{node.get_friendly_name()}' failed on inputs ({shapes}): {e}"
        ) from e
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    if dtypes is not None and len(dtypes) == len(outs):
        return [_as_dtype(o, dt) for o, dt in zip(outs, dtypes)]
    return [_as_type(o, node.get_output_element_type(i)) for i, o in enumerate(outs)]


def _dtype_of(element_type: Type) -> np.dtype | None:
    return (
        element_type.to_dtype()
        if element_type.is_static() and element_type.get_type_name() != "string"
        else None
    )


def _as_dtype(value: Any, dtype: np.dtype | None) -> np.ndarray:
    """Kernels compute in numpy's promoted types; the output keeps the type inference gave it."""
    value = np.asarray(value)
    return value if dtype is None or value.dtype == dtype else value.astype(dtype)


def _as_type(value: Any, element_type: Type) -> np.ndarray:
    return _as_dtype(value, _dtype_of(element_type))
