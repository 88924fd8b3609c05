import numpy as np
import openvino as real_ov
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op

# tf_half_pixel_for_nn left ONNX Resize in opset 13; it is checked against OpenVINO below
COORDINATE_MODES = ["half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners"]
NEAREST_MODES = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
SIZES = [(3, 4), (9, 13), (1, 1)]


def _onnx_resize(x, sizes=None, scales=None, axes=(2, 3), **attrs):
    sizes_arr = None if sizes is None else np.array(sizes, np.int64)
    scales_arr = None if scales is None else np.array(scales, np.float32)
    return onnx_reference("Resize", [x, None, scales_arr, sizes_arr], axes=list(axes), opset=19, **attrs)[0]


def _interpolate11(mode, target, calc="sizes", axes=(2, 3), **attrs):
    dtype = np.int64 if calc == "sizes" else np.float32
    return lambda x: ov.opset11.interpolate(
        x, np.array(target, dtype), mode, calc, axes=np.array(axes, np.int64), **attrs
    )


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("ctm", COORDINATE_MODES)
@pytest.mark.parametrize("nearest_mode", NEAREST_MODES)
def test_nearest_matches_onnx_resize(sizes, ctm, nearest_mode):
    x = rand((1, 2, 5, 7))
    (out,) = run_op(
        _interpolate11("nearest", sizes, coordinate_transformation_mode=ctm, nearest_mode=nearest_mode), [x]
    )
    expected = _onnx_resize(
        x, sizes, mode="nearest", coordinate_transformation_mode=ctm, nearest_mode=nearest_mode
    )
    assert_close(out, expected)


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("ctm", COORDINATE_MODES)
@pytest.mark.parametrize("mode", ["linear_onnx", "linear", "cubic"])
def test_filters_match_onnx_resize(sizes, ctm, mode):
    x = rand((2, 5, 7))
    build = _interpolate11(mode, sizes, axes=(1, 2), coordinate_transformation_mode=ctm, cube_coeff=-0.5)
    (out,) = run_op(build, [x])
    if mode == "cubic" and ctm == "pytorch_half_pixel" and 1 in sizes:
        # ONNX samples a length-1 output at -0.5, OpenVINO at 0: only cubic sees the difference
        (expected,) = openvino_reference(
            lambda d: real_ov.opset11.interpolate(
                d,
                np.array(sizes, np.int64),
                mode,
                "sizes",
                axes=np.array([1, 2]),
                coordinate_transformation_mode=ctm,
                cube_coeff=-0.5,
            ),
            [x],
        )
    else:
        onnx_mode = "cubic" if mode == "cubic" else "linear"
        expected = _onnx_resize(
            x, sizes, axes=(1, 2), mode=onnx_mode, coordinate_transformation_mode=ctm, cubic_coeff_a=-0.5
        )
    assert_close(out, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sizes", [(2, 3), (3, 12)])
def test_antialiased_linear_matches_onnx_resize_excluding_outside(sizes):
    x = rand((1, 1, 8, 9))
    (out,) = run_op(_interpolate11("linear", sizes, antialias=True), [x])
    expected = _onnx_resize(x, sizes, mode="linear", antialias=1, exclude_outside=1)
    assert_close(out, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("scales", [(0.5, 0.7), (2.0, 1.5), (1 / 3, 3.0)])
@pytest.mark.parametrize("mode", ["nearest", "linear_onnx", "cubic"])
def test_scales_mode_matches_onnx_resize(scales, mode):
    x = rand((1, 1, 6, 4))
    (out,) = run_op(_interpolate11(mode, scales, calc="scales"), [x])
    onnx_mode = {"linear_onnx": "linear"}.get(mode, mode)
    assert_close(out, _onnx_resize(x, scales=scales, mode=onnx_mode), rtol=1e-4, atol=1e-5)


def test_interpolate4_uses_the_input_shape_calculation_mode_names():
    x = rand((1, 3, 4, 4))
    sizes, scales = np.array([8, 6], np.int64), np.array([2.0, 1.5], np.float32)
    for calc in ("sizes", "scales"):
        (out,) = run_op(
            lambda d, c=calc: ov.opset4.interpolate(
                d, sizes, scales, "linear_onnx", c, axes=np.array([2, 3], np.int64)
            ),
            [x],
        )
        assert_close(out, _onnx_resize(x, sizes=[8, 6], mode="linear"), rtol=1e-5)


def test_pads_are_applied_before_resizing():
    x = rand((1, 1, 3, 3))
    build = _interpolate11(
        "nearest",
        (10, 5),
        pads_begin=[0, 0, 1, 0],
        pads_end=[0, 0, 1, 2],
        coordinate_transformation_mode="asymmetric",
        nearest_mode="floor",
    )
    (out,) = run_op(build, [x])
    padded = np.pad(x, [(0, 0), (0, 0), (1, 1), (0, 2)])
    expected = _onnx_resize(
        padded, (10, 5), mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"
    )
    assert_close(out, expected)


@pytest.mark.parametrize(
    "mode,ctm",
    [
        ("bilinear_pillow", "half_pixel"),
        ("bicubic_pillow", "half_pixel"),
        ("nearest", "tf_half_pixel_for_nn"),
        ("linear", "tf_half_pixel_for_nn"),
    ],
)
@pytest.mark.parametrize("sizes", [(3, 4), (9, 13)])
def test_modes_outside_onnx_match_openvino(mode, ctm, sizes):
    x = rand((1, 2, 5, 7))
    attrs = {"cube_coeff": -0.5, "coordinate_transformation_mode": ctm}
    (out,) = run_op(_interpolate11(mode, sizes, **attrs), [x])
    axes = np.array([2, 3], np.int64)
    (expected,) = openvino_reference(
        lambda d: real_ov.opset11.interpolate(
            d, np.array(sizes, np.int64), mode, "sizes", axes=axes, **attrs
        ),
        [x],
    )
    assert_close(out, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolate1_matches_openvino(mode, align_corners):
    x = rand((1, 2, 5, 7))
    attrs = {"axes": [2, 3], "mode": mode, "align_corners": align_corners}
    sizes = np.array([9, 4], np.int64)
    (out,) = run_op(lambda d: ov.opset1.interpolate(d, sizes, attrs), [x])
    # OpenVINO has no reference kernel for version 1 (it is converted to version 4): use its CPU plugin
    (expected,) = openvino_reference(
        lambda d: real_ov.opset1.interpolate(d, sizes, attrs), [x], compile_cpu=True
    )
    assert_close(out, expected, rtol=1e-4, atol=1e-5)


def test_shape_inference():
    data = ov.opset11.parameter([1, 3, -1, 10])
    node = ov.opset11.interpolate(
        data, np.array([0.5, 0.25], np.float32), "nearest", "scales", axes=np.array([2, 3], np.int64)
    )
    assert node.get_output_partial_shape(0) == ov.PartialShape([1, 3, -1, 2])
    sizes = ov.opset11.parameter([2], ov.Type.i64)
    node = ov.opset11.interpolate(data, sizes, "nearest", "sizes", axes=np.array([1, 3], np.int64))
    assert node.get_output_partial_shape(0) == ov.PartialShape([1, -1, -1, -1])
    node = ov.opset11.interpolate(ov.opset11.parameter([2, 4]), np.array([3, 5], np.int64), "linear", "sizes")
    assert node.get_output_partial_shape(0) == ov.PartialShape([3, 5])


def test_dynamic_shapes_and_integer_data():
    x = rand((1, 3, 4, 6), np.uint8, 0, 255)
    (out,) = run_op(_interpolate11("nearest", (8, 3)), [x], dynamic=True)
    assert_close(out, _onnx_resize(x, (8, 3), mode="nearest"))


def test_bad_attributes_and_inputs_are_rejected():
    data = ov.opset11.parameter([1, 3, 4, 4])
    with pytest.raises(ValueError, match="mode must be one of"):
        ov.opset11.interpolate(data, np.array([2, 2], np.int64), "area", "sizes", axes=np.array([2, 3]))
    with pytest.raises(ValueError, match="coordinate_transformation_mode"):
        ov.opset11.interpolate(
            data,
            np.array([2, 2], np.int64),
            "nearest",
            "sizes",
            coordinate_transformation_mode="corners",
            axes=np.array([2, 3]),
        )
    with pytest.raises(ValueError, match="one value per axis"):
        ov.opset11.interpolate(data, np.array([2, 2, 2], np.int64), "nearest", "sizes", axes=np.array([2, 3]))
