import numpy as np
import openvino as real_ov
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op


@pytest.mark.parametrize("right", [True, False])
@pytest.mark.parametrize("output_type", ["i32", "i64"])
def test_bucketize_matches_numpy_digitize(right, output_type):
    data = rand((3, 7), np.float32, -3, 3).round(1)
    buckets = np.array([-2.0, -0.5, 0.0, 0.5, 2.0], np.float32)
    data[0, :3] = buckets[:3]  # values on the boundaries
    (out,) = run_op(lambda d, b: ov.opset3.bucketize(d, b, output_type, right), [data, buckets])
    assert_close(out, np.digitize(data, buckets, right=right).astype(output_type.replace("i", "int")))


@pytest.mark.parametrize("right_mode", [False, True])
@pytest.mark.parametrize("seq_shape,values_shape", [((6,), (2, 5)), ((2, 3, 6), (2, 3, 4))])
def test_search_sorted_matches_openvino(right_mode, seq_shape, values_shape):
    seq = np.sort(rand(seq_shape, np.float32, -3, 3).round(1), axis=-1)
    values = rand(values_shape, np.float32, -3, 3).round(1)
    values.reshape(-1)[:3] = seq.reshape(-1)[:3]

    def build(ops):
        return lambda s, v: ops.search_sorted(s, v, right_mode)

    (out,) = run_op(build(ov.opset15), [seq, values], dynamic=True)
    (expected,) = openvino_reference(build(real_ov.opset15), [seq, values], compile_cpu=True)
    assert_close(out, expected)


def test_search_sorted_rejects_mismatched_batches():
    with pytest.raises(ValueError, match="all but the last axis"):
        ov.opset15.search_sorted(ov.opset15.parameter([2, 5]), ov.opset15.parameter([3, 4]))


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("is_sorted", [True, False])
def test_unique_matches_onnx_and_openvino(axis, is_sorted):
    data = rand((4, 6), np.int32, 0, 2)
    data[2] = data[0]
    data[:, 3] = data[:, 1]

    def build(d):
        return ov.opset10.unique(d, None if axis is None else np.int64(axis), is_sorted)

    outs = run_op(build, [data])
    if is_sorted:
        attrs = {} if axis is None else {"axis": axis}
        expected = onnx_reference("Unique", [data], n_outputs=4, sorted=1, **attrs)
    else:  # onnx.reference mishandles unsorted flattening and OpenVINO's CPU plugin keeps
        # duplicate slices for some inputs, so the oracle is numpy reordered by first occurrence
        expected = _unique_in_order(data, axis)
    for got, want in zip(outs, expected):
        assert_close(got, want)


def _unique_in_order(data, axis):
    """Unique values (or slices along axis) in order of first occurrence, with Unique's four outputs."""
    flat = data.reshape(-1) if axis is None else np.moveaxis(data, axis, 0)
    _, first, inverse, counts = np.unique(
        flat, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    uniques = flat[np.sort(first)]
    uniques = uniques if axis is None else np.moveaxis(uniques, 0, axis)
    return [uniques, np.sort(first), rank[inverse.reshape(-1)], counts[order]]


def test_unique_shapes_are_bounded():
    node = ov.opset10.unique(ov.opset10.parameter([4, 6]), np.int64(1), index_element_type="i32")
    shapes = [node.get_output_partial_shape(i) for i in range(4)]
    assert shapes == [
        ov.PartialShape([4, ov.Dimension(1, 6)]),
        ov.PartialShape([ov.Dimension(1, 6)]),
        ov.PartialShape([6]),
        ov.PartialShape([ov.Dimension(1, 6)]),
    ]
    assert node.get_output_element_type(1) == ov.Type.i32
    flat = ov.opset10.unique(ov.opset10.parameter([-1, 3]))
    assert flat.get_output_partial_shape(2) == ov.PartialShape([-1])


@pytest.mark.parametrize(
    "output_type,low,high",
    [
        ("f32", 0.0, 1.0),
        ("f32", -2.0, 5.0),
        ("f16", 0.0, 1.0),
        ("f64", -1.0, 1.0),
        ("i32", -5, 20),
        ("i64", -7, 2**40),
    ],
)
def test_random_uniform_matches_openvino_for_the_same_seeds(output_type, low, high):
    dtype = ov.Type(output_type).to_dtype()
    shape = np.array([3, 5], np.int64)

    def build(ops):
        return lambda: ops.random_uniform(shape, dtype.type(low), dtype.type(high), output_type, 150, 10)

    (out,) = run_op(build(ov.opset8), [])
    (expected,) = openvino_reference(build(real_ov.opset8), [])
    assert_close(out, expected)
    assert np.all((out >= low) & (out < high))


def test_random_uniform_is_not_folded_and_unseeded_runs_differ():
    node = ov.opset8.random_uniform(np.array([64], np.int64), np.float32(0), np.float32(1), "f32")
    assert node.fold() is None
    compiled = ov.Core().compile_model(ov.Model([node], [], "r"), "TEMPLATE")
    first, second = compiled({})[0], compiled({})[0]
    assert not np.array_equal(first, second)
    shape = ov.opset8.parameter([2], ov.Type.i64)
    dynamic = ov.opset8.random_uniform(shape, np.float32(0), np.float32(1), "f32")
    assert dynamic.get_output_partial_shape(0) == ov.PartialShape([-1, -1])
    with pytest.raises(ValueError, match="output_type"):
        ov.opset8.random_uniform(np.array([2], np.int64), np.float32(0), np.float32(1), "boolean")


# OpenVINO's CPU plugin (it has no Python reference kernel) fails on signal_size -1 and on padded
# RDFT, and gives other values for multi-axis IRDFT with signal sizes: those cases are checked
# against numpy's definition below instead
FFT_CASES = [([1, 2], None), ([-1], None), ([0, 2], [2, 5]), ([2], [9]), ([1], [3])]


def _cpu_plugin_differs(name, axes, signal):
    return signal is not None and ((name == "irdft" and len(axes) > 1) or (name == "rdft" and signal[-1] > 6))


@pytest.mark.parametrize("axes,signal", FFT_CASES)
@pytest.mark.parametrize("name", ["dft", "idft", "rdft", "irdft"])
def test_fourier_transforms_match_openvino(name, axes, signal):
    if _cpu_plugin_differs(name, axes, signal):
        pytest.skip("checked against numpy below")
    x = rand((3, 4, 6) if name == "rdft" else (3, 4, 6, 2))
    args = [np.array(axes, np.int64)] + ([] if signal is None else [np.array(signal, np.int64)])

    def build(ops):
        return lambda d: getattr(ops, name)(d, *args)

    (out,) = run_op(build(ov.opset9), [x])
    (expected,) = openvino_reference(build(real_ov.opset9), [x], compile_cpu=True)
    assert_close(out, expected, rtol=1e-4, atol=1e-4)


def test_fourier_signal_sizes_beyond_openvino_cpu_match_numpy():
    x = rand((3, 4, 6, 2))
    axes, signal = np.array([0, 2], np.int64), np.array([-1, 7], np.int64)
    (out,) = run_op(lambda d: ov.opset9.irdft(d, axes, signal), [x])
    assert_close(out, np.fft.irfftn(x[..., 0] + 1j * x[..., 1], [3, 7], [0, 2]), rtol=1e-4, atol=1e-5)
    (out,) = run_op(lambda d: ov.opset9.rdft(d, axes, np.array([5, 9])), [x[..., 0]])
    expected = np.fft.rfftn(x[..., 0], [5, 9], [0, 2])
    assert_close(out, np.stack([expected.real, expected.imag], -1).astype(np.float32), rtol=1e-4, atol=1e-4)
    (roundtrip,) = run_op(
        lambda d: ov.opset9.irdft(ov.opset9.rdft(d, axes), axes, np.array([3, 6])), [x[..., 0]]
    )
    assert_close(roundtrip, x[..., 0], rtol=1e-4, atol=1e-5)


def test_fourier_shape_inference_and_errors():
    data = ov.opset9.parameter([2, -1, 8, 2])
    assert ov.opset9.dft(data, np.array([0, 1])).get_output_partial_shape(0) == ov.PartialShape([2, -1, 8, 2])
    assert ov.opset9.irdft(data, np.array([2])).get_output_partial_shape(0) == ov.PartialShape([2, -1, 14])
    real = ov.opset9.parameter([2, 5, 8])
    rdft = ov.opset9.rdft(real, np.array([1]), np.array([6]))
    assert rdft.get_output_partial_shape(0) == ov.PartialShape([2, 4, 8, 2])
    with pytest.raises(ValueError, match="complex"):
        ov.opset9.dft(real, np.array([0]))
    with pytest.raises(ValueError, match="out of range"):
        ov.opset9.dft(data, np.array([3]))
