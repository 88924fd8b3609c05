"""ScaledDotProductAttention-13: softmax(Q K^T * scale + mask) V."""

from __future__ import annotations

import math

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import broadcast_shapes, require, require_element_type, require_scalar, same_type
from vinopy.ops.registry import register
from vinopy.ops.unary import compute_dtype


@register
class ScaledDotProductAttention(Node):
    """Query [..., L, E], key [..., S, E], value [..., S, Ev] -> [..., L, Ev], batch dims broadcast.

    ``attention_mask`` (boolean: True attends; or real: added to the scores) broadcasts to
    [..., L, S]; ``scale`` defaults to 1/sqrt(E); ``causal`` masks keys after the query's
    position (top-left aligned) and ignores ``attention_mask``.
    """

    type_name, version = "ScaledDotProductAttention", "opset13"
    inputs_spec = ("query", "key", "value", "attention_mask?", "scale?")
    causal: bool = attr(False)

    def infer(
        self,
        query: Output,
        key: Output,
        value: Output,
        mask: Output | None = None,
        scale: Output | None = None,
    ) -> tuple[Type, PartialShape]:
        et = require_element_type(same_type(query, key, value, what="query, key and value"), "real", "query")
        q, k, v = (o.get_partial_shape() for o in (query, key, value))
        if q.rank.is_dynamic or k.rank.is_dynamic or v.rank.is_dynamic:
            return et, PartialShape.dynamic()
        require(
            len(q) >= 3 and len(k) == len(q) and len(v) == len(q),
            f"query, key and value must have the same rank of at least 3, got {q}, {k} and {v}",
        )
        require(
            q[-1].compatible(k[-1]),
            f"query and key must have the same last dimension, got {q[-1]} and {k[-1]}",
        )
        require(
            k[-2].compatible(v[-2]),
            f"key and value must have the same sequence length, got {k[-2]} and {v[-2]}",
        )
        batch = broadcast_shapes(
            broadcast_shapes(PartialShape(list(q)[:-2]), PartialShape(list(k)[:-2])),
            PartialShape(list(v)[:-2]),
        )
        if mask is not None:
            mask_type = mask.get_element_type()
            require(
                mask_type.is_dynamic() or mask_type == Type.boolean or mask_type.compatible(et),
                f"attention_mask must be boolean or {et.get_type_name()}, got {mask_type.get_type_name()}",
            )
            scores = PartialShape(list(batch) + [q[-2], k[-2]])
            merged = broadcast_shapes(mask.get_partial_shape(), scores)
            require(
                merged.rank.is_dynamic or len(merged) == len(scores),
                f"attention_mask {mask.get_partial_shape()} must broadcast to the scores {scores}",
            )
        if scale is not None:
            same_type(query, scale, what="query and scale")
            require_scalar(scale, "scale")
        return et, PartialShape(list(batch) + [q[-2], v[-1]])

    def evaluate(
        self,
        query: np.ndarray,
        key: np.ndarray,
        value: np.ndarray,
        mask: np.ndarray | None = None,
        scale: np.ndarray | None = None,
    ) -> np.ndarray:
        dt = compute_dtype(query.dtype)
        q, k, v = (a.astype(dt, copy=False) for a in (query, key, value))
        factor = float(scale.reshape(-1)[0]) if scale is not None else 1.0 / math.sqrt(q.shape[-1])
        scores = (q @ np.swapaxes(k, -1, -2)) * factor
        length, source = scores.shape[-2:]
        if self.causal:
            scores = np.where(np.tri(length, source, dtype=bool), scores, -np.inf)
        elif mask is not None and mask.dtype == np.bool_:
            scores = np.where(mask, scores, -np.inf)
        elif mask is not None:
            scores = scores + mask.astype(dt)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        weights = scores / scores.sum(axis=-1, keepdims=True)
        return (weights @ v).astype(query.dtype)
