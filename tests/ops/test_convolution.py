import time

import numpy as np
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op

ops = ov.opset13
ONNX_PADS = {"explicit": "NOTSET", "same_upper": "SAME_UPPER", "same_lower": "SAME_LOWER", "valid": "VALID"}


def _onnx_conv(x, w, strides, pads_begin, pads_end, dilations, auto_pad, group=1):
    attrs = {"strides": strides, "dilations": dilations, "group": group, "auto_pad": ONNX_PADS[auto_pad]}
    if auto_pad == "explicit":
        attrs["pads"] = pads_begin + pads_end
    return onnx_reference("Conv", [x, w], **attrs)[0]


@pytest.mark.parametrize("auto_pad", ["explicit", "same_upper", "same_lower", "valid"])
@pytest.mark.parametrize(
    "x_shape,w_shape,strides,pads_begin,pads_end,dilations",
    [
        ((2, 3, 11), (4, 3, 3), [2], [1], [2], [1]),
        ((1, 4, 9, 8), (6, 4, 3, 2), [2, 1], [1, 0], [0, 1], [1, 2]),
        ((1, 2, 5, 6, 4), (3, 2, 2, 3, 1), [1, 2, 1], [0, 1, 0], [1, 1, 0], [2, 1, 1]),
    ],
)
def test_convolution_matches_onnx(auto_pad, x_shape, w_shape, strides, pads_begin, pads_end, dilations):
    x, w = rand(x_shape), rand(w_shape)
    (out,) = run_op(
        lambda a, b: ops.convolution(a, b, strides, pads_begin, pads_end, dilations, auto_pad), [x, w]
    )
    expected = _onnx_conv(x, w, strides, pads_begin, pads_end, dilations, auto_pad)
    assert_close(out, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("auto_pad", ["explicit", "same_upper"])
def test_convolution_dynamic_shapes(auto_pad):
    x, w = rand((2, 3, 10, 7)), rand((5, 3, 3, 3))
    build = lambda a, b: ops.convolution(a, b, [2, 2], [1, 1], [1, 1], [1, 1], auto_pad)  # noqa: E731
    (out,) = run_op(build, [x, w], dynamic=True)
    assert_close(out, _onnx_conv(x, w, [2, 2], [1, 1], [1, 1], [1, 1], auto_pad), rtol=1e-4, atol=1e-4)


def test_convolution_bounded_dims_and_static_channels():
    data = ops.parameter(ov.PartialShape([-1, 3, ov.Dimension(4, 10), -1]))
    node = ops.convolution(data, ops.constant(rand((8, 3, 3, 3))), [2, 2], [0, 0], [0, 0], [1, 1])
    assert node.get_output_partial_shape(0) == ov.PartialShape([-1, 8, ov.Dimension(1, 4), -1])
    dyn = ops.convolution(
        ops.parameter(ov.PartialShape.dynamic()),
        ops.constant(rand((8, 3, 3, 3))),
        [1, 1],
        [0, 0],
        [0, 0],
        [1, 1],
    )
    assert dyn.get_output_partial_shape(0) == ov.PartialShape([-1, 8, -1, -1])


@pytest.mark.parametrize("groups,in_per_group,out_per_group", [(2, 3, 2), (6, 1, 1), (4, 1, 2)])
@pytest.mark.parametrize("dynamic", [False, True])
def test_group_convolution_matches_onnx(groups, in_per_group, out_per_group, dynamic):
    x = rand((2, groups * in_per_group, 7, 6))
    w = rand((groups, out_per_group, in_per_group, 3, 3))
    (out,) = run_op(
        lambda a, b: ops.group_convolution(a, b, [1, 2], [1, 1], [1, 0], [1, 1]), [x, w], dynamic=dynamic
    )
    expected = _onnx_conv(
        x,
        w.reshape(groups * out_per_group, in_per_group, 3, 3),
        [1, 2],
        [1, 1],
        [1, 0],
        [1, 1],
        "explicit",
        group=groups,
    )
    assert_close(out, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "x_shape,w_shape,strides,pads_begin,pads_end,dilations,output_padding",
    [
        ((2, 3, 6), (3, 2, 3), [2], [1], [0], [1], [1]),
        ((1, 4, 5, 4), (4, 3, 3, 2), [2, 1], [1, 0], [0, 1], [1, 2], [1, 0]),
        ((1, 2, 3, 4, 2), (2, 2, 2, 2, 3), [1, 2, 2], [0, 1, 1], [0, 0, 1], [1, 1, 2], [0, 1, 0]),
    ],
)
def test_convolution_backprop_data_matches_onnx(
    x_shape, w_shape, strides, pads_begin, pads_end, dilations, output_padding
):
    x, w = rand(x_shape), rand(w_shape)
    (out,) = run_op(
        lambda a, b: ops.convolution_backprop_data(
            a, b, strides, None, pads_begin, pads_end, dilations, "explicit", output_padding
        ),
        [x, w],
    )
    (expected,) = onnx_reference(
        "ConvTranspose",
        [x, w],
        strides=strides,
        pads=pads_begin + pads_end,
        dilations=dilations,
        output_padding=output_padding,
    )
    assert_close(out, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("auto_pad", ["explicit", "same_upper", "same_lower", "valid"])
@pytest.mark.parametrize("output_shape", [None, [18, 17]])
def test_convolution_backprop_data_auto_pad_and_output_shape(auto_pad, output_shape):
    import openvino.opset1 as real

    x, w = rand((2, 4, 9, 8)), rand((4, 3, 3, 3))

    def build(o):
        return lambda a, b: o.convolution_backprop_data(
            a,
            b,
            [2, 2],
            None if output_shape is None else o.constant(np.array(output_shape)),
            [1, 0],
            [0, 1],
            [1, 1],
            auto_pad,
            [1, 0],
        )

    (out,) = run_op(build(ops), [x, w], dynamic=output_shape is not None)
    (expected,) = openvino_reference(build(real), [x, w], compile_cpu=True)
    assert_close(out, expected, rtol=1e-4, atol=1e-4)


def test_convolution_backprop_data_defaults_and_dynamic():
    x, w = rand((1, 3, 4, 5)), rand((3, 2, 3, 3))
    (out,) = run_op(lambda a, b: ops.convolution_backprop_data(a, b, [2, 2]), [x, w], dynamic=True)
    (expected,) = onnx_reference("ConvTranspose", [x, w], strides=[2, 2])
    assert_close(out, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("groups,in_per_group,out_per_group", [(2, 2, 3), (3, 1, 1)])
def test_group_convolution_backprop_data_matches_onnx(groups, in_per_group, out_per_group):
    x = rand((2, groups * in_per_group, 5, 4))
    w = rand((groups, in_per_group, out_per_group, 3, 2))
    (out,) = run_op(
        lambda a, b: ops.group_convolution_backprop_data(
            a, b, [2, 1], None, [1, 0], [0, 1], [2, 1], "explicit", [1, 0]
        ),
        [x, w],
        dynamic=True,
    )
    # onnx.reference ignores ConvTranspose's group: run each group alone
    parts = [
        onnx_reference(
            "ConvTranspose",
            [xg, wg],
            strides=[2, 1],
            pads=[1, 0, 0, 1],
            dilations=[2, 1],
            output_padding=[1, 0],
        )[0]
        for xg, wg in zip(np.split(x, groups, axis=1), w)
    ]
    expected = np.concatenate(parts, axis=1)
    assert_close(out, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "build,message",
    [
        (
            lambda: ops.convolution(
                ops.parameter([1, 3, 8, 8]), ops.parameter([4, 2, 3, 3]), [1, 1], [0, 0], [0, 0], [1, 1]
            ),
            "channels",
        ),
        (
            lambda: ops.group_convolution(
                ops.parameter([1, 6, 8, 8]), ops.parameter([4, 2, 2, 3, 3]), [1, 1], [0, 0], [0, 0], [1, 1]
            ),
            "channels",
        ),
        (
            lambda: ops.convolution_backprop_data(
                ops.parameter([1, 3, 8, 8]), ops.parameter([4, 2, 3, 3]), [1, 1]
            ),
            "channels",
        ),
        (
            lambda: ops.convolution(
                ops.parameter([1, 3, 8, 8]), ops.parameter([4, 3, 3]), [1, 1], [0, 0], [0, 0], [1, 1]
            ),
            "rank",
        ),
        (
            lambda: ops.convolution(
                ops.parameter([1, 3, 8, 8]), ops.parameter([4, 3, 3, 3]), [1], [0, 0], [0, 0], [1, 1]
            ),
            "strides",
        ),
        (
            lambda: ops.convolution(
                ops.parameter([1, 3, 2, 8]), ops.parameter([4, 3, 3, 3]), [1, 1], [0, 0], [0, 0], [1, 1]
            ),
            "larger than the padded input",
        ),
        (
            lambda: ops.convolution(
                ops.parameter([1, 3, 8, 8]),
                ops.parameter([4, 3, 3, 3]),
                [1, 1],
                [0, 0],
                [0, 0],
                [1, 1],
                "bogus",
            ),
            "auto_pad",
        ),
    ],
)
def test_convolution_rejects_bad_inputs(build, message):
    with pytest.raises(ov.graph.node.NodeValidationError, match=message):
        build()


def test_resnet50_sized_conv_stack_is_vectorized(capsys):
    """Times a ResNet-50 stem and bottleneck convolutions once; reported, not asserted."""
    layers = [
        ((1, 3, 224, 224), (64, 3, 7, 7), 2, 3),
        ((1, 64, 56, 56), (64, 64, 3, 3), 1, 1),
        ((1, 64, 56, 56), (256, 64, 1, 1), 1, 0),
        ((1, 256, 14, 14), (256, 256, 3, 3), 1, 1),
        ((1, 512, 7, 7), (2048, 512, 1, 1), 1, 0),
    ]
    nodes = []
    for x_shape, w_shape, stride, pad in layers:
        node = ops.convolution(
            ops.constant(rand(x_shape)),
            ops.constant(rand(w_shape)),
            [stride] * 2,
            [pad] * 2,
            [pad] * 2,
            [1, 1],
        )
        nodes.append((node, [rand(x_shape), rand(w_shape)]))
    start = time.perf_counter()
    for node, args in nodes:
        node.evaluate(*args)
    with capsys.disabled():
        print(f"\nResNet-50-sized conv stack ({len(layers)} layers): {time.perf_counter() - start:.3f} s")


@pytest.mark.parametrize(
    "x_shape,w_shape,group,deformable_group,zero_pad,use_mask,strides,pads_begin,pads_end,dilations",
    [
        ((1, 4, 6, 5), (6, 2, 3, 3), 2, 2, False, True, [1, 1], [1, 1], [1, 1], [1, 1]),
        ((2, 4, 7, 6), (4, 4, 2, 3), 1, 4, True, False, [2, 1], [0, 1], [1, 0], [1, 2]),
        ((1, 2, 5, 5), (2, 2, 3, 3), 1, 1, True, True, [1, 1], [0, 0], [0, 0], [1, 1]),
    ],
)
def test_deformable_convolution_matches_openvino(
    x_shape, w_shape, group, deformable_group, zero_pad, use_mask, strides, pads_begin, pads_end, dilations
):
    import openvino.opset8 as real

    x, w = rand(x_shape), rand(w_shape)
    out_size = [
        (n + b + e - (k - 1) * d - 1) // s + 1
        for n, b, e, k, d, s in zip(x_shape[2:], pads_begin, pads_end, w_shape[2:], dilations, strides)
    ]
    taps = w_shape[2] * w_shape[3]
    # offsets up to 3 pixels reach past the borders, where the two padding modes differ
    offsets = rand((x_shape[0], deformable_group * 2 * taps, *out_size), low=-3, high=3)
    mask = rand((x_shape[0], deformable_group * taps, *out_size), low=0, high=1)
    inputs = [x, offsets, w] + ([mask] if use_mask else [])

    def build(o):
        return lambda a, b, c, *m: o.deformable_convolution(
            a, b, c, strides, pads_begin, pads_end, dilations, m[0] if m else None, "explicit", group,
            deformable_group, zero_pad,
        )  # fmt: skip

    (out,) = run_op(build(ov.opset8), inputs, dynamic=use_mask)
    (expected,) = openvino_reference(build(real), inputs, compile_cpu=True)
    assert_close(out, expected, rtol=1e-4, atol=1e-4)


def test_deformable_convolution_rejects_bad_offsets():
    data, filters = ov.opset8.parameter([1, 4, 6, 6]), ov.opset8.parameter([2, 4, 3, 3])
    window = ([1, 1], [0, 0], [0, 0], [1, 1])
    with pytest.raises(ov.graph.node.NodeValidationError, match="offsets must have shape"):
        ov.opset8.deformable_convolution(data, ov.opset8.parameter([1, 9, 4, 4]), filters, *window)
    with pytest.raises(ov.graph.node.NodeValidationError, match="channels"):
        ov.opset8.deformable_convolution(data, ov.opset8.parameter([1, 18, 4, 4]), filters, *window, group=2)
