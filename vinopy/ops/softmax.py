"""Softmax (1, 8) and LogSoftmax (5) along one axis."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import normalize_axis, require, require_element_type, static_rank
from vinopy.ops.registry import register


def _shifted(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """x minus its max along axis (for stable exponentials), and the exponentials' sum."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted, np.exp(shifted).sum(axis=axis, keepdims=True)


@register
class Softmax(Node):
    """exp(x) / sum(exp(x)) along ``axis`` (opset1: a non-negative axis)."""

    type_name, version = "Softmax", "opset1"
    inputs_spec = ("data",)
    axis: int = attr(1)
    negative_axis: ClassVar[bool] = False

    def infer(self, data: Output) -> tuple[Type, PartialShape]:
        et = require_element_type(data.get_element_type(), "real", "data")
        require(
            self.negative_axis or self.axis >= 0,
            f"{self.type_name}-{self.version[5:]} needs a non-negative axis, got {self.axis}",
        )
        rank = static_rank(data)
        if rank is not None:
            normalize_axis(self.axis, rank)
        return et, data.get_partial_shape()

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        shifted, total = _shifted(x, self.axis)
        return (np.exp(shifted) / total).astype(x.dtype, copy=False)


@register
class Softmax8(Softmax):
    """Softmax whose axis may be negative (counted from the end)."""

    type_name, version = "Softmax", "opset8"
    negative_axis = True


@register
class LogSoftmax(Softmax8):
    """log(softmax(x)) along ``axis``, computed as x - max - log(sum(exp(x - max)))."""

    type_name, version = "LogSoftmax", "opset5"

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        shifted, total = _shifted(x, self.axis)
        return (shifted - np.log(total)).astype(x.dtype, copy=False)
