"""Memory of compiled models: buffers shared between slots whose values are never alive together,
and constants kept only in the form the steps read."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import F32, backends, check, model_of, rand
from vinopy.plugins.cpu.memory import share_buffers
from vinopy.quantization import CompressWeightsMode, compress_weights
from vinopy.quantization.range_estimation import FQParams, make_fake_quantize
from vinopy.quantization.weights import decompression, quantize_symmetric

ops = ov.opset13


def test_disjoint_lifetimes_share_and_overlapping_do_not() -> None:
    # step 0 writes 0, step 1 reads 0 and writes 1, step 2 reads 1 and writes 2, step 3 reads 2 and writes 3
    layout = share_buffers({0: 100, 1: 50, 2: 200, 3: 10}, [[0], [0, 1], [1, 2], [2, 3]], outputs=[3])
    b = layout.buffer_of
    assert b[0] != b[1] and b[1] != b[2] and b[2] != b[3]
    assert b[2] == b[0]  # 0 is dead after step 1: its buffer is grown for 2
    assert len(layout.sizes) == 2 and max(layout.sizes) == 200


def test_outputs_stay_alive_to_the_end() -> None:
    layout = share_buffers({0: 8, 1: 8, 2: 8}, [[0], [0, 1], [1, 2]], outputs=[0, 2])
    assert layout.buffer_of[0] not in (layout.buffer_of[1], layout.buffer_of[2])


@pytest.mark.usefixtures("cpu_plugin")
def test_deep_chain_runs_in_few_buffers() -> None:
    def build(x: ov.Output) -> list:
        y = x
        for i in range(8):
            w = ops.constant(rand(8, 8, 3, 3, seed=i) * 0.2)
            y = ops.relu(ops.convolution(y, w, [1, 1], [1, 1], [1, 1], [1, 1]))
        return [y, ops.sigmoid(y)]

    model = model_of(build, [(1, 8, 9, 9)])
    check(model, [rand(1, 8, 9, 9)], atol=1e-4)
    compiled = ov.Core().compile_model(model, "CPU", F32)
    plan = next(iter(compiled._executable._plans.values()))
    assert len(plan.layout.sizes) <= 4 < len(plan.layout.buffer_of)


# --- constants of weights: the plan keeps what its steps read, nothing more -----------------------
WIDTH = 1024  # two 1024 x 1024 weights: 2 MiB of integers, 8 MiB as f32


def _int8_weights(seed: int) -> ov.Output:
    """``Constant(i8) -> Convert -> Multiply(scale per output channel)``, rows the output channels."""
    w = np.random.default_rng(seed).standard_normal((WIDTH, WIDTH)).astype(np.float32)
    return decompression(
        quantize_symmetric(w, (1,), 8, narrow=True, half_range=True), ov.Type.f32, f"w{seed}"
    )


def _int8_mlp(x: ov.Output) -> ov.Output:
    for seed in range(2):
        quantized = make_fake_quantize(
            x, FQParams(-4.0, 4.0 * 127 / 128, -4.0, 4.0 * 127 / 128, 256), f"fq{seed}"
        )
        x = ops.matmul(quantized, _int8_weights(seed), False, True, name=f"mm{seed}")
    return x


def _compile_growth(model: ov.Model) -> tuple[ov.CompiledModel, int, int]:
    """The compiled model, and the bytes that compiling it kept allocated and needed at most."""
    tracemalloc.start()
    try:
        compiled = ov.Core().compile_model(model, "CPU", F32)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return compiled, kept, peak


@pytest.mark.usefixtures("cpu_plugin")
def test_int8_weights_are_not_kept_or_made_in_f32() -> None:
    """The int8 steps pack the integers: f32 copies of the weights (4 bytes per weight, twice when
    the Convert's result is kept next to the Multiply's) are neither kept nor made at compile time."""
    model = model_of(_int8_mlp, [(4, WIDTH)])
    integer_bytes = 2 * WIDTH * WIDTH
    compiled, kept, peak = _compile_growth(model)
    assert all(backends(model)[f"mm{i}"].startswith("oneDNN int8") for i in range(2))
    # the packed integers take integer_bytes; an f32 copy of one of the two weights alone would too
    assert peak < 3 * integer_bytes, f"compiling needed {peak} bytes for {integer_bytes} bytes of weights"
    assert kept < 2 * integer_bytes
    assert compiled(rand(4, WIDTH))[0].shape == (4, WIDTH)


@pytest.mark.usefixtures("cpu_plugin")
def test_compressed_weights_are_kept_once_in_f32() -> None:
    """Weight compression with f32 activations: the f32 MatMul needs the dequantized weights, once
    (packed in the primitive's layout), not the Convert's and the Multiply's results besides."""
    model = model_of(
        lambda x: ops.matmul(x, ops.constant(rand(WIDTH, WIDTH, seed=1)), False, True), [(4, WIDTH)]
    )
    compressed = compress_weights(model, mode=CompressWeightsMode.INT8_SYM, all_layers=True)
    float_bytes = 4 * WIDTH * WIDTH
    compiled, kept, _ = _compile_growth(compressed)
    assert kept < 1.5 * float_bytes, f"compiling kept {kept} bytes for {float_bytes} bytes of f32 weights"
    check(compressed, [rand(4, WIDTH, seed=2)], atol=1e-4)
