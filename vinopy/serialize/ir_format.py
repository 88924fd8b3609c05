"""What reader and writer share: OpenVINO IR v11 spellings of types, attribute values, names, rt_info."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np

from vinopy.graph.layout import Layout
from vinopy.graph.node import RTMap
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type

IR_VERSION = "11"
# op type names that OpenVINO spells differently in IR
IR_TYPE_NAMES = {"Constant": "Const", "Relu": "ReLU", "PRelu": "PReLU", "Softmax": "SoftMax"}
OP_TYPE_NAMES = {v: k for k, v in IR_TYPE_NAMES.items()}
CONST_LAYER = IR_TYPE_NAMES["Constant"]

# element type name -> port precision as OpenVINO writes it
PRECISIONS = {
    "dynamic": "UNSPECIFIED",
    "boolean": "BOOL",
    "bf16": "BF16",
    "f16": "FP16",
    "f32": "FP32",
    "f64": "FP64",
    "i4": "I4",
    "i8": "I8",
    "i16": "I16",
    "i32": "I32",
    "i64": "I64",
    "u1": "U1",
    "u4": "U4",
    "u8": "U8",
    "u16": "U16",
    "u32": "U32",
    "u64": "U64",
    "string": "STRING",
    "f8e4m3": "F8E4M3",
    "f8e5m2": "F8E5M2",
    "u2": "U2",
    "f4e2m1": "F4E2M1",
    "f8e8m0": "F8E8M0",
}
_TYPE_ALIASES = {"undefined": "dynamic", "bool": "boolean"}
_SUB_BYTE = {"u4": (4, False), "i4": (4, True), "u2": (2, False), "i2": (2, True), "u1": (1, False)}
_SUB_BYTE_FLOAT = {"f4e2m1": 4}  # packed as their bit codes, like u4


class IRError(ValueError):
    """An IR file that cannot be read: corrupt, truncated, or naming what vinopy does not know."""


# --- element types ------------------------------------------------------------
def type_from_ir(text: str) -> Type:
    try:
        return Type.resolve(_TYPE_ALIASES.get(text, text))
    except TypeError:
        raise IRError(f"unknown element type '{text}'") from None


def precision(et: Type) -> str:
    return PRECISIONS.get(et.get_type_name(), et.get_type_name().upper())


# --- shapes -------------------------------------------------------------------
def shape_to_ir(shape: PartialShape) -> str:
    """A PartialShape attribute as OpenVINO writes it: '1,3,?,2..10', '' for a scalar, '...'."""
    if shape.rank.is_dynamic:
        return "..."
    return ",".join(str(d) for d in shape)


def port_dims(shape: PartialShape) -> list[str]:
    """<dim> texts of a port: -1 for every dimension that is not static; none for dynamic rank."""
    if shape.rank.is_dynamic:
        return []
    return [str(d.get_length()) if d.is_static else "-1" for d in shape]


# --- tensor names ---------------------------------------------------------------
def names_to_ir(names: set[str]) -> str:
    return ",".join(n.replace(",", "\\,") for n in sorted(names))


def names_from_ir(text: str) -> set[str]:
    return {n.replace("\\,", ",").strip() for n in re.split(r"(?<!\\),", text) if n.strip()}


# --- op attributes by kind --------------------------------------------------------
def attr_to_ir(kind: str, value: Any) -> str:
    if kind == "bool" or isinstance(value, bool):
        return "true" if value else "false"
    if kind == "Type" or isinstance(value, Type):
        return Type.resolve(value).get_type_name()
    if kind == "PartialShape" or isinstance(value, PartialShape):
        return shape_to_ir(value)
    if kind == "float" or isinstance(value, float):
        return _float_text(value)
    if kind.startswith("list[") or isinstance(value, (list, tuple)):
        return ",".join(_float_text(v) if isinstance(v, float) else str(v) for v in value)
    return str(value)


def attr_from_ir(kind: str, text: str) -> Any:
    if kind == "bool":
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"expected true or false, got '{text}'")
        return text.lower() in ("true", "1")
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "Type":
        return type_from_ir(text)
    if kind == "PartialShape":
        return PartialShape(text)
    if kind.startswith("list["):
        parts = [p.strip() for p in text.split(",") if p.strip()]
        convert = {"list[int]": int, "list[float]": float}.get(kind, str)
        return [convert(p) for p in parts]
    return text


def _float_text(value: float) -> str:
    """Shortest text that reads back to the same float32-or-wider value, as OpenVINO writes it."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


# --- rt_info --------------------------------------------------------------------
def rt_to_ir(parent: ET.Element, rt: RTMap) -> None:
    """Node and port rt_info as <rt_info><attribute name=.. version="0" .../></rt_info>."""
    attributes = [(k, v) for k, v in rt.items() if _serializable_rt(v)]
    if not attributes:
        return
    section = ET.SubElement(parent, "rt_info")
    for key, value in attributes:
        item = ET.SubElement(section, "attribute", {"name": key, "version": "0"})
        if isinstance(value, Layout):
            item.set("layout", str(value))
        elif isinstance(value, dict):
            for k, v in value.items():
                item.set(k, str(v))
        elif value is not True:
            item.set("value", _rt_text(value))


def rt_from_ir(element: ET.Element | None) -> RTMap:
    rt = RTMap()
    section = None if element is None else element.find("rt_info")
    if section is None:
        return rt
    for item in section.findall("attribute"):
        extra = {k: v for k, v in item.attrib.items() if k not in ("name", "version")}
        key = item.get("name", "")
        if not extra:
            rt[key] = True
        elif set(extra) == {"layout"}:
            rt[key] = Layout(extra["layout"])
        elif set(extra) == {"value"}:
            rt[key] = extra["value"]
        else:
            rt[key] = RTMap(extra)
    return rt


def model_rt_to_ir(parent: ET.Element, rt: RTMap) -> None:
    """The model's <rt_info>: nested elements, keys that are not XML names as <info name=...>."""
    for key, value in rt.items():
        if not _serializable_rt(value):
            continue
        if re.fullmatch(r"[A-Za-z_][\w.-]*", key) and key != "info":
            item = ET.SubElement(parent, key)
        else:
            item = ET.SubElement(parent, "info", {"name": key})
        if isinstance(value, dict):
            model_rt_to_ir(item, value)
        else:
            item.set("value", _rt_text(value))


def model_rt_from_ir(section: ET.Element) -> RTMap:
    rt = RTMap()
    for item in section:
        key = item.get("name", "") if item.tag == "info" else item.tag
        rt[key] = model_rt_from_ir(item) if len(item) else item.get("value", "")
    return rt


def _serializable_rt(value: Any) -> bool:
    return isinstance(value, (str, bool, int, float, Layout, dict, list, tuple))


def _rt_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- constant data ------------------------------------------------------------------
def constant_bytes(array: np.ndarray, et: Type) -> bytes | memoryview:
    """The bytes OpenVINO stores for a constant: raw little-endian, sub-byte types packed."""
    name = et.get_type_name()
    if name == "string":
        return _pack_strings(array)
    if name in _SUB_BYTE:
        bits, _ = _SUB_BYTE[name]
        return _pack_bits(np.asarray(array).astype(np.uint8).reshape(-1), bits)
    if name in _SUB_BYTE_FLOAT:
        codes = np.ascontiguousarray(array, et.to_dtype()).view(np.uint8).reshape(-1)
        return _pack_bits(codes, _SUB_BYTE_FLOAT[name])
    contiguous = np.ascontiguousarray(array)
    return memoryview(contiguous.reshape(-1).view(np.uint8))


def constant_array(buffer: Any, offset: int, size: int, et: Type, shape: list[int]) -> np.ndarray:
    """A read-only array over ``buffer[offset:offset+size]`` (no copy for whole-byte types)."""
    count = int(np.prod(shape)) if shape else 1
    name = et.get_type_name()
    if name == "string":
        return _unpack_strings(bytes(buffer[offset : offset + size]), count).reshape(shape)
    if name in _SUB_BYTE:
        bits, signed = _SUB_BYTE[name]
        raw = np.frombuffer(buffer, np.uint8, size, offset)
        values = _unpack_bits(raw, bits, count, signed)
        return values.astype(et.to_dtype()).reshape(shape)
    if name in _SUB_BYTE_FLOAT:
        raw = np.frombuffer(buffer, np.uint8, size, offset)
        codes = _unpack_bits(raw, _SUB_BYTE_FLOAT[name], count, False).view(np.uint8)
        return codes.view(et.to_dtype()).reshape(shape)
    dtype = et.to_dtype()
    if count * dtype.itemsize != size:
        raise IRError(f"size {size} does not match {count} element(s) of {name}")
    return np.frombuffer(buffer, dtype, count, offset).reshape(shape)


def _pack_bits(values: np.ndarray, bits: int) -> bytes:
    per_byte = 8 // bits
    padded = np.zeros(-(-values.size // per_byte) * per_byte, np.uint8)
    padded[: values.size] = values & ((1 << bits) - 1)
    groups = padded.reshape(-1, per_byte)
    if bits == 1:  # u1: the first element in the most significant bit
        shifts = np.arange(per_byte - 1, -1, -1, dtype=np.uint8)
    else:  # u4/i4/u2/f4e2m1: the first element in the lowest bits
        shifts = np.arange(0, 8, bits, dtype=np.uint8)
    return np.bitwise_or.reduce(groups << shifts, axis=1).astype(np.uint8).tobytes()


def _unpack_bits(raw: np.ndarray, bits: int, count: int, signed: bool) -> np.ndarray:
    per_byte = 8 // bits
    if bits == 1:
        shifts = np.arange(per_byte - 1, -1, -1, dtype=np.uint8)
    else:
        shifts = np.arange(0, 8, bits, dtype=np.uint8)
    values = ((raw[:, None] >> shifts) & ((1 << bits) - 1)).reshape(-1)[:count].astype(np.int8)
    if signed:
        values = np.where(values >= 1 << (bits - 1), values - (1 << bits), values).astype(np.int8)
    return values


def _pack_strings(array: np.ndarray) -> bytes:
    """OpenVINO's string tensor: i32 count, i32 end offsets (count + 1, from 0), then the bytes."""
    encoded = [str(s).encode() for s in np.asarray(array).reshape(-1)]
    ends = np.cumsum([0] + [len(e) for e in encoded]).astype("<i4")
    return np.array([len(encoded)], "<i4").tobytes() + ends.tobytes() + b"".join(encoded)


def _unpack_strings(data: bytes, count: int) -> np.ndarray:
    header = np.frombuffer(data, "<i4", 1)
    if len(data) < 4 or int(header[0]) != count:
        raise IRError(f"string constant header does not give {count} string(s)")
    ends = np.frombuffer(data, "<i4", count + 1, 4)
    body = data[4 * (count + 2) :]
    return np.array([body[ends[i] : ends[i + 1]].decode() for i in range(count)], dtype=np.str_)
