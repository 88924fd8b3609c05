import numpy as np
import openvino.opset15 as real_ops
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError

ops = ov.opset15

# factory, ONNX twin, input range inside the op's domain
FLOAT_OPS = [
    ("abs", "Abs", (-3, 3)),
    ("acos", "Acos", (-0.99, 0.99)),
    ("acosh", "Acosh", (1.0, 5.0)),
    ("asin", "Asin", (-0.99, 0.99)),
    ("asinh", "Asinh", (-3, 3)),
    ("atan", "Atan", (-3, 3)),
    ("atanh", "Atanh", (-0.99, 0.99)),
    ("ceiling", "Ceil", (-3, 3)),
    ("cos", "Cos", (-3, 3)),
    ("cosh", "Cosh", (-3, 3)),
    ("erf", "Erf", (-3, 3)),
    ("exp", "Exp", (-3, 3)),
    ("floor", "Floor", (-3, 3)),
    ("log", "Log", (0.1, 5.0)),
    ("negative", "Neg", (-3, 3)),
    ("sign", "Sign", (-3, 3)),
    ("sin", "Sin", (-3, 3)),
    ("sinh", "Sinh", (-3, 3)),
    ("sqrt", "Sqrt", (0.0, 5.0)),
    ("tan", "Tan", (-1.5, 1.5)),
    ("tanh", "Tanh", (-3, 3)),
]


@pytest.mark.parametrize("factory,onnx_op,domain", FLOAT_OPS)
@pytest.mark.parametrize("dynamic", [False, True])
def test_float_unary_matches_onnx(factory, onnx_op, domain, dynamic):
    x = rand((2, 3, 5), np.float32, *domain)
    (out,) = run_op(getattr(ops, factory), [x], dynamic=dynamic)
    assert_close(out, onnx_reference(onnx_op, [x])[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("factory", [f for f, _, _ in FLOAT_OPS])
def test_integer_inputs_round_or_truncate_like_openvino(factory):
    x = np.arange(-9, 10, dtype=np.int32)
    (out,) = run_op(getattr(ops, factory), [x])
    assert_close(out, openvino_reference(getattr(real_ops, factory), [x])[0])


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_other_float_types(dtype):
    x = rand((4, 4), dtype, 0.1, 3.0)
    (out,) = run_op(ops.log, [x])
    assert out.dtype == dtype
    assert_close(out, np.log(x.astype(np.float64)).astype(dtype), rtol=1e-3)


@pytest.mark.parametrize("mode", ["half_to_even", "half_away_from_zero"])
def test_round_matches_openvino(mode):
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.2, -1.7, 3.49], np.float32)
    (out,) = run_op(lambda p: ops.round(p, mode), [x], dynamic=True)
    assert_close(out, openvino_reference(lambda p: real_ops.round(p, mode), [x])[0])
    if mode == "half_to_even":
        assert_close(out, onnx_reference("Round", [x])[0])


def test_is_finite_nan_inf():
    x = np.array([[1.0, np.inf, -np.inf, np.nan, 0.0, -3.0]], np.float32)
    (out,) = run_op(ops.is_finite, [x])
    assert_close(out, np.isfinite(x))
    (out,) = run_op(ops.is_nan, [x], dynamic=True)
    assert_close(out, onnx_reference("IsNaN", [x])[0])
    for neg, pos in [(True, True), (True, False), (False, True), (False, False)]:
        attrs = {"detect_negative": neg, "detect_positive": pos}
        (out,) = run_op(lambda p, a=attrs: ops.is_inf(p, a), [x])
        assert_close(out, onnx_reference("IsInf", [x], detect_negative=int(neg), detect_positive=int(pos))[0])


def test_errors():
    with pytest.raises(NodeValidationError, match="numeric element type"):
        ops.sin(ops.parameter([2], np.bool_))
    with pytest.raises(NodeValidationError, match="real element type"):
        ops.is_nan(ops.parameter([2], np.int32))
    with pytest.raises(NodeValidationError, match="mode must be"):
        ops.round(ops.parameter([2]), "nearest")
    assert not hasattr(ov.opset3, "acosh") and hasattr(ov.opset4, "acosh")
