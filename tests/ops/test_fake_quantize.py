import numpy as np
import openvino.opset1 as real
import pytest

import vinopy as ov
from tests.utils import assert_close, openvino_reference, rand, run_op

ops = ov.opset13


def _compare(inputs, levels, dynamic=False):
    (out,) = run_op(lambda *a: ops.fake_quantize(*a, levels), inputs, dynamic=dynamic)
    (expected,) = openvino_reference(lambda *a: real.fake_quantize(*a, levels), inputs)
    assert_close(out, expected, rtol=0, atol=0)


@pytest.mark.parametrize("levels", [2, 3, 16, 255, 256])
def test_fake_quantize_per_channel_matches_openvino(levels):
    x = np.linspace(-1.2, 1.3, 7 * 143, dtype=np.float32).reshape(1, 7, 143)
    in_low, in_high = rand((1, 7, 1), low=-1, high=-0.3), rand((1, 7, 1), low=0.3, high=1)
    out_low, out_high = np.full((1, 7, 1), -3, np.float32), rand((1, 7, 1), low=1, high=4)
    _compare([x, in_low, in_high, out_low, out_high], levels)


def test_fake_quantize_per_tensor_dynamic_and_half_steps():
    # x on exact half steps: OpenVINO rounds half to even
    x = np.arange(-1, 9, 0.5, dtype=np.float32).reshape(2, 10)
    scalar = lambda v: np.array(v, dtype=np.float32)  # noqa: E731
    _compare([x, scalar(0), scalar(4), scalar(-1), scalar(1)], 5, dynamic=True)


def test_fake_quantize_inverted_ranges_and_broadcast_shape():
    x = rand((2, 3, 4), low=-2, high=2)
    in_low, in_high = np.array([[[1.0]], [[-1.0]]], np.float32), np.array([[[-1.0]], [[1.0]]], np.float32)
    _compare(
        [x, in_low, in_high, np.float32(2) * np.ones((1, 3, 1), np.float32), np.zeros((1, 1, 4), np.float32)],
        7,
    )


def test_fake_quantize_errors():
    data = ops.parameter([2, 3])
    with pytest.raises(ov.graph.node.NodeValidationError, match="levels"):
        ops.fake_quantize(data, 0.0, 1.0, 0.0, 1.0, 1)
    with pytest.raises(ov.graph.node.NodeValidationError, match="must broadcast to data"):
        ops.fake_quantize(data, np.zeros((4, 2, 3), np.float32), 1.0, 0.0, 1.0, 256)
    with pytest.raises(ov.graph.node.NodeValidationError, match="cannot be broadcast"):
        ops.fake_quantize(data, np.zeros(4, np.float32), 1.0, 0.0, 1.0, 256)
    with pytest.raises(ov.graph.node.NodeValidationError, match="real element type"):
        ops.fake_quantize(ops.parameter([2], ov.Type.i32), 0, 1, 0, 1, 256)


def test_fake_quantize_ranges_may_have_another_float_type():
    x = rand((2, 5), low=-1, high=1)
    (out,) = run_op(lambda a: ops.fake_quantize(a, -0.5, 0.5, 0.0, 1.0, 11), [x])
    (expected,) = openvino_reference(
        lambda a: real.fake_quantize(a, -0.5, 0.5, 0.0, 1.0, 11), [x], compile_cpu=True
    )
    assert out.dtype == np.float32
    assert_close(out, expected, rtol=1e-6, atol=1e-6)
