"""Activation ranges from calibration statistics, and the FakeQuantize parameters they give."""

from __future__ import annotations

from collections.abc import Callable
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

_HISTOGRAM_BINS = 2048
_RANGE_CANDIDATES = 128  # per end of the range, in the least-squared-error search

_AGGREGATE = {
    AggregatorType.MIN: np.min,
    AggregatorType.MAX: np.max,
    AggregatorType.MEAN: np.mean,
    AggregatorType.MEDIAN: np.median,
    AggregatorType.MEAN_NO_OUTLIERS: np.mean,
    AggregatorType.MEDIAN_NO_OUTLIERS: np.median,
}
_NO_OUTLIERS = (AggregatorType.MEAN_NO_OUTLIERS, AggregatorType.MEDIAN_NO_OUTLIERS)


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
    _check_histogram(params)
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


def _check_histogram(params: RangeEstimatorParameters) -> None:
    """RAW statistics and the HISTOGRAM aggregator only make sense together, at both ends."""
    ends = (params.min, params.max)
    raw = [p.statistics_type is StatisticsType.RAW for p in ends]
    histogram = [p.aggregator_type is AggregatorType.HISTOGRAM for p in ends]
    if raw != histogram or any(raw) != all(raw):
        raise ValueError(
            "range estimator: StatisticsType.RAW and AggregatorType.HISTOGRAM go together and set both "
            f"ends (RangeEstimatorParametersSet.HISTOGRAM); got min={_describe(params.min)}, "
            f"max={_describe(params.max)}"
        )


def _describe(params: StatisticsCollectorParameters) -> str:
    kinds = (params.statistics_type, params.aggregator_type)
    return "/".join(kind.name if kind else "default" for kind in kinds)


def _is_histogram(params: RangeEstimatorParameters) -> bool:
    _check_histogram(params)
    return params.max.aggregator_type is AggregatorType.HISTOGRAM


def _statistic(x: np.ndarray, params: StatisticsCollectorParameters, high: bool) -> float:
    if params.statistics_type is StatisticsType.QUANTILE:
        q = 1.0 - params.quantile_outlier_prob if high else params.quantile_outlier_prob
        return quantile(x, q)
    if params.statistics_type is StatisticsType.MAX:
        return float(x.max())
    return float(x.min())


def range_reducer(params: RangeEstimatorParameters) -> Reducer:
    """Per batch: ``[low statistic, high statistic, the larger of their magnitudes]``, or for the
    HISTOGRAM aggregator ``[min, max, counts of equal bins between them...]``."""
    if _is_histogram(params):
        return _histogram
    low, high = _with_defaults(params)

    def reduce(x: np.ndarray) -> np.ndarray:
        flat = x.reshape(-1)  # min, max and quantile are exact without a float64 copy
        lo, hi = _statistic(flat, low, False), _statistic(flat, high, True)
        return np.array([lo, hi, max(abs(lo), abs(hi))])

    return reduce


def _histogram(x: np.ndarray) -> np.ndarray:
    flat = x.reshape(-1)
    lo, hi = float(flat.min()), float(flat.max())
    width = (hi - lo) / _HISTOGRAM_BINS or 1.0
    bins = np.minimum(((flat - lo) / width).astype(np.intp), _HISTOGRAM_BINS - 1)
    return np.concatenate([[lo, hi], np.bincount(bins, minlength=_HISTOGRAM_BINS)])


def aggregate_range(batches: list[np.ndarray], params: RangeEstimatorParameters) -> Range:
    """The range over all batches; the magnitude is aggregated as the high end is."""
    if _is_histogram(params):
        return _least_error_range(*_merge_histograms(np.stack(batches)))
    low, high = _with_defaults(params)
    values = np.stack(batches)
    lo = _aggregate(values[:, 0], low)
    hi = _aggregate(values[:, 1], high)
    magnitude = _aggregate(values[:, 2], high)
    if low.clipping_value is not None:
        lo = max(lo, -abs(low.clipping_value))
    if high.clipping_value is not None:
        hi = min(hi, abs(high.clipping_value))
        magnitude = min(magnitude, abs(high.clipping_value))
    return Range(lo, hi, magnitude)


def _aggregate(values: np.ndarray, params: StatisticsCollectorParameters) -> float:
    """Over batches; the NO_OUTLIERS kinds first drop the batches beyond the outlier quantiles."""
    if params.aggregator_type in _NO_OUTLIERS:
        prob = params.quantile_outlier_prob
        low, high = np.quantile(values, [prob, 1.0 - prob])
        values = values[(values >= low) & (values <= high)]
    return float(_AGGREGATE[params.aggregator_type](values))


def _merge_histograms(histograms: np.ndarray) -> tuple[float, float, np.ndarray]:
    """The overall min and max, and counts on one grid of equal bins between them; each batch's bin
    goes whole to the bin that holds its center."""
    lows, highs, counts = histograms[:, 0], histograms[:, 1], histograms[:, 2:]
    lo, hi = float(lows.min()), float(highs.max())
    width = (hi - lo) / _HISTOGRAM_BINS or 1.0
    batch_widths = (highs - lows) / _HISTOGRAM_BINS
    batch_centers = lows[:, None] + (np.arange(_HISTOGRAM_BINS) + 0.5) * batch_widths[:, None]
    bins = np.minimum(((batch_centers - lo) / width).astype(np.intp), _HISTOGRAM_BINS - 1)
    merged = np.bincount(bins.reshape(-1), counts.reshape(-1), minlength=_HISTOGRAM_BINS)
    return lo, hi, merged


def _least_error_range(lo: float, hi: float, counts: np.ndarray) -> Range:
    """The ends of least summed squared error of 8-bit quantization: values outside are clipped to
    the nearer end, values inside are off by a uniform rounding error of variance step²/12. The
    magnitude is searched separately, on the signed symmetric grid that it defines."""
    centers = lo + (np.arange(counts.size) + 0.5) * ((hi - lo) / counts.size)
    error = _quantization_error(centers, counts)
    fractions = np.arange(1, _RANGE_CANDIDATES + 1) / _RANGE_CANDIDATES
    lows, highs = min(lo, 0.0) * fractions, max(hi, 0.0) * fractions
    pair_errors = error(lows[:, None], highs[None, :])
    low_index, high_index = np.unravel_index(np.argmin(pair_errors), pair_errors.shape)
    magnitudes = max(-lows[-1], highs[-1]) * fractions
    half = ACTIVATION_LEVELS // 2
    magnitude = magnitudes[np.argmin(error(-magnitudes * half / (half - 1), magnitudes))]
    return Range(float(lows[low_index]), float(highs[high_index]), float(magnitude))


def _quantization_error(
    centers: np.ndarray, counts: np.ndarray
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``error(low, high)`` for broadcastable arrays of range ends, from prefix sums of the counts
    and of their first and second moments (values taken at their bin's center)."""
    moments = [np.concatenate([[0.0], np.cumsum(counts * centers**power)]) for power in range(3)]

    def below(end: np.ndarray) -> tuple[np.ndarray, ...]:
        index = np.searchsorted(centers, end)
        return tuple(m[index] for m in moments)

    def error(low: np.ndarray, high: np.ndarray) -> np.ndarray:
        n_low, s_low, q_low = below(low)
        n_high, s_high, q_high = below(high)
        n_all, s_all, q_all = (m[-1] for m in moments)
        clipped_low = low**2 * n_low - 2 * low * s_low + q_low
        clipped_high = high**2 * (n_all - n_high) - 2 * high * (s_all - s_high) + (q_all - q_high)
        step = (high - low) / (ACTIVATION_LEVELS - 1)
        return clipped_low + clipped_high + (n_high - n_low) * step**2 / 12

    return error


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
