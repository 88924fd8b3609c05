"""An ``onnx.backend.base.Backend`` over vinopy: ``prepare`` converts and compiles, ``run`` infers.

ONNX's backend tests name host devices "CPU"; that maps to ``VinopyBackend.target`` (TEMPLATE, the
reference interpreter). ``backend_for("CPU")`` gives a backend class that runs on vinopy's CPU plugin,
and any vinopy device name can be passed to ``prepare`` directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx.backend.base import Backend, BackendRep

from vinopy.frontend.onnx import read_onnx
from vinopy.runtime.compiled_model import CompiledModel
from vinopy.runtime.core import Core

_ONNX_DEVICES = ("CPU",)


class VinopyBackendRep(BackendRep):
    """A compiled model; ``run`` takes inputs in graph-input order (or a dict by name)."""

    def __init__(self, compiled: CompiledModel) -> None:
        self.compiled = compiled

    def run(self, inputs: Any, **kwargs: Any) -> tuple[np.ndarray, ...]:
        if isinstance(inputs, np.ndarray):
            inputs = [inputs]
        results = self.compiled(inputs if isinstance(inputs, dict) else list(inputs))
        return tuple(results[i] for i in range(len(self.compiled.outputs)))


class VinopyBackend(Backend):
    target = "TEMPLATE"

    @classmethod
    def device_name(cls, device: str) -> str:
        return cls.target if device.upper() in _ONNX_DEVICES else device

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> VinopyBackendRep:
        compiled = Core().compile_model(read_onnx(model), cls.device_name(device))
        return VinopyBackendRep(compiled)

    @classmethod
    def run_model(
        cls, model: onnx.ModelProto, inputs: Any, device: str = "CPU", **kwargs: Any
    ) -> tuple[np.ndarray, ...]:
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return device.upper() in _ONNX_DEVICES or device.upper() == cls.target


def backend_for(device: str) -> type[VinopyBackend]:
    """A backend class whose ONNX "CPU" device runs on the given vinopy device."""
    return type(f"VinopyBackend_{device}", (VinopyBackend,), {"target": device})


prepare = VinopyBackend.prepare
run_model = VinopyBackend.run_model
supports_device = VinopyBackend.supports_device
