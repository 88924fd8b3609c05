"""Post-training quantization with NNCF's API: ``import vinopy.quantization as nncf``."""

from vinopy.quantization.api import compress_weights, quantize, quantize_with_accuracy_control
from vinopy.quantization.dataset import Dataset
from vinopy.quantization.parameters import (
    AdvancedAccuracyRestorerParameters,
    AdvancedBiasCorrectionParameters,
    AdvancedQuantizationParameters,
    AdvancedSmoothQuantParameters,
    AggregatorType,
    CompressWeightsMode,
    DropType,
    ModelType,
    OverflowFix,
    QuantizationMode,
    QuantizationPreset,
    RangeEstimatorParameters,
    RangeEstimatorParametersSet,
    StatisticsCollectorParameters,
    StatisticsType,
    TargetDevice,
    ValidationError,
)
from vinopy.quantization.scope import IgnoredScope, Subgraph

__all__ = [
    "AdvancedAccuracyRestorerParameters",
    "AdvancedBiasCorrectionParameters",
    "AdvancedQuantizationParameters",
    "AdvancedSmoothQuantParameters",
    "AggregatorType",
    "CompressWeightsMode",
    "Dataset",
    "DropType",
    "IgnoredScope",
    "ModelType",
    "OverflowFix",
    "QuantizationMode",
    "QuantizationPreset",
    "RangeEstimatorParameters",
    "RangeEstimatorParametersSet",
    "StatisticsCollectorParameters",
    "StatisticsType",
    "Subgraph",
    "TargetDevice",
    "ValidationError",
    "compress_weights",
    "quantize",
    "quantize_with_accuracy_control",
]
