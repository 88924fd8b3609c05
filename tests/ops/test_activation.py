import numpy as np
import openvino.opset15 as real_ops
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError

ops = ov.opset15


def scalar(value, dtype=np.float32):
    return np.array(value, dtype)


@pytest.mark.parametrize(
    "build,onnx_op,onnx_opset,attrs",
    [
        (ops.relu, "Relu", 18, {}),
        (ops.sigmoid, "Sigmoid", 18, {}),
        (ops.hswish, "HardSwish", 18, {}),
        (ops.mish, "Mish", 18, {}),
        (ops.softplus, "Softplus", 18, {}),
        (ops.softsign, "Softsign", 18, {}),
        (lambda x: ops.elu(x, 0.7), "Elu", 18, {"alpha": 0.7}),
        (ov.opset2.gelu, "Gelu", 20, {}),
        (lambda x: ops.gelu(x, "erf"), "Gelu", 20, {}),
        (lambda x: ops.gelu(x, "tanh"), "Gelu", 20, {"approximate": "tanh"}),
        (lambda x: ops.clamp(x, -0.5, 1.25), "Clip", 18, None),
    ],
)
@pytest.mark.parametrize("dynamic", [False, True])
def test_activations_match_onnx(build, onnx_op, onnx_opset, attrs, dynamic):
    x = rand((2, 3, 6), np.float32, -5, 5)
    (out,) = run_op(build, [x], dynamic=dynamic)
    if attrs is None:  # Clip takes its bounds as inputs
        expected = onnx_reference(onnx_op, [x, scalar(-0.5), scalar(1.25)])[0]
    else:
        expected = onnx_reference(onnx_op, [x], opset=onnx_opset, **attrs)[0]
    assert_close(out, expected, rtol=1e-5, atol=1e-6)


def test_hsigmoid_and_hard_sigmoid_match_onnx():
    x = rand((3, 7), np.float32, -6, 6)
    (out,) = run_op(ops.hsigmoid, [x])
    assert_close(out, onnx_reference("HardSigmoid", [x], alpha=1 / 6, beta=0.5)[0], rtol=1e-5)
    (out,) = run_op(lambda p: ops.hard_sigmoid(p, scalar(0.3), scalar(0.4)), [x], dynamic=True)
    assert_close(out, onnx_reference("HardSigmoid", [x], alpha=0.3, beta=0.4)[0], rtol=1e-5)


def test_selu_matches_onnx():
    x = rand((2, 5), np.float32, -3, 3)
    (out,) = run_op(lambda p: ops.selu(p, scalar([1.6]), scalar([1.05])), [x], dynamic=True)
    assert_close(out, onnx_reference("Selu", [x], alpha=1.6, gamma=1.05)[0], rtol=1e-5)


@pytest.mark.parametrize("beta", [None, 0.6])
def test_swish_matches_openvino(beta):
    x = rand((2, 3, 4), np.float32, -5, 5)
    args = [] if beta is None else [scalar(beta)]
    (out,) = run_op(lambda p: ops.swish(p, *args), [x], dynamic=True)
    assert_close(out, openvino_reference(lambda p: real_ops.swish(p, *args), [x])[0], rtol=1e-5)
    assert_close(out, x * (1 / (1 + np.exp(-(beta or 1.0) * x))), rtol=1e-5)


@pytest.mark.parametrize(
    "data_shape,slope_shape",
    [
        ((2, 3, 4, 4), (3,)),
        ((2, 2, 2), (2,)),
        ((2, 4, 2), (2,)),
        ((2, 3, 4), (3, 4)),
        ((2, 3, 4), (1,)),
        ((5,), (5,)),
    ],
)
def test_prelu_channel_wise_and_numpy_broadcast_like_openvino(data_shape, slope_shape):
    x, slope = rand(data_shape, np.float32, -3, 3), rand(slope_shape, np.float32, 0.1, 0.9)
    (out,) = run_op(ops.prelu, [x, slope])
    assert_close(out, openvino_reference(real_ops.prelu, [x, slope])[0])
    (out,) = run_op(ops.prelu, [x, slope], dynamic=True)
    assert_close(out, openvino_reference(real_ops.prelu, [x, slope])[0])


def test_prelu_matches_onnx_for_numpy_broadcast():
    x, slope = rand((2, 3, 4), np.float32), rand((4,), np.float32, 0.1, 0.5)
    (out,) = run_op(ops.prelu, [x, slope])
    assert_close(out, onnx_reference("PRelu", [x, slope])[0])


@pytest.mark.parametrize("build", [ops.relu, ops.sigmoid, lambda x: ops.clamp(x, -2.5, 3.7)])
def test_integer_inputs_like_openvino(build):
    x = np.arange(-9, 10, dtype=np.int32)
    real_build = {ops.relu: real_ops.relu, ops.sigmoid: real_ops.sigmoid}.get(
        build, lambda p: real_ops.clamp(p, -2.5, 3.7)
    )
    (out,) = run_op(build, [x])
    assert_close(out, openvino_reference(real_build, [x])[0])


def test_half_precision():
    x = rand((4, 4), np.float16, -3, 3)
    (out,) = run_op(ops.mish, [x])
    assert out.dtype == np.float16
    assert_close(
        out, onnx_reference("Mish", [x.astype(np.float32)])[0].astype(np.float16), rtol=2e-3, atol=2e-3
    )


def test_errors():
    p = ops.parameter([2, 3])
    with pytest.raises(NodeValidationError, match="real element type"):
        ops.mish(ops.parameter([2], np.int32))
    with pytest.raises(NodeValidationError, match="approximation_mode"):
        ops.gelu(p, "fast")
    with pytest.raises(NodeValidationError, match="greater than max"):
        ops.clamp(p, 2.0, 1.0)
    with pytest.raises(NodeValidationError, match="beta must be a scalar"):
        ops.swish(p, np.ones(2, np.float32))
    with pytest.raises(NodeValidationError, match="same element type"):
        ops.selu(p, np.float64(1.0), np.float32(1.0))
    with pytest.raises(NodeValidationError, match="cannot be broadcast"):
        ops.prelu(ops.parameter([2, 3, 5]), np.ones(4, np.float32))
    assert not hasattr(ov.opset1, "gelu") and not hasattr(ov.opset8, "softsign")
