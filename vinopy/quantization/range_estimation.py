"""Activation ranges from calibration statistics, and the FakeQuantize parameters they give."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vinopy import opset13 as ops
from vinopy.graph.node import Output
from vinopy.quantization.parameters import (
    AggregatorType,
    RangeEstimatorParameters,
    StatisticsCollectorParameters,
    StatisticsType,
)
from vinopy.quantization.statistics import Reducer, quantile

ACTIVATION_LEVELS = 256
_MIN_RANGE = 1e-8  # a tensor that is constant zero still needs a non-empty range

_AGGREGATE = {
    AggregatorType.MIN: np.min,
    AggregatorType.MAX: np.max,
    AggregatorType.MEAN: np.mean,
    AggregatorType.MEDIAN: np.median,
}


@dataclass(frozen=True)
class FQParams:
    """The four ranges and the levels of one FakeQuantize (scalars: per-tensor)."""

    input_low: float
    input_high: float
    output_low: float
    output_high: float
    levels: int


@dataclass(frozen=True)
class Range:
    """Calibrated ends of a tensor, and its largest magnitude (what a symmetric range uses)."""

    low: float
    high: float
    magnitude: float


def _with_defaults(params: RangeEstimatorParameters) -> tuple[StatisticsCollectorParameters, ...]:
    """Unset fields: the per-batch min and max, averaged over batches (NNCF's default)."""
    low, high = params.min, params.max
    return (
        StatisticsCollectorParameters(
            low.statistics_type or StatisticsType.MIN,
            low.aggregator_type or AggregatorType.MEAN,
            low.clipping_value,
            low.quantile_outlier_prob,
        ),
        StatisticsCollectorParameters(
            high.statistics_type or StatisticsType.MAX,
            high.aggregator_type or AggregatorType.MEAN,
            high.clipping_value,
            high.quantile_outlier_prob,
        ),
    )


def _statistic(x: np.ndarray, params: StatisticsCollectorParameters, high: bool) -> float:
    if params.statistics_type is StatisticsType.QUANTILE:
        q = 1.0 - params.quantile_outlier_prob if high else params.quantile_outlier_prob
        return quantile(x, q)
    if params.statistics_type is StatisticsType.MAX:
        return float(x.max())
    return float(x.min())


def range_reducer(params: RangeEstimatorParameters) -> Reducer:
    """Per batch: ``[low statistic, high statistic, the larger of their magnitudes]``."""
    low, high = _with_defaults(params)

    def reduce(x: np.ndarray) -> np.ndarray:
        flat = x.reshape(-1)  # min, max and quantile are exact without a float64 copy
        lo, hi = _statistic(flat, low, False), _statistic(flat, high, True)
        return np.array([lo, hi, max(abs(lo), abs(hi))])

    return reduce


def aggregate_range(batches: list[np.ndarray], params: RangeEstimatorParameters) -> Range:
    """The range over all batches; the magnitude is aggregated as the high end is."""
    low, high = _with_defaults(params)
    values = np.stack(batches)
    lo = float(_AGGREGATE[low.aggregator_type](values[:, 0]))
    hi = float(_AGGREGATE[high.aggregator_type](values[:, 1]))
    magnitude = float(_AGGREGATE[high.aggregator_type](values[:, 2]))
    if low.clipping_value is not None:
        lo = max(lo, -abs(low.clipping_value))
    if high.clipping_value is not None:
        hi = min(hi, abs(high.clipping_value))
        magnitude = min(magnitude, abs(high.clipping_value))
    return Range(lo, hi, magnitude)


def activation_params(r: Range, symmetric: bool, levels: int = ACTIVATION_LEVELS) -> FQParams:
    """Symmetric: unsigned ``[0, high]`` for non-negative tensors, else signed with the grid
    ``-128..127`` times ``magnitude / 127``. Asymmetric: ``[min(low, 0), max(high, 0)]``, widened at
    one end so that zero falls exactly on a level (zero padding and ReLU outputs stay exact)."""
    if symmetric:
        if r.low >= 0:
            high = max(r.high, _MIN_RANGE)
            return FQParams(0.0, high, 0.0, high, levels)
        high = max(r.magnitude, _MIN_RANGE)
        half = levels // 2
        low = -high * half / (half - 1)
        return FQParams(low, high, low, high, levels)
    low, high = _zero_on_grid(min(r.low, 0.0), max(r.high, 0.0, r.low + _MIN_RANGE), levels - 1)
    return FQParams(low, high, low, high, levels)


def _zero_on_grid(lo: float, hi: float, steps: int) -> tuple[float, float]:
    """Keep the end that the rounded zero point allows and stretch the other: nothing is clipped."""
    if lo == 0 or hi == 0:
        return lo, hi
    zero_point = min(max(round(-lo * steps / (hi - lo)), 1), steps - 1)
    if zero_point * (hi - lo) / steps <= -lo:  # rounded down: a larger scale keeps lo exact
        scale = -lo / zero_point
        return lo, lo + scale * steps
    scale = hi / (steps - zero_point)
    return hi - scale * steps, hi


def merge_ranges(ranges: list[Range]) -> Range:
    """One range covering all: what tensors with unified scales share."""
    return Range(min(r.low for r in ranges), max(r.high for r in ranges), max(r.magnitude for r in ranges))


def make_fake_quantize(x: Output, params: FQParams, name: str | None = None) -> Output:
    """A per-tensor FakeQuantize on ``x`` with scalar ranges of ``x``'s element type; a named one
    names its range constants ``<name>/input_low`` and so on, as NNCF does."""
    dtype = x.get_element_type().to_dtype()
    ranges = {
        "input_low": params.input_low,
        "input_high": params.input_high,
        "output_low": params.output_low,
        "output_high": params.output_high,
    }
    bounds = [ops.constant(np.array(v, dtype), name=name and f"{name}/{key}") for key, v in ranges.items()]
    return ops.fake_quantize(x, *bounds, params.levels, name=name).output(0)
