import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, rand, run_op


@pytest.mark.parametrize("shape,axis", [((2, 5), 1), ((3, 4, 5), 0), ((2, 3, 4, 5), 2), ((7,), 0)])
@pytest.mark.parametrize("dynamic", [False, True])
def test_softmax_matches_onnx(shape, axis, dynamic):
    x = rand(shape, low=-20, high=20)
    (out,) = run_op(lambda a: ov.opset1.softmax(a, axis), [x], dynamic=dynamic)
    assert_close(out, onnx_reference("Softmax", [x], axis=axis)[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [-1, -3, 1])
def test_softmax_8_and_log_softmax_take_negative_axes(axis):
    x = rand((2, 3, 4), low=-50, high=50)
    (out,) = run_op(lambda a: ov.opset8.softmax(a, axis), [x])
    assert_close(out, onnx_reference("Softmax", [x], axis=axis)[0], rtol=1e-5, atol=1e-6)
    (log,) = run_op(lambda a: ov.opset5.log_softmax(a, axis), [x], dynamic=True)
    # in f64: onnx.reference takes the log of the softmax, which loses precision in f32
    expected = onnx_reference("LogSoftmax", [x.astype("float64")], axis=axis)[0].astype(x.dtype)
    assert_close(log, expected, rtol=1e-6, atol=1e-6)


def test_softmax_errors():
    data = ov.opset8.parameter([2, 3])
    with pytest.raises(ov.graph.node.NodeValidationError, match="non-negative axis"):
        ov.opset1.softmax(data, -1)
    with pytest.raises(ov.graph.node.NodeValidationError, match="out of range"):
        ov.opset8.softmax(data, 2)
    with pytest.raises(ov.graph.node.NodeValidationError, match="real element type"):
        ov.opset8.softmax(ov.opset8.parameter([2, 3], ov.Type.i32), 1)
    assert (
        ov.opset8.softmax(ov.opset8.parameter(ov.PartialShape.dynamic()), -4).get_output_partial_shape(0)
        == ov.PartialShape.dynamic()
    )
