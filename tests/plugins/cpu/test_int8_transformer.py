"""INT8 execution of a BERT-like encoder layer as vinopy.quantization quantizes it in transformer
mode (SmoothQuant scales before the projections, FakeQuantize on the MatMul inputs only), checked
against TEMPLATE running the same graph in f32, and the int8 path it takes.

Tolerance as in test_int8.py: an activation within float rounding of a half step may land on the
neighbouring level, which moves a following product by that step times a weight; most elements
agree to float precision."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import F32, backends, model_of, rand
from vinopy import opset13 as ops
from vinopy import quantization
from vinopy.quantization.weights import decompression, quantize_symmetric

pytestmark = pytest.mark.usefixtures("cpu_plugin")

ROWS, HIDDEN, HEADS, FFN = 16, 32, 2, 64


def _i64(*values: int) -> ov.Output:
    return ops.constant(np.array(values, np.int64))


def _linear(x: ov.Output, cin: int, cout: int, seed: int, name: str) -> ov.Output:
    w = np.random.default_rng(seed).standard_normal((cin, cout)) / np.sqrt(cin)
    y = ops.matmul(x, ops.constant(w.astype(np.float32)), False, False, name=name)
    return ops.add(y, ops.constant(rand(cout, seed=seed + 1, low=-0.1, high=0.1)), name=f"{name}/bias")


def _layer_norm(x: ov.Output, seed: int) -> ov.Output:
    normed = ops.mvn(x, _i64(-1), True, 1e-5, "inside_sqrt")
    gamma = ops.constant(rand(HIDDEN, seed=seed, low=0.5, high=1.5))
    return ops.add(ops.multiply(normed, gamma), ops.constant(rand(HIDDEN, seed=seed + 1, low=-0.1, high=0.1)))


def _heads(x: ov.Output, order: tuple[int, ...]) -> ov.Output:
    split = ops.reshape(x, _i64(1, ROWS, HEADS, HIDDEN // HEADS), False)
    return ops.transpose(split, _i64(*order))


def _encoder_layer(x: ov.Output) -> ov.Output:
    h = _layer_norm(x, seed=1)
    q = _heads(_linear(h, HIDDEN, HIDDEN, 10, "q"), (0, 2, 1, 3))
    k = _heads(_linear(h, HIDDEN, HIDDEN, 20, "k"), (0, 2, 3, 1))
    v = _heads(_linear(h, HIDDEN, HIDDEN, 30, "v"), (0, 2, 1, 3))
    scores = ops.divide(ops.matmul(q, k, False, False), ops.constant(np.float32(np.sqrt(HIDDEN // HEADS))))
    context = ops.matmul(ops.softmax(scores, -1), v, False, False)
    merged = ops.reshape(ops.transpose(context, _i64(0, 2, 1, 3)), _i64(1, ROWS, HIDDEN), False)
    h = _layer_norm(ops.add(h, _linear(merged, HIDDEN, HIDDEN, 40, "out"), name="residual1"), seed=3)
    ffn = ops.gelu(_linear(h, HIDDEN, FFN, 50, "ffn_in"), name="gelu")
    return ops.add(h, _linear(ffn, FFN, HIDDEN, 60, "ffn_out"), name="residual2")


def _quantized_layer() -> ov.Model:
    model = model_of(_encoder_layer, [(1, ROWS, HIDDEN)])
    samples = [[rand(1, ROWS, HIDDEN, seed=s, low=-2, high=2)] for s in range(8)]
    return quantization.quantize(
        model,
        quantization.Dataset(samples),
        subset_size=len(samples),
        model_type=quantization.ModelType.TRANSFORMER,
        # 7-bit weights everywhere: AVX2's 16-bit pair sums (vpmaddubsw) then never saturate, so the
        # integer products are exact, as in test_int8.py
        advanced_parameters=quantization.AdvancedQuantizationParameters(
            overflow_fix=quantization.OverflowFix.ENABLE
        ),
    )


def _compare(model: ov.Model, x: np.ndarray, steps: float) -> None:
    core = ov.Core()
    got = core.compile_model(model, "CPU", F32)([x])[0]
    want = core.compile_model(model, "TEMPLATE")([x])[0]
    np.testing.assert_allclose(got, want, rtol=0, atol=steps)
    close = np.isclose(got, want, rtol=1e-4, atol=1e-4).mean()
    assert close > 0.95, f"only {close:.1%} of the elements agree to float precision"


@pytest.fixture(scope="module")
def quantized_layer() -> ov.Model:
    return _quantized_layer()


def test_every_projection_runs_in_int8_with_its_post_ops(quantized_layer: ov.Model) -> None:
    """Each product by int8 weights is one int8 1x1 convolution (weights packed once) that also adds
    its bias, and the residual or applies the GELU (and the next projection's SmoothQuant scale)."""
    kinds = backends(quantized_layer)
    for name in ("q", "k", "v", "out", "ffn_in", "ffn_out"):
        assert kinds[name].startswith("oneDNN int8 (jit_uni_int8_1x1"), (name, kinds[name])
        assert kinds[f"{name}/bias"] == f"fused into {name}"
    assert kinds["residual1"] == "fused into out" and kinds["residual2"] == "fused into ffn_out"
    assert kinds["gelu"] == "fused into ffn_in"
    ffn_out = next(n for n in quantized_layer.get_ordered_ops() if n.get_friendly_name() == "ffn_out")
    fq = ffn_out.input_value(0).node
    assert fq.get_type_name() == "FakeQuantize"
    assert kinds[fq.get_friendly_name()] == "fused into ffn_in"  # it writes the integers ffn_out reads


def test_query_and_key_are_fake_quantized_by_their_projections(quantized_layer: ov.Model) -> None:
    """The FakeQuantizes of the query and key, which only the f32 scores read, are rounding post-ops
    of the projections: no quantizing or dequantizing reorder runs for them."""
    kinds = backends(quantized_layer)
    rounded = {
        fq.input_value(0).node.get_friendly_name(): kinds[fq.get_friendly_name()]
        for fq in quantized_layer.get_ordered_ops()
        if fq.get_type_name() == "FakeQuantize" and fq.input_value(0).node.get_type_name() == "Add"
    }
    assert rounded["q/bias"] == "fused into q" and rounded["k/bias"] == "fused into k"
    request = (
        ov.Core().compile_model(quantized_layer, "CPU", {**F32, "PERF_COUNT": True}).create_infer_request()
    )
    request.infer([rand(1, ROWS, HIDDEN)])
    reorders = [p.node_name for p in request.get_profiling_info() if p.node_type == "Reorder"]
    assert not [name for name in reorders if "dequantize" in name]


def test_quantized_layer_matches_the_fake_quantize_graph(quantized_layer: ov.Model) -> None:
    x = rand(1, ROWS, HIDDEN, seed=99, low=-2, high=2)
    fq_steps = [
        float((node.input_value(2).node.get_data() - node.input_value(1).node.get_data()).max()) / 255
        for node in quantized_layer.get_ordered_ops()
        if node.get_type_name() == "FakeQuantize"
    ]
    # a flip moves a projection's output by one input step times a weight (|w| < 1 here), and the
    # residual stream carries it on
    _compare(quantized_layer, x, steps=3 * max(fq_steps))


def test_smoothing_factors_are_applied_by_the_quantizing_step(quantized_layer: ov.Model) -> None:
    """SmoothQuant's Multiply before a projection has no step of its own: the step that quantizes
    the projection's input multiplies by its factors (a jit binary kernel writing the integers)."""
    kinds = backends(quantized_layer)
    scalings = [
        node
        for node in quantized_layer.get_ordered_ops()
        if node.get_type_name() == "Multiply"
        and {t.get_node().get_type_name() for t in node.output(0).get_target_inputs()} == {"FakeQuantize"}
    ]
    assert len(scalings) == 4  # before the Q/K/V, output and both feed-forward projections
    assert all(kinds[node.get_friendly_name()].startswith("fused into") for node in scalings)
    request = (
        ov.Core().compile_model(quantized_layer, "CPU", {**F32, "PERF_COUNT": True}).create_infer_request()
    )
    request.infer([rand(1, ROWS, HIDDEN)])
    products = [(p.node_name, p.exec_type) for p in request.get_profiling_info() if p.node_type == "Multiply"]
    assert len(products) == 3 and all(
        name.endswith("/quantize") for name, _ in products
    )  # the 4th: a post-op
    assert all(exec_type.startswith("jit") for _, exec_type in products)


HEAD = HIDDEN // HEADS
# the query's and key's symmetric grids: -5 * 128 / 127 .. 5, steps of 5 / 127; the values (|x| <= 1,
# projections of it) stay within about half of them: CPUs without VNNI add pairs of u8 * s8 products
# in 16 bits (vpmaddubsw), which full-range operands saturate, in OpenVINO's int8 matmuls too
QK_RANGE = 5.0


def _symmetric(x: ov.Output, name: str) -> ov.Output:
    """NNCF's signed grid on an activation: 256 levels, zero on level 128."""
    low, high = (ops.constant(np.float32(v)) for v in (-QK_RANGE * 128 / 127, QK_RANGE))
    return ops.fake_quantize(x, low, high, low, high, 256, name=name)


def _int8_linear(x: ov.Output, seed: int, name: str) -> ov.Output:
    """An int8 projection as NNCF writes it: u8 input grid, s8 weights on the half grid (no 16-bit
    saturation on AVX2, see test_int8.py) with their per-channel scales, f32 bias."""
    w = np.random.default_rng(seed).standard_normal((HIDDEN, HIDDEN)).astype(np.float32) / np.sqrt(HIDDEN)
    weights = decompression(quantize_symmetric(w, (1,), 8, narrow=True, half_range=True), ov.Type.f32, name)
    low, high = (ops.constant(np.float32(v)) for v in (-2.0 * 128 / 127, 2.0))
    y = ops.matmul(ops.fake_quantize(x, low, high, low, high, 256), weights, False, True, name=name)
    return ops.add(y, ops.constant(rand(HIDDEN, seed=seed + 1, low=-0.1, high=0.1)), name=f"{name}/bias")


def _nncf_attention(x: ov.Output, mask: ov.Output, projected: bool) -> ov.Output:
    """BERT's self-attention with NNCF's FakeQuantizes on both inputs of Q·Kᵀ (after the
    projections, or on the input itself), softmax·V in f32."""
    q, k = (_int8_linear(x, seed, name) if projected else x for seed, name in ((10, "q"), (20, "k")))
    q = _heads(_symmetric(q, "fq_q"), (0, 2, 1, 3))
    k = _heads(_symmetric(k, "fq_k"), (0, 2, 3, 1))
    v = _heads(_linear(x, HIDDEN, HIDDEN, 30, "v"), (0, 2, 1, 3))
    scores = ops.matmul(q, k, False, False, name="scores")
    scores = ops.add(ops.divide(scores, ops.constant(np.float32(np.sqrt(HEAD)))), mask, name="masked")
    context = ops.matmul(ops.softmax(scores, -1, name="softmax"), v, False, False)
    return ops.reshape(ops.transpose(context, _i64(0, 2, 1, 3)), _i64(1, ROWS, HIDDEN), False)


@pytest.mark.parametrize("projected", [True, False])
def test_nncf_attention_scores_run_in_int8(projected: bool) -> None:
    """Q·Kᵀ of two FakeQuantized activations is an int8 matmul of their integers (u8 query with zero
    point 128, s8 key) read through the heads' transposed views, the scale and mask its post-ops;
    int8 projections write those integers themselves, and nothing is dequantized."""
    model = model_of(lambda x, m: _nncf_attention(x, m, projected), [(1, ROWS, HIDDEN), (1, 1, 1, ROWS)])
    kinds = backends(model)
    assert kinds["scores"].startswith("oneDNN int8"), kinds["scores"]
    assert kinds["masked"] == kinds["softmax"] == "fused into scores"
    if projected:
        assert kinds["fq_q"] == "fused into q" and kinds["fq_k"] == "fused into k"
    request = ov.Core().compile_model(model, "CPU", {**F32, "PERF_COUNT": True}).create_infer_request()
    x, mask = rand(1, ROWS, HIDDEN, seed=5, low=-1, high=1), np.zeros((1, 1, 1, ROWS), np.float32)
    mask[..., -3:] = -10000.0
    request.infer([x, mask])
    reorders = [p.node_name for p in request.get_profiling_info() if p.node_type == "Reorder"]
    assert not [name for name in reorders if "dequantize" in name]
    # a flip of a query or key level moves a score by a step (5 / 127) times the other operand
    # (|q|, |k| <= 2.5) over sqrt(HEAD); the softmax and V (|v| < 2) carry at most that on
    score_step = QK_RANGE / 127 * 2.5 / np.sqrt(HEAD)
    _compare_inputs(model, [x, mask], steps=3 * score_step * 2)


def _compare_inputs(model: ov.Model, inputs: list[np.ndarray], steps: float) -> None:
    core = ov.Core()
    got = core.compile_model(model, "CPU", F32)(inputs)[0]
    want = core.compile_model(model, "TEMPLATE")(inputs)[0]
    np.testing.assert_allclose(got, want, rtol=0, atol=steps)
    close = np.isclose(got, want, rtol=1e-4, atol=1e-4).mean()
    assert close > 0.95, f"only {close:.1%} of the elements agree to float precision"
