import numpy as np
import openvino.opset8 as real8
import openvino.opset14 as real14
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op

ops = ov.opset14
ONNX_PADS = {"explicit": "NOTSET", "same_upper": "SAME_UPPER", "same_lower": "SAME_LOWER", "valid": "VALID"}
WINDOWS = [  # x_shape, kernel, strides, pads_begin, pads_end, dilations
    ((2, 3, 11), [3], [2], [1], [0], [2]),
    ((1, 2, 9, 8), [3, 2], [2, 2], [1, 0], [1, 1], [1, 2]),
    ((1, 2, 5, 6, 4), [2, 3, 2], [1, 2, 2], [0, 1, 1], [1, 1, 0], [1, 1, 1]),
]


def _onnx_attrs(kernel, strides, pads_begin, pads_end, auto_pad):
    attrs = {"kernel_shape": kernel, "strides": strides, "auto_pad": ONNX_PADS[auto_pad]}
    if auto_pad == "explicit":
        attrs["pads"] = pads_begin + pads_end
    return attrs


@pytest.mark.parametrize("auto_pad", ["explicit", "same_upper", "same_lower", "valid"])
@pytest.mark.parametrize("x_shape,kernel,strides,pads_begin,pads_end,dilations", WINDOWS)
def test_max_pool_8_values_and_indices_match_onnx(
    auto_pad, x_shape, kernel, strides, pads_begin, pads_end, dilations
):
    x = rand(x_shape)
    values, indices = run_op(
        lambda a: ops.max_pool(a, strides, dilations, pads_begin, pads_end, kernel, "floor", auto_pad), [x]
    )
    if auto_pad.startswith("same"):  # onnx.reference leaves dilations out of same padding; OpenVINO does not
        expected = openvino_reference(
            lambda a: real8.max_pool(a, strides, dilations, pads_begin, pads_end, kernel, "floor", auto_pad),
            [x],
        )
    else:
        expected = onnx_reference(
            "MaxPool",
            [x],
            n_outputs=2,
            dilations=dilations,
            **_onnx_attrs(kernel, strides, pads_begin, pads_end, auto_pad),
        )
    assert_close(values, expected[0])
    assert_close(indices, expected[1])


@pytest.mark.parametrize("axis", [1, 2, -1])
def test_max_pool_indices_axis_and_type(axis):
    x = rand((2, 3, 6, 5))

    def build(o):
        return lambda a: o.max_pool(
            a, [2, 2], [1, 1], [0, 1], [1, 0], [2, 2], "floor", "explicit", "i32", axis
        )

    values, indices = run_op(build(ops), [x], dynamic=True)
    expected = openvino_reference(build(real8), [x])
    assert indices.dtype == np.int32
    assert_close(values, expected[0])
    assert_close(indices, expected[1])


def test_max_pool_1_has_one_output():
    x = rand((1, 2, 7, 7))
    node = ov.opset1.max_pool(ov.opset1.parameter([1, 2, 7, 7]), [2, 2], [1, 1], [1, 1], [3, 3])
    assert node.get_output_size() == 1
    (out,) = run_op(lambda a: ov.opset1.max_pool(a, [2, 2], [1, 1], [1, 1], [3, 3]), [x])
    expected = onnx_reference("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])[0]
    assert_close(out, expected)


@pytest.mark.parametrize("rounding", ["floor", "ceil", "ceil_torch"])
@pytest.mark.parametrize(
    "x_shape,pads", [((1, 2, 5, 7), [1, 1]), ((1, 1, 6, 6), [1, 0]), ((2, 2, 8, 5), [0, 0])]
)
def test_pool_rounding_matches_openvino(rounding, x_shape, pads):
    x = rand(x_shape)

    def build_max(o):
        return lambda a: o.max_pool(a, [2, 2], [1, 1], pads, pads, [2, 2], rounding)

    got = run_op(build_max(ops), [x])
    for g, e in zip(got, openvino_reference(build_max(real14), [x])):
        assert_close(g, e)
    # OpenVINO's CPU plugin divides by the whole kernel over the ceil overhang when explicit pads
    # are included, and leaves the overhang out otherwise; we always leave it out (as PyTorch does)
    for exclude in (True, False) if not any(pads) else (True,):

        def build_avg(o, exclude=exclude):
            return lambda a: o.avg_pool(a, [2, 2], pads, pads, [3, 3], exclude, rounding)

        (out,) = run_op(build_avg(ops), [x], dynamic=True)
        assert_close(out, openvino_reference(build_avg(real14), [x], compile_cpu=True)[0])


@pytest.mark.parametrize("auto_pad", ["explicit", "same_upper", "same_lower", "valid"])
@pytest.mark.parametrize("exclude_pad", [True, False])
@pytest.mark.parametrize("x_shape,kernel,strides,pads_begin,pads_end,dilations", WINDOWS)
def test_avg_pool_matches_onnx(
    auto_pad, exclude_pad, x_shape, kernel, strides, pads_begin, pads_end, dilations
):
    x = rand(x_shape)
    (out,) = run_op(
        lambda a: ov.opset1.avg_pool(
            a, strides, pads_begin, pads_end, kernel, exclude_pad, "floor", auto_pad
        ),
        [x],
    )
    (expected,) = onnx_reference(
        "AveragePool",
        [x],
        count_include_pad=int(not exclude_pad),
        **_onnx_attrs(kernel, strides, pads_begin, pads_end, auto_pad),
    )
    assert_close(out, expected, rtol=1e-5, atol=1e-6)


def test_pool_dynamic_shapes_and_attributes():
    x = rand((2, 3, 9, 7))
    (out,) = run_op(lambda a: ops.avg_pool(a, [2, 2], [0, 0], [0, 0], [2, 2], True), [x], dynamic=True)
    assert_close(out, onnx_reference("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])[0])
    node = ops.max_pool(
        ops.parameter(ov.PartialShape([-1, 3, ov.Dimension(4, 9), -1])),
        [1, 1],
        [1, 1],
        [0, 0],
        [0, 0],
        [3, 3],
    )
    assert node.get_output_partial_shape(0) == ov.PartialShape([-1, 3, ov.Dimension(2, 7), -1])
    assert node.get_attributes()["kernel_shape"] == [3, 3]
    assert ops.max_pool(
        ops.parameter(ov.PartialShape.dynamic()), [1], [1], [0], [0], [3]
    ).get_output_partial_shape(0) == ov.PartialShape.dynamic(3)


@pytest.mark.parametrize(
    "build,message",
    [
        (
            lambda: ops.max_pool(ops.parameter([1, 2, 8, 8]), [1, 1], [1, 1], [0, 0], [0, 0], [3]),
            "kernel_shape",
        ),
        (lambda: ops.max_pool(ops.parameter([1, 2]), [1], [1], [0], [0], [3]), "rank 3, 4 or 5"),
        (
            lambda: ops.avg_pool(ops.parameter([1, 2, 8, 8]), [1, 1], [0, 0], [0, 0], [3, 3], True, "round"),
            "rounding_type",
        ),
        (
            lambda: ov.opset8.max_pool(
                ops.parameter([1, 2, 8, 8]), [1, 1], [1, 1], [0, 0], [0, 0], [3, 3], "ceil_torch"
            ),
            "rounding_type",
        ),
        (lambda: ops.avg_pool(ops.parameter([1, 2, 2, 8]), [1, 1], [0, 0], [0, 0], [3, 3], True), "larger"),
        (
            lambda: ops.max_pool(ops.parameter([1, 2, 8, 8]), [0, 1], [1, 1], [0, 0], [0, 0], [3, 3]),
            "strides",
        ),
    ],
)
def test_pool_rejects_bad_attributes(build, message):
    with pytest.raises(ov.graph.node.NodeValidationError, match=message):
        build()


@pytest.mark.parametrize(
    "x_shape,out_shape",
    [
        ((2, 3, 7), [3]),
        ((1, 2, 7, 9), [3, 4]),
        ((1, 2, 5, 6, 4), [2, 4, 3]),
        ((1, 1, 4, 4), [4, 4]),
        ((1, 1, 3, 5), [5, 7]),
    ],
)
def test_adaptive_pools_match_openvino(x_shape, out_shape):
    x = rand(x_shape)
    shape = np.array(out_shape, dtype=np.int64)
    (avg,) = run_op(lambda a: ops.adaptive_avg_pool(a, ops.constant(shape)), [x], dynamic=True)
    expected_avg = openvino_reference(
        lambda a: real8.adaptive_avg_pool(a, real8.constant(shape)), [x], compile_cpu=True
    )[0]
    assert_close(avg, expected_avg, rtol=1e-5, atol=1e-6)
    got = run_op(lambda a: ops.adaptive_max_pool(a, ops.constant(shape), "i32"), [x])
    expected = openvino_reference(
        lambda a: real8.adaptive_max_pool(a, real8.constant(shape), "i32"), [x], compile_cpu=True
    )
    assert got[1].dtype == np.int32
    for g, e in zip(got, expected):
        assert_close(g, e)


def test_adaptive_pool_output_shape_from_input():
    x = rand((2, 3, 6, 6))
    got = run_op(lambda a, s: ops.adaptive_max_pool(a, s), [x, np.array([2, 3], dtype=np.int64)])
    assert got[0].shape == (2, 3, 2, 3)
    assert_close(got[0], x.reshape(2, 3, 2, 3, 3, 2).max(axis=(3, 5)))
    with pytest.raises(ov.graph.node.NodeValidationError, match="output_shape"):
        ops.adaptive_avg_pool(ops.parameter([1, 2, 6, 6]), ops.constant(np.array([2, 2, 2])))


@pytest.mark.parametrize("exclude_pad", [True, False])
@pytest.mark.parametrize("rounding", ["floor", "ceil", "ceil_torch"])
@pytest.mark.parametrize(("x_shape", "kernel", "strides", "pads_begin", "pads_end", "dilations"), WINDOWS)
def test_avg_pool16_dilations(
    x_shape, kernel, strides, pads_begin, pads_end, dilations, rounding, exclude_pad
) -> None:
    """Against OpenVINO's CPU plugin (AvgPool-16 has no reference evaluate); where the ceil overhang
    meets counted padding the plugin divides differently from OpenVINO's AvgPool-1 reference (with or
    without dilations), so ONNX's AveragePool (ceil_torch) is the oracle there."""
    import openvino.opset16 as real16

    x = rand(x_shape)
    args = (strides, pads_begin, pads_end, kernel, exclude_pad, rounding, "explicit", dilations)
    (ours,) = run_op(lambda p: ov.opset16.avg_pool(p, *args), [x])
    if exclude_pad or rounding == "floor":
        (expected,) = openvino_reference(lambda p: real16.avg_pool(p, *args), [x], compile_cpu=True)
    elif rounding == "ceil_torch":
        attrs = _onnx_attrs(kernel, strides, pads_begin, pads_end, "explicit")
        (expected,) = onnx_reference(
            "AveragePool", [x], opset=19, ceil_mode=1, count_include_pad=1, dilations=dilations, **attrs
        )
    else:
        pytest.skip("no oracle for ceil rounding with counted padding")
    assert_close(ours, expected)
    node = ov.opset16.avg_pool(ov.opset16.parameter(x_shape, np.float32), *args[:-1])
    assert node.get_attributes()["dilations"] == [1] * len(kernel)  # none given: all 1
