"""The CPU plugin's precision rules, as OpenVINO's, with the CPU's ISA mocked."""

from __future__ import annotations

import pytest

import vinopy as ov
from vinopy.plugins.cpu import CPUPlugin
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as dc

pytestmark = pytest.mark.usefixtures("cpu_plugin")


def _plugin(monkeypatch: pytest.MonkeyPatch, isa: int) -> CPUPlugin:
    monkeypatch.setattr(api, "cpu_isa", lambda: isa)
    return CPUPlugin()


def _precision(plugin: CPUPlugin, **config: str) -> ov.Type:
    return plugin.compile_config(config)["INFERENCE_PRECISION_HINT"]


@pytest.mark.parametrize(
    ("isa", "default"),
    [
        (dc.cpu_isa_avx2, ov.Type.f32),
        (dc.cpu_isa_avx2_vnni, ov.Type.f32),
        (dc.cpu_isa_avx2_vnni_2, ov.Type.f32),  # native bf16 there, but not the default
        (dc.cpu_isa_avx512_core_vnni, ov.Type.f32),
        (dc.cpu_isa_avx512_core_bf16, ov.Type.bf16),
        (dc.cpu_isa_avx512_core_amx, ov.Type.bf16),
    ],
)
def test_default_precision_is_bf16_only_from_avx512_core_bf16(
    monkeypatch: pytest.MonkeyPatch, isa: int, default: ov.Type
) -> None:
    plugin = _plugin(monkeypatch, isa)
    assert _precision(plugin) == default
    assert plugin.default_config["INFERENCE_PRECISION_HINT"] == default
    assert ("BF16" in plugin.capabilities) == plugin.supports_bf16()


@pytest.mark.parametrize("isa", [dc.cpu_isa_avx512_core_bf16, dc.cpu_isa_avx512_core_amx, dc.cpu_isa_avx2])
def test_accuracy_mode_forces_f32(monkeypatch: pytest.MonkeyPatch, isa: int) -> None:
    plugin = _plugin(monkeypatch, isa)
    assert _precision(plugin, EXECUTION_MODE_HINT="ACCURACY") == ov.Type.f32
    assert _precision(plugin, EXECUTION_MODE_HINT="ACCURACY", INFERENCE_PRECISION_HINT="bf16") == ov.Type.f32


def test_bf16_hint_is_honoured_only_with_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    for isa, expected in (
        (dc.cpu_isa_avx2, ov.Type.f32),
        (dc.cpu_isa_avx512_core_vnni, ov.Type.f32),
        (dc.cpu_isa_avx2_vnni_2, ov.Type.bf16),
        (dc.cpu_isa_avx512_core_bf16, ov.Type.bf16),
    ):
        plugin = _plugin(monkeypatch, isa)
        assert _precision(plugin, INFERENCE_PRECISION_HINT="bf16") == expected
        assert _precision(plugin, INFERENCE_PRECISION_HINT="f32") == ov.Type.f32
        assert _precision(plugin, EXECUTION_MODE_HINT="PERFORMANCE", INFERENCE_PRECISION_HINT="f32") == (
            ov.Type.f32
        )
