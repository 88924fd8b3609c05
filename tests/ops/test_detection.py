import numpy as np
import openvino as real_ov
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op

_RNG = np.random.default_rng(7)


def _boxes(batches, count, encoding="corner"):
    """Overlapping boxes; corner boxes have their diagonal in either order."""
    low = _RNG.uniform(0, 10, (batches, count, 2))
    size = _RNG.uniform(1, 5, (batches, count, 2))
    if encoding == "center":
        return np.concatenate([low + size / 2, size], axis=-1).astype(np.float32)
    boxes = np.concatenate([low, low + size], axis=-1)
    boxes[:, ::3] = boxes[:, ::3][..., [2, 3, 0, 1]]
    return boxes.astype(np.float32)


def _scores(batches, classes, count):
    return _RNG.uniform(0, 1, (batches, classes, count)).astype(np.float32)


def _nms(max_boxes, iou, score, sigma=None, **attrs):
    limits = [np.int64(max_boxes), np.float32(iou), np.float32(score)] + (
        [] if sigma is None else [np.float32(sigma)]
    )
    return lambda ops: lambda b, s: ops.non_max_suppression(b, s, *limits, **attrs)


@pytest.mark.parametrize("encoding", ["corner", "center"])
# ONNX suppresses overlaps above iou_threshold, OpenVINO from it on: thresholds stay off the IoUs
@pytest.mark.parametrize("max_boxes,iou,score", [(3, 0.3, 0.0), (10, 0.5, 0.4), (2, 0.1, 0.1)])
def test_nms_matches_onnx(encoding, max_boxes, iou, score):
    boxes, scores = _boxes(2, 9, encoding), _scores(2, 3, 9)
    build = _nms(max_boxes, iou, score, box_encoding=encoding, sort_result_descending=False)
    indices, selected, valid = run_op(build(ov.opset9), [boxes, scores])
    (expected,) = onnx_reference(
        "NonMaxSuppression",
        [
            boxes,
            scores,
            np.array([max_boxes], np.int64),
            np.array([iou], np.float32),
            np.array([score], np.float32),
        ],
        center_point_box=int(encoding == "center"),
    )
    assert_close(indices, expected)
    assert valid.tolist() == [len(expected)]
    assert_close(selected[:, :2], expected[:, :2].astype(np.float32))
    assert_close(selected[:, 2], scores[expected[:, 0], expected[:, 1], expected[:, 2]])


@pytest.mark.parametrize("sigma", [0.0, 0.5])
@pytest.mark.parametrize("sort", [True, False])
@pytest.mark.parametrize("version", [5, 9])
def test_nms_matches_openvino(sigma, sort, version):
    boxes, scores = _boxes(2, 8), _scores(2, 3, 8)
    build = _nms(4, 0.3, 0.2, sigma, sort_result_descending=sort, output_type="i32")
    ours = run_op(build(getattr(ov, f"opset{version}")), [boxes, scores])
    expected = openvino_reference(
        build(getattr(real_ov, f"opset{version}")), [boxes, scores], compile_cpu=True
    )
    assert ours[0].dtype == np.int32
    for got, want in zip(ours, expected):
        assert_close(got, want, rtol=1e-5)


def test_nms_suppresses_overlaps_equal_to_the_threshold_as_openvino():
    boxes = np.array([[[0, 0, 1, 1], [2, 2, 3, 3], [0, 0, 1, 1]]], np.float32)
    scores = np.array([[[0.9, 0.8, 0.7]]], np.float32)
    for iou in (0.0, 1.0):
        build = _nms(5, iou, 0.0)
        (indices, _, _) = run_op(build(ov.opset9), [boxes, scores])
        expected = openvino_reference(build(real_ov.opset9), [boxes, scores], compile_cpu=True)[0]
        assert_close(indices, expected)


def test_nms_output_shapes_are_bounded():
    boxes, scores = ov.opset9.parameter([2, 10, 4]), ov.opset9.parameter([2, 3, 10])
    node = ov.opset9.non_max_suppression(boxes, scores, np.int64(4))
    assert node.get_output_partial_shape(0) == ov.PartialShape([ov.Dimension(0, 24), 3])
    assert node.get_output_partial_shape(2) == ov.PartialShape([1])
    assert ov.opset9.non_max_suppression(boxes, scores).get_output_partial_shape(1) == ov.PartialShape([0, 3])
    dynamic = ov.opset9.non_max_suppression(
        ov.opset9.parameter([-1, -1, 4]), ov.opset9.parameter([-1, 3, -1]), np.int64(4)
    )
    assert dynamic.get_output_partial_shape(0) == ov.PartialShape([-1, 3])


def test_nms_runs_with_dynamic_inputs():
    boxes, scores = _boxes(1, 6), _scores(1, 2, 6)
    indices, _, valid = run_op(_nms(6, 0.4, 0.0)(ov.opset9), [boxes, scores], dynamic=True)
    assert indices.shape == (int(valid[0]), 3)


def test_nms_rejects_bad_inputs():
    with pytest.raises(ValueError, match="4 coordinates"):
        ov.opset9.non_max_suppression(ov.opset9.parameter([1, 5, 3]), ov.opset9.parameter([1, 1, 5]))
    with pytest.raises(ValueError, match="numbers of boxes"):
        ov.opset9.non_max_suppression(ov.opset9.parameter([1, 5, 4]), ov.opset9.parameter([1, 1, 6]))
    with pytest.raises(ValueError, match="box_encoding"):
        ov.opset9.non_max_suppression(
            ov.opset9.parameter([1, 5, 4]), ov.opset9.parameter([1, 1, 5]), box_encoding="xywh"
        )


_ROIS = np.array([[1.2, 0.5, 7.3, 6.1], [0, 0, 11, 9], [-2, 3, 4, 12], [5, 5, 5.4, 5.2]], np.float32)
_BATCH = np.array([0, 1, 1, 0], np.int64)


@pytest.mark.parametrize("ratio", [0, 2])
@pytest.mark.parametrize(
    "aligned,onnx_mode", [("asymmetric", "output_half_pixel"), ("half_pixel_for_nn", "half_pixel")]
)
def test_roi_align_avg_matches_onnx(ratio, aligned, onnx_mode):
    x = rand((2, 3, 10, 12))
    (out,) = run_op(
        lambda d, r, b: ov.opset9.roi_align(d, r, b, 3, 4, ratio, 0.75, "avg", aligned), [x, _ROIS, _BATCH]
    )
    (expected,) = onnx_reference(
        "RoiAlign",
        [x, _ROIS, _BATCH],
        output_height=3,
        output_width=4,
        sampling_ratio=ratio,
        spatial_scale=0.75,
        mode="avg",
        coordinate_transformation_mode=onnx_mode,
    )
    assert_close(out, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("aligned", ["asymmetric", "half_pixel"])
def test_roi_align_matches_openvino(mode, aligned):
    x = rand((2, 3, 10, 12))
    args = (3, 4, 2, 0.75, mode, aligned)
    (out,) = run_op(lambda d, r, b: ov.opset9.roi_align(d, r, b, *args), [x, _ROIS, _BATCH])
    (expected,) = openvino_reference(
        lambda d, r, b: real_ov.opset9.roi_align(d, r, b, *args), [x, _ROIS, _BATCH], compile_cpu=True
    )
    assert_close(out, expected, rtol=1e-4, atol=1e-5)


def test_roi_align3_is_asymmetric_and_infers_shapes():
    x = rand((2, 3, 10, 12))
    (out,) = run_op(
        lambda d, r, b: ov.opset3.roi_align(d, r, b, 2, 2, 1, 1.0, "max"), [x, _ROIS, _BATCH], dynamic=True
    )
    (expected,) = openvino_reference(
        lambda d, r, b: real_ov.opset3.roi_align(d, r, b, 2, 2, 1, 1.0, "max"),
        [x, _ROIS, _BATCH],
        compile_cpu=True,
    )
    assert_close(out, expected, rtol=1e-4, atol=1e-5)
    node = ov.opset3.roi_align(
        ov.opset3.parameter([1, 8, -1, -1]),
        ov.opset3.parameter([-1, 4]),
        ov.opset3.parameter([5], ov.Type.i32),
        7,
        7,
        0,
        0.25,
        "avg",
    )
    assert node.get_output_partial_shape(0) == ov.PartialShape([5, 8, 7, 7])
    with pytest.raises(ValueError, match="mode must be"):
        ov.opset3.roi_align(ov.opset3.parameter([1, 8, 4, 4]), _ROIS, _BATCH, 2, 2, 0, 1.0, "sum")


@pytest.mark.parametrize(
    "method,coords,scale",
    [
        ("max", np.array([[0, 1, 1, 7, 6], [1, 0, 0, 11, 9], [1, 3, 2, 5, 5]], np.float32), 0.9),
        (
            "bilinear",
            np.array([[0, 0.1, 0.2, 0.7, 0.6], [1, 0, 0, 1, 1], [1, 0.3, 0.2, 0.5, 0.5]], np.float32),
            1.0,
        ),
    ],
)
def test_roi_pooling_matches_openvino(method, coords, scale):
    x = rand((2, 3, 10, 12))
    (out,) = run_op(lambda d, c: ov.opset2.roi_pooling(d, c, [3, 4], scale, method), [x, coords])
    (expected,) = openvino_reference(
        lambda d, c: real_ov.opset2.roi_pooling(d, c, [3, 4], scale, method), [x, coords], compile_cpu=True
    )
    assert_close(out, expected, rtol=1e-4, atol=1e-5)
