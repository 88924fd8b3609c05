"""Read OpenVINO IR (v10/v11): the .xml graph, constants memory-mapped from the .bin."""

from __future__ import annotations

import mmap
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import numpy as np

from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output
from vinopy.graph.tensor import Tensor
from vinopy.serialize import ir_format as fmt
from vinopy.serialize.bodies import body_attrs, read_bodies
from vinopy.serialize.ir_format import IRError


def read_ir(model: Any, weights: Any = None) -> Model:
    """A Model from IR: ``model`` is a path to the .xml or its bytes/str; ``weights`` a path to
    the .bin, its bytes, or a u8 Tensor (default: the .bin beside the .xml, when there is one)."""
    if isinstance(model, (str, os.PathLike)) and not str(model).lstrip().startswith("<"):
        path = os.fspath(model)
        with open(path, "rb") as f:
            text = f.read()
        if weights is None:
            beside = os.path.splitext(path)[0] + ".bin"
            weights = beside if os.path.exists(beside) else None
        where = path
    else:
        text = model.encode() if isinstance(model, str) else bytes(model)
        where = "IR xml"
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise IRError(f"{where}: not well-formed XML ({e})") from None
    if root.tag != "net" or root.get("version") not in ("10", "11"):
        raise IRError(
            f'{where}: expected <net version="10" or "11">, got <{root.tag} version={root.get("version")!r}>'
        )
    return _NetReader(_buffer(weights)).model(root)


def _buffer(weights: Any) -> Any:
    """The weights as a buffer numpy can view without copying; a file is memory-mapped."""
    if weights is None:
        return b""
    if isinstance(weights, Tensor):
        return np.ascontiguousarray(weights.data).reshape(-1).view(np.uint8)
    if isinstance(weights, (bytes, bytearray, memoryview, np.ndarray)):
        return weights
    path = os.fspath(weights)
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # stays valid after close


@dataclass
class _Layer:
    element: ET.Element
    id: str
    name: str
    type: str
    inputs: list[str]  # port ids, in order
    outputs: list[str]

    def __str__(self) -> str:
        return f"layer id={self.id} name='{self.name}' type={self.type}"


class _NetReader:
    def __init__(self, weights: Any) -> None:
        self.weights = weights
        self.size = memoryview(weights).nbytes

    def model(self, net: ET.Element) -> Model:
        return self.graph(net)[0]

    def graph(self, net: ET.Element) -> tuple[Model, dict[str, Node]]:
        """The model of a <net> (or a body) and its nodes by layer id."""
        from vinopy.ops.constant import Parameter, Result

        layers = self._layers(net)
        sources = self._edges(net, layers)
        nodes: dict[str, Node] = {}
        for layer_id in _topological(layers, sources):
            layer = layers[layer_id]
            inputs = [
                nodes[src].output(index) for src, index in (sources[(layer_id, p)] for p in layer.inputs)
            ]
            nodes[layer_id] = self._node(layer, inputs)
        ordered = [nodes[i] for i in layers]
        params = [n for n in ordered if isinstance(n, Parameter)]
        results = [n for n in ordered if isinstance(n, Result)]
        try:
            model = Model(results, params, net.get("name", ""))
        except (TypeError, ValueError) as e:
            raise IRError(f"IR graph is not a valid model: {e}") from None
        model._sinks = [n for n in ordered if n.get_output_size() == 0 and not isinstance(n, Result)]
        section = net.find("rt_info")
        if section is not None:
            model.get_rt_info().update(fmt.model_rt_from_ir(section))
        return model, nodes

    # --- structure --------------------------------------------------------------
    def _layers(self, net: ET.Element) -> dict[str, _Layer]:
        section = net.find("layers")
        if section is None:
            raise IRError("IR has no <layers> section")
        layers: dict[str, _Layer] = {}
        for element in section.findall("layer"):
            missing = [a for a in ("id", "type", "version") if element.get(a) is None]
            if missing:
                raise IRError(f"layer {element.get('name')!r} has no {', '.join(missing)} attribute")
            layer = _Layer(
                element,
                element.get("id"),
                element.get("name", ""),
                element.get("type"),
                _port_ids(element, "input"),
                _port_ids(element, "output"),
            )
            if layer.id in layers:
                raise IRError(f"{layer}: id is used by another layer")
            layers[layer.id] = layer
        return layers

    def _edges(self, net: ET.Element, layers: dict[str, _Layer]) -> dict[tuple[str, str], tuple[str, int]]:
        """(to layer, to port) -> (from layer, output index), checking both ends exist."""
        sources: dict[tuple[str, str], tuple[str, int]] = {}
        for edge in net.findall("edges/edge"):
            ends = [edge.get(k) for k in ("from-layer", "from-port", "to-layer", "to-port")]
            src, src_port, dst, dst_port = ends
            what = f"edge {src}:{src_port} -> {dst}:{dst_port}"
            if src not in layers or dst not in layers:
                raise IRError(f"{what} names a layer that does not exist")
            if src_port not in layers[src].outputs:
                raise IRError(f"{what}: {layers[src]} has no output port {src_port}")
            if dst_port not in layers[dst].inputs:
                raise IRError(f"{what}: {layers[dst]} has no input port {dst_port}")
            if (dst, dst_port) in sources:
                raise IRError(f"{what}: input port {dst_port} of {layers[dst]} has two edges")
            sources[(dst, dst_port)] = (src, layers[src].outputs.index(src_port))
        for layer in layers.values():
            for port in layer.inputs:
                if (layer.id, port) not in sources:
                    raise IRError(f"{layer}: input port {port} has no edge")
        return sources

    # --- one layer ----------------------------------------------------------------
    def _node(self, layer: _Layer, inputs: list[Output]) -> Node:
        try:
            node = self._build(layer, inputs)
        except IRError as e:
            raise IRError(f"{layer}: {e}") from None
        except (ValueError, TypeError, KeyError, IndexError, NotImplementedError) as e:
            raise IRError(f"{layer}: {e}") from e
        if node.get_output_size() < len(layer.outputs):
            raise IRError(
                f"{layer}: the IR lists {len(layer.outputs)} outputs, the op has {node.get_output_size()}"
            )
        self._annotate(node, layer)
        return node

    def _build(self, layer: _Layer, inputs: list[Output]) -> Node:
        from vinopy.ops.constant import Constant
        from vinopy.ops.registry import get_op_class

        data = layer.element.find("data")
        attrib = dict(data.attrib) if data is not None else {}
        if layer.type == fmt.CONST_LAYER:
            return Constant(self._constant(attrib), name=layer.name, shared_memory=True)
        version = layer.element.get("version")
        try:
            cls = get_op_class(fmt.OP_TYPE_NAMES.get(layer.type, layer.type), version)
        except (KeyError, ValueError) as e:
            raise IRError(f"cannot make op {layer.type}-{version}: {e.args[0]}") from None
        by_ir_name = {a.xml_name: a for a in cls.attrs.values()}
        unknown = sorted(set(attrib) - set(by_ir_name))
        if unknown:
            raise IRError(f"{cls.type_name}-{cls.version} has no attribute(s) {unknown}")
        attrs = {}
        for key, text in attrib.items():
            a = by_ir_name[key]
            try:
                attrs[a.name] = fmt.attr_from_ir(a.kind, text)
            except ValueError as e:
                raise IRError(f"attribute {key}={text!r}: {e}") from None
        if not body_attrs(cls):
            return cls(*inputs, name=layer.name, **attrs)
        bodies, describe = read_bodies(layer.element, cls, _NetReader(self.weights).graph)
        node = cls(*inputs, name=layer.name, **attrs, **bodies)
        describe(node, layer.outputs)
        return node

    def _constant(self, attrib: dict[str, str]) -> np.ndarray:
        missing = [k for k in ("element_type", "shape", "offset", "size") if k not in attrib]
        if missing:
            raise IRError(f"Const needs attribute(s) {missing}")
        et = fmt.type_from_ir(attrib["element_type"])
        shape = [int(d) for d in attrib["shape"].split(",") if d.strip()]
        offset, size = int(attrib["offset"]), int(attrib["size"])
        if offset < 0 or size < 0 or offset + size > self.size:
            raise IRError(
                f"data at offset {offset} size {size} lies beyond the end of the weights ({self.size} bytes)"
            )
        return fmt.constant_array(self.weights, offset, size, et, shape)

    def _annotate(self, node: Node, layer: _Layer) -> None:
        """Names and rt_info of the node and its ports."""
        from vinopy.ops.constant import Result

        node.get_rt_info().update(fmt.rt_from_ir(layer.element))
        for index, port in enumerate(layer.element.findall("input/port")):
            target = node.output(0) if isinstance(node, Result) else node.input(index)
            target.get_rt_info().update(fmt.rt_from_ir(port))
        for index, port in enumerate(layer.element.findall("output/port")):
            output = node.output(index)
            output.add_names(fmt.names_from_ir(port.get("names", "")))
            output.get_rt_info().update(fmt.rt_from_ir(port))
        if isinstance(node, Result):
            node.output(0).add_names(fmt.names_from_ir(layer.element.get("output_names", "")))


def _port_ids(element: ET.Element, tag: str) -> list[str]:
    ports = element.findall(f"{tag}/port")
    ids = [p.get("id") for p in ports]
    if None in ids:
        raise IRError(f"layer id={element.get('id')} name={element.get('name')!r}: a {tag} port has no id")
    return ids


def _topological(layers: dict[str, _Layer], sources: dict[tuple[str, str], tuple[str, int]]) -> list[str]:
    """Layer ids, each after the layers it reads; a cycle is an error."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    for start in layers:
        if start in state:
            continue
        stack = [(start, iter(layers[start].inputs))]
        state[start] = 1
        while stack:
            layer_id, ports = stack[-1]
            port = next(ports, None)
            if port is None:
                stack.pop()
                state[layer_id] = 2
                order.append(layer_id)
                continue
            src = sources[(layer_id, port)][0]
            if state.get(src) == 1:
                raise IRError(f"{layers[src]} is part of a cycle")
            if src not in state:
                state[src] = 1
                stack.append((src, iter(layers[src].inputs)))
    return order
