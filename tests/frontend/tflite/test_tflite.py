"""TFLite models built in code, converted and run on TEMPLATE, checked against numpy references."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov

pytest.importorskip("tflite")

from tests.frontend.tflite.tflite_builder import TfliteBuilder
from vinopy.frontend.tflite import UnsupportedOpsError, read_tflite

RNG = np.random.default_rng(3)


def _rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _run(model: ov.Model, *inputs: np.ndarray) -> list[np.ndarray]:
    result = ov.Core().compile_model(model, "TEMPLATE")(list(inputs))
    return [result[i] for i in range(len(model.outputs))]


# --- numpy references (NHWC) ------------------------------------------------------------------------
def _patches(x: np.ndarray, k: int, stride: int, same: bool, fill: float = 0.0) -> np.ndarray:
    """[N, OH, OW, k, k, C] windows of an NHWC tensor, TFLite SAME padding (extra at the end)."""
    if same:
        pads = []
        for size in x.shape[1:3]:
            total = max((-(-size // stride) - 1) * stride + k - size, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=fill)
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))  # N, OH, OW, C, k, k
    return windows[:, ::stride, ::stride].transpose(0, 1, 2, 4, 5, 3)


def conv_ref(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, same: bool) -> np.ndarray:
    return np.einsum("nhwijc,oijc->nhwo", _patches(x, w.shape[1], stride, same), w) + b


def depthwise_ref(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, same: bool) -> np.ndarray:
    return np.einsum("nhwijc,ijc->nhwc", _patches(x, w.shape[1], stride, same), w[0]) + b


def softmax_ref(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def quantize_ref(x: np.ndarray, scale: float, zero_point: int, dtype: type = np.int8) -> np.ndarray:
    info = np.iinfo(dtype)
    q = np.sign(x / scale) * np.floor(np.abs(x / scale) + 0.5) + zero_point
    return np.clip(q, info.min, info.max).astype(dtype)


# --- float models -----------------------------------------------------------------------------------
def _image_classifier() -> tuple[bytes, dict[str, np.ndarray]]:
    b = TfliteBuilder()
    w = {
        "conv": _rand(4, 3, 3, 3),
        "conv_b": _rand(4),
        "dw": _rand(1, 3, 3, 4),
        "dw_b": _rand(4),
        "fc": _rand(5, 4),
        "fc_b": _rand(5),
    }
    x = b.tensor("image", [1, 8, 8, 3], signature=[-1, 8, 8, 3])
    c = b.tensor("conv", [1, 8, 8, 4])
    b.op(
        "CONV_2D",
        [x, b.const("conv_w", w["conv"]), b.const("conv_b", w["conv_b"])],
        [c],
        "Conv2DOptions",
        Padding=0,
        StrideW=1,
        StrideH=1,
        DilationWFactor=1,
        DilationHFactor=1,
        FusedActivationFunction=1,
    )
    d = b.tensor("dw", [1, 4, 4, 4])
    b.op(
        "DEPTHWISE_CONV_2D",
        [c, b.const("dw_w", w["dw"]), b.const("dw_b", w["dw_b"])],
        [d],
        "DepthwiseConv2DOptions",
        Padding=0,
        StrideW=2,
        StrideH=2,
        DepthMultiplier=1,
        DilationWFactor=1,
        DilationHFactor=1,
        FusedActivationFunction=3,
    )
    p = b.tensor("pool", [1, 2, 2, 4])
    b.op(
        "MAX_POOL_2D",
        [d],
        [p],
        "Pool2DOptions",
        Padding=1,
        StrideW=2,
        StrideH=2,
        FilterWidth=2,
        FilterHeight=2,
    )
    m = b.tensor("mean", [1, 4])
    b.op("MEAN", [p, b.const("axes", [1, 2], np.int32)], [m], "ReducerOptions", KeepDims=False)
    f = b.tensor("logits", [1, 5])
    b.op(
        "FULLY_CONNECTED",
        [m, b.const("fc_w", w["fc"]), b.const("fc_b", w["fc_b"])],
        [f],
        "FullyConnectedOptions",
    )
    s = b.tensor("probs", [1, 5])
    b.op("SOFTMAX", [f], [s], "SoftmaxOptions", Beta=1.0)
    return b.build([x], [s]), w


def test_image_classifier_matches_numpy() -> None:
    data, w = _image_classifier()
    model = read_tflite(data)
    assert model.input(0).get_partial_shape() == ov.PartialShape([-1, 8, 8, 3])
    x = _rand(2, 8, 8, 3)
    y = np.maximum(conv_ref(x, w["conv"], w["conv_b"], 1, True), 0)
    y = np.clip(depthwise_ref(y, w["dw"], w["dw_b"], 2, True), 0, 6)
    y = y.reshape(2, 2, 2, 2, 2, 4).max(axis=(2, 4)).mean(axis=(1, 2))
    expected = softmax_ref(y @ w["fc"].T + w["fc_b"])
    np.testing.assert_allclose(_run(model, x)[0], expected, rtol=1e-4, atol=1e-6)


def test_elementwise_and_shape_ops() -> None:
    b = TfliteBuilder()
    x = b.tensor("x", [1, 4, 4, 2])
    k = _rand(1, 1, 1, 2)
    a = b.tensor("a", [1, 4, 4, 2])
    b.op("ADD", [x, b.const("k", k)], [a], "AddOptions", FusedActivationFunction=0)
    m = b.tensor("m", [1, 4, 4, 2])
    b.op("MUL", [a, x], [m], "MulOptions", FusedActivationFunction=1)
    s = b.tensor("s", [1, 4, 4, 2])
    b.op("SUB", [m, x], [s], "SubOptions")
    act = {}
    for code in ("LOGISTIC", "TANH", "HARD_SWISH", "RELU6", "RELU"):
        act[code] = b.tensor(code.lower(), [1, 4, 4, 2])
        b.op(code, [s], [act[code]])
    cat = b.tensor("cat", [1, 4, 4, 10])
    b.op("CONCATENATION", list(act.values()), [cat], "ConcatenationOptions", Axis=3)
    avg = b.tensor("avg", [1, 2, 2, 10])
    b.op(
        "AVERAGE_POOL_2D",
        [cat],
        [avg],
        "Pool2DOptions",
        Padding=0,
        StrideW=2,
        StrideH=2,
        FilterWidth=3,
        FilterHeight=3,
    )
    pad = b.tensor("pad", [1, 3, 2, 10])
    b.op("PAD", [avg, b.const("pads", [[0, 0], [1, 0], [0, 0], [0, 0]], np.int32)], [pad])
    tr = b.tensor("tr", [1, 10, 3, 2])
    b.op("TRANSPOSE", [pad, b.const("perm", [0, 3, 1, 2], np.int32)], [tr])
    sl = b.tensor("sl", [10, 2, 2])
    b.op(
        "STRIDED_SLICE",
        [
            tr,
            *(
                b.const(n, v, np.int32)
                for n, v in (("begin", [0, 0, 1, 0]), ("end", [1, 10, 3, 2]), ("strides", [1, 1, 1, 1]))
            ),
        ],
        [sl],
        "StridedSliceOptions",
        ShrinkAxisMask=1,
    )
    r = b.tensor("r", [1, 40])
    b.op("RESHAPE", [sl, b.const("shape", [1, 40], np.int32)], [r])
    q = b.tensor("q", [40])
    b.op("SQUEEZE", [r], [q], "SqueezeOptions", SqueezeDims=[0])
    model = read_tflite(b.build([x], [q]))

    xv = _rand(1, 4, 4, 2)
    sv = np.maximum((xv + k) * xv, 0) - xv
    hswish = sv * np.clip(sv + 3, 0, 6) / 6
    catv = np.concatenate(
        [1 / (1 + np.exp(-sv)), np.tanh(sv), hswish, np.clip(sv, 0, 6), np.maximum(sv, 0)], -1
    )
    ones = np.ones((1, 4, 4, 1), np.float32)
    avgv = _patches(catv, 3, 2, True).sum(axis=(3, 4)) / _patches(ones, 3, 2, True).sum(axis=(3, 4))
    padv = np.pad(avgv, [(0, 0), (1, 0), (0, 0), (0, 0)])
    expected = padv.transpose(0, 3, 1, 2)[0, :, 1:3, :].reshape(40)
    np.testing.assert_allclose(_run(model, xv)[0], expected, rtol=1e-5, atol=1e-6)


def test_div_max_min_padv2() -> None:
    b = TfliteBuilder()
    x, y = b.tensor("x", [2, 3]), b.tensor("y", [2, 3])
    out = {code: b.tensor(code, [2, 3]) for code in ("DIV", "MAXIMUM", "MINIMUM")}
    for code, t in out.items():
        b.op(code, [x, y], [t])
    padded = b.tensor("padded", [2, 5])
    pads = b.const("pads", [[0, 0], [2, 0]], np.int32)
    b.op("PADV2", [out["DIV"], pads, b.const("fill", np.float32(-7))], [padded])
    model = read_tflite(b.build([x, y], [padded, out["MAXIMUM"], out["MINIMUM"]]))
    xv, yv = _rand(2, 3), _rand(2, 3) + 3
    got = _run(model, xv, yv)
    np.testing.assert_allclose(got[0], np.pad(xv / yv, [(0, 0), (2, 0)], constant_values=-7), rtol=1e-6)
    np.testing.assert_allclose(got[1], np.maximum(xv, yv))
    np.testing.assert_allclose(got[2], np.minimum(xv, yv))


@pytest.mark.parametrize("code", ["RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"])
def test_resize_doubles_size(code: str) -> None:
    b = TfliteBuilder()
    x = b.tensor("x", [1, 3, 3, 2])
    y = b.tensor("y", [1, 6, 6, 2])
    options = "ResizeNearestNeighborOptions" if code.startswith("RESIZE_N") else "ResizeBilinearOptions"
    b.op(
        code, [x, b.const("size", [6, 6], np.int32)], [y], options, AlignCorners=False, HalfPixelCenters=False
    )
    xv = _rand(1, 3, 3, 2)
    if code == "RESIZE_NEAREST_NEIGHBOR":
        expected = xv.repeat(2, axis=1).repeat(2, axis=2)
    else:  # asymmetric coordinates: source = out / 2, clamped at the last pixel
        src = np.arange(6) / 2
        lo, frac = np.floor(src).astype(int), (src - np.floor(src)).astype(np.float32)
        hi = np.minimum(lo + 1, 2)
        rows = xv[:, lo] * (1 - frac)[None, :, None, None] + xv[:, hi] * frac[None, :, None, None]
        expected = (
            rows[:, :, lo] * (1 - frac)[None, None, :, None] + rows[:, :, hi] * frac[None, None, :, None]
        )
    np.testing.assert_allclose(_run(read_tflite(b.build([x], [y])), xv)[0], expected, rtol=1e-5, atol=1e-6)


# --- quantized models -------------------------------------------------------------------------------
def test_int8_fully_connected_with_per_channel_weights() -> None:
    in_scale, in_zp, out_scale, out_zp = 0.05, -3, 0.1, 2
    w_q = RNG.integers(-127, 128, (3, 4)).astype(np.int8)
    w_scale = np.array([0.01, 0.02, 0.015], np.float32)
    bias_q = RNG.integers(-200, 200, 3).astype(np.int32)
    b = TfliteBuilder()
    x = b.tensor("x", [1, 4], np.int8, scale=in_scale, zero_point=in_zp)
    w = b.const("w", w_q, np.int8, scale=w_scale, zero_point=0, axis=0)
    bias = b.const("bias", bias_q, np.int32, scale=w_scale * in_scale, zero_point=0)
    y = b.tensor("y", [1, 3], np.int8, scale=out_scale, zero_point=out_zp)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], "FullyConnectedOptions", FusedActivationFunction=1)
    model = read_tflite(b.build([x], [y]))
    assert model.input(0).get_element_type() == ov.Type.i8
    assert model.output(0).get_element_type() == ov.Type.i8

    xq = RNG.integers(-128, 128, (1, 4)).astype(np.int8)
    xf = (xq.astype(np.float32) - in_zp) * in_scale
    yf = np.maximum(xf @ (w_q * w_scale[:, None]).T + bias_q * w_scale * in_scale, 0)
    got = _run(model, xq)[0]
    np.testing.assert_allclose(got.astype(int), quantize_ref(yf, out_scale, out_zp).astype(int), atol=1)


ACT_SCALE, ACT_ZP = 0.02, 5
CONV_W_Q = np.random.default_rng(0).integers(-127, 128, (2, 3, 3, 2)).astype(np.int8)
CONV_W_SCALE = np.array([0.01, 0.03], np.float32)


def _int8_conv() -> bytes:
    """float -> QUANTIZE -> int8 CONV_2D with per-channel weights -> DEQUANTIZE -> float"""
    act_scale, act_zp, w_q, w_scale = ACT_SCALE, ACT_ZP, CONV_W_Q, CONV_W_SCALE
    b = TfliteBuilder()
    x = b.tensor("x", [1, 5, 5, 2])
    xq = b.tensor("xq", [1, 5, 5, 2], np.int8, scale=act_scale, zero_point=act_zp)
    b.op("QUANTIZE", [x], [xq])
    c = b.tensor("c", [1, 3, 3, 2], np.int8, scale=0.05, zero_point=-10)
    b.op(
        "CONV_2D",
        [xq, b.const("w", w_q, np.int8, scale=w_scale, zero_point=0, axis=0)],
        [c],
        "Conv2DOptions",
        Padding=1,
        StrideW=1,
        StrideH=1,
        DilationWFactor=1,
        DilationHFactor=1,
    )
    y = b.tensor("y", [1, 3, 3, 2])
    b.op("DEQUANTIZE", [c], [y])
    return b.build([x], [y])


def test_int8_conv_between_quantize_and_dequantize() -> None:
    act_scale, act_zp, w_q, w_scale = ACT_SCALE, ACT_ZP, CONV_W_Q, CONV_W_SCALE
    model = read_tflite(_int8_conv())
    xv = _rand(1, 5, 5, 2)
    xd = (quantize_ref(xv, act_scale, act_zp).astype(np.float32) - act_zp) * act_scale
    yf = conv_ref(xd, w_q * w_scale[:, None, None, None], np.zeros(2, np.float32), 1, False)
    expected = (quantize_ref(yf, 0.05, -10).astype(np.float32) + 10) * 0.05
    np.testing.assert_allclose(_run(model, xv)[0], expected, atol=0.05 + 1e-6)


def test_float16_weights_through_dequantize() -> None:
    w = _rand(3, 4)
    b = TfliteBuilder()
    x = b.tensor("x", [2, 4])
    w16 = b.const("w16", w, np.float16)
    w32 = b.tensor("w32", [3, 4])
    b.op("DEQUANTIZE", [w16], [w32])
    y = b.tensor("y", [2, 3])
    b.op("FULLY_CONNECTED", [x, w32], [y], "FullyConnectedOptions")
    xv = _rand(2, 4)
    expected = xv @ w.astype(np.float16).astype(np.float32).T
    np.testing.assert_allclose(_run(read_tflite(b.build([x], [y])), xv)[0], expected, rtol=1e-5)


# --- errors and dispatch ----------------------------------------------------------------------------
def test_unsupported_ops_are_listed_together() -> None:
    b = TfliteBuilder()
    x = b.tensor("x", [4])
    y, z = b.tensor("y", [4]), b.tensor("z", [4])
    b.op("CUMSUM", [x, b.const("axis", 0, np.int32)], [y])
    b.op("FLOOR", [y], [z])
    with pytest.raises(UnsupportedOpsError, match="2 unsupported operator.*CUMSUM, FLOOR"):
        read_tflite(b.build([x], [z]))


def test_not_a_tflite_file() -> None:
    with pytest.raises(ValueError, match="TFL3"):
        read_tflite(b"\0" * 16)


def test_read_model_and_convert_model_dispatch(tmp_path) -> None:
    data, _ = _image_classifier()
    path = tmp_path / "classifier.tflite"
    path.write_bytes(data)
    x = _rand(1, 8, 8, 3)
    expected = _run(read_tflite(data), x)[0]
    for source in (path, str(path), data):
        np.testing.assert_allclose(_run(ov.Core().read_model(source), x)[0], expected)
    model = ov.convert_model(path, input=[1, 8, 8, 3])
    assert model.input(0).get_partial_shape() == ov.PartialShape([1, 8, 8, 3])
    np.testing.assert_allclose(_run(model, x)[0], expected)


# --- real OpenVINO as a second oracle ---------------------------------------------------------------
def test_matches_openvinos_own_tflite_frontend_and_reads_our_ir(tmp_path) -> None:
    openvino = pytest.importorskip("openvino")
    from vinopy.tools import ovc

    for data, x in ((_int8_conv(), _rand(1, 5, 5, 2)), (_image_classifier()[0], _rand(3, 8, 8, 3))):
        path = tmp_path / "model.tflite"
        path.write_bytes(data)
        ours = _run(read_tflite(data), x)[0]
        # OpenVINO's translation, run by our TEMPLATE plugin: the CPU plugin runs FakeQuantize'd
        # convolutions as int8 kernels whose int16 pair sums saturate, so it is no oracle for int8.
        openvino.save_model(openvino.Core().read_model(str(path)), str(tmp_path / "ov.xml"), False)
        theirs = _run(ov.Core().read_model(tmp_path / "ov.xml"), x)[0]
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    assert ovc.main([str(path), "--output_model", str(tmp_path / "ir.xml"), "--compress_to_fp16=False"]) == 0
    from_ir = openvino.Core().compile_model(str(tmp_path / "ir.xml"), "CPU")([x])[0]
    np.testing.assert_allclose(from_ir, ours, rtol=1e-4, atol=1e-5)
