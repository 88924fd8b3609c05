"""A small pattern matcher: patterns are graphs built with opset functions and wildcards.

    x = any_input()
    pattern = ops.relu(ops.add(ops.matmul(x, wrap_type("Constant")), any_input()))
    m = match(pattern, node.output(0))     # a Match or None
    m[x]                                    # the graph Output that x stood for

An op node in a pattern matches a graph node of the same type (attributes are not compared; use a
predicate for that), whose inputs match the pattern's inputs. A Constant in a pattern matches a
graph Constant with the same value (a single pattern value matches a constant filled with it).
A pattern node used twice must match the same graph output both times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from vinopy.graph.node import Node, Output, as_output
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type

Predicate = Callable[[Output], bool]


class _Wildcard(Node):
    """A pattern-only node: dynamic type and shape, so that any op accepts it as an input."""

    type_name = "Wildcard"
    inputs_spec = ("*inputs",)

    def __init__(self, *inputs: Any, predicate: Predicate | None = None) -> None:
        self.predicate = predicate
        super().__init__(*inputs)

    def infer(self, *inputs: Output) -> tuple[Type, PartialShape]:
        return Type.dynamic, PartialShape.dynamic()

    def accepts(self, output: Output) -> bool:
        return self.predicate is None or bool(self.predicate(output))


class AnyInput(_Wildcard):
    """Matches any output."""

    type_name = "AnyInput"


class WrapType(_Wildcard):
    """Matches a node of one of ``types``; its inputs are matched only when the pattern gives them."""

    type_name = "WrapType"

    def __init__(self, types: Iterable[str], *inputs: Any, predicate: Predicate | None = None) -> None:
        self.types = tuple(types)
        super().__init__(*inputs, predicate=predicate)


def any_input(predicate: Predicate | None = None) -> Output:
    return AnyInput(predicate=predicate).output(0)


def wrap_type(types: str | Iterable[str], *inputs: Any, predicate: Predicate | None = None) -> Output:
    """``wrap_type("Relu")``, ``wrap_type(["Relu", "Sigmoid"], x)``: a node of one of the types."""
    names = [types] if isinstance(types, str) else list(types)
    return WrapType(names, *[as_output(i) for i in inputs], predicate=predicate).output(0)


def has_static_shape(output: Output) -> bool:
    return output.get_partial_shape().is_static


def consumers_count(count: int) -> Predicate:
    return lambda output: len(output.get_target_inputs()) == count


class Match:
    """What each pattern node stood for in the graph: ``match[pattern_output]`` -> graph Output."""

    def __init__(self, root: Output) -> None:
        self.root = root
        self._bound: dict[int, tuple[Output, Output]] = {}

    def __getitem__(self, pattern: Any) -> Output:
        key = as_output(pattern)
        if id(key.node) not in self._bound:
            raise KeyError(f"{key.node.get_type_name()} is not part of the matched pattern")
        return self._bound[id(key.node)][1]

    def __contains__(self, pattern: Any) -> bool:
        return id(as_output(pattern).node) in self._bound

    def bind(self, pattern: Output, output: Output) -> bool:
        """Record that ``pattern`` stands for ``output``; False when it already stands for another."""
        previous = self._bound.get(id(pattern.node))
        if previous is not None:
            return previous[1] == output
        self._bound[id(pattern.node)] = (pattern, output)
        return True


def match(pattern: Any, output: Output) -> Match | None:
    """A Match of ``pattern`` rooted at ``output``, or None."""
    result = Match(output)
    return result if _match(as_output(pattern), output, result) else None


def _match(pattern: Output, output: Output, result: Match) -> bool:
    p = pattern.node
    if not _node_matches(p, pattern, output):
        return False
    if not result.bind(pattern, output):
        return False
    if isinstance(p, AnyInput) or (isinstance(p, WrapType) and not p.input_values()):
        return True
    graph_inputs = output.node.input_values()
    pattern_inputs = p.input_values()
    if len(graph_inputs) != len(pattern_inputs):
        return False
    return all(_match(pi, gi, result) for pi, gi in zip(pattern_inputs, graph_inputs))


def _node_matches(p: Node, pattern: Output, output: Output) -> bool:
    node = output.node
    if isinstance(p, AnyInput):
        return p.accepts(output)
    if isinstance(p, WrapType):
        return node.get_type_name() in p.types and p.accepts(output)
    if node.get_type_name() != p.get_type_name() or pattern.index != output.index:
        return False
    if p.get_type_name() == "Constant":
        return _same_value(p.get_data(), node.get_data())
    return True


def _same_value(expected: np.ndarray, actual: np.ndarray) -> bool:
    if expected.size == 1 and actual.size > 0:
        return bool(np.all(actual == expected.reshape(-1)[0]))
    return expected.shape == actual.shape and bool(np.all(expected == actual))
