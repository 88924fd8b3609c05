"""Statistics collection: run the model on calibration data with extra Results on the tensors of
interest, and reduce each tensor batch by batch so that no activation is kept whole.

The model runs on the CPU plugin (oneDNN) when it is available, in f32 whatever the CPU supports
(``EXECUTION_MODE_HINT`` ACCURACY), with several requests in flight (``THROUGHPUT``); each
request's tapped tensors are reduced in its callback, while the others compute."""

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
from vinopy.runtime.async_queue import AsyncInferQueue
from vinopy.runtime.core import Core
from vinopy.runtime.infer_request import InferRequest

Reducer = Callable[[np.ndarray], np.ndarray]

# f32 on every CPU (never bf16: ranges must be those of the float model), requests in parallel
COLLECTION_CONFIG = {"EXECUTION_MODE_HINT": "ACCURACY", "PERFORMANCE_HINT": "THROUGHPUT"}
# the devices statistics prefer, fastest first; TEMPLATE (numpy) runs anywhere
PREFERRED_DEVICES = ("CPU", "TEMPLATE")


@dataclass(frozen=True)
class Tap:
    """A tensor to observe and how to reduce one batch of it."""

    output: Output
    reduce: Reducer


def default_device(core: Core | None = None) -> str:
    """The first of :data:`PREFERRED_DEVICES` available here."""
    available = (core or Core()).available_devices
    return next((d for d in PREFERRED_DEVICES if d in available), PREFERRED_DEVICES[-1])


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
    per-item reductions, in item order."""
    clone, result_of_tap = _tapped_clone(model, taps)
    compiled = Core().compile_model(clone, device, COLLECTION_CONFIG)
    per_item: list[list[np.ndarray]] = []
    progress = tqdm(total=len(indices) if indices is not None else None, desc=description, leave=False)

    def reduce(request: InferRequest, position: int) -> None:
        outputs = [request.get_output_tensor(i).data for i in result_of_tap]
        per_item[position] = [tap.reduce(x) for tap, x in zip(taps, outputs)]
        progress.update()

    queue = AsyncInferQueue(compiled)
    queue.set_callback(reduce)
    with progress:
        for position, item in enumerate(dataset.get_inference_data(indices)):
            per_item.append([])
            # copies: a tapped Parameter's result would otherwise alias the caller's array
            queue.start_async(item, position, share_inputs=False)
        queue.wait_all()
    if taps and not per_item:
        raise ValidationError(
            "The calibration dataset gave no items (an exhausted generator? pass a list or a loader)"
        )
    return [list(batches) for batches in zip(*per_item)] if taps else []


def _tapped_clone(model: Model, taps: Sequence[Tap]) -> tuple[Model, list[int]]:
    """A copy of ``model`` with every tapped tensor among its results, and the result index of
    each tap; a tensor that is already a result (or tapped twice) gets no second Result."""
    clone, mapping = clone_with_map(model)
    results = clone.get_results()
    index_of: dict[Output, int] = {r.input_value(0): i for i, r in enumerate(results)}
    tensors = [mapping[t.output.get_node()].output(t.output.get_index()) for t in taps]
    added = list(dict.fromkeys(t for t in tensors if t not in index_of))
    index_of.update({tensor: len(results) + k for k, tensor in enumerate(added)})
    clone.add_outputs(added)
    return clone, [index_of[tensor] for tensor in tensors]


def channel_mean(axis: int) -> Reducer:
    """Per channel of ``axis`` (negative counts from the end): the mean, summed in float64
    without a float64 copy of the tensor."""

    def reduce(x: np.ndarray) -> np.ndarray:
        rows = _channel_rows(x, axis)
        return rows.sum(axis=1, dtype=np.float64) / max(rows.shape[1], 1)

    return reduce


def channel_abs_max(axis: int) -> Reducer:
    """Per channel of ``axis``: the largest magnitude (max and min are exact in any float type)."""

    def reduce(x: np.ndarray) -> np.ndarray:
        others = tuple(a for a in range(x.ndim) if a != axis % x.ndim)
        return np.maximum(x.max(axis=others), -x.min(axis=others)).astype(np.float64)

    return reduce


def _channel_rows(x: np.ndarray, axis: int) -> np.ndarray:
    """``x`` as a 2-D array with one row per channel of ``axis`` (a copy only when it must be)."""
    moved = np.moveaxis(x, axis, 0)
    return moved.reshape(moved.shape[0], -1)


def quantile(flat: np.ndarray, q: float) -> float:
    """``np.quantile(flat, q)`` (linear interpolation) computed in float64 from the two neighbouring
    values, which a partial sort finds exactly in ``flat``'s own type: no float64 copy."""
    position = q * (flat.size - 1)
    below = math.floor(position)
    above = min(below + 1, flat.size - 1)
    ordered = np.partition(flat, (below, above))
    low, high = float(ordered[below]), float(ordered[above])
    return low + (high - low) * (position - below)
