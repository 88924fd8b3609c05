"""Statistics collection: run the model on calibration data with extra Results on the tensors of
interest, and reduce each tensor batch by batch so that no activation is kept whole."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output
from vinopy.quantization.dataset import Dataset
from vinopy.quantization.parameters import ValidationError
from vinopy.runtime.core import Core

Reducer = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Tap:
    """A tensor to observe and how to reduce one batch of it."""

    output: Output
    reduce: Reducer


def clone_with_map(model: Model) -> tuple[Model, dict[Node, Node]]:
    """A deep copy of ``model`` and the map from its nodes to the copy's. Both walks visit the
    nodes in the same order because the copy has the same structure."""
    clone = model.clone()
    return clone, dict(zip(model.get_ordered_ops(), clone.get_ordered_ops(), strict=True))


def calibration_indices(dataset: Dataset, subset_size: int) -> list[int] | None:
    """The item indices for ``subset_size`` samples (items hold ``get_batch_size()`` samples each);
    None means "walk until the data ends"."""
    if subset_size < 1:
        raise ValidationError(f"subset_size must be positive, got {subset_size}")
    length = dataset.get_length()
    if length == 0:
        raise ValidationError("The calibration dataset is empty")
    items = math.ceil(subset_size / (dataset.get_batch_size() or 1))
    return list(range(min(items, length) if length is not None else items))


def collect(
    model: Model,
    taps: Sequence[Tap],
    dataset: Dataset,
    indices: list[int] | None,
    device: str,
    description: str,
) -> list[list[np.ndarray]]:
    """Run ``model`` (left unchanged) on the items at ``indices``; for each tap, the list of its
    per-item reductions."""
    clone, mapping = clone_with_map(model)
    first = len(clone.get_results())
    clone.add_outputs([mapping[t.output.get_node()].output(t.output.get_index()) for t in taps])
    compiled = Core().compile_model(clone, device)
    reduced: list[list[np.ndarray]] = [[] for _ in taps]
    total = len(indices) if indices is not None else None
    for item in tqdm(dataset.get_inference_data(indices), total=total, desc=description, leave=False):
        # copies: a tapped Parameter's result would otherwise alias the caller's array, which the
        # runtime reuses as the output buffer of the next call
        results = compiled(item, share_inputs=False)
        for k, tap in enumerate(taps):
            reduced[k].append(tap.reduce(np.asarray(results[first + k])))
    if taps and not reduced[0]:
        raise ValidationError(
            "The calibration dataset gave no items (an exhausted generator? pass a list or a loader)"
        )
    return reduced


def channel_reducer(axis: int, op: Callable[..., np.ndarray]) -> Reducer:
    """Reduce every axis but ``axis`` (negative counts from the end) with ``op``."""

    def reduce(x: np.ndarray) -> np.ndarray:
        moved = np.moveaxis(x, axis, 0)
        return op(moved.reshape(moved.shape[0], -1).astype(np.float64), axis=1)

    return reduce
