"""Patterns of exported models (ReLU6 as Max/Min, SiLU, GELU-erf, LayerNorm, attention) fused into
oneDNN steps, reshapes and transposes as views, global pooling: each against TEMPLATE."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import F32, backends, check, model_of, rand

ops = ov.opset13

pytestmark = pytest.mark.usefixtures("cpu_plugin")


def _conv(x: ov.Output, cin: int, cout: int, seed: int = 1, name: str = "conv") -> ov.Node:
    w = rand(cout, cin, 3, 3, seed=seed) * 0.3
    return ops.convolution(x, ops.constant(w), [1, 1], [1, 1], [1, 1], [1, 1], name=name)


def _fused_into(model: ov.Model, into: str, names: list[str]) -> None:
    found = backends(model)
    assert found[into] == "oneDNN", found
    for name in names:
        assert found[name] == f"fused into {into}", found


def test_relu6_as_maximum_minimum_fused() -> None:
    def build(x: ov.Output) -> ov.Node:
        y = ops.maximum(_conv(x, 4, 8), ops.constant(np.float32(0.0)), name="max")
        return ops.minimum(y, ops.constant(np.float32(0.5)), name="min")

    model = model_of(build, [(1, 4, 6, 6)])
    check(model, [rand(1, 4, 6, 6)], atol=1e-4)
    _fused_into(model, "conv", ["max", "min"])


def test_silu_as_sigmoid_times_input_fused() -> None:
    def build(x: ov.Output) -> ov.Node:
        c = _conv(x, 4, 8)
        return ops.multiply(c, ops.sigmoid(c, name="sig"), name="mul")

    model = model_of(build, [(1, 4, 6, 6)])
    check(model, [rand(1, 4, 6, 6)], atol=1e-4)
    _fused_into(model, "conv", ["sig", "mul"])


@pytest.mark.parametrize("half_first", [False, True])
def test_gelu_erf_pattern_fused_into_matmul(half_first: bool) -> None:
    def build(x: ov.Output) -> ov.Node:
        h = ops.add(
            ops.matmul(x, ops.constant(rand(16, 24, seed=2)), False, False, name="mm"), ops.constant(rand(24))
        )
        scaled = ops.divide(h, ops.constant(np.float32(2**0.5)), name="div")
        one_plus = ops.add(ops.erf(scaled, name="erf"), ops.constant(np.float32(1.0)), name="plus")
        if half_first:
            return ops.multiply(
                ops.multiply(h, ops.constant(np.float32(0.5)), name="half"), one_plus, name="prod"
            )
        return ops.multiply(
            ops.multiply(h, one_plus, name="prod"), ops.constant(np.float32(0.5)), name="half"
        )

    model = model_of(build, [(2, 5, 16)])
    check(model, [rand(2, 5, 16)], atol=1e-5)
    _fused_into(model, "mm", ["div", "erf", "plus", "prod", "half"])


def test_gelu_pattern_with_other_reader_is_not_fused() -> None:
    def build(x: ov.Output) -> list:
        h = ops.matmul(x, ops.constant(rand(16, 8, seed=2)), False, False, name="mm")
        scaled = ops.divide(h, ops.constant(np.float32(2**0.5)), name="div")
        one_plus = ops.add(ops.erf(scaled, name="erf"), ops.constant(np.float32(1.0)))
        return [ops.multiply(ops.multiply(h, one_plus), ops.constant(np.float32(0.5))), scaled]

    model = model_of(build, [(3, 16)])
    check(model, [rand(3, 16)])
    assert not backends(model)["erf"].startswith("fused"), backends(model)


def test_layer_norm_with_scale_and_shift() -> None:
    def build(x: ov.Output) -> ov.Node:
        norm = ops.mvn(x, ops.constant(np.array([-1], np.int64)), True, 1e-5, "inside_sqrt", name="mvn")
        scaled = ops.multiply(norm, ops.constant(rand(32, seed=4)), name="gamma")
        return ops.add(scaled, ops.constant(rand(32, seed=5)), name="beta")

    model = model_of(build, [(2, 7, 32)])
    check(model, [rand(2, 7, 32) * 3], atol=1e-4)
    _fused_into(model, "mvn", ["gamma", "beta"])


def _attention(x: ov.Output, mask: ov.Output, heads: int = 2, width: int = 8) -> ov.Node:
    n, s = 1, 6
    hidden = heads * width

    def project(seed: int, perm: list[int]) -> ov.Node:
        y = ops.matmul(x, ops.constant(rand(hidden, hidden, seed=seed)), False, False)
        y = ops.reshape(y, ops.constant(np.array([n, s, heads, width], np.int64)), False)
        return ops.transpose(y, ops.constant(np.array(perm, np.int64)))

    q, k, v = project(1, [0, 2, 1, 3]), project(2, [0, 2, 3, 1]), project(3, [0, 2, 1, 3])
    scores = ops.divide(ops.matmul(q, k, False, False, name="scores"), ops.constant(np.float32(width**0.5)))
    probs = ops.softmax(ops.add(scores, mask, name="masked"), -1)
    context = ops.transpose(
        ops.matmul(probs, v, False, False, name="context"), ops.constant(np.array([0, 2, 1, 3]))
    )
    context = ops.reshape(context, ops.constant(np.array([n, s, hidden], np.int64)), False, name="merge")
    return ops.matmul(context, ops.constant(rand(hidden, hidden, seed=4)), False, False, name="out")


def test_attention_reads_transposes_as_views() -> None:
    model = model_of(_attention, [(1, 6, 16), (1, 1, 1, 6)])
    check(model, [rand(1, 6, 16), rand(1, 1, 1, 6, seed=9) * 4], atol=1e-5)
    found = backends(model)
    assert found["masked"] == "fused into scores", found
    assert found["merge"] == "view", found
    compiled = ov.Core().compile_model(model, "CPU", F32)
    plan = next(iter(compiled._executable._plans.values()))
    assert not [s.name for s in plan.steps if s.type_name in ("Reorder", "Transpose", "Reshape")]


def test_residual_not_accumulated_in_place_over_a_view() -> None:
    def build(x: ov.Output) -> list:
        first = ops.relu(_conv(x, 4, 4, name="c1"))
        flat = ops.reshape(first, ops.constant(np.array([1, -1], np.int64)), False, name="flat")
        second = ops.add(_conv(first, 4, 4, seed=3, name="c2"), first, name="residual")
        return [ops.relu(second), ops.multiply(flat, ops.constant(np.float32(2.0)))]

    model = model_of(build, [(1, 4, 5, 5)])
    check(model, [rand(1, 4, 5, 5)], atol=1e-4)


@pytest.mark.parametrize(("reduce", "keep"), [("reduce_mean", True), ("reduce_mean", False)])
def test_global_pooling_after_convolution(reduce: str, keep: bool) -> None:
    def build(x: ov.Output) -> ov.Node:
        return getattr(ops, reduce)(
            _conv(x, 4, 16), ops.constant(np.array([2, 3], np.int64)), keep, name="gap"
        )

    model = model_of(build, [(1, 4, 7, 7)])
    check(model, [rand(1, 4, 7, 7)], atol=1e-4)
    assert backends(model)["gap"] == "oneDNN"
    compiled = ov.Core().compile_model(model, "CPU", F32)
    plan = next(iter(compiled._executable._plans.values()))
    assert all("ref" not in s.exec_type for s in plan.steps if s.name == "gap")


@pytest.mark.parametrize("size", [2, 3])
def test_nearest_asymmetric_upsampling(size: int) -> None:
    def build(x: ov.Output) -> ov.Node:
        scales = ops.constant(np.array([1, 1, size, size], np.float32))
        return ops.interpolate(
            _conv(x, 4, 8), scales, "nearest", "scales", [0], [0], "asymmetric", "floor", name="up"
        )

    model = model_of(build, [(1, 4, 5, 5)])
    check(model, [rand(1, 4, 5, 5)], atol=1e-4)
    assert backends(model)["up"] == "oneDNN"


@pytest.mark.parametrize("transpose_b", [False, True])
def test_wide_matmul_as_one_inner_product_with_bias_activation_and_residual(transpose_b: bool) -> None:
    w = rand(1700, 16, seed=3) if transpose_b else rand(16, 1700, seed=3)

    def build(x: ov.Output, skip: ov.Output) -> ov.Node:
        y = ops.add(ops.matmul(x, ops.constant(w), False, transpose_b, name="mm"), ops.constant(rand(1700)))
        return ops.add(ops.relu(y, name="act"), skip, name="residual")

    model = model_of(build, [(2, 20, 16), (2, 20, 1700)])
    check(model, [rand(2, 20, 16), rand(2, 20, 1700, seed=5)], atol=1e-5)
    _fused_into(model, "mm", ["act", "residual"])
    compiled = ov.Core().compile_model(model, "CPU", F32)
    plan = next(iter(compiled._executable._plans.values()))
    products = [s.exec_type for s in plan.steps if s.type_name == "MatMul"]
    assert len(products) == 1 and "ref" not in products[0], products
