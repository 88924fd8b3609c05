"""Normalizations: BatchNormInference (1, 5), MVN (2, 6), NormalizeL2, LRN, GRN (1) and
GroupNormalization (12)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from vinopy.graph.node import Node, Output, attr, const_value
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import normalize_axes, require, require_element_type, same_type, static_rank
from vinopy.ops.registry import register


def _real_data(data: Output, min_rank: int = 0) -> Type:
    et = require_element_type(data.get_element_type(), "real", "data")
    rank = static_rank(data)
    require(
        rank is None or rank >= min_rank, f"data must have rank >= {min_rank}, got {data.get_partial_shape()}"
    )
    return et


def _const_axes(axes: Output, data: Output) -> list[int] | None:
    """The normalized values of an axes input, when both it and the data rank are known."""
    require_element_type(axes.get_element_type(), "integer", "axes")
    shape = axes.get_partial_shape()
    require(shape.rank.is_dynamic or len(shape) <= 1, f"axes must be a scalar or 1-D, got shape {shape}")
    value, rank = const_value(axes), static_rank(data)
    if value is None or rank is None:
        return None
    return normalize_axes(np.asarray(value).reshape(-1), rank)


def _require_per_channel(shape: PartialShape, **vectors: Output) -> None:
    """Each of ``vectors`` is 1-D with one value per channel (axis 1) of data ``shape``."""
    channels = shape[1] if shape.rank.is_static else None
    for name, port in vectors.items():
        ps = port.get_partial_shape()
        require(ps.rank.is_dynamic or len(ps) == 1, f"{name} must be 1-D, got shape {ps}")
        require(
            channels is None or ps.rank.is_dynamic or ps[0].compatible(channels),
            f"{name} has {ps[0]} values but data {shape} has {channels} channels",
        )


def _channel_vector(x: np.ndarray, ndim: int) -> np.ndarray:
    """A per-channel (C,) vector shaped to broadcast over (N, C, ...)."""
    return np.reshape(x, (1, -1) + (1,) * (ndim - 2))


@register
class BatchNormInference(Node):
    """(data - mean) / sqrt(variance + epsilon) * gamma + beta per channel (axis 1).
    Opset1 takes its inputs as (gamma, beta, data, mean, variance); the factory as opset5's order."""

    type_name, version = "BatchNormInference", "opset1"
    inputs_spec = ("gamma", "beta", "data", "mean", "variance")
    epsilon: float = attr()
    factory_args = ("data", "gamma", "beta", "mean", "variance", "epsilon")

    def infer(self, *inputs: Output) -> tuple[Type, PartialShape]:
        data = inputs[self.inputs_spec.index("data")]
        et = require_element_type(same_type(*inputs), "real", "inputs")
        _real_data(data, min_rank=2)
        require(self.epsilon >= 0, f"epsilon must be non-negative, got {self.epsilon}")
        vectors = {name: port for name, port in zip(self.inputs_spec, inputs) if name != "data"}
        _require_per_channel(data.get_partial_shape(), **vectors)
        return et, data.get_partial_shape()

    def evaluate(self, *inputs: np.ndarray) -> np.ndarray:
        named = dict(zip(self.inputs_spec, inputs))
        x = named["data"]
        gamma, beta, mean, var = (
            _channel_vector(named[k], x.ndim) for k in ("gamma", "beta", "mean", "variance")
        )
        return ((x - mean) / np.sqrt(var + x.dtype.type(self.epsilon)) * gamma + beta).astype(
            x.dtype, copy=False
        )


@register
class BatchNormInference5(BatchNormInference):
    """BatchNormInference with the data first: (data, gamma, beta, mean, variance)."""

    type_name, version = "BatchNormInference", "opset5"
    inputs_spec = ("data", "gamma", "beta", "mean", "variance")
    factory_args = None


def _mean_variance_normalize(
    x: np.ndarray, axes: tuple[int, ...], normalize_variance: bool, eps: float, inside_sqrt: bool
) -> np.ndarray:
    centered = x - x.mean(axis=axes, keepdims=True)
    if not normalize_variance:
        return centered
    var = np.mean(np.square(centered), axis=axes, keepdims=True)
    eps = x.dtype.type(eps)
    return centered / (np.sqrt(var + eps) if inside_sqrt else np.sqrt(var) + eps)


@register
class MVN(Node):
    """MVN-1: subtract the mean (and divide by sqrt(variance + eps)) over ``reduction_axes``, or
    when those are not given over all axes from 1 (across_channels) or from 2."""

    type_name, version = "MVN", "opset2"
    inputs_spec = ("data",)
    across_channels: bool = attr(False)
    normalize_variance: bool = attr(False)
    eps: float = attr(1e-9)
    reduction_axes: list[int] = attr([])

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        et = _real_data(data)
        rank = static_rank(data)
        if rank is not None:
            if self.reduction_axes:
                self.reduction_axes = sorted(set(normalize_axes(self.reduction_axes, rank, "reduction axis")))
            else:
                self.reduction_axes = list(range(1 if self.across_channels else 2, rank))
        return et, data.get_partial_shape()

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return _mean_variance_normalize(
            x, tuple(self.reduction_axes), self.normalize_variance, self.eps, inside_sqrt=True
        ).astype(x.dtype, copy=False)


def _axes_of(x: np.ndarray, axes: np.ndarray) -> tuple[int, ...]:
    """An axes input's values as non-negative axes of ``x``."""
    return tuple(normalize_axes(np.asarray(axes).reshape(-1), x.ndim))


class AxesNormalization(Node):
    """MVN-6 and NormalizeL2: real data normalized over the axes of a second input, where eps is
    applied in one of two ``eps_modes``."""

    inputs_spec = ("data", "axes")
    eps_modes: ClassVar[tuple[str, str]]

    def infer(self, data: Output, axes: Output) -> tuple[Type, PartialShape]:
        et = _real_data(data)
        self.eps_mode = self.eps_mode.lower()
        first, second = self.eps_modes
        require(
            self.eps_mode in self.eps_modes,
            f"eps_mode must be {first!r} or {second!r}, got {self.eps_mode!r}",
        )
        _const_axes(axes, data)
        return et, data.get_partial_shape()


@register
class MVN6(AxesNormalization):
    """MVN-6: over the axes of a second input; eps_mode inside_sqrt or outside_sqrt."""

    type_name, version = "MVN", "opset6"
    eps_modes = ("inside_sqrt", "outside_sqrt")
    normalize_variance: bool = attr()
    eps: float = attr()
    eps_mode: str = attr()

    def evaluate(self, x: np.ndarray, axes: np.ndarray) -> np.ndarray:
        reduced = _axes_of(x, axes)
        return _mean_variance_normalize(
            x, reduced, self.normalize_variance, self.eps, inside_sqrt=self.eps_mode == "inside_sqrt"
        ).astype(x.dtype, copy=False)


@register
class NormalizeL2(AxesNormalization):
    """x / sqrt(sum(x^2) over axes (+ or max) eps)."""

    type_name, version = "NormalizeL2", "opset1"
    eps_modes = ("add", "max")
    eps: float = attr()
    eps_mode: str = attr()

    def evaluate(self, x: np.ndarray, axes: np.ndarray) -> np.ndarray:
        reduced = _axes_of(x, axes)
        squares = np.sum(np.square(x), axis=reduced, keepdims=True)
        eps = x.dtype.type(self.eps)
        norm = np.sqrt(squares + eps if self.eps_mode == "add" else np.maximum(squares, eps))
        return (x / norm).astype(x.dtype, copy=False)


def _window_sums(x: np.ndarray, axis: int, half: int) -> np.ndarray:
    """Sums over the window [i - half, i + half] along axis, clipped to the array."""
    width = [(0, 0)] * x.ndim
    width[axis] = (half + 1, half)
    sums = np.cumsum(np.pad(x, width), axis=axis)
    n = x.shape[axis]
    return np.take(sums, np.arange(2 * half + 1, 2 * half + 1 + n), axis) - np.take(sums, np.arange(n), axis)


@register
class LRN(Node):
    """Local response normalization over a window along each of the axes:
    x / (bias + alpha / size^len(axes) * sum(x^2 over the window))^beta. As in OpenVINO the window
    spans (size - 1) // 2 elements on each side, so an even size acts as the odd size below it."""

    type_name, version = "LRN", "opset1"
    inputs_spec = ("data", "axes")
    alpha: float = attr(1.0)
    beta: float = attr(0.5)
    bias: float = attr(1.0)
    size: int = attr(5)

    def infer(self, data: Output, axes: Output) -> tuple[Type, PartialShape]:
        et = _real_data(data)
        require(self.size >= 1, f"size must be positive, got {self.size}")
        _const_axes(axes, data)
        return et, data.get_partial_shape()

    def evaluate(self, x: np.ndarray, axes: np.ndarray) -> np.ndarray:
        reduced = sorted(set(_axes_of(x, axes)))
        sums = np.square(x.astype(np.float64))
        for axis in reduced:
            sums = _window_sums(sums, axis, (self.size - 1) // 2)
        scale = self.bias + self.alpha / self.size ** len(reduced) * sums
        return (x / scale**self.beta).astype(x.dtype)


@register
class GRN(Node):
    """Global response normalization: x / sqrt(sum of x^2 over channels (axis 1) + bias)."""

    type_name, version = "GRN", "opset1"
    inputs_spec = ("data",)
    bias: float = attr()

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        et = _real_data(data, min_rank=2)
        rank = static_rank(data)
        require(rank is None or rank <= 4, f"data must have rank 2, 3 or 4, got {data.get_partial_shape()}")
        return et, data.get_partial_shape()

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        norm = np.sqrt(np.sum(np.square(x), axis=1, keepdims=True) + x.dtype.type(self.bias))
        return (x / norm).astype(x.dtype, copy=False)


@register
class GroupNormalization(Node):
    """Normalize each of ``num_groups`` channel groups of every sample, then scale and shift per channel."""

    type_name, version = "GroupNormalization", "opset12"
    inputs_spec = ("data", "scale", "bias")
    num_groups: int = attr()
    epsilon: float = attr()

    def infer(self, data: Output, scale: Output, bias: Output) -> tuple[Type, PartialShape]:
        et = require_element_type(same_type(data, scale, bias), "real", "inputs")
        _real_data(data, min_rank=2)
        require(self.num_groups >= 1, f"num_groups must be positive, got {self.num_groups}")
        require(self.epsilon >= 0, f"epsilon must be non-negative, got {self.epsilon}")
        shape = data.get_partial_shape()
        channels = shape[1] if shape.rank.is_static else None
        if channels is not None and channels.is_static:
            require(
                channels.get_length() % self.num_groups == 0,
                f"{channels} channels cannot be split into {self.num_groups} groups",
            )
        _require_per_channel(shape, scale=scale, bias=bias)
        return et, shape

    def evaluate(self, x: np.ndarray, scale: np.ndarray, bias: np.ndarray) -> np.ndarray:
        grouped = x.reshape(x.shape[0], self.num_groups, -1)
        normalized = _mean_variance_normalize(grouped, (2,), True, self.epsilon, inside_sqrt=True)
        y = normalized.reshape(x.shape) * _channel_vector(scale, x.ndim) + _channel_vector(bias, x.ndim)
        return y.astype(x.dtype, copy=False)
