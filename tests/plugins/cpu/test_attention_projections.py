"""The projections of attention blocks (products by constant weights) as oneDNN inner products over
the rows of the input, with bias, activation, residual and broadcast operands fused; against TEMPLATE."""

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


def _products(model: ov.Model) -> list:
    return [s for s in _steps(model) if s.type_name == "MatMul"]


def _projection(x: ov.Output, transpose_b: bool = False, seed: int = 2, name: str = "mm") -> ov.Node:
    w = rand(24, 16, seed=seed) if transpose_b else rand(16, 24, seed=seed)
    y = ops.matmul(x, ops.constant(w), False, transpose_b, name=name)
    return ops.add(y, ops.constant(rand(24, seed=seed + 1)), name=f"{name}_bias")


@pytest.mark.parametrize("transpose_b", [False, True])
def test_projection_with_bias_and_gelu_is_one_inner_product(transpose_b: bool) -> None:
    model = model_of(lambda x: ops.gelu(_projection(x, transpose_b), name="act"), [(2, 5, 16)])
    check(model, [rand(2, 5, 16)], atol=1e-5)
    found = backends(model)
    assert found["mm_bias"] == found["act"] == "fused into mm", found
    products = _products(model)
    assert len(products) == 1 and "ref" not in products[0].exec_type, products


@pytest.mark.parametrize(
    ("operand", "fused"), [((2, 5, 1), True), ((1, 24), True), ((5, 24), False), ((2, 1, 24), False)]
)
def test_broadcast_operand_fused_when_it_flattens_to_rows(operand: tuple, fused: bool) -> None:
    """An operand over all leading axes (or none) is a (rows, channels) post-op; one over some is not."""
    model = model_of(lambda x, y: ops.multiply(_projection(x), y, name="gate"), [(2, 5, 16), operand])
    check(model, [rand(2, 5, 16), rand(*operand, seed=7)], atol=1e-5)
    assert (backends(model)["gate"] == "fused into mm") is fused


def test_residual_accumulated_in_place() -> None:
    def build(x: ov.Output) -> ov.Node:
        hidden = ops.relu(_projection(x, seed=4), name="hidden")
        w = ops.constant(rand(24, 24, seed=6))
        return ops.add(ops.matmul(ops.sigmoid(hidden), w, False, False, name="mm2"), hidden, name="residual")

    model = model_of(build, [(3, 16)])
    check(model, [rand(3, 16)], atol=1e-5)
    assert backends(model)["residual"] == "fused into mm2"
    assert not [s.name for s in _steps(model) if s.type_name == "Reorder"]  # no copy of the residual


def test_product_read_by_a_transpose_stays_a_matmul_writing_it_transposed() -> None:
    def build(x: ov.Output) -> ov.Node:
        return ops.transpose(_projection(x), ops.constant(np.array([1, 0, 2], np.int64)), name="t")

    model = model_of(build, [(2, 5, 16)])
    check(model, [rand(2, 5, 16)], atol=1e-5)
    assert backends(model)["t"] == "fused into mm"


def _split_heads(y: ov.Output, perm: list[int]) -> ov.Node:
    heads = ops.reshape(y, ops.constant(np.array([1, 6, 2, 12], np.int64)), False)
    return ops.transpose(heads, ops.constant(np.array(perm, np.int64)))


def test_projections_of_one_input_are_one_inner_product_read_as_head_views() -> None:
    def build(x: ov.Output, mask: ov.Output) -> ov.Node:
        q = _projection(x, seed=1, name="q")
        k = ops.matmul(x, ops.constant(rand(24, 16, seed=2)), False, True, name="k")  # no bias
        v = _projection(x, seed=3, name="v")
        scores = ops.matmul(_split_heads(q, [0, 2, 1, 3]), _split_heads(k, [0, 2, 3, 1]), False, False)
        probs = ops.softmax(ops.add(ops.multiply(scores, ops.constant(np.float32(0.3))), mask), -1)
        return ops.matmul(probs, _split_heads(v, [0, 2, 1, 3]), False, False)

    model = model_of(build, [(1, 6, 16), (1, 1, 1, 6)])
    check(model, [rand(1, 6, 16), rand(1, 1, 1, 6, seed=9) * 4], atol=1e-5)
    steps = _steps(model)
    assert len([s for s in steps if s.type_name == "MatMul"]) == 3  # projections, scores, context
    assert not [s.name for s in steps if s.type_name in ("Reorder", "Transpose", "Reshape")]


def test_projection_with_activation_is_not_merged() -> None:
    def build(x: ov.Output) -> list:
        return [ops.relu(_projection(x, seed=1), name="act"), _projection(x, seed=3, name="other")]

    model = model_of(build, [(2, 5, 16)])
    check(model, [rand(2, 5, 16)], atol=1e-5)
    assert backends(model)["act"] == "fused into mm"
    assert len(_products(model)) == 2
