"""GridSample-9 and Col2Im-15 against OpenVINO (its reference evaluation, or its CPU plugin)."""

from __future__ import annotations

import numpy as np
import openvino
import openvino.opset9 as ov9
import openvino.opset15 as ov15
import pytest

import vinopy as ov
from tests.utils import rand, run_op
from vinopy.graph.node import NodeValidationError

DATA = rand([2, 3, 5, 6])
GRID = rand([2, 4, 7, 2], low=-1.6, high=1.6)
GRID[0, 0, :3] = [[1, -1], [-1, 1], [0, 0]]  # corners and center exactly


def _openvino_evaluate(node, inputs: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    out = openvino.Tensor(openvino.Type.f32, openvino.Shape(list(shape)))
    assert node.evaluate([out], [openvino.Tensor(x) for x in inputs])
    return out.data.copy()


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_openvino(mode: str, padding_mode: str, align_corners: bool) -> None:
    attrs = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
    for dynamic in (False, True):
        (ours,) = run_op(lambda d, g: ov.opset9.grid_sample(d, g, attrs), [DATA, GRID], dynamic=dynamic)
        expected = _openvino_evaluate(
            ov9.grid_sample(ov9.constant(DATA), ov9.constant(GRID), attrs), [DATA, GRID], ours.shape
        )
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
    assert ours.shape == (2, 3, 4, 7)


def test_grid_sample_errors() -> None:
    data = ov.opset9.parameter([1, 3, 5, 5], np.float32)
    with pytest.raises(NodeValidationError, match="last dimension must be 2"):
        ov.opset9.grid_sample(data, ov.opset9.parameter([1, 4, 4, 3], np.float32), {})
    with pytest.raises(NodeValidationError, match="batch sizes"):
        ov.opset9.grid_sample(data, ov.opset9.parameter([2, 4, 4, 2], np.float32), {})
    with pytest.raises(NodeValidationError, match="mode"):
        ov.opset9.grid_sample(data, ov.opset9.parameter([1, 4, 4, 2], np.float32), {"mode": "area"})


@pytest.mark.parametrize(
    ("size", "kernel", "strides", "dilations", "pads_begin", "pads_end", "batched"),
    [
        ([5, 5], [2, 2], [1, 1], [1, 1], [0, 0], [0, 0], True),
        ([6, 7], [3, 2], [2, 1], [1, 2], [1, 0], [2, 1], False),
        ([4, 9], [2, 3], [1, 2], [2, 1], [0, 1], [1, 1], True),
    ],
)
def test_col2im_matches_openvino(size, kernel, strides, dilations, pads_begin, pads_end, batched) -> None:
    blocks = 1
    for d in range(2):
        span = size[d] + pads_begin[d] + pads_end[d] - dilations[d] * (kernel[d] - 1) - 1
        blocks *= span // strides[d] + 1
    data = rand(([2] if batched else []) + [3 * kernel[0] * kernel[1], blocks])
    size_v, kernel_v = np.array(size, np.int64), np.array(kernel, np.int64)
    attrs = (strides, dilations, pads_begin, pads_end)
    for dynamic in (False, True):
        (ours,) = run_op(lambda d: ov.opset15.col2im(d, size_v, kernel_v, *attrs), [data], dynamic=dynamic)
        param = ov15.parameter(data.shape, np.float32)
        model = openvino.Model([ov15.col2im(param, size_v, kernel_v, *attrs)], [param])
        expected = openvino.compile_model(model, "CPU")([data])[0]  # OpenVINO has no Col2Im evaluate
        np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-6)
    assert ours.shape == ((2,) if batched else ()) + (3, *size)


def test_col2im_errors() -> None:
    size, kernel = np.array([4, 4], np.int64), np.array([2, 2], np.int64)
    with pytest.raises(NodeValidationError, match="multiple of the kernel size"):
        ov.opset15.col2im(ov.opset15.parameter([1, 6, 9], np.float32), size, kernel)
    with pytest.raises(NodeValidationError, match="give 9"):
        ov.opset15.col2im(ov.opset15.parameter([1, 8, 8], np.float32), size, kernel)
    with pytest.raises(NodeValidationError, match="2 elements"):
        ov.opset15.col2im(ov.opset15.parameter([1, 8, 9], np.float32), np.array([4, 4, 4]), kernel)
