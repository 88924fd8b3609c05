"""IgnoredScope: the nodes that quantization and weight compression must leave in float."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vinopy.graph.model import Model
from vinopy.graph.node import Node
from vinopy.quantization.parameters import ValidationError


@dataclass
class Subgraph:
    """Every node on a path from one of ``inputs`` to one of ``outputs`` (node names, both ends in)."""

    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


@dataclass
class IgnoredScope:
    """Nodes to leave in float, by friendly name, by regular expression on the name (whole-name
    match), by op type name, or as subgraphs. With ``validate`` a name, type, pattern or subgraph end
    that matches nothing raises :class:`ValidationError`."""

    names: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    subgraphs: list[Subgraph] = field(default_factory=list)
    validate: bool = True

    def __init__(
        self,
        names: list[str] | None = None,
        patterns: list[str] | None = None,
        types: list[str] | None = None,
        subgraphs: list[Subgraph] | None = None,
        validate: bool = True,
    ) -> None:
        self.names = list(names or [])
        self.patterns = list(patterns or [])
        self.types = list(types or [])
        self.subgraphs = list(subgraphs or [])
        self.validate = validate


def ignored_nodes(model: Model, scope: IgnoredScope | None) -> set[Node]:
    """The nodes of ``model`` that ``scope`` names."""
    if scope is None:
        return set()
    ops = model.get_ordered_ops()
    by_name: dict[str, list[Node]] = {}
    for node in ops:
        by_name.setdefault(node.get_friendly_name(), []).append(node)
    missing: list[str] = []
    found: set[Node] = set()
    for name in scope.names:
        _collect(found, by_name.get(name, []), f"name '{name}'", missing)
    for pattern in scope.patterns:
        regex = re.compile(pattern)
        _collect(
            found, [n for n in ops if regex.fullmatch(n.get_friendly_name())], f"pattern '{pattern}'", missing
        )
    for type_name in scope.types:
        _collect(found, [n for n in ops if n.get_type_name() == type_name], f"type '{type_name}'", missing)
    for sub in scope.subgraphs:
        _collect(found, _subgraph_nodes(ops, by_name, sub, missing), f"subgraph {sub}", missing)
    if missing and scope.validate:
        raise ValidationError(
            "Ignored scope entries match no node of the model: "
            + "; ".join(missing)
            + ". Fix them or pass IgnoredScope(..., validate=False)."
        )
    return found


def _collect(found: set[Node], nodes: list[Node], what: str, missing: list[str]) -> None:
    if nodes:
        found.update(nodes)
    else:
        missing.append(what)


def _subgraph_nodes(
    ops: list[Node], by_name: dict[str, list[Node]], sub: Subgraph, missing: list[str]
) -> list[Node]:
    """Nodes reachable from the inputs (following consumers) that also reach an output."""
    starts = _named(by_name, sub.inputs, missing)
    ends = _named(by_name, sub.outputs, missing)
    forward = set(starts)
    for node in ops:  # topological order: a node is reached once one of its producers is
        if any(o.get_node() in forward for o in node.input_values()):
            forward.add(node)
    backward = set(ends)
    for node in reversed(ops):
        if node in backward:
            backward.update(o.get_node() for o in node.input_values())
    return [n for n in ops if n in forward and n in backward]


def _named(by_name: dict[str, list[Node]], names: list[str], missing: list[str]) -> list[Node]:
    nodes = []
    for name in names:
        if name not in by_name:
            missing.append(f"subgraph end '{name}'")
        nodes.extend(by_name.get(name, []))
    return nodes
