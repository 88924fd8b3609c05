"""vinopy: a deep-learning inference toolkit with OpenVINO's Python API."""

__version__ = "0.1.0"

from vinopy import frontend, preprocess, properties
from vinopy import runtime as _runtime
from vinopy.runtime import *  # noqa: F403  (the runtime's names are listed once, in vinopy.runtime)
from vinopy.serialize import save_model, serialize
from vinopy.tools.convert import convert_model

__all__ = [
    *_runtime.__all__,
    "convert_model",
    "frontend",
    "preprocess",
    "properties",
    "save_model",
    "serialize",
]
