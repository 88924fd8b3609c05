"""The CPU plugin: lowers models to oneDNN primitives, with numpy kernels for everything else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vinopy.graph.model import Model
from vinopy.graph.types import Type
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as C
from vinopy.runtime.plugin import Executable, Plugin
from vinopy.runtime.properties import PerformanceMode

# oneDNN runs bf16 convolutions and matmuls natively from these ISAs on
_BF16_ISAS = (C.cpu_isa_avx512_core_bf16, C.cpu_isa_avx2_vnni_2)


def cpu_model_name(cpuinfo: str = "/proc/cpuinfo") -> str:
    try:
        for line in Path(cpuinfo).read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "CPU"


def core_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class CPUPlugin(Plugin):
    device_name = "CPU"

    def __init__(self, library_path: str | None = None) -> None:
        super().__init__()
        self._library_path = library_path
        self._engine: api.Engine | None = None

    # --- availability ---------------------------------------------------------
    def is_available(self) -> tuple[bool, str]:
        try:
            api.library(self._library_path)
        except OSError as e:
            return False, f"oneDNN cannot be loaded: {e}"
        return True, ""

    def _ready_engine(self) -> api.Engine:
        ok, why = self.is_available()
        if not ok:
            raise RuntimeError(f"CPU device is not available: {why}")
        if self._engine is None:
            self._engine = api.Engine.cpu()
        return self._engine

    # --- device facts -----------------------------------------------------------
    def full_name(self) -> str:
        return cpu_model_name()

    def isa(self) -> int:
        return api.cpu_isa()

    def supports_bf16(self) -> bool:
        isa = self.isa()
        return any(api.has_isa(isa, required) for required in _BF16_ISAS)

    @property
    def capabilities(self) -> list[str]:
        caps = ["FP32", "INT8", "BIN", "EXPORT_IMPORT"]
        if self.is_available()[0] and self.supports_bf16():
            caps.insert(1, "BF16")
        return caps

    def supported_properties(self) -> dict[str, str]:
        return {"INFERENCE_PRECISION_HINT": "RW", "NUM_STREAMS": "RW", "INFERENCE_NUM_THREADS": "RW",
                "PERFORMANCE_HINT": "RW", "FULL_DEVICE_NAME": "RO", "OPTIMIZATION_CAPABILITIES": "RO"}

    def get_property(self, name: str) -> Any:
        config = self.resolved_config(self.config)
        if name in config:
            return config[name]
        raise KeyError(name)

    # --- configuration ----------------------------------------------------------
    def resolved_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """Precision, streams and threads as this device applies them to ``config``."""
        merged = {**self.config, **config}
        cores = core_count()
        hint = merged.get("PERFORMANCE_HINT", PerformanceMode.LATENCY)
        streams = int(merged.get("NUM_STREAMS", -1) or 0)
        if streams <= 0:
            streams = cores if str(hint) == "THROUGHPUT" else 1
        threads = int(merged.get("INFERENCE_NUM_THREADS", 0) or 0)
        if threads <= 0:
            threads = max(cores // streams, 1)
        wanted = merged.get("INFERENCE_PRECISION_HINT")
        bf16 = self.supports_bf16() and (wanted is None or Type.resolve(wanted) == Type.bf16)
        return {"INFERENCE_PRECISION_HINT": Type.bf16 if bf16 else Type.f32, "NUM_STREAMS": streams,
                "INFERENCE_NUM_THREADS": threads}

    # --- compiling ----------------------------------------------------------------
    def compile(self, model: Model, config: dict[str, Any]) -> Executable:
        from vinopy.plugins.cpu.executor import CPUExecutable

        engine = self._ready_engine()
        resolved = self.resolved_config(config)
        compute = C.bf16 if resolved["INFERENCE_PRECISION_HINT"] == Type.bf16 else C.f32
        executable = CPUExecutable(model, engine, compute, resolved["NUM_STREAMS"],
                                   resolved["INFERENCE_NUM_THREADS"])
        executable.config = resolved
        return executable

    def query_model(self, model: Model, config: dict[str, Any]) -> dict[str, str]:
        self._ready_engine()
        return {n.get_friendly_name(): self.device_name for n in model.get_ordered_ops()}

    def query_backends(self, model: Model, config: dict[str, Any] | None = None) -> dict[str, str]:
        """Per op (friendly name): "oneDNN", "numpy", "fused into <op>", "constant" or "input".

        A model with dynamic shapes is planned for the shapes its inputs have when each dynamic
        dimension is 1 (the choice can differ for other shapes)."""
        from vinopy.plugins.cpu.executor import CPUExecutable

        executable = self.compile(model, config or {})
        assert isinstance(executable, CPUExecutable)
        shapes = tuple(tuple(d.get_length() if d.is_static else 1 for d in p.get_output_partial_shape(0))
                       for p in model.get_parameters())
        return dict(executable.plan_for(shapes).backends)
