"""Attention on oneDNN: ScaledDotProductAttention and the MatMul -> scale -> + mask -> Softmax chain
lower to a scores matmul (scale and mask as post-ops) with the softmax in place, heads read through
their transposed views; each against TEMPLATE."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import F32, backends, check, model_of, rand

ops = ov.opset13

pytestmark = pytest.mark.usefixtures("cpu_plugin")


def _steps(model: ov.Model) -> list:
    compiled = ov.Core().compile_model(model, "CPU", F32)
    return next(iter(compiled._executable._plans.values())).steps


def _heads(x: ov.Output, seed: int, heads: int, perm: list[int]) -> ov.Node:
    """A projection of x (n, s, hidden) split into heads and transposed: a strided view on CPU."""
    n, s, hidden = x.get_partial_shape().to_shape()
    y = ops.matmul(x, ops.constant(rand(hidden, hidden, seed=seed)), False, False)
    y = ops.reshape(y, ops.constant(np.array([n, s, heads, hidden // heads], np.int64)), False)
    return ops.transpose(y, ops.constant(np.array(perm, np.int64)))


# --- ScaledDotProductAttention ---------------------------------------------------------------------
SDPA_CASES = {
    "4d": ([(1, 2, 5, 8), (1, 2, 7, 8), (1, 2, 7, 6)], None),
    "4d_float_mask": ([(1, 2, 5, 8), (1, 2, 7, 8), (1, 2, 7, 6), (1, 1, 5, 7)], None),
    "3d_float_mask": ([(3, 5, 8), (3, 7, 8), (3, 7, 4), (5, 7)], None),
    "3d_scaled": ([(3, 5, 8), (3, 7, 8), (3, 7, 4)], 0.3),
}


@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_with_runtime_inputs(case: str) -> None:
    shapes, scale = SDPA_CASES[case]

    def build(q: ov.Output, k: ov.Output, v: ov.Output, *mask: ov.Output) -> ov.Node:
        if scale is None:
            return ops.scaled_dot_product_attention(q, k, v, *mask, name="sdpa")
        no_mask = ops.constant(np.zeros((shapes[0][-2], shapes[1][-2]), np.float32))
        return ops.scaled_dot_product_attention(
            q, k, v, no_mask, ops.constant(np.float32(scale)), name="sdpa"
        )

    model = model_of(build, shapes)
    inputs = [rand(*s, seed=i) * 2 for i, s in enumerate(shapes)]
    check(model, inputs, atol=1e-5)
    assert backends(model)["sdpa"] == "oneDNN"
    assert [s.type_name for s in _steps(model)] == [
        "ScaledDotProductAttention",
        "Softmax",
        "ScaledDotProductAttention",
    ]


@pytest.mark.parametrize("kind", ["causal", "bool_mask"])
def test_sdpa_constant_masks(kind: str) -> None:
    keep = np.random.default_rng(3).random((1, 1, 6, 6)) > 0.4
    keep[..., 0] = True  # every query attends somewhere: no row of -inf only

    def build(q: ov.Output, k: ov.Output, v: ov.Output) -> ov.Node:
        if kind == "causal":
            return ops.scaled_dot_product_attention(q, k, v, causal=True, name="sdpa")
        return ops.scaled_dot_product_attention(q, k, v, ops.constant(keep), name="sdpa")

    shapes = [(2, 3, 6, 8), (2, 3, 6, 8), (2, 3, 6, 8)]
    model = model_of(build, shapes)
    check(model, [rand(*s, seed=i) for i, s in enumerate(shapes)], atol=1e-5)
    assert backends(model)["sdpa"] == "oneDNN"


def test_sdpa_runtime_boolean_mask_runs_in_numpy() -> None:
    def build(q: ov.Output, mask: ov.Output) -> ov.Node:
        return ops.scaled_dot_product_attention(q, q, q, ops.convert(mask, "boolean"), name="sdpa")

    model = model_of(build, [(1, 2, 4, 8), (1, 1, 4, 4)])
    check(model, [rand(1, 2, 4, 8), np.ones((1, 1, 4, 4), np.float32)], atol=1e-5)
    assert backends(model)["sdpa"] == "numpy"


def test_sdpa_reads_heads_as_views_and_writes_merged_heads() -> None:
    def build(x: ov.Output, mask: ov.Output) -> ov.Node:
        q, k, v = (_heads(x, seed, 2, [0, 2, 1, 3]) for seed in (1, 2, 3))
        context = ops.scaled_dot_product_attention(q, k, v, mask, name="sdpa")
        merged = ops.transpose(context, ops.constant(np.array([0, 2, 1, 3], np.int64)), name="merge")
        return ops.reshape(merged, ops.constant(np.array([1, 6, 16], np.int64)), False)

    model = model_of(build, [(1, 6, 16), (1, 1, 1, 6)])
    check(model, [rand(1, 6, 16), rand(1, 1, 1, 6, seed=9) * 4], atol=1e-5)
    assert backends(model)["merge"] == "fused into sdpa"
    assert not [s.name for s in _steps(model) if s.type_name in ("Reorder", "Transpose")]


# --- the chain exporters write ----------------------------------------------------------------------
def _chain(q: ov.Output, k: ov.Output, v: ov.Output, mask: ov.Output | None, transpose_b: bool) -> ov.Node:
    scores = ops.matmul(q, k, False, transpose_b, name="scores")
    width = 8  # of the query and key rows
    scaled = ops.divide(scores, ops.constant(np.float32(width**0.5)), name="scale")
    masked = scaled if mask is None else ops.add(scaled, mask, name="masked")
    probs = ops.softmax(masked, -1, name="probs")
    return ops.matmul(probs, v, False, False, name="context")


@pytest.mark.parametrize("rank", [3, 4])
@pytest.mark.parametrize("masked", [False, True])
def test_softmax_chain_fused_into_scores(rank: int, masked: bool) -> None:
    lead = (2, 3)[: rank - 2]
    shapes = [(*lead, 5, 8), (*lead, 7, 8), (*lead, 7, 6)] + ([(1, 7)] if masked else [])

    def build(q: ov.Output, k: ov.Output, v: ov.Output, *mask: ov.Output) -> ov.Node:
        return _chain(q, k, v, mask[0] if mask else None, transpose_b=True)

    model = model_of(build, shapes)
    check(model, [rand(*s, seed=i) * 2 for i, s in enumerate(shapes)], atol=1e-5)
    found = backends(model)
    for name in ["scale", "probs"] + (["masked"] if masked else []):
        assert found[name] == "fused into scores", found
    assert "scores/softmax" in [s.name for s in _steps(model)]


def test_softmax_chain_with_constant_mask_and_transposed_key_view() -> None:
    mask = np.where(np.random.default_rng(5).random((1, 1, 6, 6)) > 0.3, 0.0, -1e4).astype(np.float32)

    def build(x: ov.Output) -> ov.Node:
        q, k, v = _heads(x, 1, 2, [0, 2, 1, 3]), _heads(x, 2, 2, [0, 2, 3, 1]), _heads(x, 3, 2, [0, 2, 1, 3])
        return _chain(q, k, v, ops.constant(mask), transpose_b=False)

    model = model_of(build, [(1, 6, 16)])
    check(model, [rand(1, 6, 16)], atol=1e-5)
    assert backends(model)["masked"] == "fused into scores"
    assert not [s.name for s in _steps(model) if s.type_name in ("Reorder", "Transpose")]


def test_softmax_over_another_axis_is_not_fused() -> None:
    def build(q: ov.Output, k: ov.Output) -> ov.Node:
        return ops.softmax(ops.matmul(q, k, False, True, name="scores"), 1, name="probs")

    model = model_of(build, [(2, 5, 8), (2, 7, 8)])
    check(model, [rand(2, 5, 8), rand(2, 7, 8, seed=1)], atol=1e-5)
    assert backends(model)["probs"] == "oneDNN"
