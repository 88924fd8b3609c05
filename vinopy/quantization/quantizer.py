"""The post-training quantization pipeline: SmoothQuant, statistics, ranges, bias correction, and
building the quantized model from them (again, with layers reverted, for accuracy control)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output, const_value
from vinopy.quantization.bias_correction import apply_shift, bias_shifts, find_bias
from vinopy.quantization.dataset import Dataset
from vinopy.quantization.parameters import OverflowFix, RangeEstimatorParameters
from vinopy.quantization.placement import QuantizationPlan, WeightTarget, build_plan
from vinopy.quantization.range_estimation import (
    FQParams,
    Range,
    activation_params,
    aggregate_range,
    make_fake_quantize,
    merge_ranges,
    range_reducer,
)
from vinopy.quantization.scope import IgnoredScope, ignored_nodes
from vinopy.quantization.smooth_quant import smooth_quant
from vinopy.quantization.statistics import Tap, calibration_indices, clone_with_map, collect
from vinopy.quantization.weights import IntWeight, decompression, quantize_symmetric

logger = logging.getLogger("vinopy.quantization")


@dataclass(frozen=True)
class Settings:
    """The resolved options of one quantization run."""

    symmetric_activations: bool
    transformer: bool
    overflow_fix: OverflowFix
    quantize_outputs: bool
    range_estimator: RangeEstimatorParameters
    bias_correction: bool
    bias_correction_threshold: float | None
    smooth_quant_alpha: float
    subset_size: int
    device: str


class PostTrainingQuantizer:
    """Collects everything the quantized model needs once; :meth:`build` makes models from it."""

    def __init__(
        self, model: Model, dataset: Dataset, settings: Settings, ignored_scope: IgnoredScope | None
    ) -> None:
        self.settings = settings
        self.float_model = model.clone()
        self.ignored = ignored_nodes(self.float_model, ignored_scope)
        indices = calibration_indices(dataset, settings.subset_size)
        if settings.transformer and settings.smooth_quant_alpha >= 0:
            smooth_quant(
                self.float_model, self.ignored, settings.smooth_quant_alpha, dataset, indices, settings.device
            )
        self.plan = self._plan(set())
        self.ranges = self._collect_ranges(dataset, indices)
        self.weights = {t.node: self._quantize_weight(t) for t in self.plan.weights}
        self.shifts: dict[Node, np.ndarray] = {}
        if settings.bias_correction:
            self.shifts = bias_shifts(
                self.float_model,
                self.plan,
                self._activation_params(self.plan),
                self.weights,
                dataset,
                indices,
                settings.device,
                settings.bias_correction_threshold,
            )

    @property
    def quantized_nodes(self) -> list[Node]:
        """The layers whose inputs are quantized: the units accuracy control can revert."""
        return self.plan.quantized_nodes

    def build(self, reverted: frozenset[Node] = frozenset()) -> Model:
        """The quantized model, with the ``reverted`` layers left in float."""
        plan = self._plan(set(reverted)) if reverted else self.plan
        params = self._activation_params(plan)
        model, mapping = clone_with_map(self.float_model)
        for tensor, readers in plan.activations.items():
            producer = mapping[tensor.get_node()]
            name = f"{producer.get_friendly_name()}/fq_output_{tensor.get_index()}"
            fq = make_fake_quantize(producer.output(tensor.get_index()), params[tensor], name)
            for reader in readers:
                mapping[reader.get_node()].input(reader.get_index()).replace_source_output(fq)
        for target in plan.weights:
            self._replace_weight(target, mapping)
        self._record(model, plan)
        return model

    def _plan(self, reverted: set[Node]) -> QuantizationPlan:
        return build_plan(
            self.float_model,
            self.ignored | reverted,
            self.settings.transformer,
            self.settings.quantize_outputs,
        )

    def _collect_ranges(self, dataset: Dataset, indices: list[int] | None) -> dict[Output, Range]:
        order = {node: i for i, node in enumerate(self.float_model.get_ordered_ops())}
        tensors = sorted(self.plan.candidates, key=lambda o: (order[o.get_node()], o.get_index()))
        reducer = range_reducer(self.settings.range_estimator)
        stats = collect(
            self.float_model,
            [Tap(t, reducer) for t in tensors],
            dataset,
            indices,
            self.settings.device,
            "Statistics collection",
        )
        return {
            t: aggregate_range(batches, self.settings.range_estimator) for t, batches in zip(tensors, stats)
        }

    def _activation_params(self, plan: QuantizationPlan) -> dict[Output, FQParams]:
        params = {}
        for group in plan.groups:
            merged = merge_ranges([self.ranges[t] for t in group])
            for tensor in group:
                params[tensor] = activation_params(merged, self.settings.symmetric_activations)
        return params

    def _quantize_weight(self, target: WeightTarget) -> IntWeight:
        """Symmetric per output channel, 8 bits (255 levels), or half of that with the overflow fix."""
        weight = const_value(target.node.input_value(target.port))
        fix = self.settings.overflow_fix
        half_range = fix is OverflowFix.ENABLE or (
            fix is OverflowFix.FIRST_LAYER and target.node in self.plan.first_layers
        )
        return quantize_symmetric(
            weight, target.reduce_axes(weight.ndim), 8, narrow=True, half_range=half_range
        )

    def _replace_weight(self, target: WeightTarget, mapping: dict[Node, Node]) -> None:
        node = mapping[target.node]
        element_type = node.get_input_element_type(target.port)
        node.input(target.port).replace_source_output(
            decompression(
                self.weights[target.node],
                element_type,
                f"{node.get_friendly_name()}/fq_weights_{target.port}",
            )
        )
        shift = self.shifts.get(target.node)
        if shift is not None:
            add, port = find_bias(target)
            apply_shift(mapping[add], port, shift)

    def _record(self, model: Model, plan: QuantizationPlan) -> None:
        """What NNCF records in rt_info, so that a saved IR says how it was made."""
        s = self.settings
        info = {
            "preset": "performance" if s.symmetric_activations else "mixed",
            "model_type": "transformer" if s.transformer else "None",
            "subset_size": str(s.subset_size),
            "fast_bias_correction": str(s.bias_correction),
            "overflow_fix": s.overflow_fix.value,
            "fake_quantize_count": str(len(plan.activations)),
            "quantized_weights_count": str(len(plan.weights)),
        }
        for key, value in info.items():
            model.set_rt_info(value, ["nncf", "quantization", key])
