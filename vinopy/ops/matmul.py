"""MatMul: batched matrix multiplication with numpy broadcasting of batch dimensions."""

from __future__ import annotations

import numpy as np

from vinopy.graph.node import Node, NodeValidationError, Output, attr
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import broadcast_shapes, same_type
from vinopy.ops.registry import register


@register
class MatMul(Node):
    type_name, version = "MatMul", "opset1"
    factory_name = "matmul"
    inputs_spec = ("data_a", "data_b")
    transpose_a: bool = attr(False)
    transpose_b: bool = attr(False)

    def infer(self, a: Output, b: Output) -> tuple[Type, PartialShape]:
        et = same_type(a, b)
        sa, sb = a.get_partial_shape(), b.get_partial_shape()
        if sa.rank.is_dynamic or sb.rank.is_dynamic:
            return et, PartialShape.dynamic()
        da, db = list(sa), list(sb)
        if len(da) == 0 or len(db) == 0:
            raise NodeValidationError("MatMul inputs must have rank >= 1")
        a_vec, b_vec = len(da) == 1, len(db) == 1
        if a_vec:
            da = [Dimension(1)] + da
        elif self.transpose_a:
            da[-2], da[-1] = da[-1], da[-2]
        if b_vec:
            db = db + [Dimension(1)]
        elif self.transpose_b:
            db[-2], db[-1] = db[-1], db[-2]
        if not da[-1].compatible(db[-2]):
            raise NodeValidationError(
                f"MatMul inner dimensions do not match: {da[-1]} (of A{sa}) vs {db[-2]} (of B{sb})"
            )
        batch = broadcast_shapes(PartialShape(da[:-2]), PartialShape(db[:-2]))
        out = list(batch) + ([] if a_vec else [da[-2]]) + ([] if b_vec else [db[-1]])
        return et, PartialShape(out)

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if self.transpose_a and a.ndim > 1:
            a = np.swapaxes(a, -1, -2)
        if self.transpose_b and b.ndim > 1:
            b = np.swapaxes(b, -1, -2)
        return np.matmul(a, b).astype(a.dtype, copy=False)
