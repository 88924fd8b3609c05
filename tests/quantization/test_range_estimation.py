"""Activation range estimators: what each set computes, and the histogram's least-error search."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy.quantization as nncf
from tests.quantization.models import cnn, images, run
from vinopy.quantization.range_estimation import activation_params, aggregate_range, range_reducer

SETS = nncf.RangeEstimatorParametersSet


def _batches_with_outliers(count: int = 12) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    batches = []
    for _ in range(count):
        x = rng.standard_normal(20_000).astype(np.float32)
        x[:3] = (40.0, -30.0, 25.0)  # rare large values: min/max ranges waste most levels on them
        batches.append(x)
    return batches


def _range(batches: list[np.ndarray], params: nncf.RangeEstimatorParameters):
    reducer = range_reducer(params)
    return aggregate_range([reducer(b) for b in batches], params)


def _mean_squared_error(values: np.ndarray, params: nncf.RangeEstimatorParameters, symmetric: bool) -> float:
    fq = activation_params(_range([values], params), symmetric)
    step = (fq.input_high - fq.input_low) / (fq.levels - 1)
    levels = np.clip(np.round((values - fq.input_low) / step), 0, fq.levels - 1)
    return float(np.mean((levels * step + fq.input_low - values) ** 2))


def _symmetric_error(values: np.ndarray, magnitude: float) -> float:
    step = magnitude / 127
    levels = np.clip(np.round(values / step), -128, 127)
    return float(np.mean((levels * step - values) ** 2))


@pytest.mark.parametrize("symmetric", [True, False])
def test_histogram_range_has_less_quantization_error_than_the_others(symmetric: bool) -> None:
    values = np.concatenate(_batches_with_outliers())
    others = [
        _mean_squared_error(values, getattr(SETS, name), symmetric)
        for name in ("MINMAX", "MEAN_MINMAX", "MEAN_QUANTILE")
    ]
    assert _mean_squared_error(values, SETS.HISTOGRAM, symmetric) < min(others)


def test_histogram_range_is_the_least_error_one() -> None:
    values = np.concatenate(_batches_with_outliers())
    best = min(_symmetric_error(values, m) for m in np.linspace(1.0, 45.0, 200))
    assert _mean_squared_error(values, SETS.HISTOGRAM, symmetric=True) < 1.01 * best


def test_histogram_of_batches_clips_outliers_and_keeps_zero_for_non_negative_values() -> None:
    batches = _batches_with_outliers()
    signed = _range(batches, SETS.HISTOGRAM)
    assert -30.0 < signed.low < -3.0 and 3.0 < signed.high < 40.0
    non_negative = _range([np.abs(b) for b in batches], SETS.HISTOGRAM)
    assert non_negative.low == 0.0 and 3.0 < non_negative.high < 40.0


def test_no_outliers_aggregator_drops_outlying_batches() -> None:
    batches = [np.array([-1.0, 1.0], np.float32)] * 99 + [np.array([-1.0, 100.0], np.float32)]
    params = nncf.RangeEstimatorParameters(
        max=nncf.StatisticsCollectorParameters(
            nncf.StatisticsType.MAX, nncf.AggregatorType.MEAN_NO_OUTLIERS, quantile_outlier_prob=0.01
        )
    )
    assert _range(batches, params).high == pytest.approx(1.0)
    assert _range(batches, SETS.MEAN_MINMAX).high == pytest.approx(1.99)
    assert _range(batches, SETS.MEDIAN_MINMAX).high == pytest.approx(1.0)


@pytest.mark.parametrize(
    "params",
    [
        nncf.RangeEstimatorParameters(
            min=nncf.StatisticsCollectorParameters(nncf.StatisticsType.RAW, nncf.AggregatorType.HISTOGRAM)
        ),
        nncf.RangeEstimatorParameters(
            min=nncf.StatisticsCollectorParameters(nncf.StatisticsType.RAW, nncf.AggregatorType.MEAN),
            max=nncf.StatisticsCollectorParameters(nncf.StatisticsType.RAW, nncf.AggregatorType.MEAN),
        ),
    ],
)
def test_raw_statistics_need_the_histogram_at_both_ends(params: nncf.RangeEstimatorParameters) -> None:
    with pytest.raises(ValueError, match="RAW and AggregatorType.HISTOGRAM go together"):
        range_reducer(params)


def test_quantize_with_histogram_ranges_stays_close_to_float() -> None:
    model = cnn()
    params = nncf.AdvancedQuantizationParameters(activations_range_estimator_params=SETS.HISTOGRAM)
    quantized = nncf.quantize(model, nncf.Dataset(images(12)), advanced_parameters=params)
    test, reference = images(12, seed=7), run(model, images(12, seed=7))
    assert np.linalg.norm(run(quantized, test) - reference) / np.linalg.norm(reference) < 0.05
