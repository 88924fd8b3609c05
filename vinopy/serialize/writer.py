"""Write a Model as OpenVINO IR v11: an .xml graph and a .bin of constant data."""

from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vinopy.graph import exec_model_info
from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output, RTMap
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.serialize import ir_format as fmt
from vinopy.serialize.bodies import SPECIAL_PORTS, body_attrs, write_bodies

_F16_MAX = float(np.finfo(np.float16).max)


@dataclass
class _Port:
    element_type: Type
    shape: PartialShape
    names: set[str] = field(default_factory=set)
    rt: RTMap = field(default_factory=RTMap)


class _Weights:
    """The .bin being built: chunks appended once each, identical bytes stored once."""

    def __init__(self) -> None:
        self.chunks: list[bytes | memoryview] = []
        self.size = 0
        self._seen: dict[tuple[int, bytes], int] = {}

    def add(self, data: bytes | memoryview) -> tuple[int, int]:
        nbytes = memoryview(data).nbytes
        key = (nbytes, hashlib.blake2b(data, digest_size=16).digest())
        if key not in self._seen:
            self._seen[key] = self.size
            self.chunks.append(data)
            self.size += nbytes
        return self._seen[key], nbytes

    def tobytes(self) -> bytes:
        return b"".join(self.chunks)


def write_ir(model: Model, xml_path: Any, bin_path: Any = None, compress_to_fp16: bool = False) -> None:
    """Write ``model`` to ``xml_path`` and its constants to ``bin_path`` (default: beside, .bin)."""
    xml_path = os.fspath(xml_path)
    bin_path = os.fspath(bin_path) if bin_path else os.path.splitext(xml_path)[0] + ".bin"
    xml, weights = _serialize(model, compress_to_fp16)
    for path in (xml_path, bin_path):
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
    with open(xml_path, "wb") as f:
        f.write(xml)
    with open(bin_path, "wb") as f:
        for chunk in weights.chunks:
            f.write(chunk)


def to_bytes(model: Model, compress_to_fp16: bool = False) -> tuple[bytes, bytes]:
    """The IR of ``model`` in memory: (xml, bin)."""
    xml, weights = _serialize(model, compress_to_fp16)
    return xml, weights.tobytes()


def save_model(model: Model, output_model: Any, compress_to_fp16: bool = True) -> None:
    """``ov.save_model``: write IR, with float32 constants stored as float16 by default."""
    write_ir(model, output_model, compress_to_fp16=compress_to_fp16)


def serialize(model: Model, xml_path: Any, bin_path: Any = None, version: Any = None) -> None:
    """``ov.serialize``: write IR with constants kept in their own precision."""
    write_ir(model, xml_path, bin_path)


def _serialize(model: Model, compress: bool) -> tuple[bytes, _Weights]:
    weights = _Weights()
    root = _NetWriter(weights, compress).net(model)
    ET.indent(root, "\t")
    return b'<?xml version="1.0"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n", weights


class _NetWriter:
    """Turns one graph (the model or a body) into a <net> element."""

    def __init__(self, weights: _Weights, compress: bool) -> None:
        self.weights, self.compress = weights, compress
        self.layers: ET.Element = ET.Element("layers")
        self.sources: dict[Output, tuple[int, int]] = {}  # output -> (layer id, port id)
        self.ids: dict[int, int] = {}  # id(node) -> layer id
        self.edges: list[tuple[int, int, int, int]] = []

    def net(self, model: Model) -> ET.Element:
        root = ET.Element("net", {"name": model.get_friendly_name(), "version": fmt.IR_VERSION})
        root.append(self.layers)
        results = {id(r) for r in model.get_results()}
        for node in model.get_ordered_ops():
            if id(node) not in results:
                self._node(node)
        for node in model.get_results():
            self._node(node)
        edges = ET.SubElement(root, "edges")
        for a, b, c, d in sorted(self.edges):
            ET.SubElement(
                edges,
                "edge",
                {"from-layer": str(a), "from-port": str(b), "to-layer": str(c), "to-port": str(d)},
            )
        if model.get_rt_info():
            fmt.model_rt_to_ir(ET.SubElement(root, "rt_info"), model.get_rt_info())
        return root

    # --- one node -----------------------------------------------------------------
    def _node(self, node: Node) -> None:
        from vinopy.ops.constant import Constant, Result

        if isinstance(node, Constant):
            self._constant(node)
            return
        inputs = [_input_port(node, i) for i in range(node.get_input_size())]
        outputs = [_output_port(o) for o in node.outputs()]
        if isinstance(node, Result):  # IR Results have no output port; their rt_info sits on the input
            inputs[0].rt = RTMap({**inputs[0].rt, **outputs[0].rt})
            outputs = []
        type_name = fmt.IR_TYPE_NAMES.get(node.get_type_name(), node.get_type_name())
        version, data, rt = node.version, _data(node), node.get_rt_info()
        if exec_model_info.LAYER_TYPE in rt:  # a layer of an executed graph, written as OpenVINO does
            type_name, version = rt[exec_model_info.LAYER_TYPE], ""
            described = {k: str(v) for k, v in rt.items() if k != exec_model_info.LAYER_TYPE}
            data, rt = {**data, **described}, RTMap()
        element = self._layer(type_name, version, node.get_friendly_name(), data, rt, inputs, outputs)
        if body_attrs(node):
            write_bodies(element, node, self._body)
        if isinstance(node, Result) and node.output(0).get_names():
            element.set("output_names", fmt.names_to_ir(node.output(0).get_names()))
        layer_id = int(element.get("id"))
        self.ids[id(node)] = layer_id
        for i, source in enumerate(node.input_values()):
            self.edges.append((*self.sources[source], layer_id, i))
        for j in range(len(outputs)):
            self.sources[node.output(j)] = (layer_id, len(inputs) + j)

    def _constant(self, node: Node) -> None:
        value = node.get_data()
        et = node.get_element_type()
        out = _output_port(node.output(0))
        if self._compressible(node, value):
            half = _Port(Type.f16, out.shape)
            const_id = self._const_layer(
                f"{node.get_friendly_name()}_compressed", value.astype(np.float16), Type.f16, RTMap(), half
            )
            rt = RTMap(node.get_rt_info())
            rt["decompression"] = True
            element = self._layer(
                "Convert", "opset1", node.get_friendly_name(), {"destination_type": "f32"}, rt, [half], [out]
            )
            layer_id = int(element.get("id"))
            self.edges.append((const_id, 0, layer_id, 0))
            self.sources[node.output(0)] = (layer_id, 1)
            return
        layer_id = self._const_layer(node.get_friendly_name(), value, et, node.get_rt_info(), out)
        self.sources[node.output(0)] = (layer_id, 0)
        self.ids[id(node)] = layer_id

    def _body(self, body: Model) -> tuple[ET.Element, dict[int, int]]:
        writer = _NetWriter(self.weights, self.compress)
        return writer.net(body), writer.ids

    def _compressible(self, node: Node, value: np.ndarray) -> bool:
        if not self.compress or value.dtype != np.float32 or "disable_fp16_compression" in node.get_rt_info():
            return False
        finite = value[np.isfinite(value)]
        return finite.size == 0 or float(np.abs(finite).max()) <= _F16_MAX

    def _const_layer(self, name: str, value: np.ndarray, et: Type, rt: RTMap, port: _Port) -> int:
        offset, size = self.weights.add(fmt.constant_bytes(value, et))
        data = {
            "element_type": et.get_type_name(),
            "shape": ", ".join(str(d) for d in value.shape),
            "offset": str(offset),
            "size": str(size),
        }
        return int(self._layer(fmt.CONST_LAYER, "opset1", name, data, rt, [], [port]).get("id"))

    def _layer(
        self,
        type_name: str,
        version: str,
        name: str,
        data: dict[str, str],
        rt: RTMap,
        inputs: list[_Port],
        outputs: list[_Port],
    ) -> ET.Element:
        layer_id = str(len(self.layers))
        attributes = {"id": layer_id, "name": name, "type": type_name}
        element = ET.SubElement(
            self.layers, "layer", {**attributes, **({"version": version} if version else {})}
        )
        if data:
            ET.SubElement(element, "data", data)
        fmt.rt_to_ir(element, rt)
        for tag, ports, first in (("input", inputs, 0), ("output", outputs, len(inputs))):
            if ports:
                group = ET.SubElement(element, tag)
                for k, port in enumerate(ports):
                    _port_element(group, first + k, port)
        return element


def _data(node: Node) -> dict[str, str]:
    data = {}
    for name, a in node.attrs.items():
        value = getattr(node, name)
        if value is None or a.kind == "Model" or name in SPECIAL_PORTS:
            continue
        data[a.xml_name] = fmt.attr_to_ir(a.kind, value)
    return data


def _input_port(node: Node, index: int) -> _Port:
    source = node.input_value(index)
    return _Port(source.get_element_type(), source.get_partial_shape(), rt=node.input(index).get_rt_info())


def _output_port(output: Output) -> _Port:
    return _Port(
        output.get_element_type(), output.get_partial_shape(), output.get_names(), output.get_rt_info()
    )


def _port_element(group: ET.Element, port_id: int, port: _Port) -> None:
    attrib = {"id": str(port_id), "precision": fmt.precision(port.element_type)}
    if port.names:
        attrib["names"] = fmt.names_to_ir(port.names)
    element = ET.SubElement(group, "port", attrib)
    for dim in fmt.port_dims(port.shape):
        ET.SubElement(element, "dim").text = dim
    fmt.rt_to_ir(element, port.rt)
