"""The public entry points, with NNCF's names and signatures."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from vinopy.graph.model import Model
from vinopy.quantization.accuracy_control import AccuracyControl
from vinopy.quantization.dataset import Dataset
from vinopy.quantization.parameters import (
    AdvancedAccuracyRestorerParameters,
    AdvancedQuantizationParameters,
    CompressWeightsMode,
    DropType,
    ModelType,
    OverflowFix,
    QuantizationMode,
    QuantizationPreset,
    RangeEstimatorParameters,
    TargetDevice,
    ValidationError,
)
from vinopy.quantization.quantizer import PostTrainingQuantizer, Settings
from vinopy.quantization.scope import IgnoredScope
from vinopy.quantization.statistics import default_device
from vinopy.quantization.weight_compression import compress


def quantize(
    model: Model,
    calibration_dataset: Dataset,
    *,
    mode: QuantizationMode | None = None,
    preset: QuantizationPreset | None = None,
    target_device: TargetDevice = TargetDevice.ANY,
    subset_size: int = 300,
    fast_bias_correction: bool = True,
    model_type: ModelType | None = None,
    ignored_scope: IgnoredScope | None = None,
    advanced_parameters: AdvancedQuantizationParameters | None = None,
) -> Model:
    """Int8 post-training quantization: a new model with FakeQuantize on activations and int8
    weights (see :mod:`vinopy.quantization.placement` for where they go); ``model`` is unchanged."""
    settings = _settings(
        model,
        calibration_dataset,
        mode=mode,
        preset=preset,
        target_device=target_device,
        subset_size=subset_size,
        fast_bias_correction=fast_bias_correction,
        model_type=model_type,
        advanced=advanced_parameters,
    )
    return PostTrainingQuantizer(model, calibration_dataset, settings, ignored_scope).build()


def quantize_with_accuracy_control(
    model: Model,
    calibration_dataset: Dataset,
    validation_dataset: Dataset,
    validation_fn: Callable[[Any, Iterable[Any]], float | tuple[float, list[float]]],
    max_drop: float = 0.01,
    drop_type: DropType = DropType.ABSOLUTE,
    subset_size: int = 300,
    preset: QuantizationPreset | None = None,
    target_device: TargetDevice = TargetDevice.ANY,
    model_type: ModelType | None = None,
    ignored_scope: IgnoredScope | None = None,
    advanced_quantization_parameters: AdvancedQuantizationParameters | None = None,
    advanced_accuracy_restorer_parameters: AdvancedAccuracyRestorerParameters | None = None,
) -> Model:
    """Quantize, then revert the layers that cost the most accuracy to float until the metric
    ``validation_fn(compiled_model, validation_data)`` drops by at most ``max_drop``.

    What was reverted is logged and recorded in the model's rt_info under
    ``["nncf", "accuracy_control"]`` (``reverted_nodes``, ``metric_float``, ``metric_quantized``,
    ``drop``)."""
    if not isinstance(validation_dataset, Dataset):
        raise ValidationError(
            f"validation_dataset must be a Dataset, got {type(validation_dataset).__name__}"
        )
    if max_drop < 0:
        raise ValidationError(f"max_drop must not be negative, got {max_drop}")
    settings = _settings(
        model,
        calibration_dataset,
        preset=preset,
        target_device=target_device,
        subset_size=subset_size,
        model_type=model_type,
        advanced=advanced_quantization_parameters,
    )
    quantizer = PostTrainingQuantizer(model, calibration_dataset, settings, ignored_scope)
    control = AccuracyControl(
        model,
        quantizer,
        validation_dataset,
        validation_fn,
        max_drop,
        drop_type,
        advanced_accuracy_restorer_parameters or AdvancedAccuracyRestorerParameters(),
        settings.device,
    )
    return control.run()


def compress_weights(
    model: Model,
    mode: CompressWeightsMode = CompressWeightsMode.INT8_ASYM,
    ratio: float | None = None,
    group_size: int | None = None,
    ignored_scope: IgnoredScope | None = None,
    all_layers: bool | None = None,
    dataset: Dataset | None = None,
    sensitivity_metric: Any = None,
    subset_size: int | None = None,
    awq: bool | None = None,
    scale_estimation: bool | None = None,
    gptq: bool | None = None,
    lora_correction: bool | None = None,
    backup_mode: CompressWeightsMode | None = None,
    advanced_parameters: Any = None,
) -> Model:
    """Weight-only compression of MatMul, convolution and embedding (Gather) weights; the model's
    activations stay float. Data-aware options (dataset, AWQ, scale estimation, GPTQ, LoRA
    correction, sensitivity metrics) are not implemented and raise when set."""
    data_aware = {
        "dataset": dataset,
        "sensitivity_metric": sensitivity_metric,
        "subset_size": subset_size,
        "awq": awq,
        "scale_estimation": scale_estimation,
        "gptq": gptq,
        "lora_correction": lora_correction,
        "advanced_parameters": advanced_parameters,
    }
    unsupported = [name for name, value in data_aware.items() if value]
    if unsupported:
        raise ValidationError(f"compress_weights: data-aware options are not supported yet: {unsupported}")
    _check_model(model)
    return compress(model, mode, ratio, group_size, ignored_scope, bool(all_layers), backup_mode)


def _check_model(model: Model) -> None:
    if not isinstance(model, Model):
        raise ValidationError(f"Expected a vinopy Model, got {type(model).__name__}")


def _settings(
    model: Model,
    dataset: Dataset,
    *,
    mode: QuantizationMode | None = None,
    preset: QuantizationPreset | None,
    target_device: TargetDevice,
    subset_size: int,
    fast_bias_correction: bool = True,
    model_type: ModelType | None,
    advanced: AdvancedQuantizationParameters | None,
) -> Settings:
    _check_model(model)
    if not isinstance(dataset, Dataset):
        raise ValidationError(
            f"calibration_dataset must be a vinopy.quantization.Dataset, got {type(dataset).__name__}"
        )
    if mode is not None:
        raise ValidationError(f"Quantization mode {mode} is not supported yet; leave mode=None for int8")
    for value, enum in ((preset, QuantizationPreset), (target_device, TargetDevice), (model_type, ModelType)):
        if value is not None and not isinstance(value, enum):
            raise ValidationError(f"Expected a {enum.__name__}, got {value!r}")
    advanced = advanced or AdvancedQuantizationParameters()
    transformer = model_type is ModelType.TRANSFORMER
    if preset is None:  # NNCF's default: symmetric for CNNs, asymmetric activations for transformers
        preset = QuantizationPreset.MIXED if transformer else QuantizationPreset.PERFORMANCE
    alpha = (
        advanced.smooth_quant_alphas.matmul
        if advanced.smooth_quant_alpha is None
        else advanced.smooth_quant_alpha
    )
    return Settings(
        symmetric_activations=preset is QuantizationPreset.PERFORMANCE,
        transformer=transformer,
        overflow_fix=OverflowFix.DISABLE if target_device is TargetDevice.CPU_SPR else advanced.overflow_fix,
        quantize_outputs=advanced.quantize_outputs,
        range_estimator=advanced.activations_range_estimator_params or RangeEstimatorParameters(),
        bias_correction=fast_bias_correction and not advanced.disable_bias_correction,
        bias_correction_threshold=advanced.bias_correction_params.threshold,
        smooth_quant_alpha=alpha,
        subset_size=subset_size,
        device=advanced.backend_params.get("device") or default_device(),
    )
