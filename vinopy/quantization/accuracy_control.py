"""Accuracy control: revert quantized layers to float, worst first, until the metric drop is small.

Layers are ranked once by how much of the quantized model's output error goes away when each alone
is reverted (normalized squared error against the float model on a ranking subset of the
validation data); then they are reverted one at a time, validating after each, until the drop is
within ``max_drop`` or ``max_num_iterations`` layers are back in float.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from vinopy.graph.model import Model
from vinopy.graph.node import Node
from vinopy.quantization.dataset import Dataset
from vinopy.quantization.parameters import AdvancedAccuracyRestorerParameters, DropType, ValidationError
from vinopy.quantization.quantizer import PostTrainingQuantizer
from vinopy.runtime.core import Core

logger = logging.getLogger("vinopy.quantization")
_DEFAULT_RANKING_SUBSET = 300

# (compiled model, validation items) -> metric, or (metric, per-item values)
ValidationFn = Callable[[Any, Iterable[Any]], Any]


class AccuracyControl:
    """One run of the revert loop over the models ``quantizer`` builds."""

    def __init__(
        self,
        model: Model,
        quantizer: PostTrainingQuantizer,
        dataset: Dataset,
        validation_fn: ValidationFn,
        max_drop: float,
        drop_type: DropType,
        params: AdvancedAccuracyRestorerParameters,
        device: str,
    ) -> None:
        self.model, self.quantizer, self.dataset = model, quantizer, dataset
        self.validation_fn, self.max_drop, self.drop_type = validation_fn, max_drop, drop_type
        self.params, self.device = params, device
        self.core = Core()

    def run(self) -> Model:
        reference = self._validate(self.model)
        quantized = self.quantizer.build()
        metric = self._validate(quantized)
        drop = self._drop(reference, metric)
        logger.info(
            "Accuracy control: float metric %.5f, quantized %.5f, drop %.5f (max %.5f)",
            reference,
            metric,
            drop,
            self.max_drop,
        )
        reverted: list[Node] = []
        if drop > self.max_drop:
            for node in self._ranking()[: self.params.max_num_iterations]:
                reverted.append(node)
                quantized = self.quantizer.build(frozenset(reverted))
                metric = self._validate(quantized)
                drop = self._drop(reference, metric)
                logger.info(
                    "Reverted %s '%s' to float: metric %.5f, drop %.5f",
                    node.get_type_name(),
                    node.get_friendly_name(),
                    metric,
                    drop,
                )
                if drop <= self.max_drop:
                    break
            if drop > self.max_drop:
                logger.warning(
                    "Accuracy control could not bring the drop (%.5f) within %.5f", drop, self.max_drop
                )
        names = [n.get_friendly_name() for n in reverted]
        logger.info(
            "Accuracy control reverted %d layer(s) to float: %s", len(names), ", ".join(names) or "none"
        )
        report = {
            "reverted_nodes": ",".join(names),
            "metric_float": f"{reference:.6g}",
            "metric_quantized": f"{metric:.6g}",
            "drop": f"{drop:.6g}",
        }
        for key, value in report.items():
            quantized.set_rt_info(value, ["nncf", "accuracy_control", key])
        return quantized

    def _validate(self, model: Model) -> float:
        result = self.validation_fn(self.core.compile_model(model, self.device), self.dataset.get_data())
        value = result[0] if isinstance(result, tuple) else result
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValidationError(
                f"validation_fn must return a number (or (number, list)), got {result!r}"
            ) from None

    def _drop(self, reference: float, metric: float) -> float:
        if self.drop_type is DropType.ABSOLUTE:
            return reference - metric
        return (reference - metric) / abs(reference) if reference else reference - metric

    def _ranking(self) -> list[Node]:
        """Quantized layers, the one whose reverting removes the most output error first."""
        size = self.params.ranking_subset_size or _DEFAULT_RANKING_SUBSET
        items = list(self.dataset.get_inference_data(list(range(size))))
        if not items:
            raise ValidationError("The validation dataset is empty")
        reference = self._outputs(self.model, items)
        base = _error(self._outputs(self.quantizer.build(), items), reference)
        gains = {}
        for node in self.quantizer.quantized_nodes:
            outputs = self._outputs(self.quantizer.build(frozenset([node])), items)
            gains[node] = base - _error(outputs, reference)
        return sorted(gains, key=gains.get, reverse=True)

    def _outputs(self, model: Model, items: list[Any]) -> list[list[np.ndarray]]:
        compiled = self.core.compile_model(model, self.device)
        count = len(model.get_results())
        return [[np.asarray(r[i]) for i in range(count)] for r in map(compiled, items)]


def _error(outputs: list[list[np.ndarray]], reference: list[list[np.ndarray]]) -> float:
    """Mean normalized squared error over items and outputs."""
    errors = [
        float(np.sum((o.astype(np.float64) - r) ** 2) / (np.sum(np.asarray(r, np.float64) ** 2) + 1e-12))
        for item_o, item_r in zip(outputs, reference)
        for o, r in zip(item_o, item_r)
    ]
    return float(np.mean(errors))
