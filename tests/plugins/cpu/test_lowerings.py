"""Each lowering against TEMPLATE, and that it really ran on oneDNN."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import F32, backends, check, model_of, rand

ops = ov.opset13

pytestmark = pytest.mark.usefixtures("cpu_plugin")


def _on_onednn(model: ov.Model, node_name: str) -> None:
    assert backends(model)[node_name] == "oneDNN", backends(model)


@pytest.mark.parametrize(
    ("sa", "sb", "ta", "tb"),
    [
        ((4, 16), (16, 8), False, False),
        ((3, 4, 16), (8, 16), False, True),
        ((2, 3, 16, 5), (2, 1, 16, 7), True, False),
        ((5, 16), (2, 16, 8), False, False),
    ],
)
def test_matmul_constant_weights(sa: tuple, sb: tuple, ta: bool, tb: bool) -> None:
    w = rand(*sb, seed=1)
    model = model_of(lambda a: ops.matmul(a, ops.constant(w), ta, tb, name="mm"), [sa])
    check(model, [rand(*sa)])
    _on_onednn(model, "mm")


def test_matmul_two_inputs_transposed() -> None:
    model = model_of(lambda a, b: ops.matmul(a, b, True, True, name="mm"), [(2, 16, 4), (2, 8, 16)])
    check(model, [rand(2, 16, 4), rand(2, 8, 16, seed=3)])
    _on_onednn(model, "mm")


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "exp", "abs", "hswish", "mish"])
def test_activations(name: str) -> None:
    model = model_of(lambda x: getattr(ops, name)(x, name="act"), [(2, 3, 5)])
    check(model, [rand(2, 3, 5, low=-3, high=3)])
    _on_onednn(model, "act")


def test_activations_with_attributes() -> None:
    def build(x: ov.Output) -> list:
        return [
            ops.elu(x, 0.7, name="elu"),
            ops.clamp(x, -0.5, 0.8, name="clamp"),
            ops.gelu(x, "tanh", name="gelu_t"),
            ops.gelu(x, name="gelu"),
            ops.swish(x, ops.constant(np.float32(1.5)), name="swish"),
        ]

    model = model_of(build, [(4, 7)])
    check(model, [rand(4, 7, low=-3, high=3)], rtol=1e-4, atol=1e-5)
    for name in ("elu", "clamp", "gelu_t", "gelu", "swish"):
        _on_onednn(model, name)


def test_log_sqrt_on_positive() -> None:
    model = model_of(lambda x: [ops.log(x, name="log"), ops.sqrt(x, name="sqrt")], [(3, 8)])
    check(model, [rand(3, 8, low=0.1, high=4)])
    _on_onednn(model, "log")


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "divide", "maximum", "minimum"])
@pytest.mark.parametrize(("sa", "sb"), [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (3, 1)), ((4,), (2, 3, 4))])
def test_binary_broadcast(op: str, sa: tuple, sb: tuple) -> None:
    if not hasattr(ops, op):
        pytest.skip(f"{op} is not defined yet")
    model = model_of(lambda a, b: getattr(ops, op)(a, b, name="bin"), [sa, sb])
    check(model, [rand(*sa), rand(*sb, seed=5, low=0.5, high=2)])


def test_binary_with_constant() -> None:
    c = rand(1, 3, 1, 1, seed=2)
    model = model_of(lambda a: ops.multiply(a, ops.constant(c), name="mul"), [(2, 3, 4, 4)])
    check(model, [rand(2, 3, 4, 4)])
    _on_onednn(model, "mul")


def test_constant_broadcast_after_a_blocked_convolution_is_not_the_reference_kernel() -> None:
    # the convolution's output is also a model output, so the bias Add is a step of its own, reading
    # the blocked layout the convolution wrote
    w, bias = rand(32, 3, 3, 3, seed=2), rand(1, 32, 1, 1, seed=3)

    def build(x: ov.Output) -> list[ov.Node]:
        conv = _conv(x, w, [2, 2], ([1, 1], [1, 1]), [1, 1])
        return [ops.relu(ops.add(conv, ops.constant(bias), name="bias")), conv]

    model = model_of(build, [(1, 3, 64, 64)])
    check(model, [rand(1, 3, 64, 64)])
    request = ov.Core().compile_model(model, "CPU", {**F32, "PERF_COUNT": True}).create_infer_request()
    request.infer([rand(1, 3, 64, 64)])
    kernel = next(p.exec_type for p in request.profiling_info if p.node_name == "bias")
    assert not kernel.startswith("ref"), kernel


def _conv(
    x: ov.Output,
    w: np.ndarray,
    strides: list,
    pads: tuple,
    dil: list,
    auto: str = "explicit",
    name: str = "conv",
) -> ov.Node:
    return ops.convolution(x, ops.constant(w), strides, pads[0], pads[1], dil, auto, name=name)


@pytest.mark.parametrize(
    ("shape", "wshape", "strides", "pads", "dil", "auto"),
    [
        ((1, 3, 9, 9), (8, 3, 3, 3), [1, 1], ([1, 1], [1, 1]), [1, 1], "explicit"),
        ((2, 4, 10, 7), (6, 4, 3, 2), [2, 1], ([0, 1], [1, 0]), [1, 2], "explicit"),
        ((1, 4, 11, 11), (4, 4, 3, 3), [2, 2], ([0, 0], [0, 0]), [1, 1], "same_upper"),
        ((1, 2, 12), (5, 2, 3), [2], ([0], [0]), [1], "valid"),
    ],
)
def test_convolution(shape: tuple, wshape: tuple, strides: list, pads: tuple, dil: list, auto: str) -> None:
    w = rand(*wshape, seed=7)
    model = model_of(lambda x: _conv(x, w, strides, pads, dil, auto), [shape])
    check(model, [rand(*shape)], rtol=1e-4, atol=1e-4)
    _on_onednn(model, "conv")


@pytest.mark.parametrize("groups", [2, 8])
def test_group_and_depthwise_convolution(groups: int) -> None:
    w = rand(groups, 16 // groups, 8 // groups, 3, 3, seed=9)
    model = model_of(
        lambda x: ops.group_convolution(x, ops.constant(w), [1, 1], [1, 1], [1, 1], [1, 1], name="gconv"),
        [(1, 8, 6, 6)],
    )
    check(model, [rand(1, 8, 6, 6)], atol=1e-4)
    _on_onednn(model, "gconv")


@pytest.mark.parametrize(
    ("kind", "kernel", "strides", "pads", "rounding", "exclude"),
    [
        ("max", [2, 2], [2, 2], ([0, 0], [0, 0]), "floor", False),
        ("max", [3, 3], [2, 2], ([1, 1], [1, 1]), "ceil", False),
        ("avg", [3, 3], [1, 1], ([1, 1], [1, 1]), "floor", True),
        ("avg", [3, 3], [1, 1], ([1, 1], [1, 1]), "floor", False),
        ("avg", [2, 2], [2, 2], ([0, 0], [0, 0]), "ceil", True),
    ],
)
def test_pooling(kind: str, kernel: list, strides: list, pads: tuple, rounding: str, exclude: bool) -> None:
    def build(x: ov.Output) -> ov.Node:
        if kind == "max":
            return ops.max_pool(x, strides, [1, 1], pads[0], pads[1], kernel, rounding, name="pool").output(0)
        return ops.avg_pool(x, strides, pads[0], pads[1], kernel, exclude, rounding, name="pool")

    model = model_of(build, [(2, 3, 9, 9)])
    check(model, [rand(2, 3, 9, 9)])
    _on_onednn(model, "pool")


@pytest.mark.parametrize("axis", [1, -1])
def test_softmax(axis: int) -> None:
    if not hasattr(ops, "softmax"):
        pytest.skip("Softmax is not defined yet")
    model = model_of(lambda x: ops.softmax(x, axis, name="sm"), [(2, 5, 7)])
    check(model, [rand(2, 5, 7, low=-4, high=4)])
    _on_onednn(model, "sm")


@pytest.mark.parametrize(
    ("op", "keep"), [("reduce_sum", True), ("reduce_mean", False), ("reduce_l1", False), ("reduce_l2", True)]
)
def test_reductions(op: str, keep: bool) -> None:
    if not hasattr(ops, op):
        pytest.skip(f"{op} is not defined yet")
    axes = ops.constant(np.array([1, -1], dtype=np.int64))
    model = model_of(lambda x: getattr(ops, op)(x, axes, keep, name="red"), [(2, 3, 4, 5)])
    check(model, [rand(2, 3, 4, 5)])
    _on_onednn(model, "red")


def test_concat() -> None:
    model = model_of(lambda a, b: ops.concat([a, b], 1, name="cat"), [(2, 3, 4), (2, 5, 4)])
    check(model, [rand(2, 3, 4), rand(2, 5, 4, seed=4)])
    _on_onednn(model, "cat")


def test_concat_with_a_constant_computed_from_a_shape() -> None:
    """A static ShapeOf is a compile-time constant, and so is what is computed from it."""

    def build(a: ov.Output) -> ov.Output:
        shape = ops.convert(ops.shape_of(a), "f32")
        return ops.concat([a, ops.reshape(shape, [1, 2], False)], 0, name="cat")

    model = model_of(build, [(3, 2)])
    check(model, [rand(3, 2)])
    _on_onednn(model, "cat")


@pytest.mark.parametrize(
    ("shape", "wshape", "strides", "pads", "out_pad", "groups"),
    [
        ((1, 4, 5, 5), (4, 6, 3, 3), [2, 2], ([1, 1], [1, 1]), [0, 0], 1),
        ((2, 4, 4, 6), (4, 3, 2, 3), [1, 2], ([0, 1], [0, 0]), [0, 1], 1),
        ((1, 4, 5, 5), (2, 2, 3, 3, 3), [2, 2], ([0, 0], [0, 0]), [1, 1], 2),
    ],
)
def test_convolution_backprop_data(
    shape: tuple, wshape: tuple, strides: list, pads: tuple, out_pad: list, groups: int
) -> None:
    w = ops.constant(rand(*wshape, seed=11))
    make = ops.group_convolution_backprop_data if groups > 1 else ops.convolution_backprop_data

    def build(x: ov.Output) -> ov.Node:
        return make(x, w, strides, None, pads[0], pads[1], [1, 1], "explicit", out_pad, name="deconv")

    model = model_of(build, [shape])
    check(model, [rand(*shape)], atol=1e-4)
    _on_onednn(model, "deconv")


@pytest.mark.parametrize(
    ("mode", "coords", "nearest"),
    [
        ("linear", "half_pixel", "floor"),
        ("linear_onnx", "half_pixel", "floor"),
        ("nearest", "half_pixel", "round_prefer_ceil"),
        ("nearest", "tf_half_pixel_for_nn", "floor"),
    ],
)
@pytest.mark.parametrize("sizes", [(10, 12), (3, 5), (8, 8)])
def test_interpolate(mode: str, coords: str, nearest: str, sizes: tuple) -> None:
    target = ops.constant(np.array(sizes, dtype=np.int64))
    axes = ops.constant(np.array([2, 3], dtype=np.int64))

    def build(x: ov.Output) -> ov.Node:
        return ov.opset11.interpolate(
            x, target, mode, "sizes", [0], [0], coords, nearest, name="resize", axes=axes
        )

    model = model_of(build, [(1, 2, 5, 6)])
    check(model, [rand(1, 2, 5, 6)], atol=1e-5)
    _on_onednn(model, "resize")


@pytest.mark.parametrize(("axes", "size"), [([1], 5), ([1], 3), ([2, 3], 3)])
def test_lrn(axes: list, size: int) -> None:
    model = model_of(
        lambda x: ops.lrn(x, ops.constant(np.array(axes, np.int64)), 0.3, 0.75, 1.5, size, name="lrn"),
        [(2, 7, 5, 5)],
    )
    check(model, [rand(2, 7, 5, 5)])
    _on_onednn(model, "lrn")


@pytest.mark.parametrize("axes", [[-1], [2, 3]])
def test_mvn_as_layer_normalization(axes: list) -> None:
    model = model_of(
        lambda x: ops.mvn(x, ops.constant(np.array(axes, np.int64)), True, 1e-5, "inside_sqrt", name="mvn"),
        [(2, 3, 4, 16)],
    )
    check(model, [rand(2, 3, 4, 16)], atol=1e-4)
    _on_onednn(model, "mvn")


def test_mvn_without_variance_falls_back() -> None:
    model = model_of(
        lambda x: ops.mvn(x, ops.constant(np.array([-1], np.int64)), False, 1e-5, "inside_sqrt", name="mvn"),
        [(2, 8)],
    )
    check(model, [rand(2, 8)])
    assert backends(model)["mvn"] == "numpy"


def _plan_step_types(model: ov.Model) -> list[str]:
    compiled = ov.Core().compile_model(model, "CPU", F32)
    plan = next(iter(compiled._executable._plans.values()))
    return [step.type_name for step in plan.steps]


def _sppf(x: ov.Output, channels: int, order: tuple[int, ...] = (0, 1, 2)) -> ov.Node:
    """A conv, two max pools of it and their concat along channels (YOLO's SPPF), then a 1x1 conv."""
    first = _conv(x, rand(channels, 3, 3, 3, seed=11), [1, 1], ([1, 1], [1, 1]), [1, 1], name="conv")
    pools = [first]
    for i in range(2):
        pools.append(
            ops.max_pool(pools[-1], [1, 1], [1, 1], [2, 2], [2, 2], [5, 5], name=f"pool{i}").output(0)
        )
    cat = ops.concat([pools[i] for i in order], 1, name="cat")
    return _conv(cat, rand(4, 3 * channels, 1, 1, seed=12), [1, 1], ([0, 0], [0, 0]), [1, 1], name="head")


def test_concat_of_whole_channel_blocks_is_written_in_place() -> None:
    model = model_of(lambda x: _sppf(x, 16), [(1, 3, 10, 10)])
    check(model, [rand(1, 3, 10, 10)])
    assert backends(model)["cat"] == "view"
    steps = [t for t in _plan_step_types(model) if t != "Reorder"]  # the output's, to plain
    assert steps == ["Convolution", "MaxPool", "MaxPool", "Convolution"]


@pytest.mark.parametrize(
    ("channels", "order", "shape"),
    [(12, (0, 1, 2), (1, 3, 10, 10)), (16, (2, 0, 1), (1, 3, 10, 10)), (16, (0, 1, 2), (2, 3, 10, 10))],
    ids=["partial-blocks", "first-input-written-last", "two-images"],
)
def test_concat_that_cannot_be_in_place_copies(channels: int, order: tuple, shape: tuple) -> None:
    model = model_of(lambda x: _sppf(x, channels, order), [shape])
    check(model, [rand(*shape)])
    assert backends(model)["cat"] == "oneDNN"
    assert "Concat" in _plan_step_types(model)


def test_concat_in_place_keeps_a_residual_sum_out_of_its_bytes() -> None:
    """A later residual sum that reads a concat input must not accumulate into the concat's bytes."""

    def build(x: ov.Output) -> list:
        a = _conv(x, rand(16, 3, 3, 3, seed=13), [1, 1], ([1, 1], [1, 1]), [1, 1], name="a")
        b = _conv(a, rand(16, 16, 3, 3, seed=14), [1, 1], ([1, 1], [1, 1]), [1, 1], name="b")
        cat = ops.concat([a, b], 1, name="cat")
        c = _conv(b, rand(16, 16, 1, 1, seed=15), [1, 1], ([0, 0], [0, 0]), [1, 1], name="c")
        return [ops.relu(cat, name="cat_out"), ops.add(c, a, name="sum")]

    model = model_of(build, [(1, 3, 8, 8)])
    check(model, [rand(1, 3, 8, 8)])
    assert backends(model)["cat"] == "view"
    assert backends(model)["sum"] == "fused into c"


def _avx2_only() -> bool:
    from vinopy.plugins.cpu.dnnl import api
    from vinopy.plugins.cpu.dnnl import constants as dc

    return not api.has_isa(api.cpu_isa(), dc.cpu_isa_avx512_core)


def _scaled(weights: np.ndarray) -> np.ndarray:
    """Weights of a trained layer's size (1/sqrt(fan-in)), so outputs stay near 1 through wide layers."""
    return weights / np.float32(np.sqrt(weights[0].size))


@pytest.mark.skipif(not _avx2_only(), reason="the channels-last choice is for CPUs without AVX-512")
@pytest.mark.parametrize(("channels", "channels_last"), [(128, True), (64, False)])
def test_wide_3x3_convolution_runs_channels_last_between_blocked_ones(
    channels: int, channels_last: bool
) -> None:
    """A bottleneck: 1x1 -> 3x3 -> 1x1 + residual. On AVX2 the 3x3 over many channels of a small
    image runs channels-last (oneDNN's brgemm kernel), with a reorder on each side; the 1x1 kernels
    stay in the blocked layout, and a 3x3 over fewer channels keeps it too."""

    def build(x: ov.Output) -> ov.Node:
        same, none = ([1, 1], [1, 1]), ([0, 0], [0, 0])
        stem = ops.relu(
            _conv(x, _scaled(rand(channels, 3, 3, 3, seed=21)), [1, 1], same, [1, 1], name="stem")
        )
        wide = ops.relu(
            _conv(stem, _scaled(rand(channels, channels, 3, 3, seed=22)), [1, 1], same, [1, 1], name="wide")
        )
        return ops.add(
            _conv(wide, _scaled(rand(channels, channels, 1, 1, seed=23)), [1, 1], none, [1, 1], name="out"),
            stem,
        )

    model = model_of(build, [(1, 3, 14, 14)])
    check(model, [rand(1, 3, 14, 14)])
    compiled = ov.Core().compile_model(model, "CPU", F32)
    plan = next(iter(compiled._executable._plans.values()))
    kernels = {step.name: step.exec_type for step in plan.steps}
    assert kernels["wide"].startswith("brgconv") == channels_last, kernels
    assert kernels["out"].startswith("jit_1x1"), kernels
    reorders = [name for name in kernels if name.endswith("/reorder")]
    assert len(reorders) == 1 + 2 * channels_last, reorders  # the output's, and the two around "wide"
