"""Ops with bodies (If, Loop, TensorIterator): port maps and back edges in IR.

For a body attribute ``<x>body`` the IR holds ``<x>port_map`` (then_port_map, port_map, ...),
``<x>back_edges`` and the body graph ``<x>body``. ``external_port_id`` is the op's IR port id
(inputs first, then outputs); ``internal_layer_id`` the body Parameter's or Result's layer id.
The descriptions are those of vinopy.ops.control_flow.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from vinopy.graph.model import Model
from vinopy.graph.node import Node
from vinopy.serialize.ir_format import IRError

_SLICE_FIELDS = ("axis", "start", "end", "stride", "part_size")
# attributes that IR writes as port_map entries with a purpose, not in <data>: Loop's
# special_body_ports = [current iteration Parameter index, execution condition Result index]
SPECIAL_PORTS = {"special_body_ports": (("input", "current_iteration"), ("output", "execution_condition"))}


def body_attrs(node_or_cls: Any) -> list[str]:
    return [name for name, a in node_or_cls.attrs.items() if a.kind == "Model"]


def _tag(body: str, what: str) -> str:
    return body.replace("body", what)


# --- writing ------------------------------------------------------------------------
def write_bodies(
    element: ET.Element, node: Node, net: Callable[[Model], tuple[ET.Element, dict[int, int]]]
) -> None:
    """Append port maps, back edges and body nets for every body of ``node``."""
    from vinopy.ops.control_flow import ConcatOutputDescription, MergedInputDescription, SliceInputDescription

    n_inputs = node.get_input_size()
    for index, name in enumerate(body_attrs(node)):
        body = getattr(node, name)
        if body is None:
            continue
        body_net, ids = net(body)
        params = [ids[id(p)] for p in body.get_parameters()]
        results = [ids[id(r)] for r in body.get_results()]
        port_map = ET.SubElement(element, _tag(name, "port_map"))
        back_edges = []
        for desc in node.get_input_descriptions(index):
            item = ET.SubElement(
                port_map,
                "input",
                {
                    "external_port_id": str(desc.input_index),
                    "internal_layer_id": str(params[desc.body_parameter_index]),
                },
            )
            if isinstance(desc, SliceInputDescription):
                _set_slice(item, desc)
            if isinstance(desc, MergedInputDescription):
                back_edges.append((results[desc.body_value_index], params[desc.body_parameter_index]))
        for desc in node.get_output_descriptions(index):
            item = ET.SubElement(
                port_map,
                "output",
                {
                    "external_port_id": str(n_inputs + desc.output_index),
                    "internal_layer_id": str(results[desc.body_value_index]),
                },
            )
            if isinstance(desc, ConcatOutputDescription):
                _set_slice(item, desc)
        _write_special_ports(port_map, node, {"input": params, "output": results})
        if back_edges:
            edges = ET.SubElement(element, _tag(name, "back_edges"))
            for src, dst in back_edges:
                ET.SubElement(edges, "edge", {"from-layer": str(src), "to-layer": str(dst)})
        body_net.tag = name
        body_net.attrib.clear()
        element.append(body_net)


def _write_special_ports(port_map: ET.Element, node: Node, layers: dict[str, list[int]]) -> None:
    for attr_name, ports in SPECIAL_PORTS.items():
        if attr_name not in node.attrs:
            continue
        for (tag, purpose), index in zip(ports, getattr(node, attr_name)):
            if index >= 0:
                attrib = {
                    "external_port_id": "-1",
                    "internal_layer_id": str(layers[tag][index]),
                    "purpose": purpose,
                }
                ET.SubElement(port_map, tag, attrib)


def _set_slice(item: ET.Element, desc: Any) -> None:
    for field in _SLICE_FIELDS:
        item.set(field, str(getattr(desc, field)))


# --- reading ------------------------------------------------------------------------
def read_bodies(
    element: ET.Element, cls: type[Node], read_net: Callable[[ET.Element], tuple[Model, dict[str, Node]]]
) -> tuple[dict[str, Any], Any]:
    """The bodies of a layer (with the attributes kept in its port maps), and a function that
    gives the built node its descriptions."""
    bodies: dict[str, Model] = {}
    layer_ids: dict[str, dict[str, Node]] = {}
    for name in body_attrs(cls):
        net = element.find(name)
        if net is None:
            raise IRError(f"has no <{name}>")
        bodies[name], layer_ids[name] = read_net(net)
    special = _read_special_ports(element, cls, bodies, layer_ids)

    def describe(node: Node, outputs: list[str]) -> None:
        for index, name in enumerate(bodies):
            inputs, outs = _descriptions(element, name, bodies[name], layer_ids[name], outputs)
            node.set_input_descriptions(index, inputs)
            node.set_output_descriptions(index, outs)
        node.validate_and_infer_types()

    return {**bodies, **special}, describe


def _read_special_ports(
    element: ET.Element, cls: type[Node], bodies: dict[str, Model], layer_ids: dict[str, dict[str, Node]]
) -> dict[str, list[int]]:
    values: dict[str, list[int]] = {}
    for attr_name, ports in SPECIAL_PORTS.items():
        if attr_name not in cls.attrs or not bodies:
            continue
        name = next(iter(bodies))
        nodes = {"input": bodies[name].get_parameters(), "output": bodies[name].get_results()}
        values[attr_name] = [-1] * len(ports)
        for k, (tag, purpose) in enumerate(ports):
            for item in element.findall(f"{_tag(name, 'port_map')}/{tag}[@purpose='{purpose}']"):
                node = layer_ids[name].get(item.get("internal_layer_id", ""))
                values[attr_name][k] = next((i for i, n in enumerate(nodes[tag]) if n is node), -1)
    return values


def _descriptions(
    element: ET.Element, name: str, body: Model, layers: dict[str, Node], outputs: list[str]
) -> tuple[list[Any], list[Any]]:
    from vinopy.ops import control_flow as cf

    params, results = body.get_parameters(), body.get_results()
    back = {
        e.get("to-layer"): e.get("from-layer") for e in element.findall(f"{_tag(name, 'back_edges')}/edge")
    }

    def index_of(nodes: list[Node], layer_id: str | None, what: str) -> int:
        node = layers.get(layer_id or "")
        position = next((i for i, n in enumerate(nodes) if n is node), -1)
        if position < 0:
            raise IRError(f"{_tag(name, 'port_map')} names layer {layer_id} of {name}, which is not a {what}")
        return position

    inputs: list[Any] = []
    outs: list[Any] = []
    for item in element.findall(f"{_tag(name, 'port_map')}/input"):
        external, internal = int(item.get("external_port_id", "-1")), item.get("internal_layer_id")
        if external < 0:
            continue  # special body ports (Loop's current_iteration) are the op's own attributes
        param = index_of(params, internal, "Parameter")
        if item.get("axis") is not None:
            inputs.append(cf.SliceInputDescription(external, param, *_slice(item)))
        elif internal in back:
            inputs.append(
                cf.MergedInputDescription(external, param, index_of(results, back[internal], "Result"))
            )
        else:
            inputs.append(cf.InvariantInputDescription(external, param))
    for item in element.findall(f"{_tag(name, 'port_map')}/output"):
        port, internal = item.get("external_port_id", "-1"), item.get("internal_layer_id")
        if port not in outputs:
            continue  # the execution condition has no external port
        result, output = index_of(results, internal, "Result"), outputs.index(port)
        if item.get("axis") is not None:
            outs.append(cf.ConcatOutputDescription(result, output, *_slice(item)))
        else:
            outs.append(cf.BodyOutputDescription(result, output))
    return inputs, outs


def _slice(item: ET.Element) -> tuple[int, int, int, int, int]:
    """(start, stride, part_size, end, axis), the order of the description classes."""
    get = {
        f: int(item.get(f, default))
        for f, default in (("start", "0"), ("stride", "1"), ("part_size", "1"), ("end", "-1"), ("axis", "0"))
    }
    return get["start"], get["stride"], get["part_size"], get["end"], get["axis"]
