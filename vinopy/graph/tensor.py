"""Tensor: typed n-dimensional memory, wrapping a numpy array."""

from __future__ import annotations

from typing import Any

import numpy as np

from vinopy.graph.shape import PartialShape, Shape, as_partial_shape
from vinopy.graph.types import Type


class Tensor:
    """``Tensor(array, shared_memory=False)``, ``Tensor(type, shape)`` (zeros), or
    ``Tensor(array, shape, type)``: the array's memory seen as ``type`` and ``shape``."""

    def __init__(self, *args: Any, shared_memory: bool = False) -> None:
        if len(args) == 3:
            self._data, self._type = _view(*args)
            return
        if len(args) == 2 and not isinstance(args[0], np.ndarray):
            first, second = args
            if isinstance(first, (Type, type, np.dtype)):
                et, shape = Type.resolve(first), second
            else:
                shape, et = first, Type.resolve(second)
            self._type = et
            self._data = np.zeros(tuple(as_partial_shape(shape).to_shape()), dtype=et.to_dtype())
            return
        if len(args) != 1:
            raise TypeError("expected Tensor(array), Tensor(type, shape) or Tensor(array, shape, type)")
        data = args[0]
        if isinstance(data, Tensor):
            self._data, self._type = data._data, data._type
            return
        array = np.asarray(data)
        if shared_memory and not array.flags.c_contiguous:
            raise RuntimeError("Tensor(shared_memory=True) needs a C-contiguous array; pass a copy")
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


def _view(array: Any, shape: Any, element_type: Any) -> tuple[np.ndarray, Type]:
    """The memory of ``array`` read as ``element_type`` values in ``shape`` (no copy)."""
    source = np.asarray(array)
    if not source.flags.c_contiguous:
        raise RuntimeError("Tensor(array, shape, type) needs a C-contiguous array")
    et = Type.resolve(element_type)
    dims = tuple(as_partial_shape(shape).to_shape())
    dtype = np.dtype(et.to_dtype())
    needed = int(np.prod(dims)) * dtype.itemsize
    if needed > source.nbytes:
        raise ValueError(
            f"Tensor(array, shape, type): {et.get_type_name()}{list(dims)} needs {needed} bytes, "
            f"the array has {source.nbytes}"
        )
    return source.reshape(-1).view(np.uint8)[:needed].view(dtype).reshape(dims), et
