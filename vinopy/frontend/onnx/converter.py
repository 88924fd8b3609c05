"""Graph conversion: initializers, inputs, nodes (translated or expanded as functions), outputs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import defs

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import (
    NodeContext,
    OnnxConversionError,
    element_type,
    partial_shape,
    tensor_value,
)
from vinopy.frontend.onnx.registry import find_translator, normalize_domain
from vinopy.graph.model import Model
from vinopy.graph.node import Node, NodeValidationError, Output

FunctionKey = tuple[str, str]


@dataclass
class ModelInfo:
    """What every scope of one model shares: where external data lives and the local functions."""

    base_dir: str = ""
    functions: dict[FunctionKey, onnx.FunctionProto] = field(default_factory=dict)


class Scope:
    """Named values of one graph, function body or subgraph, with the opsets its nodes use.

    A child scope sees its parent's values. An inlined one (a branch chosen at conversion time)
    reads them directly; a capturing one (an If/Loop/Scan body) turns each outer value it reads
    into a Parameter of the body, recorded in ``captures`` as (outer value, body Parameter).
    """

    def __init__(
        self, info: ModelInfo, opsets: dict[str, int], parent: Scope | None = None, capture: bool = False
    ) -> None:
        self.info = info
        self.opsets = opsets
        self.parent = parent
        self.values: dict[str, Output] = {}
        self.captures: list[tuple[Output, Node]] | None = [] if capture else None

    @property
    def base_dir(self) -> str:
        return self.info.base_dir

    def lookup(self, name: str) -> Output:
        if name in self.values:
            return self.values[name]
        if self.parent is not None and self.captures is None:  # an inlined subgraph reads outer values
            return self.parent.lookup(name)
        if self.parent is not None:
            outer = self.parent.lookup(name)
            if outer.get_node().get_type_name() == "Constant":  # keep constants foldable in the body
                self.values[name] = ops.constant(outer.get_node().get_data(), name=name).output(0)
                return self.values[name]
            param = ops.parameter(outer.get_partial_shape(), outer.get_element_type(), name=name)
            param.output(0).set_names({name})
            self.captures.append((outer, param))
            self.values[name] = param.output(0)
            return param.output(0)
        raise OnnxConversionError(f"value '{name}' is used before it is defined")

    def opset(self, domain: str) -> int:
        return domain_version(self.opsets, domain)

    def child(self, capture: bool = True) -> Scope:
        return Scope(self.info, self.opsets, self, capture)


def domain_version(opsets: dict[str, int], domain: str) -> int:
    """The opset a node of ``domain`` uses: the imported one, else the newest ONNX opset for the
    default domain and 1 for others (contrib domains are often not imported)."""
    domain = normalize_domain(domain)
    if domain in opsets:
        return opsets[domain]
    return defs.onnx_opset_version() if domain == "" else 1


def opset_map(imports: Iterable[onnx.OperatorSetIdProto]) -> dict[str, int]:
    return {normalize_domain(o.domain): o.version for o in imports}


# --- graphs -----------------------------------------------------------------------------------------


def convert_graph(graph: onnx.GraphProto, scope: Scope, name: str = "") -> Model:
    """Convert the main graph: initializers become Constants, inputs Parameters."""
    add_initializers(graph, scope)
    params = [add_parameter(scope, inp) for inp in graph.input if inp.name not in scope.values]
    return Model(convert_body_nodes(graph, scope), params, name or graph.name)


def convert_subgraph(
    graph: onnx.GraphProto, parent: Scope, bound: dict[str, Output], params: list[Node]
) -> tuple[Model, list[tuple[Output, Node]]]:
    """Convert an If/Loop/Scan body whose declared inputs take the ``bound`` values (made from the
    caller's ``params``). Returns the body, with the Parameters of the outer values it reads
    appended, and those (outer value, body Parameter) pairs."""
    scope = parent.child(capture=True)
    scope.values.update(bound)
    add_initializers(graph, scope)
    results = convert_body_nodes(graph, scope)
    captures = scope.captures or []
    return Model(results, params + [param for _, param in captures], graph.name), captures


def inline_subgraph(graph: onnx.GraphProto, parent: Scope) -> list[Output]:
    """Convert a subgraph into the parent graph (a branch chosen at conversion time); its outputs."""
    scope = parent.child(capture=False)
    add_initializers(graph, scope)
    convert_nodes(graph.node, scope)
    return [scope.lookup(out.name) for out in graph.output]


def add_initializers(graph: onnx.GraphProto, scope: Scope) -> None:
    # an initializer named like a graph input is that input's constant value (IR < 4 style)
    for init in graph.initializer:
        add_constant(scope, init.name, tensor_value(init, scope.base_dir))
    for sparse in graph.sparse_initializer:
        add_constant(scope, sparse.values.name, onnx.numpy_helper.to_array(sparse))


def convert_body_nodes(graph: onnx.GraphProto, scope: Scope) -> list[Node]:
    """Convert the nodes of a graph and return a Result per graph output."""
    convert_nodes(graph.node, scope)
    results = []
    for out in graph.output:
        value = scope.lookup(out.name)
        value.add_names({out.name})
        results.append(ops.result(value, name=out.name))
    return results


def add_constant(scope: Scope, name: str, value: np.ndarray) -> None:
    # the array was just decoded from the protobuf and nothing else holds it: no second copy
    node = ops.constant(value, name=name, shared_memory=True)
    node.output(0).set_names({name})
    scope.values[name] = node.output(0)


def add_parameter(scope: Scope, value_info: onnx.ValueInfoProto) -> Node:
    value_type = value_info.type
    # an optional tensor input is a tensor input that must be given: a model has no empty values
    if value_type.HasField("optional_type") and value_type.optional_type.elem_type.HasField("tensor_type"):
        value_type = value_type.optional_type.elem_type
    if not value_type.HasField("tensor_type"):
        kind = value_type.WhichOneof("value")
        raise OnnxConversionError(f"input '{value_info.name}' has type {kind}; only tensors are supported")
    et = element_type(value_type.tensor_type.elem_type)
    param = ops.parameter(partial_shape(value_type), et, name=value_info.name)
    param.output(0).set_names({value_info.name})
    scope.values[value_info.name] = param.output(0)
    return param


# --- nodes ------------------------------------------------------------------------------------------


def convert_nodes(nodes: Iterable[onnx.NodeProto], scope: Scope) -> None:
    for node in nodes:
        convert_node(node, scope)


def convert_node(node: onnx.NodeProto, scope: Scope) -> None:
    inputs = [scope.lookup(name) if name else None for name in node.input]
    opset = scope.opset(node.domain)
    translator = find_translator(node.domain, node.op_type)
    try:
        if translator is not None:
            outputs = translator.fn(NodeContext(node, inputs, opset, scope))
        else:
            from vinopy.frontend.onnx.functions import expand_function

            outputs = expand_function(node, inputs, opset, scope)
    except OnnxConversionError:
        raise
    except (NodeValidationError, ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
        raise OnnxConversionError(
            f"cannot convert {node.op_type} node '{node.name or node.output[0]}' "
            f"(domain '{node.domain or 'ai.onnx'}', opset {opset}): {e}"
        ) from e
    bind_outputs(node, outputs, scope)


def bind_outputs(node: onnx.NodeProto, outputs: object, scope: Scope) -> None:
    """Name the translated outputs after the node's output tensors; the producer gets the node name."""
    values = [outputs] if isinstance(outputs, (Output, Node)) else list(outputs)  # type: ignore[arg-type]
    values = [v.output(0) if isinstance(v, Node) else v for v in values]
    for i, name in enumerate(node.output):
        if not name:
            continue
        if i >= len(values) or values[i] is None:
            raise OnnxConversionError(
                f"{node.op_type} node '{node.name or name}': output {i} ('{name}') was not produced"
            )
        value = values[i]
        value.add_names({name})
        producer = value.get_node()
        if producer.get_friendly_name() == producer.get_name():  # made by this translation, unnamed
            producer.set_friendly_name(node.name or name)
        scope.values[name] = value
