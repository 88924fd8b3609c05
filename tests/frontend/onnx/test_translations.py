"""Translations that rebuild ONNX semantics OpenVINO's ops lack (wrap padding, column-major argmax,
empty-set max/min, ONNX's bicubic border sampling, float8e8m0 rounding), checked against
onnx.reference."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto
from onnx.reference import ReferenceEvaluator

from tests.frontend.onnx.helpers import make_model, node, run_vinopy
from tests.utils import rand


def _check(model, feeds, rtol: float = 1e-5, atol: float = 1e-5) -> list[np.ndarray]:
    expected = ReferenceEvaluator(model).run(None, feeds)
    actual = run_vinopy(model, feeds)
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype and a.shape == e.shape, f"{a.dtype}{a.shape} != {e.dtype}{e.shape}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)
    return actual


@pytest.mark.parametrize("pads", [[0, 1, 2, 1, 2, 3], [0, 3, 4, 0, 0, 0], [2, 0, 0, 2, 3, 4]])
@pytest.mark.parametrize("pads_as_input", [False, True])
def test_pad_wrap(pads: list[int], pads_as_input: bool) -> None:
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    feeds, inits = {"x": x}, {}
    (feeds if pads_as_input else inits)["p"] = np.array(pads, np.int64)
    model = make_model(
        [node("Pad", ["x", "p"], ["y"], mode="wrap")], feeds, ["y"], opset=19, initializers=inits
    )
    _check(model, feeds)


def test_max_pool_column_major_indices() -> None:
    x = rand([2, 3, 5, 6])
    nodes = [
        node(
            "MaxPool",
            ["x"],
            ["y", "i"],
            kernel_shape=[2, 3],
            strides=[2, 2],
            pads=[1, 0, 0, 1],
            storage_order=1,
        )
    ]
    _check(make_model(nodes, {"x": x}, ["y", "i"], opset=12), {"x": x})


@pytest.mark.parametrize("op", ["ReduceMax", "ReduceMin"])
@pytest.mark.parametrize("axes_as_input", [False, True])
def test_max_min_of_an_empty_set_are_infinite(op: str, axes_as_input: bool) -> None:
    x, axes = np.zeros((2, 0, 4), np.float32), np.array([1], np.int64)
    feeds, inits = {"x": x}, {}
    (feeds if axes_as_input else inits)["axes"] = axes
    model = make_model([node(op, ["x", "axes"], ["y"])], feeds, ["y"], opset=18, initializers=inits)
    (y,) = _check(model, feeds)
    assert np.isinf(y).all() and y.shape == (2, 1, 4)
    # with a dynamic reduced axis the check stays in the graph and leaves non-empty results alone
    model = make_model([node(op, ["x", "axes"], ["y"])], feeds, ["y"], opset=18, initializers=inits)
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "n"
    for x in (rand([2, 3, 4]), np.zeros((2, 0, 4), np.float32)):
        _check(model, {**feeds, "x": x})


@pytest.mark.parametrize("mode", ["linear", "cubic", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [0, 1])
def test_grid_sample(mode: str, padding_mode: str, align_corners: int) -> None:
    feeds = {"x": rand([2, 3, 5, 6]), "g": rand([2, 4, 7, 2], low=-1.6, high=1.6)}
    attrs = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
    model = make_model([node("GridSample", ["x", "g"], ["y"], **attrs)], feeds, ["y"], opset=20)
    _check(model, feeds)


@pytest.mark.parametrize(
    ("strides", "dilations", "pads"), [([1, 1], [1, 1], [0, 0, 0, 0]), ([2, 1], [1, 2], [1, 0, 2, 1])]
)
def test_col2im(strides: list[int], dilations: list[int], pads: list[int]) -> None:
    size, kernel = np.array([6, 7], np.int64), np.array([3, 2], np.int64)
    blocks = 1
    for d in range(2):
        blocks *= (size[d] + pads[d] + pads[d + 2] - dilations[d] * (kernel[d] - 1) - 1) // strides[d] + 1
    x = rand([2, 3 * 6, int(blocks)])
    attrs = {"strides": strides, "dilations": dilations, "pads": pads}
    nodes = [node("Col2Im", ["x", "size", "kernel"], ["y"], **attrs)]
    model = make_model(nodes, {"x": x}, ["y"], initializers={"size": size, "kernel": kernel})
    _check(model, {"x": x})


@pytest.mark.parametrize("count_include_pad", [0, 1])
@pytest.mark.parametrize("ceil_mode", [0, 1])
def test_average_pool_with_dilations(count_include_pad: int, ceil_mode: int) -> None:
    x = rand([1, 2, 9, 8])
    attrs = {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 0, 1, 1], "dilations": [1, 2]}
    nodes = [
        node("AveragePool", ["x"], ["y"], count_include_pad=count_include_pad, ceil_mode=ceil_mode, **attrs)
    ]
    _check(make_model(nodes, {"x": x}, ["y"], opset=19), {"x": x})


@pytest.mark.parametrize("with_mask_and_bias", [False, True])
def test_deform_conv(with_mask_and_bias: bool) -> None:
    feeds = {"x": rand([1, 4, 6, 6]), "w": rand([6, 2, 3, 3]), "offset": rand([1, 2 * 2 * 9, 5, 5])}
    inputs = ["x", "w", "offset"]
    if with_mask_and_bias:
        feeds.update(b=rand([6]), mask=rand([1, 2 * 9, 5, 5], low=0, high=1))
        inputs += ["b", "mask"]
    attrs = {"group": 2, "offset_group": 2, "pads": [1, 0, 0, 1], "strides": [1, 1]}
    model = make_model([node("DeformConv", inputs, ["y"], **attrs)], feeds, ["y"], opset=19)
    _check(model, feeds, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("round_mode", ["up", "nearest", "down"])
@pytest.mark.parametrize("saturate", [1, 0])
def test_cast_to_float8e8m0_rounds_like_onnx(round_mode: str, saturate: int) -> None:
    x = np.array(
        [
            0,
            1e-40,
            2**-127,
            2**-126 * 1.5,
            0.124,
            0.3,
            0.75,
            1,
            1.1,
            1.5,
            3,
            2**127 * 1.2,
            -2.5,
            np.inf,
            np.nan,
        ],
        np.float32,
    )
    attrs = {"to": TensorProto.FLOAT8E8M0, "saturate": saturate, "round_mode": round_mode}
    model = make_model([node("Cast", ["x"], ["y"], **attrs)], {"x": x}, ["y"], opset=25)
    expected = ReferenceEvaluator(model).run(None, {"x": x})[0]
    np.testing.assert_array_equal(run_vinopy(model, {"x": x})[0].view(np.uint8), expected.view(np.uint8))


@pytest.mark.parametrize("transform", ["half_pixel", "output_half_pixel"])
def test_roi_align_coordinate_modes(transform: str) -> None:
    feeds = {
        "x": rand([2, 3, 10, 10]),
        "rois": np.array([[0, 0, 9, 9], [0, 5, 4, 9], [2.3, 1.1, 7.6, 8.9], [1, 1, 1.4, 1.2]], np.float32),
        "batch": np.array([0, 1, 1, 0], np.int64),
    }
    attrs = {"output_height": 4, "output_width": 5, "sampling_ratio": 2, "spatial_scale": 0.8}
    nodes = [
        node("RoiAlign", ["x", "rois", "batch"], ["y"], coordinate_transformation_mode=transform, **attrs)
    ]
    _check(make_model(nodes, feeds, ["y"], opset=16), feeds)


@pytest.mark.parametrize("with_window", [False, True])
def test_onnx_stft(with_window: bool) -> None:
    feeds = {"signal": rand([2, 64, 1]), "step": np.array(6, np.int64)}
    inputs = ["signal", "step", "window" if with_window else "", "length"]
    inits = {"length": np.array(16, np.int64)}
    if with_window:
        feeds["window"] = rand([16], low=0, high=1)
    model = make_model([node("STFT", inputs, ["y"])], feeds, ["y"], opset=17, initializers=inits)
    expected = ReferenceEvaluator(model).run(None, feeds)[0]
    np.testing.assert_allclose(run_vinopy(model, feeds)[0], expected, rtol=1e-4, atol=1e-4)


def test_optional_tensor_inputs_are_tensors() -> None:
    from onnx import helper

    tensor = helper.make_tensor_type_proto(TensorProto.FLOAT, [3])
    graph = helper.make_graph(
        [
            helper.make_node("OptionalHasElement", ["x"], ["has"]),
            helper.make_node("OptionalGetElement", ["x"], ["value"]),
            helper.make_node("OptionalHasElement", [], ["has_none"]),
            helper.make_node("Optional", ["value"], ["again"]),
            helper.make_node("OptionalGetElement", ["again"], ["y"]),
        ],
        "g",
        [helper.make_value_info("x", helper.make_optional_type_proto(tensor))],
        [
            helper.make_tensor_value_info("has", TensorProto.BOOL, []),
            helper.make_tensor_value_info("has_none", TensorProto.BOOL, []),
            helper.make_tensor_value_info("y", TensorProto.FLOAT, [3]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    x = rand([3])
    has, has_none, y = run_vinopy(model, {"x": x})
    assert has.dtype == np.bool_ and has.shape == () and has and not has_none
    np.testing.assert_array_equal(y, x)


def test_empty_optional_is_a_clear_error() -> None:
    from onnx import helper

    from vinopy.frontend.onnx import OnnxConversionError

    tensor = helper.make_tensor_type_proto(TensorProto.FLOAT, [3])
    graph = helper.make_graph(
        [
            helper.make_node("Optional", [], ["o"], type=tensor),
            helper.make_node("OptionalHasElement", ["o"], ["y"]),
        ],
        "g",
        [],
        [helper.make_tensor_value_info("y", TensorProto.BOOL, [])],
    )
    with pytest.raises(OnnxConversionError, match="empty optional"):
        run_vinopy(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), {})


@pytest.mark.parametrize("mode", ["linear", "circular"])
@pytest.mark.parametrize(
    ("cache_shape", "update_shape", "indices", "axis"),
    [
        ((2, 3, 6, 4), (2, 3, 2, 4), [0, 3], -2),
        ((3, 5, 2), (3, 3, 2), [2, 0, 1], 1),
        ((2, 4, 3), (2, 2, 3), None, -2),
    ],
)
def test_tensor_scatter(cache_shape, update_shape, indices, axis, mode) -> None:
    feeds = {"cache": rand(cache_shape), "update": rand(update_shape)}
    inputs = ["cache", "update"]
    if indices is not None:
        if mode == "circular":
            indices = [i + cache_shape[axis] - 1 for i in indices]  # wrap around the end
        feeds["write"] = np.array(indices, np.int64)
        inputs.append("write")
    model = make_model([node("TensorScatter", inputs, ["y"], mode=mode, axis=axis)], feeds, ["y"], opset=24)
    _check(model, feeds)


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (4, 3, 3), (2, 2, 2, 2)])
def test_det(shape: tuple[int, ...]) -> None:
    x = rand(shape)
    _check(make_model([node("Det", ["x"], ["y"])], {"x": x}, ["y"]), {"x": x}, rtol=1e-4)


def test_det_of_large_matrices_is_a_clear_error() -> None:
    from vinopy.frontend.onnx import OnnxConversionError

    x = rand([4, 4])
    with pytest.raises(OnnxConversionError, match="up to 3x3"):
        run_vinopy(make_model([node("Det", ["x"], ["y"])], {"x": x}, ["y"]), {"x": x})


def test_integer_ops_with_per_channel_zero_points() -> None:
    x, w = rand([1, 2, 5, 5], np.uint8, 0, 20), rand([3, 2, 2, 2], np.uint8, 0, 20)
    inits = {"xz": np.uint8(3), "wz": np.array([0, 2, 5], np.uint8)}
    nodes = [node("ConvInteger", ["x", "w", "xz", "wz"], ["y"], pads=[1, 1, 1, 1])]
    _check(make_model(nodes, {"x": x, "w": w}, ["y"], initializers=inits), {"x": x, "w": w})
    # onnx.reference cannot broadcast a per-row zero point of a: numpy is the oracle
    a, b = rand([2, 4, 3], np.uint8, 0, 20), rand([3, 5], np.uint8, 0, 20)
    az, bz = np.array([1, 2, 3, 4], np.uint8), np.arange(5, dtype=np.uint8)
    nodes = [node("MatMulInteger", ["a", "b", "az", "bz"], ["y"])]
    model = make_model(nodes, {"a": a, "b": b}, ["y"], initializers={"az": az, "bz": bz})
    (y,) = run_vinopy(model, {"a": a, "b": b})
    expected = (a.astype(np.int32) - az[:, None]) @ (b.astype(np.int32) - bz)
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("directions", [[0], [1]])
def test_scan8_runs_the_body_per_batch_item(directions: list[int]) -> None:
    from onnx import helper

    from tests.frontend.onnx.helpers import compare

    body = helper.make_graph(
        [
            helper.make_node("Add", ["sum_in", "next"], ["sum_out"]),
            helper.make_node("Mul", ["sum_out", "next"], ["scan_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("sum_in", TensorProto.FLOAT, [2]),
            helper.make_tensor_value_info("next", TensorProto.FLOAT, [2]),
        ],
        [
            helper.make_tensor_value_info("sum_out", TensorProto.FLOAT, [2]),
            helper.make_tensor_value_info("scan_out", TensorProto.FLOAT, [2]),
        ],
    )
    feeds = {"init": rand([3, 2]), "x": rand([3, 4, 2])}
    scan = helper.make_node(
        "Scan", ["", "init", "x"], ["y", "z"], body=body, num_scan_inputs=1, directions=directions
    )
    compare(make_model([scan], feeds, ["y", "z"], opset=8), feeds)


@pytest.mark.parametrize(
    ("direction", "clip", "with_lengths"),
    [("forward", 0.0, False), ("forward", 0.0, True), ("reverse", 0.0, True), ("bidirectional", 0.7, True)],
)
def test_lstm_with_peepholes(direction: str, clip: float, with_lengths: bool) -> None:
    from tests.frontend.onnx.helpers import compare

    seq, batch, size, hidden = 5, 3, 4, 3
    dirs = 2 if direction == "bidirectional" else 1
    feeds = {
        "x": rand([seq, batch, size]),
        "w": rand([dirs, 4 * hidden, size], low=-0.5, high=0.5),
        "r": rand([dirs, 4 * hidden, hidden], low=-0.5, high=0.5),
        "b": rand([dirs, 8 * hidden], low=-0.5, high=0.5),
        "lens": np.array([5, 2, 4] if with_lengths else [seq] * batch, np.int32),
        "h0": rand([dirs, batch, hidden]),
        "c0": rand([dirs, batch, hidden]),
        "p": rand([dirs, 3 * hidden]),
    }
    attrs = {"hidden_size": hidden, "direction": direction}
    if clip:
        attrs["clip"] = clip
    lstm = node("LSTM", list(feeds), ["y", "y_h", "y_c"], **attrs)
    compare(make_model([lstm], feeds, ["y", "y_h", "y_c"], opset=14), feeds)
