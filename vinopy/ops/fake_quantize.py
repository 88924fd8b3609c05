"""FakeQuantize: clamp to an input range, quantize to ``levels`` steps, map to an output range."""

from __future__ import annotations

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import broadcast_shapes, require, require_element_type
from vinopy.ops.registry import register


@register
class FakeQuantize(Node):
    """OpenVINO's formula, element-wise with the ranges broadcast (per tensor or per channel):
    x <= min(il, ih) -> ol; x > max(il, ih) -> oh;
    else round((x - il) / (ih - il) * (levels - 1)) / (levels - 1) * (oh - ol) + ol,
    rounding half to even."""

    type_name, version = "FakeQuantize", "opset1"
    inputs_spec = ("data", "input_low", "input_high", "output_low", "output_high")
    levels: int = attr()
    auto_broadcast: str = attr("numpy")

    def infer(self, *inputs: Output) -> tuple[Type, PartialShape]:
        et = require_element_type(inputs[0].get_element_type(), "real", "data")
        for name, bound in zip(self.inputs_spec[1:], inputs[1:]):  # OpenVINO lets ranges have other types
            require_element_type(bound.get_element_type(), "numeric", name)
        require(self.levels >= 2, f"levels must be at least 2, got {self.levels}")
        self.auto_broadcast = self.auto_broadcast.lower()
        require(
            self.auto_broadcast in ("numpy", "none"),
            f"auto_broadcast must be 'numpy' or 'none', got {self.auto_broadcast!r}",
        )
        shape = inputs[0].get_partial_shape()
        for bound in inputs[1:]:
            merged = broadcast_shapes(shape, bound.get_partial_shape(), self.auto_broadcast)
            require(
                shape.rank.is_dynamic or merged.rank.is_dynamic or len(merged) == len(shape),
                f"a range of shape {bound.get_partial_shape()} must broadcast to data {shape}",
            )
            shape = merged
        return et, shape

    def evaluate(
        self,
        x: np.ndarray,
        in_low: np.ndarray,
        in_high: np.ndarray,
        out_low: np.ndarray,
        out_high: np.ndarray,
    ) -> np.ndarray:
        in_low, in_high, out_low, out_high = (
            np.asarray(v, dtype=x.dtype) for v in (in_low, in_high, out_low, out_high)
        )
        steps = x.dtype.type(self.levels - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.round((x - in_low) / (in_high - in_low) * steps) / steps * (out_high - out_low) + out_low
        out = np.where(
            x <= np.minimum(in_low, in_high), out_low, np.where(x > np.maximum(in_low, in_high), out_high, q)
        )
        return out.astype(x.dtype, copy=False)
