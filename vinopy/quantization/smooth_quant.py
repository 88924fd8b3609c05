"""SmoothQuant: move activation outliers into the weights before quantizing a transformer.

For MatMuls ``X @ W`` reading the same activation X, with per input channel ``j``
``s_j = max|X_j| ** alpha / max|W_j| ** (1 - alpha)``; X is divided by s (one Multiply inserted on
X) and the rows of every W multiplied by s, which leaves the product unchanged while flattening the
activation's channel ranges so that one per-tensor scale fits them.
"""

from __future__ import annotations

import numpy as np

from vinopy import opset13 as ops
from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output, const_value
from vinopy.quantization.dataset import Dataset
from vinopy.quantization.statistics import Tap, channel_reducer, collect

_SCALE_LIMITS = (1e-5, 1e5)


def smooth_quant(
    model: Model, ignored: set[Node], alpha: float, dataset: Dataset, indices: list[int] | None, device: str
) -> list[Node]:
    """Smooth every eligible MatMul group of ``model`` in place; returns the Multiply nodes added."""
    groups = _matmul_groups(model, ignored)
    if not groups:
        return []
    amax = channel_reducer(-1, lambda a, axis: np.abs(a).max(axis=axis))
    stats = collect(model, [Tap(x, amax) for x in groups], dataset, indices, device, "SmoothQuant statistics")
    added = []
    for (x, matmuls), batches in zip(groups.items(), stats):
        x_max = np.max(batches, axis=0)
        w_max = np.max([np.abs(_weight(m)).max(axis=_weight_out_axis(m)) for m in matmuls], axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.power(x_max, alpha) / np.power(w_max, 1.0 - alpha)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        scale = np.clip(scale, *_SCALE_LIMITS)
        added.append(_apply(x, matmuls, scale))
    return added


def _matmul_groups(model: Model, ignored: set[Node]) -> dict[Output, list[Node]]:
    """Activation -> the MatMuls reading it as A with a constant 2-D float weight B."""
    groups: dict[Output, list[Node]] = {}
    for node in model.get_ordered_ops():
        if node.get_type_name() != "MatMul" or node in ignored or node.transpose_a:
            continue
        x, w = node.input_value(0), node.input_value(1)
        weight = const_value(w)
        last = x.get_partial_shape()
        if (
            weight is None
            or weight.ndim != 2
            or const_value(x) is not None
            or not w.get_element_type().is_real()
        ):
            continue
        if last.rank.is_dynamic or not last[-1].is_static:
            continue
        groups.setdefault(x, []).append(node)
    return groups


def _weight(matmul: Node) -> np.ndarray:
    return const_value(matmul.input_value(1))


def _weight_out_axis(matmul: Node) -> int:
    """The weight axis that is not the input channel axis."""
    return 0 if matmul.transpose_b else 1


def _apply(x: Output, matmuls: list[Node], scale: np.ndarray) -> Node:
    dtype = x.get_element_type().to_dtype()
    # NNCF's name: the activation's producer, its output port, and the MatMul input port it feeds
    name = f"{x.get_node().get_friendly_name()}_{x.get_index()}_0/nncf_smooth_quant"
    multiply = ops.multiply(x, (1.0 / scale).astype(dtype), name=name)
    for matmul in matmuls:
        weight = _weight(matmul)
        rows = scale[None, :] if matmul.transpose_b else scale[:, None]
        new = ops.constant(
            (weight * rows).astype(weight.dtype), name=matmul.input_value(1).get_node().get_friendly_name()
        )
        matmul.input(0).replace_source_output(multiply.output(0))
        matmul.input(1).replace_source_output(new.output(0))
    return multiply
