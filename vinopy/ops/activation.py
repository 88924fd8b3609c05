"""Activation functions: Relu, Sigmoid, Elu, Selu, PRelu, Clamp, Gelu, Swish, HSwish, Mish, ..."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import broadcast_shapes, require, require_element_type, require_scalar, same_type
from vinopy.ops.registry import register
from vinopy.ops.unary import ExactOnIntegers, UnaryElementwise, compute_dtype

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free form of 1 / (1 + exp(-x))


def _relu6(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 6.0)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


@register
class Relu(ExactOnIntegers):
    type_name, version = "Relu", "opset1"
    kernel = staticmethod(lambda x: np.maximum(x, 0))


@register
class Sigmoid(UnaryElementwise):
    type_name, version = "Sigmoid", "opset1"
    kernel = staticmethod(_sigmoid)
    int_rounding = "half_even"


class RealActivation(UnaryElementwise):
    """Activations that OpenVINO defines on real types only."""

    inputs_spec = ("data",)
    input_kind = "real"


@register
class HSwish(RealActivation):
    type_name, version = "HSwish", "opset4"
    factory_name = "hswish"
    kernel = staticmethod(lambda x: x * _relu6(x + 3.0) / 6.0)


@register
class HSigmoid(RealActivation):
    type_name, version = "HSigmoid", "opset5"
    factory_name = "hsigmoid"
    kernel = staticmethod(lambda x: _relu6(x + 3.0) / 6.0)


@register
class Mish(RealActivation):
    type_name, version = "Mish", "opset4"
    kernel = staticmethod(lambda x: x * np.tanh(_softplus(x)))


@register
class SoftPlus(RealActivation):
    type_name, version = "SoftPlus", "opset4"
    factory_name = "softplus"
    kernel = staticmethod(_softplus)


@register
class SoftSign(RealActivation):
    type_name, version = "SoftSign", "opset9"
    factory_name = "softsign"
    kernel = staticmethod(lambda x: x / (1.0 + np.abs(x)))


@register
class Elu(RealActivation):
    type_name, version = "Elu", "opset1"
    alpha: float = attr()

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        v = x.astype(compute_dtype(x.dtype), copy=False)
        return np.where(v > 0, v, self.alpha * np.expm1(np.minimum(v, 0))).astype(x.dtype)


@register
class Gelu(RealActivation):
    """Gelu-2: the exact form x * Phi(x)."""

    type_name, version = "Gelu", "opset2"
    kernel = staticmethod(lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))))


@register
class Gelu7(Gelu):
    """Gelu-7: the exact (erf) form or the tanh approximation."""

    version = "opset7"
    approximation_mode: str = attr("erf")

    def infer(self, x: Output) -> tuple[Type, PartialShape]:
        require(
            self.approximation_mode.lower() in ("erf", "tanh"),
            f"approximation_mode must be 'erf' or 'tanh', got {self.approximation_mode!r}",
        )
        return super().infer(x)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        if self.approximation_mode.lower() == "erf":
            return super().evaluate(x)
        v = x.astype(compute_dtype(x.dtype), copy=False)
        inner = math.sqrt(2.0 / math.pi) * (v + 0.044715 * v**3)
        return (0.5 * v * (1.0 + np.tanh(inner))).astype(x.dtype)


@register
class Clamp(UnaryElementwise):
    """Clamp-1 into [min, max]; on integers the bounds round inwards (ceil(min), floor(max))."""

    type_name, version = "Clamp", "opset1"
    inputs_spec = ("data",)
    min: float = attr()
    max: float = attr()

    @classmethod
    def factory(cls, data: Any, min_value: float, max_value: float, name: str | None = None) -> Clamp:
        return cls(data, min=min_value, max=max_value, name=name)

    def infer(self, x: Output) -> tuple[Type, PartialShape]:
        require(self.min <= self.max, f"min ({self.min}) must not be greater than max ({self.max})")
        return super().infer(x)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind in "iu":
            info = np.iinfo(x.dtype)
            low = min(max(math.ceil(self.min), info.min), info.max)
            high = max(min(math.floor(self.max), info.max), info.min)
            return np.clip(x, low, high).astype(x.dtype)
        return np.clip(x, self.min, self.max).astype(x.dtype)


class ScalarParamActivation(Node):
    """Real activations of ``data`` with scalar parameters as further inputs of the same type."""

    def infer(self, data: Output, *params: Output) -> tuple[Type, PartialShape]:
        names = [s.strip("?") for s in self.inputs_spec]
        et = require_element_type(same_type(data, *params, what="data and parameters"), "real", "data")
        for name, p in zip(names[1:], params):
            require_scalar(p, name)
        return et, data.get_partial_shape()

    def evaluate(self, x: np.ndarray, *params: np.ndarray) -> np.ndarray:
        dt = compute_dtype(x.dtype)
        scalars = [float(p.reshape(-1)[0]) for p in params]
        return np.asarray(self.formula(x.astype(dt, copy=False), *scalars)).astype(x.dtype)

    def formula(self, x: np.ndarray, *params: float) -> np.ndarray:
        raise NotImplementedError


@register
class Selu(ScalarParamActivation):
    type_name, version = "Selu", "opset1"
    inputs_spec = ("data", "alpha", "lambda_value")

    def formula(self, x: np.ndarray, alpha: float, lambda_value: float) -> np.ndarray:
        return lambda_value * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


@register
class HardSigmoid(ScalarParamActivation):
    type_name, version = "HardSigmoid", "opset1"
    inputs_spec = ("data", "alpha", "beta")

    def formula(self, x: np.ndarray, alpha: float, beta: float) -> np.ndarray:
        return np.clip(alpha * x + beta, 0.0, 1.0)


@register
class Swish(ScalarParamActivation):
    """x * sigmoid(beta * x); beta defaults to 1."""

    type_name, version = "Swish", "opset4"
    inputs_spec = ("data", "beta?")

    def formula(self, x: np.ndarray, beta: float = 1.0) -> np.ndarray:
        return x * _sigmoid(beta * x)


@register
class PRelu(Node):
    """x where x >= 0, slope * x elsewhere; a 1-D slope of size C applies along the channel axis 1."""

    type_name, version = "PRelu", "opset1"
    factory_name = "prelu"
    inputs_spec = ("data", "slope")

    def infer(self, data: Output, slope: Output) -> tuple[Type, PartialShape]:
        et = require_element_type(same_type(data, slope, what="data and slope"), "numeric", "data")
        ds, ss = data.get_partial_shape(), slope.get_partial_shape()
        if not _channel_wise(ds, ss):
            out = broadcast_shapes(ds, ss)
            require(
                out.rank.is_dynamic or ds.rank.is_dynamic or len(out) == len(ds),
                f"slope {ss} must broadcast to data {ds} without adding dimensions",
            )
        return et, ds

    def evaluate(self, x: np.ndarray, slope: np.ndarray) -> np.ndarray:
        if _channel_wise(PartialShape(list(x.shape)), PartialShape(list(slope.shape))):
            slope = slope.reshape((-1,) + (1,) * (x.ndim - 2))
        return np.where(x < 0, x * slope, x).astype(x.dtype, copy=False)


def _channel_wise(data: PartialShape, slope: PartialShape) -> bool:
    """A 1-D slope whose size is the data's channel dimension (axis 1) applies per channel."""
    if data.rank.is_dynamic or slope.rank.is_dynamic or len(data) < 2 or len(slope) != 1:
        return False
    return slope[0].is_static and data[1].is_static and slope[0] == data[1] and slope[0] != 1
