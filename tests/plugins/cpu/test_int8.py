"""INT8 execution of quantized graphs (FakeQuantize on activations, int8 weights with scales),
checked against TEMPLATE running the same graph in f32.

Tolerance: the integer products are exact; what differs is f32 rounding of the scaling, which can
move an activation that sits within rounding of a half step to the neighbouring level. Such a flip
changes a value by one quantization step of its FakeQuantize and a following layer's output by that
step times one weight, so results are compared with an absolute tolerance of a few output steps and
most elements must agree to float precision."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import F32, backends, model_of, rand
from vinopy import opset13 as ops
from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.int8 import _without_saturated_clamps
from vinopy.plugins.cpu.plan import Quant
from vinopy.quantization.range_estimation import FQParams, make_fake_quantize
from vinopy.quantization.weights import decompression, quantize_symmetric

pytestmark = pytest.mark.usefixtures("cpu_plugin")


def _fq(x: ov.Output, low: float, high: float, name: str) -> ov.Output:
    return make_fake_quantize(x, FQParams(low, high, low, high, 256), name)


def _signed(x: ov.Output, magnitude: float, name: str) -> ov.Output:
    """NNCF's symmetric signed grid: -128..127 times magnitude / 127 (s8, zero point 0)."""
    return _fq(x, -magnitude * 128 / 127, magnitude, name)


def _weights(shape: tuple[int, ...], axes: tuple[int, ...], seed: int) -> ov.Output:
    """On the half grid -63..63 (NNCF's overflow fix): CPUs without VNNI add pairs of u8 * s8
    products in 16 bits (vpmaddubsw), which saturate for full-range weights and large activations,
    as in OpenVINO ("the saturation issue"); with 7-bit weights the sums fit and results are exact."""
    w = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    weight = quantize_symmetric(w, axes, 8, narrow=True, half_range=True)
    return decompression(weight, ov.Type.f32, f"w{seed}")


def _conv(x: ov.Output, cin: int, cout: int, k: int, seed: int, stride: int = 1) -> ov.Output:
    w = _weights((cout, cin, k, k), (1, 2, 3), seed)
    conv = ops.convolution(x, w, [stride] * 2, [k // 2] * 2, [k // 2] * 2, [1, 1])
    return ops.add(conv, ops.constant(rand(1, cout, 1, 1, seed=seed + 1)))


def _net(x: ov.Output) -> ov.Output:
    a = _signed(x, 1.0, "fq_in")  # s8 source
    a = ops.relu(_conv(a, 8, 16, 3, seed=1))
    a = _fq(a, 0.0, 3.0, "fq_relu")  # u8 source, zero point 0
    a = ops.max_pool(a, [2, 2], [1, 1], [0, 0], [0, 0], [2, 2]).output(0)
    b = _conv(a, 16, 16, 1, seed=3)
    b = _fq(b, -64 * 8 / 255, 191 * 8 / 255, "fq_asym")  # u8 with zero point 64
    dw = _weights((16, 1, 1, 3, 3), (2, 3, 4), seed=5)
    c = ops.group_convolution(b, dw, [1, 1], [1, 1], [1, 1], [1, 1])
    c = ops.add(c, a)  # read both quantized (dequantized) and as a residual
    pooled = ops.reduce_mean(c, ops.constant(np.array([2, 3], np.int64)), True)
    fc = ops.reshape(_signed(pooled, 4.0, "fq_fc"), ops.constant(np.array([1, 16], np.int64)), False)
    w = _weights((10, 16), (1,), seed=7)
    return ops.matmul(fc, w, False, True)


def fc_reshape(model: ov.Model) -> str:
    return next(n.get_friendly_name() for n in model.get_ordered_ops() if n.get_type_name() == "Reshape")


def _compare(model: ov.Model, inputs: list[np.ndarray], steps: float) -> None:
    core = ov.Core()
    got = core.compile_model(model, "CPU", F32)(inputs)
    want = core.compile_model(model, "TEMPLATE")(inputs)
    for i in range(len(want)):
        g, w = got[i], want[i]
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=0, atol=steps)
        close = np.isclose(g, w, rtol=1e-4, atol=1e-4).mean()
        assert close > 0.95, f"only {close:.1%} of the elements agree to float precision"


def test_int8_network_matches_the_fake_quantize_graph() -> None:
    model = model_of(_net, [(1, 8, 12, 12)])
    # the last FakeQuantize's step is 4 / 127; a flip there moves a logit by that step times a weight
    _compare(model, [rand(1, 8, 12, 12, seed=11)], steps=3 * 4 / 127)
    kinds = backends(model)
    assert kinds["fq_in"] == "oneDNN"  # a quantizing reorder
    assert kinds["fq_relu"].startswith("fused into")  # the convolution writes its integers
    int8 = {
        n.get_type_name()
        for n in model.get_ordered_ops()
        if kinds.get(n.get_friendly_name(), "").startswith("oneDNN int8")
    }
    assert int8 == {"Convolution", "GroupConvolution", "MaxPool", "MatMul"}
    assert kinds[fc_reshape(model)] == "view"  # of the integers
    assert (
        "int8"
        in kinds[
            next(n for n in model.get_ordered_ops() if n.get_type_name() == "Convolution").get_friendly_name()
        ]
    )


def test_int8_steps_are_reported() -> None:
    model = model_of(_net, [(1, 8, 12, 12)])
    compiled = ov.Core().compile_model(model, "CPU", {**F32, "PERF_COUNT": True})
    request = compiled.create_infer_request()
    request.infer([rand(1, 8, 12, 12)])
    exec_types = {p.node_type: p.exec_type for p in request.get_profiling_info() if p.exec_type}
    assert "int8" in exec_types["Convolution"]
    assert "int8" in exec_types["GroupConvolution"] or "x8" in exec_types["GroupConvolution"]


@pytest.mark.parametrize(("shape", "transpose_b"), [((4, 32), False), ((1, 5, 32), True)])
def test_matmul_int8_with_bias_and_activation(shape: tuple[int, ...], transpose_b: bool) -> None:
    """Rows of a plain activation (a BERT-like 3-D one too) by 2-D weights, stored either way."""

    def build(x: ov.Output) -> ov.Output:
        w = _weights((24, 32), (1,), seed=2) if transpose_b else _weights((32, 24), (0,), seed=2)
        y = ops.matmul(_fq(x, -1.0, 1.0 * 127 / 128, "fq"), w, False, transpose_b, name="mm")
        return ops.relu(ops.add(y, ops.constant(rand(24, seed=4))))

    model = model_of(build, [shape])
    assert backends(model)["mm"].startswith("oneDNN int8")
    _compare(model, [rand(*shape, seed=9)], steps=1e-3)


def test_weight_compressed_matmul_is_decompressed_once() -> None:
    """compress_weights' int8/int4 decompression subgraphs fold into f32 weights at compile time."""
    from vinopy.quantization import CompressWeightsMode, compress_weights

    model = model_of(lambda x: ops.matmul(x, ops.constant(rand(64, 32, seed=1)), False, False), [(2, 64)])
    for mode, group_size in ((CompressWeightsMode.INT8_ASYM, None), (CompressWeightsMode.INT4_SYM, 32)):
        compressed = compress_weights(model, mode=mode, group_size=group_size, all_layers=True)
        kinds = backends(compressed)
        matmul = next(n for n in compressed.get_ordered_ops() if n.get_type_name() == "MatMul")
        assert kinds[matmul.get_friendly_name()] == "oneDNN"
        assert {
            kinds[n.get_friendly_name()]
            for n in compressed.get_ordered_ops()
            if n.get_type_name() in ("Convert", "Multiply", "Subtract")
        } == {"constant"}
        _compare(compressed, [rand(2, 64, seed=5)], steps=1e-4)


def test_fake_quantized_f32_weights_run_in_int8() -> None:
    """NNCF's older form: f32 weights through a per-channel symmetric FakeQuantize (127 levels, the
    half grid -63..63 of the overflow fix: no 16-bit saturation)."""
    w = np.random.default_rng(3).standard_normal((8, 4, 3, 3)).astype(np.float32)
    high = np.abs(w).max(axis=(1, 2, 3), keepdims=True) * 0.9
    levels = [ops.constant(v.astype(np.float32)) for v in (-high, high, -high, high)]

    def build(x: ov.Output) -> ov.Output:
        weights = ops.fake_quantize(ops.constant(w), *levels, 127)
        return ops.convolution(_fq(x, 0.0, 2.0, "fq"), weights, [1, 1], [1, 1], [1, 1], [1, 1])

    model = model_of(build, [(1, 4, 8, 8)])
    kinds = backends(model)
    conv = next(n for n in model.get_ordered_ops() if n.get_type_name() == "Convolution")
    assert kinds[conv.get_friendly_name()].startswith("oneDNN int8")
    _compare(model, [rand(1, 4, 8, 8, seed=2, low=-0.5, high=2.5)], steps=1e-4)


def _residual_block(x: ov.Output, activation: bool) -> ov.Output:
    """conv -> FakeQuantize -> (+ quantized input) -> [ReLU] -> FakeQuantize -> conv, ResNet's and
    MobileNetV2's block as NNCF quantizes it (ranges whose steps have no common multiple, so that no
    sum falls on a tie of the last rounding)."""
    a = _signed(x, 2.0, "fq_in")
    b = _fq(ops.relu(_conv(a, 8, 8, 3, seed=1)), 0.0, 4.0, "fq_relu")
    dw = ops.group_convolution(
        b, _weights((8, 1, 1, 3, 3), (2, 3, 4), seed=2), [1, 1], [1, 1], [1, 1], [1, 1]
    )
    b = _fq(ops.clamp(dw, 0.0, 6.0), 0.0, 6.0, "fq_relu6")  # MobileNetV2's depthwise step
    c = _signed(_conv(b, 8, 8, 1, seed=3), 6.1, "fq_mid")
    y = ops.add(c, a, name="residual")
    if activation:
        y = ops.relu(y, name="activation")
    y = _fq(y, 0.0, 7.3, "fq_out") if activation else _signed(y, 7.3, "fq_out")
    return _conv(y, 8, 4, 1, seed=5)


@pytest.mark.parametrize("activation", [True, False])
def test_residual_add_runs_in_the_int8_convolution(activation: bool) -> None:
    """The step writes fq_out's integers: fq_mid's rounding, the sum with fq_in's integers and the
    activation are its post-ops; nothing is dequantized."""
    model = model_of(lambda x: _residual_block(x, activation), [(1, 8, 10, 10)])
    kinds = backends(model)
    fused = {"fq_mid", "residual", "fq_out", *(["activation"] if activation else [])}
    assert {kinds[name] for name in fused} == {kinds["fq_mid"]}
    assert kinds["fq_mid"].startswith("fused into")
    assert kinds["fq_relu"].startswith("fused into") and kinds["fq_relu6"].startswith("fused into")
    steps = ov.Core().compile_model(model, "CPU", {**F32, "PERF_COUNT": True}).create_infer_request()
    steps.infer([rand(1, 8, 10, 10)])
    reorders = [p.node_name for p in steps.get_profiling_info() if p.node_type == "Reorder"]
    assert "fq_in/quantize" in reorders
    assert not [name for name in reorders if "dequantize" in name]  # integers flow from step to step
    # a flip of fq_out moves an output by its step (7.3 / 127 at most) times a weight
    _compare(model, [rand(1, 8, 10, 10, seed=4, low=-2, high=2)], steps=3 * 7.3 / 127)


def test_zero_pointed_integers_are_dequantized_into_another_layout() -> None:
    """A model output read from a convolution's channels-last integers with zero point 128 (oneDNN
    3.2's reorder that also transposes such a tensor loses the zero point)."""

    def build(x: ov.Output) -> ov.Output:
        return _signed(_conv(_fq(x, 0.0, 2.0, "fq_in"), 16, 2048, 1, seed=1), 8.0, "fq_out")

    model = model_of(build, [(1, 16, 7, 7)])
    assert backends(model)["fq_out"].startswith("fused into")
    _compare(model, [rand(1, 16, 7, 7, seed=2, low=0, high=2)], steps=8 / 127 + 1e-5)


def test_max_pool_before_a_fake_quantize_runs_on_the_integers() -> None:
    """conv -> ReLU -> MaxPool -> FakeQuantize (ResNet's stem): the convolution writes the
    FakeQuantize's integers, the MaxPool takes their maximum and the FakeQuantize is left a view."""

    def build(x: ov.Output) -> ov.Output:
        a = ops.relu(_conv(_fq(x, 0.0, 2.0, "fq_in"), 8, 8, 3, seed=1))
        pooled = ops.max_pool(a, [2, 2], [1, 1], [0, 0], [0, 0], [3, 3], name="pool").output(0)
        return _conv(_fq(pooled, 0.0, 5.3, "fq_pooled"), 8, 4, 1, seed=3)

    model = model_of(build, [(1, 8, 12, 12)])
    kinds = backends(model)
    assert kinds["pool"].startswith("oneDNN int8") and kinds["fq_pooled"] == "view"
    _compare(model, [rand(1, 8, 12, 12, seed=2, low=0, high=2)], steps=3 * 5.3 / 255)


def test_fake_quantize_of_a_value_on_its_grid_is_a_view() -> None:
    """A second FakeQuantize with the first's ranges changes nothing; the convolution reads the
    integers the first one gives."""

    def build(x: ov.Output) -> ov.Output:
        return _conv(_fq(_fq(x, 0.0, 2.0, "fq1"), 0.0, 2.0, "fq2"), 8, 4, 1, seed=1)

    model = model_of(build, [(1, 8, 6, 6)])
    assert backends(model)["fq2"] == "view"
    _compare(model, [rand(1, 8, 6, 6, seed=3, low=0, high=2)], steps=1e-4)


def _relu6_by_extremes(x: ov.Output) -> ov.Output:
    """ReLU6 as exporters write it without Clip: Minimum(Maximum(x, 0), 6)."""
    return ops.minimum(ops.maximum(x, ops.constant(np.float32(0.0))), ops.constant(np.float32(6.0)))


@pytest.mark.parametrize(
    ("activation", "low", "high"),
    [
        (lambda x: ops.clamp(x, 0.0, 6.0), 0.0, 4.0),  # the grid saturates first: no clamp is computed
        (_relu6_by_extremes, 0.0, 6.0),  # MobileNetV2's: ReLU6 is the grid's range
        (lambda x: ops.clamp(x, 0.0, 6.0), 0.0, 8.0),  # levels above 6 exist: the clamp stays
        (ops.relu, -2.0, 2.0 * 127 / 128),  # zero point 128: ReLU stays
    ],
)
def test_clamp_before_a_fake_quantize_matches_the_graph(activation, low: float, high: float) -> None:
    """A convolution's ReLU/ReLU6 before the FakeQuantize whose integers it writes, folded into the
    destination's saturation where that saturation clamps as much (as OpenVINO does), kept otherwise."""

    def build(x: ov.Output) -> ov.Output:
        y = activation(_conv(_fq(x, -4.0, 4.0 * 127 / 128, "fq_in"), 8, 8, 3, seed=1))
        return _fq(y, low, high, "fq_out")

    model = model_of(build, [(1, 8, 10, 10)])
    inputs = [rand(1, 8, 10, 10, seed=3, low=-4, high=4)]
    want = ov.Core().compile_model(model, "TEMPLATE")(inputs)[0]
    assert (want == want.min()).mean() > 0.3  # the activation clamps much: a dropped clamp would show
    assert backends(model)["fq_out"].startswith("fused into")
    _compare(model, inputs, steps=(high - low) / 255 * 1.001)  # one step of fq_out


def test_only_clamps_the_grid_saturation_covers_are_dropped() -> None:
    grid = Quant(6.0 / 255, 0, dc.u8, None)  # levels 0..6
    relu, relu6 = ("eltwise", dc.eltwise_relu, 0.0, 0.0), ("eltwise", dc.eltwise_clip_v2, 0.0, 6.0)
    linear = ("eltwise", dc.eltwise_linear, 2.0, 0.0)
    assert _without_saturated_clamps([linear, relu, relu6], grid) == [linear]
    assert _without_saturated_clamps([relu6, linear], grid) == [relu6, linear]  # not at the end
    assert _without_saturated_clamps([relu6], Quant(8.0 / 255, 0, dc.u8, None)) == [relu6]
    assert _without_saturated_clamps([relu], Quant(2.0 / 255, 128, dc.u8, None)) == [relu]


def _i64(*values: int) -> ov.Output:
    return ops.constant(np.array(values, np.int64))


def _channel_ranges(channels: int, seed: int) -> list[ov.Output]:
    """Per-channel [0, high] ranges (NNCF's on a depthwise convolution's input), shaped (1, C, 1, 1)."""
    high = rand(1, channels, 1, 1, seed=seed, low=0.5, high=4.0)
    low = np.zeros_like(high)
    return [ops.constant(v) for v in (low, high, low, high)]


@pytest.mark.parametrize("offset", [False, True])
def test_per_channel_fake_quantize_is_rounded_by_the_int8_step(offset: bool) -> None:
    """NNCF's per-channel FakeQuantize after an int8 1x1 convolution's ReLU6, read by an f32
    depthwise convolution: its rounding is the convolution's post-ops (per-channel scales as binary
    operands), no numpy FakeQuantize and no reorders; ``offset``: ranges not starting at 0."""
    ranges = _channel_ranges(16, seed=7)
    if offset:
        ranges = [ops.subtract(r, ops.constant(np.float32(0.25))) for r in ranges]

    def build(x: ov.Output) -> ov.Output:
        y = ops.clamp(_conv(_fq(x, 0.0, 2.0, "fq_in"), 8, 16, 1, seed=1), 0.0, 6.0)
        y = ops.fake_quantize(y, *ranges, 256, name="fq_channels")
        dw = np.random.default_rng(2).standard_normal((16, 1, 1, 3, 3)).astype(np.float32)
        return ops.group_convolution(y, ops.constant(dw), [1, 1], [1, 1], [1, 1], [1, 1], name="dw")

    model = model_of(build, [(1, 8, 10, 10)])
    kinds = backends(model)
    conv = next(n for n in model.get_ordered_ops() if n.get_type_name() == "Convolution")
    assert kinds[conv.get_friendly_name()].startswith("oneDNN int8")
    assert kinds["fq_channels"] == f"fused into {conv.get_friendly_name()}"
    # a flip moves a depthwise output by one step (4 / 255 at most) times a weight (|w| < 4)
    _compare(model, [rand(1, 8, 10, 10, seed=3, low=0, high=2)], steps=3 * 4 * 4 / 255)


def test_bias_shaped_by_shape_of_is_fused() -> None:
    """OpenVINO's ONNX reader shapes a convolution's bias by a ShapeOf of the convolution's result:
    with static shapes that is a constant, and the bias and activation still fuse into the step."""

    def build(x: ov.Output) -> ov.Output:
        w = _weights((8, 8, 1, 1), (1, 2, 3), seed=1)
        conv = ops.convolution(_fq(x, 0.0, 2.0, "fq_in"), w, [1, 1], [0, 0], [0, 0], [1, 1], name="conv")
        bias = ops.constant(rand(8, seed=2))
        rank = ops.shape_of(ops.shape_of(conv))
        ones = ops.broadcast(ops.constant(np.array([1], np.int64)), ops.subtract(rank, _i64(2)))
        shape = ops.concat([_i64(1), ops.shape_of(bias), ones], 0)
        return ops.relu(ops.add(conv, ops.reshape(bias, shape, False), name="bias"), name="relu")

    model = model_of(build, [(1, 8, 6, 6)])
    kinds = backends(model)
    assert kinds["conv"].startswith("oneDNN int8")
    assert kinds["bias"] == kinds["relu"] == "fused into conv"
    _compare(model, [rand(1, 8, 6, 6, seed=3, low=0, high=2)], steps=1e-4)


def _kernel_width_ranges(channels: int, seed: int) -> list[ov.Output]:
    """NNCF's symmetric ranges of a depthwise convolution's weights, shaped (C, 1, 1, 1, kw): they
    vary along the kernel width, so the weights are no per-channel int8 and the convolution runs in f32."""
    high = rand(channels, 1, 1, 1, 3, seed=seed, low=0.5, high=1.5)
    return [ops.constant(v) for v in (-high, high, -high, high)]


def _depthwise_then_int8(x: ov.Output, low: float, high: float) -> ov.Output:
    """MobileNetV2's inverted residual as NNCF quantizes it: int8 1x1 expansion, per-channel
    FakeQuantize, f32 depthwise convolution with fake-quantized weights, ReLU6, a per-tensor
    FakeQuantize on [low, high] and the int8 1x1 projection reading its integers."""
    y = ops.clamp(_conv(_fq(x, 0.0, 2.0, "fq_in"), 8, 16, 1, seed=1), 0.0, 6.0)
    y = ops.fake_quantize(y, *_channel_ranges(16, seed=2), 256, name="fq_channels")
    w = np.random.default_rng(3).uniform(-1.5, 1.5, (16, 1, 1, 3, 3)).astype(np.float32)
    weights = ops.fake_quantize(ops.constant(w), *_kernel_width_ranges(16, seed=4), 255)
    dw = ops.group_convolution(y, weights, [1, 1], [1, 1], [1, 1], [1, 1], name="dw")
    dw = ops.clamp(ops.add(dw, ops.constant(rand(1, 16, 1, 1, seed=5))), 0.0, 6.0)
    return _conv(_fq(dw, low, high, "fq_dw"), 16, 8, 1, seed=6)


@pytest.mark.parametrize(
    ("low", "high"),
    [(0.0, 6.0), (-64 * 6 / 255, 191 * 6 / 255)],  # MobileNetV2's (ReLU6 dropped); zero point 64
)
def test_depthwise_convolution_writes_the_integers_of_an_int8_reader(low: float, high: float) -> None:
    """The f32 depthwise convolution runs channels-last, as the int8 projection reads its source, and
    scales its result to fq_dw's levels: quantizing is a conversion (a reorder without scales, no
    layout change) and no f32 reorder surrounds the depthwise convolution."""
    model = model_of(lambda x: _depthwise_then_int8(x, low, high), [(1, 8, 10, 10)])
    kinds = backends(model)
    assert kinds["dw"] == "oneDNN"  # f32: the weights' ranges vary along the kernel width
    steps = ov.Core().compile_model(model, "CPU", {**F32, "PERF_COUNT": True}).create_infer_request()
    steps.infer([rand(1, 8, 10, 10)])
    profile = steps.get_profiling_info()
    reorders = [p.node_name for p in profile if p.node_type == "Reorder"]
    # fq_channels' floats are read where the expansion wrote them; the output's layout may change
    assert [name for name in reorders if name.startswith("fq_")] == ["fq_in/quantize", "fq_dw/reorder"]
    int8 = [p.node_type for p in profile if "int8" in p.exec_type]
    assert int8 == ["Convolution", "Convolution"]
    # a flip of fq_dw moves an output by its step times a weight (|w| < 4)
    _compare(model, [rand(1, 8, 10, 10, seed=7, low=0, high=2)], steps=3 * 4 * (high - low) / 255)


def _quantized_silu(t: ov.Output, suffix: str = "") -> ov.Output:
    """NNCF's quantized SiLU: ``t * sigmoid(t)`` with the Sigmoid's output, the Multiply's first
    input and its output fake-quantized (each range with zero on its grid)."""
    sigmoid = _fq(ops.sigmoid(t, name=f"sigmoid{suffix}"), 0.0, 1.0, f"fq_sigmoid{suffix}")
    step = 8 / 255
    silu = ops.multiply(_fq(t, -64 * step, 191 * step, f"fq_t{suffix}"), sigmoid, name=f"silu{suffix}")
    return _fq(silu, -16 * 4 / 255, 239 * 4 / 255, f"fq_silu{suffix}")


def _silu_between_int8_convolutions(x: ov.Output) -> ov.Output:
    t = _conv(_signed(x, 1.0, "fq_in"), 8, 16, 3, seed=1)
    return _conv(_quantized_silu(t), 16, 8, 1, seed=3)


def test_quantized_silu_is_three_element_wise_steps_writing_the_next_integers() -> None:
    """The Sigmoid writes fq_sigmoid's rounded floats, fq_t is one rounding step in f32 and the
    Multiply writes fq_silu's integers for the int8 convolution: no quantizing and dequantizing
    reorders around the element-wise ops (NNCF's YOLO runs 192 steps, not 370)."""
    model = model_of(_silu_between_int8_convolutions, [(1, 8, 10, 10)])
    kinds = backends(model)
    assert kinds["fq_sigmoid"] == "fused into sigmoid" and kinds["fq_silu"] == "fused into silu"
    assert kinds["fq_t"] == "oneDNN"
    request = ov.Core().compile_model(model, "CPU", {**F32, "PERF_COUNT": True}).create_infer_request()
    request.infer([rand(1, 8, 10, 10)])
    profile = request.get_profiling_info()
    steps = sorted(p.node_type for p in profile if p.exec_type != "undef" and p.node_type != "Reorder")
    assert steps == ["Convolution", "Convolution", "FakeQuantize", "Multiply", "Sigmoid"]
    reorders = [p.node_name for p in profile if p.node_type == "Reorder"]
    assert not [name for name in reorders if name.startswith(("fq_t", "fq_sigmoid", "fq_silu"))], reorders
    assert all("ref" not in p.exec_type for p in profile)
    assert [p.node_type for p in profile if "int8" in p.exec_type] == ["Convolution", "Convolution"]
    # a flip of fq_silu moves an output by its step times a weight (|w| < 4), of fq_t or fq_sigmoid
    # by less than one of fq_silu's steps
    _compare(model, [rand(1, 8, 10, 10, seed=3)], steps=3 * 4 * 4 / 255)


def _concat_of_two_quantized_branches(x: ov.Output) -> ov.Output:
    """YOLO's C3 block as NNCF quantizes it: two SiLU branches whose outputs share one range, then a
    Concat that a 1x1 convolution reads."""
    a = _signed(x, 1.0, "fq_in")
    left = _quantized_silu(_conv(a, 8, 8, 3, seed=1), "_left")
    right = _quantized_silu(_conv(a, 8, 16, 1, seed=3), "_right")
    joined = ops.concat([left, right], 1, name="joined")
    return _conv(joined, 24, 8, 1, seed=5)


def test_concat_of_one_grid_concatenates_the_integers_for_an_int8_reader() -> None:
    model = model_of(_concat_of_two_quantized_branches, [(1, 8, 10, 10)])
    kinds = backends(model)
    assert kinds["joined"].startswith("oneDNN int8"), kinds["joined"]
    assert (
        kinds["fq_silu_left"] == "fused into silu_left" and kinds["fq_silu_right"] == "fused into silu_right"
    )
    convolutions = [
        n.get_friendly_name() for n in model.get_ordered_ops() if n.get_type_name() == "Convolution"
    ]
    assert all(kinds[name].startswith("oneDNN int8") for name in convolutions), kinds
    _compare(model, [rand(1, 8, 10, 10, seed=4)], steps=3 * 4 * 4 / 255)


def _pooled_pyramid(x: ov.Output) -> ov.Output:
    """YOLO's SPPF block as NNCF quantizes it: a quantized value, MaxPools of it in a chain, all of
    them concatenated for a 1x1 convolution (the pools keep the FakeQuantize's grid)."""
    a = _fq(_conv(_signed(x, 1.0, "fq_in"), 8, 8, 1, seed=1), -64 * 8 / 255, 191 * 8 / 255, "fq_a")
    pools = [a]
    for i in range(2):
        pools.append(
            ops.max_pool(pools[-1], [1, 1], [1, 1], [2, 2], [2, 2], [5, 5], name=f"pool{i}").output(0)
        )
    return _conv(ops.concat(pools, 1, name="pyramid"), 24, 8, 1, seed=3)


def test_concat_of_max_pools_of_one_quantized_value_runs_on_the_integers() -> None:
    model = model_of(_pooled_pyramid, [(1, 8, 10, 10)])
    kinds = backends(model)
    assert all(kinds[name].startswith("oneDNN int8") for name in ("pool0", "pool1", "pyramid")), kinds
    convolutions = [
        n.get_friendly_name() for n in model.get_ordered_ops() if n.get_type_name() == "Convolution"
    ]
    assert all(kinds[name].startswith("oneDNN int8") for name in convolutions), kinds
    _compare(model, [rand(1, 8, 10, 10, seed=6)], steps=3 * 4 * 8 / 255)
