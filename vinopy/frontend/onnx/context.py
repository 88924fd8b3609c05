"""What a translator sees of one ONNX node: its inputs as graph outputs, attributes with defaults."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from vinopy import opset16 as ops
from vinopy.graph.node import Output, const_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type

if TYPE_CHECKING:
    from vinopy.frontend.onnx.converter import Scope


class OnnxConversionError(RuntimeError):
    """An ONNX model could not be converted."""


def element_type(onnx_type: int) -> Type:
    """The vinopy element type of an ONNX TensorProto data type."""
    if onnx_type == onnx.TensorProto.STRING:
        return Type.string
    if onnx_type == onnx.TensorProto.UNDEFINED:
        return Type.dynamic
    try:
        return Type.resolve(helper.tensor_dtype_to_np_dtype(onnx_type))
    except (KeyError, TypeError, ValueError) as e:
        name = onnx.TensorProto.DataType.Name(onnx_type)
        raise OnnxConversionError(f"ONNX element type {name} is not supported") from e


def partial_shape(type_proto: onnx.TypeProto) -> PartialShape:
    """The shape of a tensor type; symbolic or missing dims are dynamic, a missing shape is dynamic rank."""
    tensor = type_proto.tensor_type
    if not tensor.HasField("shape"):
        return PartialShape.dynamic()
    return PartialShape(
        [Dimension(d.dim_value) if d.HasField("dim_value") else Dimension() for d in tensor.shape.dim]
    )


def tensor_value(tensor: onnx.TensorProto, base_dir: str = "") -> np.ndarray:
    """A TensorProto as an array; external data is read relative to ``base_dir``."""
    array = numpy_helper.to_array(tensor, base_dir)
    if array.dtype == object:  # strings come back as bytes objects
        array = np.array(
            [v.decode() if isinstance(v, bytes) else str(v) for v in array.reshape(-1)], dtype=np.str_
        ).reshape(array.shape)
    return array


class NodeContext:
    """One node during translation: ``ctx.input(i)``, ``ctx.attr(name, default)``, ``ctx.opset``."""

    def __init__(self, node: onnx.NodeProto, inputs: list[Output | None], opset: int, scope: Scope) -> None:
        self.node = node
        self.inputs = inputs
        self.opset = opset
        self.scope = scope
        self._attrs = {a.name: a for a in node.attribute}

    @property
    def op_type(self) -> str:
        return self.node.op_type

    @property
    def name(self) -> str:
        return self.node.name or (self.node.output[0] if self.node.output else self.node.op_type)

    @property
    def num_outputs(self) -> int:
        return len(self.node.output)

    def output_used(self, index: int) -> bool:
        return index < len(self.node.output) and bool(self.node.output[index])

    def input(self, index: int) -> Output:
        value = self.optional(index)
        if value is None:
            raise OnnxConversionError(f"{self.op_type} '{self.name}': input {index} is required")
        return value

    def optional(self, index: int) -> Output | None:
        return self.inputs[index] if index < len(self.inputs) else None

    def has_input(self, index: int) -> bool:
        return self.optional(index) is not None

    def has_attr(self, name: str) -> bool:
        return name in self._attrs

    def attr(self, name: str, default: Any = None) -> Any:
        """An attribute's value: ints, floats, str, lists, arrays for tensors, GraphProto for graphs."""
        proto = self._attrs.get(name)
        if proto is None:
            return default
        if proto.type == onnx.AttributeProto.TENSOR:
            return tensor_value(proto.t, self.scope.base_dir)
        if proto.type == onnx.AttributeProto.SPARSE_TENSOR:
            return numpy_helper.to_array(proto.sparse_tensor)
        value = helper.get_attribute_value(proto)
        if isinstance(value, bytes):
            return value.decode()
        if isinstance(value, list) and value and isinstance(value[0], bytes):
            return [v.decode() for v in value]
        return value

    def const_input(self, index: int) -> np.ndarray | None:
        """The value of an input when known at conversion time (None for a missing optional input)."""
        value = self.optional(index)
        return None if value is None else const_value(value)

    def fail(self, message: str) -> OnnxConversionError:
        return OnnxConversionError(f"{self.op_type} '{self.name}' (opset {self.opset}): {message}")


# --- small graph-building helpers shared by translators ---------------------------------------------


def const(value: Any, dtype: Any = None) -> Output:
    array = np.asarray(value, dtype=dtype)
    return ops.constant(array).output(0)


def i64(values: Sequence[int] | int) -> Output:
    return const(values, np.int64)


def like(value: Any, ref: Output) -> Output:
    """A constant of ``ref``'s element type (or ConvertLike when that type is not yet known)."""
    et = ref.get_element_type()
    if et.is_static():
        return const(value, et.to_dtype())
    return ops.convert_like(const(value, np.float32), ref).output(0)


def rank_of(value: Output) -> int | None:
    ps = value.get_partial_shape()
    return None if ps.rank.is_dynamic else len(ps)


def static_rank(ctx: NodeContext, value: Output) -> int:
    rank = rank_of(value)
    if rank is None:
        raise ctx.fail("needs an input of known rank")
    return rank


def axes_input(ctx: NodeContext, input_index: int, attr_name: str = "axes") -> Output | None:
    """Axes as a graph value: the input itself (may be computed) or the attribute as a constant."""
    if ctx.has_input(input_index):
        return ctx.input(input_index)
    value = ctx.attr(attr_name)
    return None if value is None else i64(value)


def scalar(value: Output) -> Output:
    """A one-element tensor as a scalar (ONNX often passes [1]-shaped values where OpenVINO wants rank 0)."""
    return ops.reshape(value, i64([]), False).output(0)


def shape_of(value: Output) -> Output:
    return ops.shape_of(value, "i64").output(0)
