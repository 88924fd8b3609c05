"""``ov.preprocess``: PrePostProcessor bakes input and output conversions into a model's graph."""

from vinopy.preprocess.builder import (
    ColorFormat,
    InputInfo,
    InputModelInfo,
    InputTensorInfo,
    OutputInfo,
    OutputModelInfo,
    OutputTensorInfo,
    PaddingMode,
    PostProcessSteps,
    PrePostProcessor,
    PreProcessSteps,
    ResizeAlgorithm,
)

__all__ = [
    "ColorFormat",
    "InputInfo",
    "InputModelInfo",
    "InputTensorInfo",
    "OutputInfo",
    "OutputModelInfo",
    "OutputTensorInfo",
    "PaddingMode",
    "PostProcessSteps",
    "PrePostProcessor",
    "PreProcessSteps",
    "ResizeAlgorithm",
]
