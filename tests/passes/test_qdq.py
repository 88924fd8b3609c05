"""FuseQuantizeDequantize: ONNX QuantizeLinear -> DequantizeLinear pairs read as one FakeQuantize,
checked on the graph and against ONNX Runtime running the pair itself."""

from __future__ import annotations

import textwrap

import numpy as np
import onnx
import pytest
from onnx import helper

from tests.frontend.onnx.helpers import make_model, run_ort, run_vinopy
from vinopy.frontend.onnx import read_onnx
from vinopy.graph.model import Model
from vinopy.passes import dump

# away from the rounding ties of x / scale (FakeQuantize breaks them on its own grid)
_X = (np.random.default_rng(0).uniform(-3.0, 3.0, (2, 3, 4, 4)) // 0.1 * 0.1 + 0.0311).astype(np.float32)


def _qdq_model(zero_point: np.ndarray | None, scale: np.ndarray, axis: int = 1) -> onnx.ModelProto:
    """x -> QuantizeLinear -> DequantizeLinear -> y, with constant scale and zero point."""
    params = {"scale": scale} if zero_point is None else {"scale": scale, "zp": zero_point}
    names = ["x", *params]
    nodes = [
        helper.make_node("QuantizeLinear", names, ["q"], name="quantize", axis=axis),
        helper.make_node("DequantizeLinear", ["q", *names[1:]], ["y"], name="dequantize", axis=axis),
    ]
    return make_model(nodes, {"x": _X}, ["y"], opset=13, initializers=params)


def _types(model: Model) -> set[str]:
    return {n.get_type_name() for n in model.get_ordered_ops()}


def _fake_quantize_ranges(model: Model) -> list[float]:
    (fq,) = [n for n in model.get_ordered_ops() if n.get_type_name() == "FakeQuantize"]
    assert fq.levels == 256
    return [float(fq.input_value(i).get_node().get_data()) for i in range(1, 5)]


@pytest.mark.parametrize(
    ("zero_point", "qmin", "qmax"),
    [
        (np.uint8(128), 0, 255),
        (np.int8(-5), -128, 127),
        (np.int8(0), -128, 127),  # the frontend drops a zero zero point
        (None, 0, 255),  # no zero point: u8 with zero point 0
    ],
)
def test_qdq_pair_becomes_one_fake_quantize(zero_point: np.generic | None, qmin: int, qmax: int) -> None:
    scale = np.float32(0.025)
    proto = _qdq_model(None if zero_point is None else np.array(zero_point), np.array(scale))
    model = read_onnx(proto)
    assert _types(model) == {"Parameter", "Constant", "FakeQuantize", "Result"}
    zp = 0 if zero_point is None else int(zero_point)
    low, high = (qmin - zp) * scale, (qmax - zp) * scale
    np.testing.assert_allclose(_fake_quantize_ranges(model), [low, high, low, high], rtol=1e-6)
    (got,) = run_vinopy(proto, {"x": _X})
    (want,) = run_ort(proto, {"x": _X})
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_fused_graph() -> None:
    proto = _qdq_model(np.array(np.uint8(10)), np.array(np.float32(0.5)))
    assert dump(read_onnx(proto)) == textwrap.dedent(
        """\
        x = Parameter() -> f32[2,3,4,4]
        dequantize/input_low = Constant() value=[-5.0] -> f32[]
        dequantize/input_high = Constant() value=[122.5] -> f32[]
        dequantize/output_low = Constant() value=[-5.0] -> f32[]
        dequantize/output_high = Constant() value=[122.5] -> f32[]
        dequantize = FakeQuantize(x, dequantize/input_low, dequantize/input_high, dequantize/output_low, \
dequantize/output_high) levels=256 -> f32[2,3,4,4]
        y = Result(dequantize) -> f32[2,3,4,4]"""
    )


def test_per_channel_activation_pair_is_left_alone() -> None:
    """A per-channel activation range is not what the CPU plugin's int8 path takes: the pair stays."""
    proto = _qdq_model(np.array([0, 3, 250], np.uint8), np.array([0.02, 0.03, 0.01], np.float32))
    model = read_onnx(proto)
    assert "FakeQuantize" not in _types(model) and "Round" in _types(model)
    (got,) = run_vinopy(proto, {"x": _X})
    (want,) = run_ort(proto, {"x": _X})
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_integers_read_elsewhere_keep_their_quantize_step() -> None:
    """When the quantized integers are an output too, they are still computed for it."""
    proto = _qdq_model(np.array(np.int8(7)), np.array(np.float32(0.03)))
    proto.graph.output.append(helper.make_tensor_value_info("q", onnx.TensorProto.INT8, _X.shape))
    model = read_onnx(proto)
    assert {"FakeQuantize", "Round", "Clamp"} <= _types(model)
    got = run_vinopy(proto, {"x": _X})
    want = run_ort(proto, {"x": _X})
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-6)


def _conv_with_integer_weights(zero_point: np.ndarray, group: int = 1) -> onnx.ModelProto:
    """x -> Conv with weights DequantizeLinear(i8 constant, per output channel scale and zero point)."""
    rng = np.random.default_rng(1)
    channels = zero_point.size
    init = {
        "w": rng.integers(-127, 128, (channels, 3 // group, 3, 3)).astype(np.int8),
        "w_scale": rng.uniform(0.001, 0.01, channels).astype(np.float32),
        "w_zp": zero_point,
    }
    nodes = [
        helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zp"], ["wf"], axis=0),
        helper.make_node("Conv", ["x", "wf"], ["y"], pads=[1, 1, 1, 1], group=group),
    ]
    return make_model(nodes, {"x": _X}, ["y"], opset=13, initializers=init)


def _check_against_ort(proto: onnx.ModelProto) -> None:
    (got,) = run_vinopy(proto, {"x": _X})
    (want,) = run_ort(proto, {"x": _X})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("nonzero", [False, True])
def test_weights_stay_integers_times_scales(nonzero: bool) -> None:
    """Symmetric weights (zero points all 0, as ORT writes them) dequantize without a Subtract:
    ``Constant(i8) -> Convert -> Multiply(scale)``, the form the CPU plugin runs as int8 weights."""
    proto = _conv_with_integer_weights(np.array([0, 2, 0, -1] if nonzero else [0] * 4, np.int8))
    model = read_onnx(proto)
    conv = next(n for n in model.get_ordered_ops() if n.get_type_name() == "Convolution")
    multiply = conv.input_value(1).get_node()
    assert multiply.get_type_name() == "Multiply"
    first = multiply.input_value(0).get_node()
    assert first.get_type_name() == ("Subtract" if nonzero else "Convert")
    if not nonzero:
        assert first.input_value(0).get_element_type().get_type_name() == "i8"
    _check_against_ort(proto)


def test_grouped_weights_are_reshaped_as_integers() -> None:
    """A grouped Conv's filters, split into groups by a Reshape, stay integers times scales: the
    Reshape moves onto the i8 constant, and the scales become one per group and output channel."""
    proto = _conv_with_integer_weights(np.zeros(3, np.int8), group=3)
    model = read_onnx(proto)
    conv = next(n for n in model.get_ordered_ops() if n.get_type_name() == "GroupConvolution")
    multiply = conv.input_value(1).get_node()
    convert, scale = (multiply.input_value(i).get_node() for i in range(2))
    assert (multiply.get_type_name(), convert.get_type_name()) == ("Multiply", "Convert")
    integers = convert.input_value(0).get_node()
    assert integers.get_type_name() == "Constant" and integers.get_data().shape == (3, 1, 1, 3, 3)
    assert integers.get_data().dtype == np.int8 and scale.get_data().shape == (3, 1, 1, 1, 1)
    _check_against_ort(proto)
