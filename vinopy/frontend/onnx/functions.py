"""Functions: model-local ONNX functions and ops that ONNX defines with a function body are expanded
into their body's nodes when no translator exists; and the up-front check for untranslatable ops."""

from __future__ import annotations

from collections.abc import Iterable

import onnx
from onnx import defs, helper

from vinopy.frontend.onnx.context import OnnxConversionError
from vinopy.frontend.onnx.converter import ModelInfo, Scope, convert_node, domain_version, opset_map
from vinopy.frontend.onnx.registry import find_translator, normalize_domain
from vinopy.graph.node import Output


def expand_function(
    node: onnx.NodeProto, inputs: list[Output | None], opset: int, scope: Scope
) -> list[Output]:
    """Convert a node by converting its function body in a scope of its own."""
    function = find_function(node, opset, scope.info, inputs)
    if function is None:
        raise OnnxConversionError(
            f"no translator or function body for {node.domain or 'ai.onnx'}::{node.op_type} (opset {opset})"
        )
    body = Scope(scope.info, {**scope.opsets, **opset_map(function.opset_import)})
    for name, value in zip(function.input, inputs):
        if name and value is not None:
            body.values[name] = value
    attrs = _attribute_defaults(node, opset)
    attrs.update({a.name: a for a in function.attribute_proto})
    attrs.update({a.name: a for a in node.attribute})
    for body_node in function.node:
        convert_node(_bind_attributes(body_node, attrs), body)
    # a context-dependent body defines only the outputs the node asks for
    return [body.lookup(name) if used else None for name, used in zip(function.output, node.output)]


def _attribute_defaults(node: onnx.NodeProto, opset: int) -> dict[str, onnx.AttributeProto]:
    """The schema's default attribute values, which a function body's references fall back to."""
    try:
        schema = defs.get_schema(node.op_type, opset, node.domain)
    except defs.SchemaError:
        return {}
    return {name: a.default_value for name, a in schema.attributes.items() if a.default_value.name}


def find_function(
    node: onnx.NodeProto, opset: int, info: ModelInfo, inputs: list[Output | None] | None = None
) -> onnx.FunctionProto | None:
    """The model-local function or the ONNX schema function body for a node, if there is one."""
    local = info.functions.get((normalize_domain(node.domain), node.op_type))
    if local is not None:
        return local
    try:
        schema = defs.get_schema(node.op_type, opset, node.domain)
    except defs.SchemaError:
        return None
    if schema.has_function:
        version = _pick_version(schema.function_opset_versions, opset)
        return _parse(schema.get_function_with_opset_version(version))
    if schema.has_context_dependent_function:
        if inputs is None:  # only checking that a body exists
            return onnx.FunctionProto()
        version = _pick_version(schema.context_dependent_function_opset_versions, opset)
        types = [_type_proto(v).SerializeToString() for v in inputs]
        data = schema.get_context_dependent_function_with_opset_version(
            version, node.SerializeToString(), types
        )
        return _parse(data) if data else None
    return None


def _pick_version(versions: Iterable[int], opset: int) -> int:
    versions = sorted(versions)
    usable = [v for v in versions if v <= opset]
    return usable[-1] if usable else versions[0]


def _parse(data: bytes) -> onnx.FunctionProto:
    function = onnx.FunctionProto()
    function.ParseFromString(data)
    return function


def _type_proto(value: Output | None) -> onnx.TypeProto:
    if value is None:
        return onnx.TypeProto()
    et = value.get_element_type()
    elem = (
        onnx.TensorProto.STRING
        if et.get_type_name() == "string"
        else (
            helper.np_dtype_to_tensor_dtype(et.to_dtype()) if et.is_static() else onnx.TensorProto.UNDEFINED
        )
    )
    ps = value.get_partial_shape()
    dims = None if ps.rank.is_dynamic else [d.get_length() if d.is_static else None for d in ps]
    return helper.make_tensor_type_proto(elem, dims)


def _bind_attributes(node: onnx.NodeProto, attrs: dict[str, onnx.AttributeProto]) -> onnx.NodeProto:
    """A copy of a body node whose attribute references (ref_attr_name) take the caller's values."""
    if not any(a.ref_attr_name for a in node.attribute):
        return node
    bound = onnx.NodeProto()
    bound.CopyFrom(node)
    del bound.attribute[:]
    for a in node.attribute:
        if not a.ref_attr_name:
            bound.attribute.append(a)
        elif a.ref_attr_name in attrs:
            value = onnx.AttributeProto()
            value.CopyFrom(attrs[a.ref_attr_name])
            value.name = a.name
            bound.attribute.append(value)
    return bound


# --- the up-front check -----------------------------------------------------------------------------


def find_unsupported(graph: onnx.GraphProto, opsets: dict[str, int], info: ModelInfo) -> list[str]:
    """Every op in the graph (subgraphs and function bodies included) that cannot be converted,
    one line each: type, domain, opset version and the names of its nodes."""
    missing: dict[tuple[str, str, int], list[str]] = {}
    _walk(graph.node, opsets, info, missing, set())
    return [
        f"{op_type} (domain '{domain or 'ai.onnx'}', opset {version}): nodes {', '.join(names)}"
        for (domain, op_type, version), names in missing.items()
    ]


def _walk(
    nodes: Iterable[onnx.NodeProto],
    opsets: dict[str, int],
    info: ModelInfo,
    missing: dict[tuple[str, str, int], list[str]],
    seen: set[tuple[str, str, int]],
) -> None:
    for node in nodes:
        domain = normalize_domain(node.domain)
        version = domain_version(opsets, domain)
        for a in node.attribute:
            for g in list(a.graphs) + ([a.g] if a.HasField("g") else []):
                _walk(g.node, opsets, info, missing, seen)
        if find_translator(domain, node.op_type) is not None:
            continue
        function = find_function(node, version, info)
        key = (domain, node.op_type, version)
        if function is None:
            missing.setdefault(key, []).append(f"'{node.name or node.output[0]}'")
        elif key not in seen:
            seen.add(key)
            _walk(function.node, {**opsets, **opset_map(function.opset_import)}, info, missing, seen)
