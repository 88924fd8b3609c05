import numpy as np
import openvino.opset1 as real1
import openvino.opset2 as real2
import openvino.opset6 as real6
import openvino.opset12 as real12
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op

NodeValidationError = ov.graph.node.NodeValidationError


def _on_cpu(build, inputs):
    return openvino_reference(build, inputs, compile_cpu=True)[0]


@pytest.mark.parametrize("shape", [(2, 4), (2, 4, 5), (1, 4, 3, 5)])
@pytest.mark.parametrize("dynamic", [False, True])
def test_batch_norm_inference_matches_onnx_in_both_input_orders(shape, dynamic):
    x = rand(shape)
    gamma, beta, mean = rand((4,)), rand((4,)), rand((4,))
    var = rand((4,), low=0.1, high=2)
    (expected,) = onnx_reference("BatchNormalization", [x, gamma, beta, mean, var], epsilon=0.01)
    (v5,) = run_op(
        lambda *a: ov.opset5.batch_norm_inference(*a, 0.01), [x, gamma, beta, mean, var], dynamic=dynamic
    )
    assert_close(v5, expected, rtol=1e-5, atol=1e-5)
    # opset1 nodes take (gamma, beta, data, mean, variance); the factory keeps opset5's order
    (v1,) = run_op(lambda *a: ov.opset1.batch_norm_inference(*a, 0.01), [x, gamma, beta, mean, var])
    assert_close(v1, expected, rtol=1e-5, atol=1e-5)
    node = ov.opset1.batch_norm_inference(ov.opset1.parameter(list(shape)), gamma, beta, mean, var, 0.01)
    assert node.input_value(2).get_partial_shape() == ov.PartialShape(list(shape))


def test_batch_norm_inference_errors():
    data, four = ov.opset5.parameter([2, 4, 3]), np.ones(4, np.float32)
    with pytest.raises(NodeValidationError, match="gamma has 3 values but data"):
        ov.opset5.batch_norm_inference(data, np.ones(3, np.float32), four, four, four, 1e-5)
    with pytest.raises(NodeValidationError, match="rank >= 2"):
        ov.opset5.batch_norm_inference(ov.opset5.parameter([4]), four, four, four, four, 1e-5)


@pytest.mark.parametrize("across_channels", [False, True])
@pytest.mark.parametrize("normalize_variance", [False, True])
def test_mvn_1_matches_openvino(across_channels, normalize_variance):
    x = rand((2, 3, 4, 5))
    (out,) = run_op(lambda a: ov.opset2.mvn(a, across_channels, normalize_variance, 0.1), [x], dynamic=True)
    expected = _on_cpu(lambda a: real2.mvn(a, across_channels, normalize_variance, 0.1), [x])
    assert_close(out, expected, rtol=1e-5, atol=1e-5)
    node = ov.opset2.mvn(ov.opset2.parameter([2, 3, 4, 5]), across_channels)
    assert node.get_attributes()["reduction_axes"] == ([1, 2, 3] if across_channels else [2, 3])


@pytest.mark.parametrize("eps_mode", ["inside_sqrt", "outside_sqrt"])
@pytest.mark.parametrize("axes", [[1, 3], [-1], [0, 1, 2, 3]])
def test_mvn_6_matches_openvino(eps_mode, axes):
    x = rand((2, 3, 4, 5))
    axes_value = np.array(axes, dtype=np.int64)
    (out,) = run_op(lambda a: ov.opset6.mvn(a, axes_value, True, 0.1, eps_mode), [x], dynamic=True)
    (expected,) = openvino_reference(
        lambda a: real6.mvn(a, real6.constant(axes_value), True, 0.1, eps_mode), [x]
    )
    assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_mvn_errors():
    with pytest.raises(NodeValidationError, match="eps_mode"):
        ov.opset6.mvn(ov.opset6.parameter([2, 3]), np.array([1]), True, 0.1, "inside")
    with pytest.raises(NodeValidationError, match="out of range"):
        ov.opset6.mvn(ov.opset6.parameter([2, 3]), np.array([2]), True, 0.1, "inside_sqrt")


@pytest.mark.parametrize("axes", [[1], [1, 2], [3], [-1, 0]])
def test_normalize_l2(axes):
    x = rand((2, 6, 5, 4))
    axes_value = np.array(axes, dtype=np.int64)
    (add,) = run_op(lambda a: ov.opset1.normalize_l2(a, axes_value, 0.5, "add"), [x])
    assert_close(
        add,
        _on_cpu(lambda a: real1.normalize_l2(a, real1.constant(axes_value), 0.5, "add"), [x]),
        rtol=1e-5,
        atol=1e-6,
    )
    # OpenVINO's CPU plugin treats eps_mode max as add; the specification's formula is the oracle
    (largest,) = run_op(lambda a: ov.opset1.normalize_l2(a, axes_value, 40.0, "max"), [x], dynamic=True)
    squares = np.sum(x.astype(np.float64) ** 2, axis=tuple(axes), keepdims=True)
    assert_close(largest, (x / np.sqrt(np.maximum(squares, 40.0))).astype(np.float32), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("axes", [[1], [2, 3]])
def test_lrn_matches_openvino(size, axes):
    # OpenVINO, not onnx.reference (whose LRN disagrees with ONNX's own formula here), is the oracle
    x = rand((2, 5, 6, 4))
    axes_value = np.array(axes, dtype=np.int64)
    (out,) = run_op(lambda a: ov.opset1.lrn(a, axes_value, 0.3, 0.75, 2.0, size), [x], dynamic=len(axes) == 1)
    expected = _on_cpu(lambda a: real1.lrn(a, real1.constant(axes_value), 0.3, 0.75, 2.0, size), [x])
    assert_close(out, expected, rtol=1e-5, atol=1e-6)


def test_lrn_over_three_axes_matches_the_formula():
    # OpenVINO's CPU plugin has no LRN over channels and space together: sum shifted squares directly
    x, size = rand((1, 4, 5, 3)).astype(np.float64), 3
    padded = np.pad(x**2, [(0, 0), (1, 1), (1, 1), (1, 1)])
    sums = sum(
        padded[:, c : c + 4, h : h + 5, w : w + 3] for c in range(3) for h in range(3) for w in range(3)
    )
    expected = x / (2.0 + 0.3 / size**3 * sums) ** 0.75
    (out,) = run_op(lambda a: ov.opset1.lrn(a, np.array([1, 2, 3]), 0.3, 0.75, 2.0, size), [x])
    assert_close(out, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 4), (2, 4, 5), (2, 3, 4, 5)])
def test_grn_matches_openvino(shape):
    x = rand(shape)
    (out,) = run_op(lambda a: ov.opset1.grn(a, 0.3), [x], dynamic=True)
    assert_close(out, _on_cpu(lambda a: real1.grn(a, 0.3), [x]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape,groups", [((2, 6, 5, 4), 3), ((3, 4, 7), 4), ((2, 6), 1)])
def test_group_normalization_matches_onnx(shape, groups):
    x, scale, bias = rand(shape), rand(shape[1:2]), rand(shape[1:2])
    (out,) = run_op(
        lambda *a: ov.opset12.group_normalization(*a, groups, 0.01), [x, scale, bias], dynamic=True
    )
    (expected,) = onnx_reference(
        "GroupNormalization", [x, scale, bias], opset=21, epsilon=0.01, num_groups=groups
    )
    assert_close(out, expected, rtol=1e-5, atol=1e-5)
    expected_ov = _on_cpu(lambda *a: real12.group_normalization(*a, groups, 0.01), [x, scale, bias])
    assert_close(out, expected_ov, rtol=1e-5, atol=1e-5)


def test_group_normalization_errors():
    data, four = ov.opset12.parameter([2, 4, 3]), np.ones(4, np.float32)
    with pytest.raises(NodeValidationError, match="cannot be split into 3 groups"):
        ov.opset12.group_normalization(data, four, four, 3, 1e-5)
    with pytest.raises(NodeValidationError, match="bias has 2 values"):
        ov.opset12.group_normalization(data, four, np.ones(2, np.float32), 2, 1e-5)
