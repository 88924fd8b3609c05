"""Statistics collection: the same statistics on CPU (fused, parallel requests) as on TEMPLATE, the
taps' bookkeeping, and reducers that agree with float64 numpy."""

import numpy as np
import pytest

import vinopy as ov
import vinopy.quantization as vq
from tests.quantization.models import cnn, images
from vinopy import opset13 as ops
from vinopy.quantization import bias_correction
from vinopy.quantization.dataset import Dataset
from vinopy.quantization.range_estimation import range_reducer
from vinopy.quantization.statistics import (
    PREFERRED_DEVICES,
    Tap,
    channel_abs_max,
    channel_mean,
    collect,
    default_device,
    quantile,
)

cpu = pytest.mark.skipif("CPU" not in ov.Core().available_devices, reason="no CPU device here")


def _conv_bn_relu_add() -> tuple[ov.Model, list[ov.Output]]:
    """conv -> BatchNorm -> ReLU -> Add(residual conv): every value a CPU fusion folds into one step."""
    rng = np.random.default_rng(0)
    x = ops.parameter([2, 4, 10, 10], np.float32, name="x")

    def conv(source: ov.Output, name: str) -> ov.Node:
        weights = ops.constant(rng.normal(0, 0.4, (4, 4, 3, 3)).astype(np.float32))
        return ops.convolution(source, weights, [1, 1], [1, 1], [1, 1], [1, 1], name=name)

    def channel_constant(low: float, high: float) -> ov.Node:
        return ops.constant(rng.uniform(low, high, 4).astype(np.float32))

    first = conv(x, "conv")
    bn = ops.batch_norm_inference(
        first,
        channel_constant(0.5, 2.0),
        channel_constant(-1.0, 1.0),
        channel_constant(-0.5, 0.5),
        channel_constant(0.5, 2.0),
        1e-5,
        name="bn",
    )
    relu = ops.relu(bn, name="relu")
    added = ops.add(relu, conv(x, "shortcut"), name="add")
    model = ov.Model([added], [x], "fused")
    return model, [first.output(0), bn.output(0), relu.output(0), added.output(0)]


def _samples(count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.normal(0, 1, (2, 4, 10, 10)).astype(np.float32) for _ in range(count)]


@cpu
def test_cpu_statistics_of_fused_values_match_template() -> None:
    model, tensors = _conv_bn_relu_add()
    reducer = range_reducer(vq.RangeEstimatorParameters())
    taps = [Tap(t, reducer) for t in tensors] + [Tap(t, channel_mean(1)) for t in tensors]
    data = Dataset(_samples(5))
    on_cpu = collect(model, taps, data, None, "CPU", "cpu")
    on_template = collect(model, taps, data, None, "TEMPLATE", "template")
    for cpu_batches, template_batches in zip(on_cpu, on_template):
        np.testing.assert_allclose(cpu_batches, template_batches, rtol=1e-5, atol=1e-5)
    # each tapped value was materialized as itself: the BatchNorm's range is not the ReLU's
    assert min(b[0] for b in on_cpu[1]) < 0 <= min(b[0] for b in on_cpu[2])


@cpu
def test_quantize_on_cpu_matches_template() -> None:
    """Ranges and bias corrections: the same model whichever device collects them."""

    def constants(device: str) -> list[np.ndarray]:
        params = vq.AdvancedQuantizationParameters(backend_params={"device": device})
        quantized = vq.quantize(cnn(), vq.Dataset(images(6)), subset_size=6, advanced_parameters=params)
        ordered = quantized.get_ordered_ops()
        return [n.get_data() for n in ordered if n.get_type_name() == "Constant"]

    on_cpu, on_template = constants("CPU"), constants("TEMPLATE")
    assert len(on_cpu) == len(on_template)
    for cpu_value, template_value in zip(on_cpu, on_template):
        # a bias shift is a mean over quantized values: one f32 rounding difference upstream can move
        # a value to the next level and the mean by about a level over the element count
        np.testing.assert_allclose(cpu_value, template_value, rtol=1e-4, atol=5e-5)


def test_reductions_come_in_item_order_and_taps_may_repeat() -> None:
    model, tensors = _conv_bn_relu_add()
    output = model.get_results()[0].input_value(0)
    total = Tap(output, lambda x: np.array(x.sum(dtype=np.float64)))
    first = Tap(model.get_parameters()[0].output(0), lambda x: np.array(x.flat[0]))
    samples = _samples(6)
    stats = collect(model, [total, first, total], Dataset(samples), [1, 2, 4], default_device(), "order")
    reference = ov.Core().compile_model(model, "TEMPLATE")
    expected = [reference(samples[i])[0].sum(dtype=np.float64) for i in (1, 2, 4)]
    np.testing.assert_allclose(stats[0], expected, rtol=1e-5)
    assert stats[2] == stats[0]
    assert [float(v) for v in stats[1]] == [float(samples[i].flat[0]) for i in (1, 2, 4)]
    assert len(model.get_results()) == 1  # the caller's model is unchanged


def test_collect_names_data_that_gives_no_items() -> None:
    model, tensors = _conv_bn_relu_add()
    with pytest.raises(vq.ValidationError, match="gave no items"):
        collect(model, [Tap(tensors[0], np.max)], Dataset(iter([])), None, "TEMPLATE", "empty")


@pytest.mark.parametrize("axis", [1, -1, 0])
def test_channel_reducers_match_float64_numpy(axis: int) -> None:
    x = (np.random.default_rng(2).normal(3, 2, (3, 5, 4, 6)) * 10).astype(np.float32)
    others = tuple(a for a in range(4) if a != axis % 4)
    np.testing.assert_allclose(channel_mean(axis)(x), x.astype(np.float64).mean(axis=others), rtol=1e-12)
    np.testing.assert_array_equal(channel_abs_max(axis)(x), np.abs(x.astype(np.float64)).max(axis=others))


@pytest.mark.parametrize("q", [0.0, 1e-4, 0.3, 0.5, 0.9999, 1.0])
def test_quantile_matches_numpy_in_float64(q: float) -> None:
    x = np.random.default_rng(3).standard_normal(10007).astype(np.float32)
    assert quantile(x, q) == pytest.approx(float(np.quantile(x.astype(np.float64), q)), rel=1e-12, abs=1e-15)


def test_default_device_prefers_cpu_and_falls_back_to_template() -> None:
    class Devices:
        def __init__(self, available: list[str]) -> None:
            self.available_devices = available

    assert default_device(Devices(["TEMPLATE", "CPU"])) == "CPU"
    assert default_device(Devices(["TEMPLATE"])) == "TEMPLATE"
    assert default_device(Devices([])) == PREFERRED_DEVICES[-1]


def _varied_convolutions() -> ov.Model:
    """Convolutions with a bias of every kind fast bias correction meets: 1x1, 3x3 with padding,
    dilated with uneven padding, auto_pad same_upper, strided, and a MatMul."""
    rng = np.random.default_rng(4)
    x = ops.parameter([2, 4, 9, 9], np.float32, name="x")

    def layer(source: ov.Output, kernel: int, name: str, **window) -> ov.Node:
        weights = ops.constant(rng.normal(0, 0.4, (4, 4, kernel, kernel)).astype(np.float32))
        conv = ops.convolution(source, weights, name=name, **window)
        bias = ops.constant(rng.normal(0, 0.1, (1, 4, 1, 1)).astype(np.float32))
        return ops.relu(ops.add(conv, bias, name=f"{name}/add"))

    one = dict(strides=[1, 1], dilations=[1, 1])
    h = layer(x, 1, "pointwise", pads_begin=[0, 0], pads_end=[0, 0], **one)
    h = layer(h, 3, "padded", pads_begin=[1, 1], pads_end=[1, 1], **one)
    h = layer(h, 3, "dilated", strides=[1, 1], pads_begin=[2, 1], pads_end=[0, 2], dilations=[2, 2])
    h = layer(h, 3, "same", pads_begin=[0, 0], pads_end=[0, 0], auto_pad="same_upper", **one)
    h = layer(h, 3, "strided", strides=[2, 2], pads_begin=[1, 1], pads_end=[1, 1], dilations=[1, 1])
    flat = ops.reshape(h, ops.constant(np.array([2, -1], np.int64)), False)
    fc = ops.matmul(flat, ops.constant(rng.normal(0, 0.2, (64, 5)).astype(np.float32)), False, False)
    return ov.Model([ops.add(fc, ops.constant(rng.normal(0, 0.1, 5).astype(np.float32)))], [x])


def _bias_constants(model: ov.Model, correct: bool = True) -> list[np.ndarray]:
    rng = np.random.default_rng(5)
    data = vq.Dataset([rng.normal(0, 1, (2, 4, 9, 9)).astype(np.float32) for _ in range(4)])
    params = vq.AdvancedQuantizationParameters(backend_params={"device": "TEMPLATE"})
    quantized = vq.quantize(
        model, data, subset_size=4, fast_bias_correction=correct, advanced_parameters=params
    )
    adds = [n for n in quantized.get_ordered_ops() if n.get_type_name() == "Add"]
    return [n.input_value(1).get_node().get_data() for n in adds]


def test_bias_shifts_from_input_statistics_equal_a_run_of_the_quantized_layer(monkeypatch) -> None:
    """Layers whose mean output is linear in an input statistic are not run twice; their shifts are
    those of the quantized branch that the other layers run."""
    model = _varied_convolutions()
    from_statistics = _bias_constants(model)
    monkeypatch.setattr(bias_correction, "_input_statistic", lambda target, node: None)
    from_branches = _bias_constants(model)
    uncorrected = _bias_constants(model, correct=False)
    assert len(from_statistics) == len(from_branches) == len(uncorrected) == 6
    for linear, branch, before in zip(from_statistics, from_branches, uncorrected):
        assert np.abs(branch - before).max() > 1e-5  # a shift was applied
        np.testing.assert_allclose(linear, branch, rtol=1e-5, atol=1e-7)
