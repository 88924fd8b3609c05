"""quantize(): FakeQuantize placement, int8 weights, accuracy against the float model, options."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov
import vinopy.quantization as nncf
from tests.quantization.models import branches, cnn, images, mlp, run, small_images, token_batches, types

CALIBRATION = images(12)
TEST = images(12, seed=7)


@pytest.fixture(scope="module")
def float_cnn() -> ov.Model:
    return cnn()


@pytest.fixture(scope="module")
def quantized_cnn(float_cnn: ov.Model) -> ov.Model:
    return nncf.quantize(float_cnn, nncf.Dataset(CALIBRATION))


def _node(model: ov.Model, name: str) -> ov.Node:
    return next(n for n in model.get_ordered_ops() if n.get_friendly_name() == name)


def _source(node: ov.Node, port: int) -> ov.Node:
    return node.input_value(port).get_node()


def _fq_names(model: ov.Model) -> set[str]:
    return {n.get_friendly_name() for n in model.get_ordered_ops() if n.get_type_name() == "FakeQuantize"}


def test_fake_quantize_placement(quantized_cnn: ov.Model) -> None:
    # model input (conv1), before MaxPool (read by conv2 and the residual Add), conv2's output
    # (residual Add), the Add's output (AvgPool), and before Reshape (the FC)
    assert _fq_names(quantized_cnn) == {
        "image/fq_output_0",
        "conv1/relu/fq_output_0",
        "conv2/relu/fq_output_0",
        "residual/fq_output_0",
        "avgpool/fq_output_0",
    }
    assert _source(_node(quantized_cnn, "maxpool"), 0).get_type_name() == "FakeQuantize"
    assert _source(_node(quantized_cnn, "flatten"), 0).get_type_name() == "FakeQuantize"
    # a bias Add (constant input) stays float and follows its layer directly
    assert _source(_node(quantized_cnn, "conv1/add"), 0).get_type_name() == "Convolution"
    assert all(
        levels == 256
        for levels in (
            n.levels for n in quantized_cnn.get_ordered_ops() if n.get_type_name() == "FakeQuantize"
        )
    )


def test_weights_are_int8_with_dequantization(quantized_cnn: ov.Model, float_cnn: ov.Model) -> None:
    for name in ("conv1", "conv2", "fc"):
        layer = _node(quantized_cnn, name)
        multiply = _source(layer, 1)
        convert = _source(multiply, 0)
        values = _source(convert, 0)
        assert [multiply.get_type_name(), convert.get_type_name(), values.get_type_name()] == [
            "Multiply",
            "Convert",
            "Constant",
        ]
        assert values.get_element_type() == ov.Type.i8
        scale = _source(multiply, 1).value
        original = _source(_node(float_cnn, name), 1).value
        restored = values.value.astype(np.float32) * scale
        # per output channel: one scale per channel, max |error| half a step
        assert scale.size == original.shape[-1 if name == "fc" else 0]
        assert np.all(np.abs(restored - original) <= scale / 2 + 1e-7)
    assert "FakeQuantize" not in {
        _source(_node(quantized_cnn, n), 1).get_type_name() for n in ("conv1", "fc")
    }


def test_overflow_fix_first_layer_uses_seven_bits(quantized_cnn: ov.Model) -> None:
    def int_range(name: str) -> int:
        return int(np.abs(_source(_source(_source(_node(quantized_cnn, name), 1), 0), 0).value).max())

    assert int_range("conv1") == 63  # the first layer: half range
    assert int_range("conv2") == 127 and int_range("fc") == 127
    spr = nncf.quantize(cnn(), nncf.Dataset(CALIBRATION), target_device=nncf.TargetDevice.CPU_SPR)
    conv1 = _source(_source(_source(_node(spr, "conv1"), 1), 0), 0).value
    assert np.abs(conv1).max() == 127


def _range(model: ov.Model, name: str) -> list[float]:
    return [float(_source(_node(model, name), i).value) for i in range(1, 5)]


def test_concat_inputs_share_a_range_add_inputs_do_not(quantized_cnn: ov.Model) -> None:
    # residual Add: each input its own range (as NNCF does); ReLU outputs are unsigned
    first, second = (
        _range(quantized_cnn, "conv1/relu/fq_output_0"),
        _range(quantized_cnn, "conv2/relu/fq_output_0"),
    )
    assert first != second and first[0] == second[0] == 0.0
    model = nncf.quantize(branches(), nncf.Dataset(small_images(4)))
    # Concat moves its FakeQuantize to its inputs, which share one range; the Add reads the same ones
    assert _range(model, "a/relu/fq_output_0") == _range(model, "b/relu/fq_output_0")
    assert _fq_names(model) == {
        "x/fq_output_0",
        "a/relu/fq_output_0",
        "b/relu/fq_output_0",
        "add/fq_output_0",
    }
    assert {_source(_node(model, n), 0).get_friendly_name() for n in ("concat", "add")} == {
        "a/relu/fq_output_0"
    }


def test_outputs_close_to_float_model(float_cnn: ov.Model, quantized_cnn: ov.Model) -> None:
    reference, quantized = run(float_cnn, TEST), run(quantized_cnn, TEST)
    relative = np.linalg.norm(quantized - reference) / np.linalg.norm(reference)
    assert relative < 0.03
    assert np.mean(reference.argmax(1) == quantized.argmax(1)) > 0.95


def test_input_model_is_not_changed(float_cnn: ov.Model, quantized_cnn: ov.Model) -> None:
    assert "FakeQuantize" not in types(float_cnn)
    assert types(quantized_cnn).count("FakeQuantize") == 5
    assert quantized_cnn.get_rt_info(["nncf", "quantization", "preset"]) == "performance"


@pytest.mark.parametrize(
    ("estimator", "factor"),
    # the default mean-of-batches range clips a little, and clipping after the last layer with a
    # bias (the residual's) is beyond any bias's reach: a smaller share of the mean error goes away
    [(None, 0.75), (nncf.RangeEstimatorParametersSet.MINMAX, 0.6)],
)
def test_fast_bias_correction_reduces_mean_error(float_cnn: ov.Model, estimator, factor: float) -> None:
    params = nncf.AdvancedQuantizationParameters(activations_range_estimator_params=estimator)
    models = [
        nncf.quantize(
            float_cnn, nncf.Dataset(CALIBRATION), fast_bias_correction=bc, advanced_parameters=params
        )
        for bc in (True, False)
    ]
    reference = run(float_cnn, TEST)
    corrected_bias, plain_bias = (np.abs((run(m, TEST) - reference).mean(axis=0)).mean() for m in models)
    assert corrected_bias < factor * plain_bias
    assert not np.array_equal(_node(models[0], "fc/bias").value, _node(models[1], "fc/bias").value)


def test_mixed_preset_is_asymmetric(float_cnn: ov.Model) -> None:
    mixed = nncf.quantize(float_cnn, nncf.Dataset(CALIBRATION), preset=nncf.QuantizationPreset.MIXED)
    fq = _node(mixed, "image/fq_output_0")
    low, high = (float(_source(fq, i).value) for i in (1, 2))
    step = (high - low) / 255
    assert low < 0 < high and abs(low + high) > step  # not symmetric around zero
    assert abs(round(-low / step) * step + low) < 1e-5  # zero is exactly representable
    symmetric = _node(nncf.quantize(float_cnn, nncf.Dataset(CALIBRATION)), "image/fq_output_0")
    low, high = (float(_source(symmetric, i).value) for i in (1, 2))
    assert low == pytest.approx(-high * 128 / 127)


def test_percentile_range_is_narrower(float_cnn: ov.Model, quantized_cnn: ov.Model) -> None:
    params = nncf.AdvancedQuantizationParameters(
        activations_range_estimator_params=nncf.RangeEstimatorParametersSet.MEAN_QUANTILE
    )
    narrow = nncf.quantize(float_cnn, nncf.Dataset(CALIBRATION), advanced_parameters=params)
    width = [float(_source(_node(m, "image/fq_output_0"), 2).value) for m in (narrow, quantized_cnn)]
    assert width[0] < width[1]
    assert (
        np.linalg.norm(run(narrow, TEST) - run(float_cnn, TEST)) / np.linalg.norm(run(float_cnn, TEST)) < 0.05
    )


def test_quantize_outputs(float_cnn: ov.Model) -> None:
    params = nncf.AdvancedQuantizationParameters(quantize_outputs=True)
    model = nncf.quantize(float_cnn, nncf.Dataset(CALIBRATION), advanced_parameters=params)
    assert _source(model.get_results()[0], 0).get_type_name() == "FakeQuantize"


def test_ignored_scope_is_honoured(float_cnn: ov.Model) -> None:
    scope = nncf.IgnoredScope(names=["conv2"], types=["AvgPool"])
    model = nncf.quantize(float_cnn, nncf.Dataset(CALIBRATION), ignored_scope=scope)
    assert _source(_node(model, "conv2"), 1).get_type_name() == "Constant"
    assert _source(_node(model, "avgpool"), 0).get_type_name() == "Add"
    # the float conv2 reads MaxPool's output, so the residual Add's FakeQuantize cannot move above it
    assert _fq_names(model) == {
        "image/fq_output_0",
        "maxpool/fq_output_0",
        "conv2/relu/fq_output_0",
        "avgpool/fq_output_0",
    }
    assert _source(_node(model, "conv2"), 0).get_type_name() == "MaxPool"
    pattern = nncf.quantize(
        float_cnn, nncf.Dataset(CALIBRATION), ignored_scope=nncf.IgnoredScope(patterns=["conv.*"])
    )
    assert _fq_names(pattern) == {
        "maxpool/fq_output_0",
        "conv2/relu/fq_output_0",
        "residual/fq_output_0",
        "avgpool/fq_output_0",
    }


def test_transformer_quantizes_matmuls_and_smooths(monkeypatch: pytest.MonkeyPatch) -> None:
    channels = (3, 17)
    model = mlp(outlier_channels=channels)
    data, test = (
        token_batches(12, outlier_channels=channels),
        token_batches(6, seed=9, outlier_channels=channels),
    )
    x = np.concatenate(test)
    reference = run(model, test) - x  # the MLP branch, without the float residual

    def error(alpha: float) -> tuple[float, ov.Model]:
        params = nncf.AdvancedQuantizationParameters(smooth_quant_alpha=alpha)
        q = nncf.quantize(
            model, nncf.Dataset(data), model_type=nncf.ModelType.TRANSFORMER, advanced_parameters=params
        )
        return float(np.linalg.norm(run(q, test) - x - reference) / np.linalg.norm(reference)), q

    smoothed_error, smoothed = error(0.95)
    plain_error, plain = error(-1)
    # only the MatMul inputs are quantized; the residual Add and Gelu stay float
    assert types(plain).count("FakeQuantize") == 2
    assert {_source(_node(plain, n), 0).get_type_name() for n in ("fc1", "fc2")} == {"FakeQuantize"}
    assert _source(_node(plain, "residual"), 1).get_type_name() == "Parameter"
    smooth = [n for n in smoothed.get_ordered_ops() if n.get_friendly_name().endswith("nncf_smooth_quant")]
    assert len(smooth) == 2
    assert smoothed_error < 0.1 and plain_error > 3 * smoothed_error
    # MIXED is the transformer default: the signed input gets an asymmetric range
    assert smoothed.get_rt_info(["nncf", "quantization", "preset"]) == "mixed"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"calibration_dataset": nncf.Dataset([])}, "empty"),
        ({"calibration_dataset": [np.zeros((4, 3, 16, 16), np.float32)]}, "Dataset"),
        ({"subset_size": 0}, "subset_size"),
        ({"mode": nncf.QuantizationMode.FP8_E4M3}, "not supported"),
        ({"preset": "performance"}, "QuantizationPreset"),
        ({"ignored_scope": nncf.IgnoredScope(names=["no_such_layer"])}, "no_such_layer"),
    ],
)
def test_bad_arguments_raise(float_cnn: ov.Model, kwargs: dict, message: str) -> None:
    args = {"calibration_dataset": nncf.Dataset(CALIBRATION[:2]), **kwargs}
    dataset = args.pop("calibration_dataset")
    with pytest.raises(nncf.ValidationError, match=message):
        nncf.quantize(float_cnn, dataset, **args)


def test_exhausted_generator_raises(float_cnn: ov.Model) -> None:
    with pytest.raises(nncf.ValidationError, match="no items"):
        nncf.quantize(float_cnn, nncf.Dataset(iter([])))


def test_group_and_transposed_convolutions_with_dynamic_batch() -> None:
    rng = np.random.default_rng(0)
    ops = ov.opset13
    x = ops.parameter([-1, 8, 8, 8], np.float32, name="x")
    weights = ops.constant(rng.normal(0, 0.5, (4, 2, 2, 3, 3)).astype(np.float32))
    grouped = ops.group_convolution(x, weights, [1, 1], [1, 1], [1, 1], [1, 1], name="gconv")
    biased = ops.relu(ops.add(grouped, ops.constant(rng.normal(0, 0.1, (1, 8, 1, 1)).astype(np.float32))))
    deconv_weights = ops.constant(rng.normal(0, 0.3, (8, 4, 2, 2)).astype(np.float32))
    model = ov.Model([ops.convolution_backprop_data(biased, deconv_weights, [2, 2], name="deconv")], [x])
    data = [rng.normal(0, 1, (batch, 8, 8, 8)).astype(np.float32) for batch in (1, 2, 3, 2)]
    quantized = nncf.quantize(model, nncf.Dataset(data))
    # per output channel: [groups, out per group] for GroupConvolution, axis 1 for backprop data
    scales = {
        n.get_friendly_name(): _source(_source(n, 1), 1).value.shape
        for n in quantized.get_ordered_ops()
        if n.get_type_name() in ("GroupConvolution", "ConvolutionBackpropData")
    }
    assert scales == {"gconv": (4, 2, 1, 1, 1), "deconv": (1, 4, 1, 1)}
    test = [rng.normal(0, 1, (2, 8, 8, 8)).astype(np.float32)]
    reference = run(model, test)
    assert np.linalg.norm(run(quantized, test) - reference) / np.linalg.norm(reference) < 0.05


def test_decomposed_activation_functions_are_not_quantized() -> None:
    # x * sigmoid(x) and x * 0.5 * (1 + erf(x / sqrt 2)) are activations the CPU fuses into the conv;
    # a Multiply of two independent branches is an element-wise op and gets its inputs quantized
    rng = np.random.default_rng(0)
    ops = ov.opset13
    x = ops.parameter([1, 3, 8, 8], np.float32, name="x")
    weights = [rng.normal(0, 0.3, (4, 3, 3, 3)).astype(np.float32) for _ in range(3)]
    convs = [ops.convolution(x, ops.constant(w), [1, 1], [1, 1], [1, 1], [1, 1]) for w in weights]
    swish = ops.multiply(convs[0], ops.sigmoid(convs[0]), name="swish")
    erf = ops.erf(ops.divide(convs[1], ops.constant(np.float32(np.sqrt(2)))))
    gelu = ops.multiply(convs[1], ops.add(erf, ops.constant(np.float32(1))), name="gelu")
    product = ops.multiply(swish, gelu, name="product")
    head = ops.convolution(
        ops.add(product, convs[2]),
        ops.constant(weights[0][:, :1].repeat(4, 1)),
        [1, 1],
        [0, 0],
        [0, 0],
        [1, 1],
    )
    model = ov.Model([head], [x])
    quantized = nncf.quantize(model, nncf.Dataset([rng.normal(size=(1, 3, 8, 8)).astype(np.float32)]))
    fed_by_fq = {
        n.get_friendly_name()
        for n in quantized.get_ordered_ops()
        if any(v.get_node().get_type_name() == "FakeQuantize" for v in n.input_values())
    }
    assert "swish" not in fed_by_fq and "gelu" not in fed_by_fq
    assert "product" in fed_by_fq
