"""Parameter, Constant and Result: the ends of a graph and its fixed values."""

from __future__ import annotations

from typing import Any

import numpy as np

from vinopy.graph.layout import Layout
from vinopy.graph.node import Node, NodeValidationError, Output, attr
from vinopy.graph.shape import Dimension, PartialShape, Shape, as_partial_shape
from vinopy.graph.tensor import Tensor
from vinopy.graph.types import Type
from vinopy.ops.registry import register


@register
class Parameter(Node):
    """A model input."""

    type_name, version = "Parameter", "opset1"
    foldable = False
    element_type: Type = attr(Type.f32)
    shape: PartialShape = attr(PartialShape.dynamic())

    @classmethod
    def factory(cls, shape: Any, dtype: Any = Type.f32, name: str | None = None) -> Parameter:
        return cls(element_type=Type.resolve(dtype), shape=as_partial_shape(shape), name=name)

    def infer(self) -> tuple[Type, PartialShape]:
        # fresh Dimension objects: shape inference treats one dynamic Dimension object as one
        # run-time value, and two Parameters built from one PartialShape are independent
        if self.shape.rank.is_dynamic:
            return self.element_type, PartialShape.dynamic()
        return self.element_type, PartialShape([Dimension(d) for d in self.shape])

    def evaluate(self) -> np.ndarray:
        raise RuntimeError(f"Parameter '{self.get_friendly_name()}' has no value outside inference")

    def get_partial_shape(self) -> PartialShape:
        return self.shape

    def set_partial_shape(self, shape: Any) -> None:
        self.shape = as_partial_shape(shape)
        self.validate_and_infer_types()

    def get_element_type(self) -> Type:
        return self.element_type

    def set_element_type(self, element_type: Any) -> None:
        self.element_type = Type.resolve(element_type)
        self.validate_and_infer_types()

    def get_layout(self) -> Layout:
        return self.output(0).get_rt_info().get("layout", Layout())

    def set_layout(self, layout: Any) -> None:
        self.output(0).get_rt_info()["layout"] = Layout(layout) if isinstance(layout, str) else layout

    layout = property(get_layout, set_layout)
    partial_shape = property(get_partial_shape, set_partial_shape)


@register
class Constant(Node):
    """A fixed tensor value; ``constant(value, dtype=None)``."""

    type_name, version = "Constant", "opset1"

    def __init__(self, *args: Any, name: str | None = None, shared_memory: bool = False) -> None:
        self._value = _constant_array(args, shared_memory)
        super().__init__(name=name)

    @classmethod
    def factory(
        cls, value: Any, dtype: Any = None, name: str | None = None, *, shared_memory: bool = False
    ) -> Constant:
        if dtype is not None:
            return cls(Type.resolve(dtype), np.shape(value), value, name=name)
        return cls(value, name=name, shared_memory=shared_memory)

    def infer(self) -> tuple[Type, PartialShape]:
        return self.element_type, PartialShape(self._value.shape)

    def evaluate(self) -> np.ndarray:
        return self._value

    def fold(self) -> list[np.ndarray]:
        return [self._value]

    @property
    def element_type(self) -> Type:
        return Type.resolve(self._value.dtype)

    @property
    def value(self) -> np.ndarray:
        return self._value

    def get_data(self) -> np.ndarray:
        return self._value

    @property
    def data(self) -> np.ndarray:
        return self._value

    def get_vector(self) -> list[Any]:
        return self._value.reshape(-1).tolist()

    def get_value_strings(self) -> list[str]:
        return [str(v) for v in self._value.reshape(-1)]

    def get_tensor_view(self) -> Tensor:
        return Tensor.from_array(self._value)

    def get_byte_size(self) -> int:
        return int(self._value.nbytes)

    def get_attributes(self) -> dict[str, Any]:
        return {"element_type": self.element_type.get_type_name(), "shape": list(self._value.shape)}

    def clone_with_new_inputs(self, inputs: list[Output]) -> Constant:
        clone = Constant(self._value, shared_memory=True)
        self._copy_meta_to(clone)
        return clone


def _constant_array(args: tuple[Any, ...], shared: bool) -> np.ndarray:
    """Constant(value), Constant(tensor), or Constant(type, shape, values) as OpenVINO accepts."""
    if len(args) == 3:
        et, shape, values = Type.resolve(args[0]), Shape(args[1]), np.asarray(args[2])
        if values.size == 1 and int(np.prod(shape)) != 1:
            return np.full(tuple(shape), values.reshape(-1)[0], dtype=et.to_dtype())
        if values.size != int(np.prod(shape)):
            raise NodeValidationError(
                f"Constant: {values.size} value(s) given for shape {shape} ({int(np.prod(shape))} expected)"
            )
        return values.astype(et.to_dtype()).reshape(tuple(shape))
    if len(args) != 1:
        raise NodeValidationError("Constant expects (value) or (type, shape, values)")
    value = args[0]
    if isinstance(value, Tensor):
        value = value.data
    array = np.asarray(value) if shared or isinstance(value, np.ndarray) else np.array(value)
    if array.dtype == object:
        raise NodeValidationError(f"Constant: cannot make a tensor of {type(value).__name__} values")
    if array.dtype.kind == "U":
        return array
    Type.resolve(array.dtype)  # raises for dtypes with no element type
    return array if shared else np.array(array, copy=True)


@register
class Result(Node):
    """A model output."""

    type_name, version = "Result", "opset1"
    inputs_spec = ("data",)

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        return data.get_element_type(), data.get_partial_shape()

    def validate_and_infer_types(self) -> None:
        super().validate_and_infer_types()
        # a Result's tensor is its input's tensor: they share one set of names
        self._outputs[0].names = self._inputs[0]._port.names

    def evaluate(self, data: np.ndarray) -> np.ndarray:
        return data

    def get_layout(self) -> Layout:
        return self.output(0).get_rt_info().get("layout", Layout())

    def set_layout(self, layout: Any) -> None:
        self.output(0).get_rt_info()["layout"] = Layout(layout) if isinstance(layout, str) else layout

    layout = property(get_layout, set_layout)
