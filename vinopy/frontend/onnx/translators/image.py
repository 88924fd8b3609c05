"""Image and detection ops: Resize/Upsample, GridSample, RoiAlign, NonMaxSuppression, Col2Im."""

from __future__ import annotations

import numpy as np

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import NodeContext, const, i64, like, scalar, shape_of, static_rank
from vinopy.frontend.onnx.registry import onnx_op
from vinopy.graph.node import Output

_RESIZE_MODES = {"nearest": "nearest", "linear": "linear_onnx", "cubic": "cubic"}


def _is_empty(value: Output | None) -> bool:
    if value is None:
        return True
    shape = value.get_partial_shape()
    return shape.is_static and int(np.prod([d.get_length() for d in shape])) == 0


@onnx_op("Resize", changed=(11, 13, 18, 19))
def resize(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    mode = ctx.attr("mode", "nearest")
    transform = ctx.attr("coordinate_transformation_mode", "half_pixel" if ctx.opset >= 11 else "asymmetric")
    if transform == "tf_crop_and_resize":
        raise ctx.fail("coordinate_transformation_mode 'tf_crop_and_resize' is not supported")
    if ctx.attr("exclude_outside", 0):
        raise ctx.fail("exclude_outside=1 is not supported")
    if ctx.opset < 11:
        scales, sizes = ctx.input(1), None
    else:
        scales, sizes = ctx.optional(2), ctx.optional(3)
    nearest = ctx.attr("nearest_mode", "round_prefer_floor" if ctx.opset >= 11 else "floor")
    policy = ctx.attr("keep_aspect_ratio_policy", "stretch")
    if policy != "stretch" and not _is_empty(sizes):
        sizes = _keep_aspect_ratio(ctx, x, sizes, policy)  # type: ignore[arg-type]
    return _interpolate(ctx, x, scales, sizes, mode, transform, nearest)


def _keep_aspect_ratio(ctx: NodeContext, x: Output, sizes: Output, policy: str) -> Output:
    """Sizes that keep the aspect ratio: one scale for all axes, the smallest (not_larger) or the
    largest (not_smaller) of sizes / input dims, and each dim times it, rounded."""
    axes = ctx.attr("axes") or list(range(static_rank(ctx, x)))
    dims = ops.convert(ops.gather(shape_of(x), i64(axes), i64(0)), "f32")
    ratios = ops.divide(ops.convert(sizes, "f32"), dims)
    reduce = ops.reduce_min if policy == "not_larger" else ops.reduce_max
    scaled = ops.multiply(dims, reduce(ratios, i64([0]), True))
    return ops.convert(ops.floor(ops.add(scaled, const(0.5, np.float32))), "i64").output(0)


@onnx_op("Upsample", changed=(9,))
def upsample(ctx: NodeContext) -> Output:
    x = ctx.input(0)
    scales = const(ctx.attr("scales"), np.float32) if ctx.opset < 9 else ctx.input(1)
    return _interpolate(ctx, x, scales, None, ctx.attr("mode", "nearest"), "asymmetric", "floor")


def _interpolate(
    ctx: NodeContext,
    x: Output,
    scales: Output | None,
    sizes: Output | None,
    mode: str,
    transform: str,
    nearest: str,
) -> Output:
    axes_attr = ctx.attr("axes")
    axes = i64(axes_attr) if axes_attr is not None else i64(list(range(static_rank(ctx, x))))
    if not _is_empty(sizes):
        target, calc = ops.convert(sizes, "i64").output(0), "sizes"
    elif not _is_empty(scales):
        target, calc = ops.convert(scales, "f32").output(0), "scales"
    else:
        raise ctx.fail("needs scales or sizes")
    mode = "linear_onnx" if mode == "bilinear" else _RESIZE_MODES.get(mode, mode)
    return ops.interpolate(
        x,
        target,
        mode,
        calc,
        None,
        None,
        transform,
        nearest,
        bool(ctx.attr("antialias", 0)),
        ctx.attr("cubic_coeff_a", -0.75),
        axes,
    ).output(0)


_GRID_MODES = {
    "linear": "bilinear",
    "bilinear": "bilinear",
    "cubic": "bicubic",
    "bicubic": "bicubic",
    "nearest": "nearest",
}


@onnx_op("GridSample", changed=(20,))
def grid_sample(ctx: NodeContext) -> Output:
    x, grid = ctx.input(0), ctx.input(1)
    if static_rank(ctx, x) != 4:
        raise ctx.fail(
            "only 2-D (N, C, H, W) sampling is supported: OpenVINO's GridSample has no volumetric form"
        )
    attrs = {
        "align_corners": bool(ctx.attr("align_corners", 0)),
        "mode": _GRID_MODES[ctx.attr("mode", "linear" if ctx.opset >= 20 else "bilinear")],
        "padding_mode": ctx.attr("padding_mode", "zeros"),
    }
    if attrs["mode"] == "bicubic" and attrs["padding_mode"] == "border":
        grid = _clamp_outside_grid(x, grid, attrs["align_corners"])
    return ops.grid_sample(x, grid, attrs).output(0)


def _clamp_outside_grid(x: Output, grid: Output, align_corners: bool) -> Output:
    """ONNX's bicubic border sampling first moves a point outside the image onto the nearest border
    pixel center; OpenVINO's (as PyTorch's) only clamps the taps. Moving the points in the grid
    beforehand gives ONNX's result."""
    if align_corners:  # the outer pixel centers are at -1 and 1 already
        low, high = like(-1.0, grid), like(1.0, grid)
    else:  # the outer pixel centers at +-(1 - 1/size), per (x: width, y: height)
        sizes = ops.convert_like(ops.gather(shape_of(x), i64([3, 2]), i64(0)), grid).output(0)
        inner = ops.subtract(like(1.0, grid), ops.divide(like(1.0, grid), sizes)).output(0)
        low, high = ops.negative(inner).output(0), inner
    outside_low = ops.less(grid, like(-1.0, grid))
    outside_high = ops.greater(grid, like(1.0, grid))
    return ops.select(outside_low, low, ops.select(outside_high, high, grid)).output(0)


@onnx_op("RoiAlign", changed=(16,))
def roi_align(ctx: NodeContext) -> Output:
    default = "half_pixel" if ctx.opset >= 16 else "output_half_pixel"
    # ONNX's half_pixel maps an ROI to roi * scale - 0.5 with no minimum size: OpenVINO's
    # half_pixel_for_nn (its half_pixel takes (roi + 0.5) * scale - 0.5); output_half_pixel maps
    # to roi * scale with ROIs of at least one pixel: asymmetric
    half_pixel = ctx.attr("coordinate_transformation_mode", default) == "half_pixel"
    aligned = "half_pixel_for_nn" if half_pixel else "asymmetric"
    return ops.roi_align(
        ctx.input(0),
        ctx.input(1),
        ctx.input(2),
        ctx.attr("output_height", 1),
        ctx.attr("output_width", 1),
        ctx.attr("sampling_ratio", 0),
        ctx.attr("spatial_scale", 1.0),
        ctx.attr("mode", "avg"),
        aligned,
    ).output(0)


@onnx_op("NonMaxSuppression")
def non_max_suppression(ctx: NodeContext) -> Output:
    encoding = "center" if ctx.attr("center_point_box", 0) else "corner"
    max_boxes = scalar(ctx.input(2)) if ctx.has_input(2) else i64(0)
    iou = scalar(ctx.input(3)) if ctx.has_input(3) else const(0.0, np.float32)
    score = scalar(ctx.input(4)) if ctx.has_input(4) else const(float("-inf"), np.float32)
    node = ops.non_max_suppression(
        ctx.input(0), ctx.input(1), max_boxes, iou, score, None, encoding, False, "i64"
    )
    return node.output(0)


@onnx_op("Col2Im")
def col2im(ctx: NodeContext) -> Output:
    spatial = 2
    size_shape = ctx.input(1).get_partial_shape()
    if size_shape.rank.is_static and len(size_shape) == 1 and size_shape[0] != spatial:
        raise ctx.fail(f"only 2-D images are supported (OpenVINO's Col2Im), got image_shape {size_shape}")
    pads = list(ctx.attr("pads", [0] * 2 * spatial))
    return ops.col2im(
        ctx.input(0),
        ctx.input(1),
        ctx.input(2),
        list(ctx.attr("strides", [1] * spatial)),
        list(ctx.attr("dilations", [1] * spatial)),
        pads[:spatial],
        pads[spatial:],
    ).output(0)
