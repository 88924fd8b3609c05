"""Convert and ConvertLike: element type conversion with OpenVINO's rounding and overflow rules."""

from __future__ import annotations

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import require
from vinopy.ops.registry import register


def convert_array(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``x`` in ``dtype`` as OpenVINO's reference Convert gives it.

    float -> integer truncates toward zero and then wraps like a C++ cast through int32 (int64 for
    64-bit and u32 destinations): NaN and values beyond that intermediate type become its minimum.
    integer -> f16 saturates to the largest finite f16; anything -> boolean is ``x != 0``.
    """
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return x != 0
    if x.dtype.kind == "f" and dtype.kind in "iu":
        return _float_to_int(x, dtype)
    if x.dtype.kind in "iu" and dtype == np.float16:
        limit = float(np.finfo(np.float16).max)
        return np.clip(x.astype(np.float64), -limit, limit).astype(np.float16)
    with np.errstate(over="ignore"):  # narrowing floats overflow to inf, as in C++
        return x.astype(dtype)


def _float_to_int(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    wide = dtype.itemsize == 8 or dtype == np.uint32
    via = np.dtype(np.int64 if wide else np.int32)
    values = np.trunc(x.astype(np.float64))
    low, high = float(np.iinfo(via).min), float(np.iinfo(via).max)
    fits = (values >= low) & (values < high)
    result = np.where(fits, values, low).astype(via).astype(dtype)
    if dtype == np.uint64:  # the upper half of u64 is out of int64's range but exact for u64
        upper = (values >= 2.0**63) & (values < 2.0**64)
        result[upper] = values[upper].astype(np.uint64)
    return result


@register
class Convert(Node):
    type_name, version = "Convert", "opset1"
    inputs_spec = ("data",)
    destination_type: Type = attr()

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        _check_convertible(data.get_element_type(), self.destination_type)
        return self.destination_type, data.get_partial_shape()

    def evaluate(self, data: np.ndarray) -> np.ndarray:
        return convert_array(data, self.destination_type.to_dtype())


@register
class ConvertLike(Node):
    """``data`` converted to the element type of ``like``."""

    type_name, version = "ConvertLike", "opset1"
    inputs_spec = ("data", "like")

    def infer(self, data: Output, like: Output) -> tuple[Type, PartialShape]:
        target = like.get_element_type()
        if target.is_static():
            _check_convertible(data.get_element_type(), target)
        return target, data.get_partial_shape()

    def evaluate(self, data: np.ndarray, like: np.ndarray) -> np.ndarray:
        return convert_array(data, like.dtype)


def _check_convertible(source: Type, target: Type) -> None:
    require(target.is_static(), "destination_type must be a static element type")
    require(
        (source == Type.string) == (target == Type.string) or source.is_dynamic(),
        f"cannot convert {source.get_type_name()} to {target.get_type_name()}",
    )
