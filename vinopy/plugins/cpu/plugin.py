"""The CPU plugin: lowers models to oneDNN primitives, with numpy kernels for everything else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vinopy.graph.model import Model
from vinopy.graph.types import Type
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.dnnl.arenas import core_count
from vinopy.runtime.plugin import COMMON_RW, STREAMS_RW, Executable, Plugin
from vinopy.runtime.properties import ExecutionMode

# oneDNN runs bf16 convolutions and matmuls natively from these ISAs on (a bf16 hint is honoured)
_BF16_ISAS = (dc.cpu_isa_avx512_core_bf16, dc.cpu_isa_avx2_vnni_2)
# as OpenVINO, bf16 is the default precision only from avx512_core_bf16 on (AMX includes it), not on
# avx2_vnni_2, whose bf16 instructions only convert
_BF16_DEFAULT_ISA = dc.cpu_isa_avx512_core_bf16


def cpu_model_name(cpuinfo: str = "/proc/cpuinfo") -> str:
    try:
        for line in Path(cpuinfo).read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "CPU"


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

    def supports_bf16(self) -> bool:
        """Whether an INFERENCE_PRECISION_HINT of bf16 runs in bf16 here (else it falls back to f32)."""
        if not self.is_available()[0]:
            return False
        isa = api.cpu_isa()
        return any(api.has_isa(isa, required) for required in _BF16_ISAS)

    def bf16_by_default(self) -> bool:
        return self.is_available()[0] and api.has_isa(api.cpu_isa(), _BF16_DEFAULT_ISA)

    @property
    def capabilities(self) -> list[str]:  # type: ignore[override]
        return (
            ["FP32", "BF16", "INT8", "EXPORT_IMPORT"]
            if self.supports_bf16()
            else ["FP32", "INT8", "EXPORT_IMPORT"]
        )

    @property
    def default_config(self) -> dict[str, Any]:  # type: ignore[override]
        """As OpenVINO: bf16 by default from avx512_core_bf16 on."""
        precision = Type.bf16 if self.bf16_by_default() else Type.f32
        return {**COMMON_RW, **STREAMS_RW, "INFERENCE_PRECISION_HINT": precision}

    def read_only_properties(self) -> dict[str, Any]:
        return {**super().read_only_properties(), "RANGE_FOR_STREAMS": (1, core_count())}

    def throughput_streams(self) -> int:
        return max(2, core_count())  # one single-threaded stream per core

    def compile_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """Streams from the hint (base class), then threads per stream and the precision applied."""
        resolved = super().compile_config(config)
        if int(resolved.get("INFERENCE_NUM_THREADS", 0)) <= 0:
            resolved["INFERENCE_NUM_THREADS"] = max(core_count() // resolved["NUM_STREAMS"], 1)
        if resolved.get("EXECUTION_MODE_HINT") == ExecutionMode.ACCURACY:
            resolved["INFERENCE_PRECISION_HINT"] = Type.f32  # no conversion to a smaller float type
        if resolved["INFERENCE_PRECISION_HINT"] == Type.bf16 and not self.supports_bf16():
            resolved["INFERENCE_PRECISION_HINT"] = Type.f32  # no native bf16 here: f32 is faster
        return resolved

    # --- compiling ----------------------------------------------------------------
    def compile(self, model: Model, config: dict[str, Any]) -> Executable:
        from vinopy.plugins.cpu.executor import CPUExecutable

        engine = self._ready_engine()
        bf16 = config.get("INFERENCE_PRECISION_HINT") == Type.bf16 and self.supports_bf16()
        return CPUExecutable(
            model,
            engine,
            dc.bf16 if bf16 else dc.f32,
            int(config.get("INFERENCE_NUM_THREADS", 0)) or core_count(),
        )

    def query_model(self, model: Model, config: dict[str, Any]) -> dict[str, str]:
        self._ready_engine()
        return {n.get_friendly_name(): self.device_name for n in model.get_ordered_ops()}

    def query_backends(self, model: Model, config: dict[str, Any] | None = None) -> dict[str, str]:
        """Per op (friendly name): "oneDNN", "oneDNN int8 (<oneDNN implementation>)" (a quantized
        layer run on integers), "numpy", "view" (a reshape or transpose that copies nothing),
        "fused into <op>" (a FakeQuantize requantizing a layer's result included), "constant" or
        "input".

        A model with dynamic shapes is planned for the shapes its inputs have when each dynamic
        dimension is 1 (the choice can differ for other shapes)."""
        from vinopy.plugins.cpu.executor import CPUExecutable

        executable = self.compile(model, self.compile_config(config or {}))
        assert isinstance(executable, CPUExecutable)
        return dict(executable.default_plan().backends)
