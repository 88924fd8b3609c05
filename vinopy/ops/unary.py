"""Unary element-wise math: Abs, trigonometry, Exp, Log, Sqrt, Round, IsFinite/IsInf/IsNaN, ..."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import require, require_element_type
from vinopy.ops.registry import register


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype a float kernel runs in: f32 for narrow floats (f16, bf16), f64 for integers."""
    if dtype.kind == "f" and dtype.itemsize >= 4:
        return dtype
    return np.dtype(np.float64 if dtype.kind in "iu" else np.float32)


def float_to_int(values: np.ndarray, dtype: np.dtype, rounding: str) -> np.ndarray:
    """A float result back in an integer input type, as OpenVINO's integer kernels give it:
    truncated or rounded half away from zero, saturated, NaN as the type's minimum."""
    if rounding == "trunc":
        values = np.trunc(values)
    elif rounding == "half_even":
        values = np.round(values)
    else:
        values = np.sign(values) * np.floor(np.abs(values) + 0.5)
    info = np.iinfo(dtype)
    return np.clip(np.nan_to_num(values, nan=info.min), info.min, info.max).astype(dtype)


class UnaryElementwise(Node):
    """Base of unary ops that keep the input's shape and type.

    ``kernel`` maps a float array to a float array; integer inputs run it in f64 and come back
    through ``int_rounding`` (OpenVINO truncates for some ops and rounds for others).
    """

    inputs_spec = ("node",)
    kernel: ClassVar[Callable[[np.ndarray], np.ndarray]]
    input_kind: ClassVar[str] = "numeric"
    int_rounding: ClassVar[str] = "half_away"

    def infer(self, x: Output) -> tuple[Type, PartialShape]:
        et = require_element_type(x.get_element_type(), self.input_kind)
        return self.output_type(et), x.get_partial_shape()

    def output_type(self, input_type: Type) -> Type:
        return input_type

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # out-of-domain inputs give NaN, as in C++
            result = np.asarray(type(self).kernel(x.astype(compute_dtype(x.dtype), copy=False)))
        if x.dtype.kind in "iu":
            return float_to_int(result, x.dtype, self.int_rounding)
        return result.astype(x.dtype, copy=False)


class ExactOnIntegers(UnaryElementwise):
    """Ops whose numpy kernel is exact on integer inputs, so they skip the float detour."""

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind in "iub":
            return np.asarray(type(self).kernel(x)).astype(x.dtype, copy=False)
        return super().evaluate(x)


def _unary(
    name: str,
    version: str,
    kernel: Callable[..., Any],
    rounding: str = "half_away",
    base: type[UnaryElementwise] = UnaryElementwise,
    **extra: Any,
) -> type[UnaryElementwise]:
    cls = type(
        name,
        (base,),
        {
            "type_name": name,
            "version": version,
            "kernel": staticmethod(kernel),
            "int_rounding": rounding,
            "__module__": __name__,
            **extra,
        },
    )
    return register(cls)


Abs = _unary("Abs", "opset1", np.abs, base=ExactOnIntegers)
Negative = _unary("Negative", "opset1", np.negative, base=ExactOnIntegers)
Sign = _unary("Sign", "opset1", np.sign, base=ExactOnIntegers)
Ceiling = _unary("Ceiling", "opset1", np.ceil, base=ExactOnIntegers)
Floor = _unary("Floor", "opset1", np.floor, base=ExactOnIntegers)
Acos = _unary("Acos", "opset1", np.arccos)
Acosh = _unary("Acosh", "opset4", np.arccosh)
Asin = _unary("Asin", "opset1", np.arcsin, "trunc")
Asinh = _unary("Asinh", "opset4", np.arcsinh)
Atan = _unary("Atan", "opset1", np.arctan)
Cos = _unary("Cos", "opset1", np.cos)
Cosh = _unary("Cosh", "opset1", np.cosh)
Erf = _unary("Erf", "opset1", np.vectorize(math.erf, otypes=[np.float64]))
Exp = _unary("Exp", "opset1", np.exp, "trunc")
Log = _unary("Log", "opset1", np.log, "trunc")
Sin = _unary("Sin", "opset1", np.sin, "trunc")
Sinh = _unary("Sinh", "opset1", np.sinh)
Sqrt = _unary("Sqrt", "opset1", np.sqrt)
Tan = _unary("Tan", "opset1", np.tan)
Tanh = _unary("Tanh", "opset1", np.tanh)


@register
class Atanh(UnaryElementwise):
    type_name, version = "Atanh", "opset4"
    kernel = staticmethod(np.arctanh)
    int_rounding = "trunc"

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind in "iu":  # OpenVINO clamps integers into the domain: atanh(5) saturates
            x = np.clip(x, max(-1, np.iinfo(x.dtype).min), 1).astype(x.dtype)
        return super().evaluate(x)


@register
class Round(UnaryElementwise):
    type_name, version = "Round", "opset5"
    inputs_spec = ("data",)
    mode: str = attr("half_to_even")

    def infer(self, x: Output) -> tuple[Type, PartialShape]:
        require(
            self.mode in ("half_to_even", "half_away_from_zero"),
            f"mode must be 'half_to_even' or 'half_away_from_zero', got {self.mode!r}",
        )
        return super().infer(x)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind in "iu":
            return x.copy()
        values = x.astype(compute_dtype(x.dtype), copy=False)
        if self.mode == "half_to_even":
            return np.round(values).astype(x.dtype)
        return (np.sign(values) * np.floor(np.abs(values) + 0.5)).astype(x.dtype)


class FloatCheck(UnaryElementwise):
    """Tests on real values with a boolean result."""

    inputs_spec = ("data",)
    input_kind = "real"

    def output_type(self, input_type: Type) -> Type:
        return Type.boolean

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(type(self).kernel(x.astype(compute_dtype(x.dtype), copy=False)), dtype=np.bool_)


IsFinite = _unary("IsFinite", "opset10", np.isfinite, base=FloatCheck)
IsNaN = _unary("IsNaN", "opset10", np.isnan, base=FloatCheck, factory_name="is_nan")


@register
class IsInf(FloatCheck):
    type_name, version = "IsInf", "opset10"
    detect_negative: bool = attr(True)
    detect_positive: bool = attr(True)

    @classmethod
    def factory(cls, data: Any, attributes: dict[str, bool] | None = None, name: str | None = None) -> IsInf:
        return cls(data, name=name, **(attributes or {}))

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return (self.detect_positive & np.isposinf(x)) | (self.detect_negative & np.isneginf(x))
