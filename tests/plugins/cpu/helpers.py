"""Run a model on CPU and on TEMPLATE (the reference) and compare."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import vinopy as ov
from vinopy.plugins.cpu import CPUPlugin

F32 = {"INFERENCE_PRECISION_HINT": "f32"}


def model_of(build: Callable[..., Any], shapes: Sequence[Sequence[int]], dynamic: bool = False) -> ov.Model:
    params = [
        ov.opset13.parameter(
            ov.PartialShape.dynamic(len(s)) if dynamic else list(s), ov.Type.f32, name=f"in{i}"
        )
        for i, s in enumerate(shapes)
    ]
    out = build(*params)
    outs = out if isinstance(out, list) else [out]
    return ov.Model(outs, params, "cpu_test")


def run_both(
    model: ov.Model, inputs: Sequence[np.ndarray], config: dict[str, Any] | None = None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    core = ov.Core()
    cpu = core.compile_model(model, "CPU", config or F32)
    ref = core.compile_model(model, "TEMPLATE")
    got = cpu(list(inputs))
    want = ref(list(inputs))
    return [got[i] for i in range(len(got))], [want[i] for i in range(len(want))]


def check(
    model: ov.Model,
    inputs: Sequence[np.ndarray],
    rtol: float = 1e-4,
    atol: float = 1e-5,
    config: dict[str, Any] | None = None,
) -> None:
    got, want = run_both(model, inputs, config)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def check_bf16(model: ov.Model, inputs: Sequence[np.ndarray]) -> None:
    """bf16 keeps 8 mantissa bits: compare relative to each output's scale."""
    got, want = run_both(model, inputs, {"INFERENCE_PRECISION_HINT": "bf16"})
    for g, w in zip(got, want):
        scale = float(np.abs(w).max()) or 1.0
        np.testing.assert_allclose(g, w, rtol=0, atol=3e-2 * scale)


def backends(model: ov.Model, config: dict[str, Any] | None = None) -> dict[str, str]:
    return CPUPlugin().query_backends(model, config or F32)


def rand(*shape: int, seed: int = 0, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed + sum(shape)).uniform(low, high, shape).astype(np.float32)
