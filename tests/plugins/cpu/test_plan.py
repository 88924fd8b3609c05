"""Fusion, numpy fallback inside a plan, dynamic shapes, profiling and the device's properties."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import F32, backends, check, check_bf16, model_of, rand
from vinopy.plugins.cpu import CPUPlugin
from vinopy.runtime.plugin import ProfilingInfo

ops = ov.opset13

pytestmark = pytest.mark.usefixtures("cpu_plugin")


def _conv_block(x: ov.Output, skip: ov.Output | None, channels: int, seed: int, name: str) -> ov.Node:
    w = rand(channels, channels, 3, 3, seed=seed) * 0.3
    conv = ops.convolution(x, ops.constant(w), [1, 1], [1, 1], [1, 1], [1, 1], name=name)
    y = ops.add(conv, ops.constant(rand(1, channels, 1, 1, seed=seed + 1)), name=f"{name}_bias")
    if skip is not None:
        y = ops.add(y, skip, name=f"{name}_residual")
    return ops.relu(y, name=f"{name}_relu")


def _resnet_block(x: ov.Output) -> ov.Node:
    first = _conv_block(x, None, 8, 1, "c1")
    return _conv_block(first, x, 8, 3, "c2")


def test_conv_bias_relu_residual_fused() -> None:
    model = model_of(_resnet_block, [(2, 8, 7, 7)])
    check(model, [rand(2, 8, 7, 7)], atol=1e-4)
    found = backends(model)
    assert found["c1"] == found["c2"] == "oneDNN"
    for name in ("c1_bias", "c1_relu", "c2_bias", "c2_residual", "c2_relu"):
        assert found[name].startswith("fused into"), found


@pytest.mark.parametrize("expose_middle", [False, True])
def test_residual_accumulates_in_place_only_when_nothing_reads_it_later(expose_middle: bool) -> None:
    def build(x: ov.Output) -> list:
        stem = ops.relu(ops.convolution(x, ops.constant(rand(8, 3, 3, 3)), [1, 1], [1, 1], [1, 1], [1, 1]))
        middle = _conv_block(_conv_block(stem, None, 8, 1, "a1"), stem, 8, 3, "a2")
        last = _conv_block(_conv_block(middle, None, 8, 5, "b1"), middle, 8, 7, "b2")
        return [last, middle] if expose_middle else [last]

    model = model_of(build, [(1, 3, 7, 7)])
    check(model, [rand(1, 3, 7, 7)], atol=1e-4)
    assert backends(model)["b2_residual"] == "fused into b2"
    compiled = ov.Core().compile_model(model, "CPU", F32)
    plan = next(iter(compiled._executable._plans.values()))
    copies = [s.name for s in plan.steps if s.name.endswith("/residual/reorder")]
    assert copies == (["b2/residual/reorder"] if expose_middle else [])


def test_batch_norm_folded_into_convolution() -> None:
    if not hasattr(ops, "batch_norm_inference"):
        pytest.skip("BatchNormInference is not defined yet")
    c = 6
    w = rand(c, 3, 3, 3, seed=2)
    gamma, beta, mean = rand(c, seed=3) + 1.5, rand(c, seed=4), rand(c, seed=5)
    var = rand(c, seed=6, low=0.2, high=1.0)

    def build(x: ov.Output) -> ov.Node:
        conv = ops.convolution(x, ops.constant(w), [1, 1], [0, 0], [0, 0], [1, 1], name="conv")
        bn = ops.batch_norm_inference(conv, gamma, beta, mean, var, 1e-5, name="bn")
        return ops.relu(bn, name="relu")

    model = model_of(build, [(1, 3, 8, 8)])
    check(model, [rand(1, 3, 8, 8)], atol=1e-4)
    assert backends(model)["bn"] == "fused into conv"


def test_matmul_bias_activation_mlp() -> None:
    w1, w2 = rand(32, 16, seed=1), rand(16, 10, seed=2)

    def build(x: ov.Output) -> ov.Node:
        h = ops.relu(
            ops.add(ops.matmul(x, ops.constant(w1), False, False, name="fc1"), ops.constant(rand(16, seed=3)))
        )
        return ops.softmax(
            ops.add(
                ops.matmul(h, ops.constant(w2), False, False, name="fc2"), ops.constant(rand(10, seed=4))
            ),
            1,
        )

    model = model_of(build, [(4, 32)])
    check(model, [rand(4, 32)])


def test_numpy_fallback_in_the_same_plan() -> None:
    # Floor has no lowering: it runs numpy between two oneDNN steps, with reorders at its edges
    w = rand(4, 3, 3, 3, seed=1)

    def build(x: ov.Output) -> ov.Node:
        conv = ops.convolution(x, ops.constant(w), [1, 1], [1, 1], [1, 1], [1, 1], name="conv")
        floor = ops.floor(ops.multiply(conv, ops.constant(np.float32(4))), name="floor")
        return ops.max_pool(
            ops.relu(floor, name="relu"), [2, 2], [1, 1], [0, 0], [0, 0], [2, 2], name="pool"
        ).output(0)

    model = model_of(build, [(1, 3, 8, 8)])
    check(model, [rand(1, 3, 8, 8)], atol=1e-3)
    found = backends(model)
    assert found["floor"] == "numpy" and found["conv"] == "oneDNN" and found["pool"] == "oneDNN"


def test_dynamic_shapes_replan_per_input_shape() -> None:
    w = rand(8, 4, seed=1)
    model = model_of(lambda x: ops.relu(ops.matmul(x, ops.constant(w), False, False)), [(2, 8)], dynamic=True)
    compiled = ov.Core().compile_model(model, "CPU", F32)
    request = compiled.create_infer_request()
    for batch in (1, 5, 1, 3):
        x = rand(batch, 8, seed=batch)
        np.testing.assert_allclose(request.infer([x])[0], np.maximum(x @ w, 0), rtol=1e-5, atol=1e-6)
    assert len(compiled._executable._plans) == 3


def test_data_dependent_shapes_stay_on_numpy() -> None:
    # NonZero's output shape is known only at run time: what reads it runs numpy too
    def build(x: ov.Output) -> ov.Node:
        picked = ops.convert(ops.non_zero(ops.relu(x), "i64"), "f32")
        return ops.relu(ops.multiply(picked, ops.constant(np.float32(2))), name="late_relu")

    model = model_of(build, [(3, 4)])
    check(model, [rand(3, 4)])
    assert backends(model)["late_relu"] == "numpy"


def test_outputs_of_every_kind_and_repeated_runs() -> None:
    # a result that is an input, one from numpy, one from oneDNN; runs reuse the request's buffers
    model = model_of(lambda x: [x, ops.floor(x), ops.relu(x)], [(3, 4)])
    request = ov.Core().compile_model(model, "CPU", F32).create_infer_request()
    for seed in range(3):
        x = rand(3, 4, seed=seed)
        out = request.infer([x])
        np.testing.assert_array_equal(out[0], x)
        np.testing.assert_array_equal(out[1], np.floor(x))
        np.testing.assert_array_equal(out[2], np.maximum(x, 0))


def test_profiling_rows_name_the_implementation() -> None:
    model = model_of(_resnet_block, [(1, 8, 6, 6)])
    compiled = ov.Core().compile_model(model, "CPU", {**F32, "PERF_COUNT": True})
    request = compiled.create_infer_request()
    request.infer([rand(1, 8, 6, 6)])
    rows = {r.node_name: r for r in request.get_profiling_info()}
    assert rows["c1"].exec_type not in ("numpy", "") and rows["c1"].node_type == "Convolution"
    assert rows["c2_relu"].status == ProfilingInfo.OPTIMIZED_OUT


def test_async_requests_and_streams() -> None:
    model = model_of(_resnet_block, [(1, 8, 6, 6)])
    core = ov.Core()
    compiled = core.compile_model(model, "CPU", {**F32, "PERFORMANCE_HINT": "THROUGHPUT"})
    reference = core.compile_model(model, "TEMPLATE")
    queue = ov.AsyncInferQueue(compiled, 2)
    inputs = [rand(1, 8, 6, 6, seed=s) for s in range(6)]
    results: dict[int, np.ndarray] = {}
    queue.set_callback(lambda request, i: results.__setitem__(i, request.results[0].copy()))
    for i, x in enumerate(inputs):
        queue.start_async([x], i)
    queue.wait_all()
    for i, x in enumerate(inputs):
        np.testing.assert_allclose(results[i], reference([x])[0], rtol=1e-4, atol=1e-4)


def test_streams_and_threads_from_hints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vinopy.plugins.cpu.plugin.core_count", lambda: 2)
    plugin = CPUPlugin()
    throughput = plugin.compile_config({"PERFORMANCE_HINT": "THROUGHPUT"})
    latency = plugin.compile_config({"PERFORMANCE_HINT": "LATENCY"})
    assert (throughput["NUM_STREAMS"], throughput["INFERENCE_NUM_THREADS"]) == (2, 1)
    assert (latency["NUM_STREAMS"], latency["INFERENCE_NUM_THREADS"]) == (1, 2)
    explicit = plugin.compile_config({"NUM_STREAMS": 3, "INFERENCE_NUM_THREADS": 1})
    assert (explicit["NUM_STREAMS"], explicit["INFERENCE_NUM_THREADS"]) == (3, 1)
    compiled = ov.Core().compile_model(
        model_of(ops.relu, [(2, 2)]), "CPU", {"PERFORMANCE_HINT": "THROUGHPUT"}
    )
    assert compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS") == 2
    assert compiled.get_property("INFERENCE_NUM_THREADS") == 1


def test_precision_defaults_to_bf16_only_where_the_cpu_has_it() -> None:
    plugin = CPUPlugin()
    default = plugin.compile_config({})["INFERENCE_PRECISION_HINT"]
    assert default == (ov.Type.bf16 if plugin.bf16_by_default() else ov.Type.f32)
    assert ov.Core().get_property("CPU", "INFERENCE_PRECISION_HINT") == default
    assert (
        plugin.compile_config({"INFERENCE_PRECISION_HINT": "f32"})["INFERENCE_PRECISION_HINT"] == ov.Type.f32
    )


def test_bf16_inference() -> None:
    if not CPUPlugin().supports_bf16():
        pytest.skip("this CPU has no native bf16 (avx512_core_bf16)")
    check_bf16(model_of(_resnet_block, [(2, 8, 7, 7)]), [rand(2, 8, 7, 7)])


def test_device_properties() -> None:
    core = ov.Core()
    assert "CPU" in core.available_devices
    assert core.get_property("CPU", "FULL_DEVICE_NAME")
    assert "FP32" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    model = model_of(lambda x: ops.relu(x), [(2, 2)])
    assert set(core.query_model(model, "CPU").values()) == {"CPU"}


def test_unavailable_library_is_reported() -> None:
    from vinopy.plugins.cpu.dnnl import loader

    with pytest.raises(OSError, match="libdnnl|No such file|cannot open"):
        loader.load("/nonexistent/libdnnl.so.3")


def test_unavailable_library_means_no_cpu_device(monkeypatch: pytest.MonkeyPatch) -> None:
    from vinopy.plugins.cpu.dnnl import api

    monkeypatch.setattr(api, "_lib", None)
    monkeypatch.setattr(api, "_load_error", "")
    monkeypatch.setattr("vinopy.plugins.cpu.dnnl.loader.candidate_paths", lambda *names: [])
    core = ov.Core()
    assert "CPU" not in core.available_devices
    model = model_of(lambda x: ops.relu(x), [(2, 2)])
    with pytest.raises(RuntimeError, match=r"oneDNN cannot be loaded.*\.so[.0-9]* not found \(install the '"):
        core.compile_model(model, "CPU")
    assert core.compile_model(model, "AUTO")(np.ones((2, 2), np.float32))[0].shape == (2, 2)


def test_nodes_sharing_a_friendly_name_all_run() -> None:
    # OpenVINO allows duplicate friendly names; the plan must not take one node for another
    def build(x: ov.Output) -> ov.Node:
        hidden = ops.sigmoid(ops.relu(x, name="same"), name="same")
        return ops.add(hidden, ops.constant(np.full((1, 8), 2, np.float32)), name="same")

    check(model_of(build, [(1, 8)]), [np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8)])
