"""The options of post-training quantization and weight compression, named as in NNCF."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class ValidationError(ValueError):
    """A quantization argument is wrong: an unknown ignored name, an empty dataset, a bad option."""


class QuantizationPreset(Enum):
    """PERFORMANCE: symmetric activations and weights; MIXED: asymmetric activations, symmetric weights."""

    PERFORMANCE = "performance"
    MIXED = "mixed"


class ModelType(Enum):
    """TRANSFORMER turns on SmoothQuant and restricts activation quantization to MatMul-like ops."""

    TRANSFORMER = "transformer"


class TargetDevice(Enum):
    """The device the quantized model is meant for; CPU_SPR needs no overflow fix (VNNI/AMX)."""

    ANY = "ANY"
    CPU = "CPU"
    GPU = "GPU"
    NPU = "NPU"
    CPU_SPR = "CPU_SPR"


class QuantizationMode(Enum):
    """Quantization schemes other than the default int8; none of them is implemented yet."""

    FP8_E4M3 = "fp8_e4m3"
    FP8_E5M2 = "fp8_e5m2"


class DropType(Enum):
    """ABSOLUTE: ``float - quantized``; RELATIVE: ``(float - quantized) / float``."""

    ABSOLUTE = "absolute"
    RELATIVE = "relative"


class OverflowFix(Enum):
    """Quantize weights to 7 bits (half range) so that u8 x i8 sums cannot saturate on pre-VNNI CPUs:
    on every weighted layer (ENABLE), only on those fed by a model input (FIRST_LAYER), or never."""

    ENABLE = "enable"
    FIRST_LAYER = "first_layer_only"
    DISABLE = "disable"


class CompressWeightsMode(Enum):
    """Weight-only compression: int8 per output channel, int4 per group of input channels."""

    INT8_SYM = "int8_sym"
    INT8_ASYM = "int8_asym"
    INT4_SYM = "int4_sym"
    INT4_ASYM = "int4_asym"


class StatisticsType(Enum):
    """What is taken from each calibration batch."""

    MIN = "min"
    MAX = "max"
    QUANTILE = "quantile"
    RAW = "raw"  # the values themselves: what the HISTOGRAM aggregator takes


class AggregatorType(Enum):
    """How the per-batch values are combined over the calibration subset."""

    MIN = "min"
    MAX = "max"
    MEAN = "mean"
    MEDIAN = "median"
    MEAN_NO_OUTLIERS = "mean_no_outliers"
    MEDIAN_NO_OUTLIERS = "median_no_outliers"
    HISTOGRAM = "histogram"  # the range of least quantization error (mean squared) over all values


@dataclass
class StatisticsCollectorParameters:
    """One end of a range: a per-batch statistic and its aggregation.

    ``quantile_outlier_prob`` is the probability mass left outside by QUANTILE (1e-4 is the 0.01 and
    99.99 percentiles) and the share of batches that the NO_OUTLIERS aggregators drop at each end;
    ``clipping_value`` bounds the result when set."""

    statistics_type: StatisticsType | None = None
    aggregator_type: AggregatorType | None = None
    clipping_value: float | None = None
    quantile_outlier_prob: float = 1e-4


@dataclass
class RangeEstimatorParameters:
    """How the low (``min``) and high (``max``) ends of an activation range are estimated."""

    min: StatisticsCollectorParameters = field(default_factory=StatisticsCollectorParameters)
    max: StatisticsCollectorParameters = field(default_factory=StatisticsCollectorParameters)


def _estimator(
    aggregator: AggregatorType,
    low: StatisticsType = StatisticsType.MIN,
    high: StatisticsType = StatisticsType.MAX,
) -> RangeEstimatorParameters:
    """The low end from ``low`` statistics and the high end from ``high`` ones, both aggregated by
    ``aggregator``."""
    return RangeEstimatorParameters(
        StatisticsCollectorParameters(low, aggregator), StatisticsCollectorParameters(high, aggregator)
    )


class RangeEstimatorParametersSet:
    """Ready-made estimators: absolute min/max, mean or median of per-batch min/max (optionally
    without outlying batches), mean of percentiles, and the histogram's least-squared-error range."""

    MINMAX = RangeEstimatorParameters(
        StatisticsCollectorParameters(StatisticsType.MIN, AggregatorType.MIN),
        StatisticsCollectorParameters(StatisticsType.MAX, AggregatorType.MAX),
    )
    MEAN_MINMAX = _estimator(AggregatorType.MEAN)
    MEDIAN_MINMAX = _estimator(AggregatorType.MEDIAN)
    MEAN_NO_OUTLIERS_MINMAX = _estimator(AggregatorType.MEAN_NO_OUTLIERS)
    MEAN_QUANTILE = _estimator(AggregatorType.MEAN, StatisticsType.QUANTILE, StatisticsType.QUANTILE)
    HISTOGRAM = _estimator(AggregatorType.HISTOGRAM, StatisticsType.RAW, StatisticsType.RAW)


@dataclass
class AdvancedSmoothQuantParameters:
    """SmoothQuant migration strength per layer kind; a negative alpha turns it off for that kind."""

    matmul: float = 0.95
    convolution: float = -1.0


@dataclass
class AdvancedBiasCorrectionParameters:
    """Only layers that have a bias are corrected. ``threshold``: a shift larger than this times the
    bias's magnitude (plus one) is not applied, as it points at a broken calibration rather than a
    rounding bias."""

    threshold: float | None = 1000.0


@dataclass
class AdvancedQuantizationParameters:
    """Fine control of :func:`quantize`.

    ``backend_params["device"]`` names the device that runs the model for statistics (default: CPU,
    else TEMPLATE where CPU is not available).
    ``smooth_quant_alpha`` (deprecated in NNCF) sets the MatMul alpha when given."""

    overflow_fix: OverflowFix = OverflowFix.FIRST_LAYER
    quantize_outputs: bool = False
    disable_bias_correction: bool = False
    activations_range_estimator_params: RangeEstimatorParameters = field(
        default_factory=RangeEstimatorParameters
    )
    bias_correction_params: AdvancedBiasCorrectionParameters = field(
        default_factory=AdvancedBiasCorrectionParameters
    )
    smooth_quant_alphas: AdvancedSmoothQuantParameters = field(default_factory=AdvancedSmoothQuantParameters)
    smooth_quant_alpha: float | None = None
    backend_params: dict[str, Any] = field(default_factory=dict)


@dataclass
class AdvancedAccuracyRestorerParameters:
    """Fine control of the accuracy-control loop.

    ``max_num_iterations``: at most this many layers are reverted to float. ``ranking_subset_size``:
    validation items used to rank layers by the output error they cause."""

    max_num_iterations: int = sys.maxsize
    ranking_subset_size: int | None = None
