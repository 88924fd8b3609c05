"""``dump(model)``: the graph as text, one line per node, for golden tests and debugging.

    x = Parameter() -> f32[2,3]
    Add_0 = Add(x, Constant_0) -> f32[2,3]

Nodes named by the user keep their friendly name; automatic names are renumbered per type in
order of appearance, so that dumps do not depend on how many nodes were built before. Attributes
that differ from their default are listed as ``name=value``; small Constants show their values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output

_MAX_SHOWN_VALUES = 8


def dump(model: Model) -> str:
    names: dict[int, str] = {}
    counts: dict[str, int] = {}
    lines = []
    for node in model.get_ordered_ops():
        names[id(node)] = _name(node, counts)
        lines.append(_line(node, names))
    return "\n".join(lines)


def _name(node: Node, counts: dict[str, int]) -> str:
    if node.get_friendly_name() != node.get_name():
        return node.get_friendly_name()
    kind = node.get_type_name()
    counts[kind] = counts.get(kind, 0) + 1
    return f"{kind}_{counts[kind] - 1}"


def _line(node: Node, names: dict[int, str]) -> str:
    args = ", ".join(_ref(o, names) for o in node.input_values())
    attrs = " ".join(f"{k}={_text(v)}" for k, v in _shown_attributes(node).items())
    outs = ", ".join(f"{o.get_element_type().get_type_name()}{o.get_partial_shape()}" for o in node.outputs())
    middle = f" {attrs}" if attrs else ""
    return f"{names[id(node)]} = {node.get_type_name()}({args}){middle} -> {outs}"


def _ref(output: Output, names: dict[int, str]) -> str:
    name = names[id(output.get_node())]
    return name if output.get_node().get_output_size() == 1 else f"{name}:{output.get_index()}"


def _shown_attributes(node: Node) -> dict[str, Any]:
    if node.get_type_name() == "Constant":
        value = node.get_data()
        return {"value": value.reshape(-1).tolist()} if value.size <= _MAX_SHOWN_VALUES else {}
    if node.get_type_name() == "Parameter":
        return {}  # its type and shape are its output
    shown = {}
    for name, spec in node.attrs.items():
        value = getattr(node, name)
        if spec.required or not _equal(value, spec.default):
            shown[name] = value
    return shown


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(np.all(np.asarray(a == b)))
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str:
    if hasattr(value, "get_type_name"):
        return value.get_type_name()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace(" ", "")
