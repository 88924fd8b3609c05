"""Tensor: typed n-dimensional memory, wrapping a numpy array."""

from __future__ import annotations

from typing import Any

import numpy as np

from vinopy.graph.shape import PartialShape, Shape, as_partial_shape
from vinopy.graph.types import Type


class Tensor:
    """``Tensor(array, shared_memory=False)`` or ``Tensor(type, shape)``."""

    def __init__(self, *args: Any, shared_memory: bool = False) -> None:
        if len(args) == 2 and not isinstance(args[0], np.ndarray):
            first, second = args
            if isinstance(first, Type) or isinstance(first, (type, np.dtype)):
                et, shape = Type.resolve(first), second
            else:
                shape, et = first, Type.resolve(second)
            shape = as_partial_shape(shape).to_shape()
            self._type = et
            self._data = np.zeros(tuple(shape), dtype=et.to_dtype())
            return
        if len(args) != 1:
            raise TypeError("Tensor(array) or Tensor(type, shape) expected")
        data = args[0]
        if isinstance(data, Tensor):
            self._data, self._type = data._data, data._type
            return
        array = np.asarray(data)
        if array.dtype == np.float64 and not isinstance(data, np.ndarray):
            array = array.astype(np.float32)  # python floats become f32, as OpenVINO does
        self._data = array if shared_memory else np.array(array, copy=True)
        self._type = Type.resolve(array.dtype)

    @classmethod
    def from_array(cls, array: np.ndarray, element_type: Type | None = None) -> Tensor:
        """Wrap ``array`` without copying."""
        t = cls.__new__(cls)
        t._data = array
        t._type = element_type or Type.resolve(array.dtype)
        return t

    @property
    def data(self) -> np.ndarray:
        return self._data

    @property
    def element_type(self) -> Type:
        return self._type

    def get_element_type(self) -> Type:
        return self._type

    @property
    def shape(self) -> Shape:
        return Shape(self._data.shape)

    @shape.setter
    def shape(self, value: Any) -> None:
        self.set_shape(value)

    def get_shape(self) -> Shape:
        return Shape(self._data.shape)

    def set_shape(self, shape: Any) -> None:
        shape = tuple(as_partial_shape(shape).to_shape())
        if shape != self._data.shape:
            if int(np.prod(shape)) <= self._data.size and self._data.flags.c_contiguous:
                self._data = self._data.reshape(-1)[: int(np.prod(shape))].reshape(shape)
            else:
                self._data = np.zeros(shape, dtype=self._data.dtype)

    @property
    def size(self) -> int:
        return int(self._data.size)

    def get_size(self) -> int:
        return int(self._data.size)

    @property
    def byte_size(self) -> int:
        return int(self._data.nbytes)

    def get_byte_size(self) -> int:
        return int(self._data.nbytes)

    @property
    def strides(self) -> list[int]:
        return list(self._data.strides)

    def get_strides(self) -> list[int]:
        return list(self._data.strides)

    def is_continuous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def copy_to(self, other: Tensor) -> None:
        other.set_shape(self.shape)
        np.copyto(other._data, self._data)

    def copy_from(self, source: Any) -> None:
        source = source.data if isinstance(source, Tensor) else np.asarray(source)
        self.set_shape(source.shape)
        np.copyto(self._data, source)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def __repr__(self) -> str:
        return f"<Tensor: shape{self.shape} type: {self._type.get_type_name()}>"

    def get_partial_shape(self) -> PartialShape:
        return PartialShape(self._data.shape)
