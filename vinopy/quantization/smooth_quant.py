"""SmoothQuant: move activation outliers into the weights before quantizing a transformer.

For MatMuls ``X @ W`` reading the same activation X, with per input channel ``j``
``s_j = max|X_j| ** alpha / max|W_j| ** (1 - alpha)``; X is divided by s (one Multiply inserted on
X) and the rows of every W multiplied by s, which leaves the product unchanged while flattening the
activation's channel ranges so that one per-tensor scale fits them.

As in NNCF 3.4: both maxima are at least 1e-5, s is clipped to [its 10th percentile, 100] (channels
without outliers are left nearly alone), and where several MatMuls read X, the s of the one whose
s is flattest (largest min / max) serves them all.
"""

from __future__ import annotations

import numpy as np

from vinopy import opset13 as ops
from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output, const_value
from vinopy.quantization.dataset import Dataset
from vinopy.quantization.statistics import Tap, channel_abs_max, collect

_MIN_STATISTIC = 1e-5
_LOW_QUANTILE = 0.1
_MAX_SCALE = 1e2
_EPS = float(np.finfo(np.float32).eps)


def smooth_quant(
    model: Model, ignored: set[Node], alpha: float, dataset: Dataset, indices: list[int] | None, device: str
) -> list[Node]:
    """Smooth every eligible MatMul group of ``model`` in place; returns the Multiply nodes added."""
    groups = _matmul_groups(model, ignored)
    if not groups:
        return []
    stats = collect(
        model,
        [Tap(x, channel_abs_max(-1)) for x in groups],
        dataset,
        indices,
        device,
        "SmoothQuant statistics",
    )
    added = []
    for (x, matmuls), batches in zip(groups.items(), stats):
        x_max = np.maximum(np.max(batches, axis=0), _MIN_STATISTIC)
        scales = [_scale(x_max, _weight_channel_max(m), alpha) for m in matmuls]
        added.append(_apply(x, matmuls, max(scales, key=_flatness)))
    return added


def _scale(x_max: np.ndarray, w_max: np.ndarray, alpha: float) -> np.ndarray:
    scale = np.power(x_max, alpha) / (np.power(w_max, 1.0 - alpha) + _EPS)
    return np.clip(scale, np.quantile(scale, _LOW_QUANTILE), _MAX_SCALE)


def _flatness(scale: np.ndarray) -> float:
    return float(scale.min() / (scale.max() + _EPS))


def _matmul_groups(model: Model, ignored: set[Node]) -> dict[Output, list[Node]]:
    """Activation -> the MatMuls reading it as A with a constant 2-D float weight B. A's channel
    count is B's input dimension, so A's own shape may be dynamic (as after a computed Reshape)."""
    groups: dict[Output, list[Node]] = {}
    for node in model.get_ordered_ops():
        if node.get_type_name() != "MatMul" or node in ignored or node.transpose_a:
            continue
        x, w = node.input_value(0), node.input_value(1)
        weight = const_value(w)
        if (
            weight is None
            or weight.ndim != 2
            or const_value(x) is not None
            or not w.get_element_type().is_real()
        ):
            continue
        groups.setdefault(x, []).append(node)
    return groups


def _weight(matmul: Node) -> np.ndarray:
    return const_value(matmul.input_value(1))


def _weight_channel_max(matmul: Node) -> np.ndarray:
    """Per input channel of the weight: its largest magnitude, at least ``_MIN_STATISTIC``."""
    out_axis = 0 if matmul.transpose_b else 1
    return np.maximum(np.abs(_weight(matmul)).max(axis=out_axis), _MIN_STATISTIC)


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
