"""The CPU executor's per-inference path: input binding (zero-copy, rebinding, non-contiguous and
converted inputs), output sharing between consecutive inferences, threads and errors."""

from __future__ import annotations

import functools
import sys
import threading

import numpy as np
import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import F32, rand
from vinopy.plugins.cpu.dnnl import api, arenas
from vinopy.plugins.cpu.dnnl import constants as dc

ops = ov.opset13

pytestmark = pytest.mark.usefixtures("cpu_plugin")

W1, B1, W2 = rand(6, 5, seed=1), rand(5, seed=2), rand(5, 3, seed=3)


def _mlp(rows: int | None = 4) -> ov.Model:
    """relu(x @ W1 + B1) @ W2 with input 'x' [rows, 6] (a dynamic first dim for None)."""
    x = ops.parameter([-1 if rows is None else rows, 6], np.float32, name="x")
    hidden = ops.relu(ops.add(ops.matmul(x, ops.constant(W1), False, False), ops.constant(B1)))
    out = ops.matmul(hidden, ops.constant(W2), False, False, name="y")
    out.output(0).set_names({"y"})
    return ov.Model([out], [x], "mlp")


def _reference(x: np.ndarray) -> np.ndarray:
    return np.maximum(x.astype(np.float32) @ W1 + B1, 0) @ W2


@pytest.fixture
def compiled() -> ov.CompiledModel:
    return ov.Core().compile_model(_mlp(), "CPU", F32)


@pytest.mark.parametrize("share_inputs", [True, False])
def test_every_new_array_is_read_not_the_one_bound_before(compiled, share_inputs) -> None:
    request = compiled.create_infer_request()
    first, second = rand(4, 6, seed=4), rand(4, 6, seed=5)
    for x in (first, second, first):
        got = request.infer(x, share_inputs=share_inputs)["y"]
        np.testing.assert_allclose(got, _reference(x), rtol=1e-5, atol=1e-6)
    first *= -2  # the same array changed in place: still read afresh
    got = request.infer(first, share_inputs=share_inputs)["y"]
    np.testing.assert_allclose(got, _reference(first), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: np.asfortranarray(x),
        lambda x: np.repeat(x, 2, axis=1)[:, ::2],  # strided view
        lambda x: x.astype(np.float64),  # converted to the port's f32
        lambda x: x.tolist(),  # nested lists, not an array
    ],
)
@pytest.mark.parametrize("share_inputs", [True, False])
def test_non_contiguous_and_converted_inputs_give_correct_results(compiled, make, share_inputs) -> None:
    x = rand(4, 6, seed=6)
    got = compiled.create_infer_request().infer({"x": make(x)}, share_inputs=share_inputs)[0]
    np.testing.assert_allclose(got, _reference(x), rtol=1e-5, atol=1e-6)


def test_unshared_input_is_copied_into_the_requests_own_memory(compiled) -> None:
    request = compiled.create_infer_request()
    x = rand(4, 6, seed=7)
    request.infer(x)
    own = request.get_input_tensor(0).data
    assert not np.shares_memory(own, x)
    given = x.copy()
    x += 1  # the caller's array changes; the request's copy does not
    np.testing.assert_array_equal(own, given)
    request.infer(rand(4, 6, seed=8))
    assert request.get_input_tensor(0).data is own  # the same memory, filled again
    shared = rand(4, 6, seed=9)
    request.infer(shared, share_inputs=True)
    assert request.get_input_tensor(0).data is shared


def test_outputs_of_consecutive_inferences(compiled) -> None:
    request = compiled.create_infer_request()
    a, b = rand(4, 6, seed=10), rand(4, 6, seed=11)
    kept = request.infer(a)["y"]
    request.infer(b)
    np.testing.assert_allclose(kept, _reference(a), rtol=1e-5, atol=1e-6)  # copies by default
    shared = request.infer(a, share_outputs=True)["y"]
    np.testing.assert_allclose(shared, _reference(a), rtol=1e-5, atol=1e-6)
    overwritten = request.infer(b, share_outputs=True)["y"]
    assert np.shares_memory(shared, overwritten)  # the request's output memory, as in OpenVINO
    np.testing.assert_allclose(shared, _reference(b), rtol=1e-5, atol=1e-6)
    assert np.shares_memory(request.get_output_tensor(0).data, shared)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (rand(3, 6), ValueError, r"input 'x' has shape \[3, 6\]; the model expects \[4,6\] "),
        (rand(4, 6, 1), ValueError, r"input 'x' has shape \[4, 6, 1\] \(rank 3\)"),
        (np.full((4, 6), "a"), TypeError, r"input 'x' has element type <U1; the model expects f32"),
    ],
)
def test_bad_inputs_raise_the_same_clear_errors(compiled, value, error, message) -> None:
    request = compiled.create_infer_request()
    request.infer(rand(4, 6))  # a first run binds everything: errors must still come after it
    with pytest.raises(error, match=message):
        request.infer(value)


def test_dynamic_batch_switches_plans_and_back() -> None:
    compiled = ov.Core().compile_model(_mlp(rows=None), "CPU", F32)
    request = compiled.create_infer_request()
    for rows in (1, 3, 1, 3):
        x = rand(rows, 6, seed=rows)
        np.testing.assert_allclose(request.infer(x)[0], _reference(x), rtol=1e-5, atol=1e-6)


def test_async_then_sync_on_one_request_and_a_thread_of_its_own(compiled) -> None:
    request = compiled.create_infer_request()
    a, b = rand(4, 6, seed=12), rand(4, 6, seed=13)
    request.start_async(a)
    got = request.infer(b)[0]  # waits for the asynchronous run, then runs in this thread
    np.testing.assert_allclose(got, _reference(b), rtol=1e-5, atol=1e-6)
    results = []
    worker = threading.Thread(target=lambda: results.append(compiled.create_infer_request().infer(a)[0]))
    worker.start()
    worker.join()
    np.testing.assert_allclose(results[0], _reference(a), rtol=1e-5, atol=1e-6)


def test_scalar_input() -> None:
    x = ops.parameter([], np.float32, name="x")
    model = ov.Model([ops.multiply(x, ops.constant(np.float32(3)))], [x], "scale")
    compiled = ov.Core().compile_model(model, "CPU", F32)
    assert compiled(np.float32(2))[0] == pytest.approx(6.0)
    assert compiled(np.array(5, np.float32))[0] == pytest.approx(15.0)


def test_on_threads_runs_in_an_arena_of_that_concurrency_and_passes_results_and_errors() -> None:
    tbb = arenas._tbb()
    assert arenas.on_threads(1, tbb.this_task_arena_max_concurrency) == 1
    every_core = arenas.core_count()
    assert arenas.on_threads(every_core, tbb.this_task_arena_max_concurrency) == every_core

    def fail() -> None:
        raise KeyError("inside the arena")

    with pytest.raises(KeyError, match="inside the arena"):
        arenas.on_threads(1, fail)


def test_without_tbb4py_streams_run_on_every_core_with_a_warning(monkeypatch) -> None:
    uncached = functools.cache(arenas._tbb.__wrapped__)  # imports again
    monkeypatch.setattr(arenas, "_tbb", uncached)
    monkeypatch.setitem(sys.modules, "tbb.api", None)  # an import of it raises ImportError
    with pytest.warns(RuntimeWarning, match="tbb4py cannot be loaded"):
        assert arenas.on_threads(1, lambda: "ran") == "ran"
    assert arenas.on_threads(1, lambda: "once") == "once"  # warned once: the failure is cached


def test_a_one_thread_model_creates_and_runs_its_primitives_on_one_thread(monkeypatch) -> None:
    seen = []
    tbb = arenas._tbb()
    real = api.Primitive.create
    monkeypatch.setattr(
        api.Primitive, "create", lambda pd: seen.append(tbb.this_task_arena_max_concurrency()) or real(pd)
    )
    compiled = ov.Core().compile_model(_mlp(), "CPU", {**F32, "INFERENCE_NUM_THREADS": 1})
    assert seen and set(seen) == {1}
    x = rand(4, 6, seed=5)
    worker = threading.Thread(target=lambda: seen.append(compiled(x)[0]))
    worker.start()
    worker.join()
    np.testing.assert_allclose(seen[-1], _reference(x), rtol=1e-5, atol=1e-5)


def _dense_layers(transpose_b: bool, widths: tuple[int, ...] = (64, 48, 32, 10)) -> ov.Model:
    """A batch-1 MLP: relu(x @ W + b) layers, the last without relu; input 'x' [1, widths[0]]."""
    x = ops.parameter([1, widths[0]], np.float32, name="x")
    h = x
    for layer, (k, n) in enumerate(zip(widths, widths[1:])):
        w = rand(n, k, seed=20 + layer) if transpose_b else rand(k, n, seed=20 + layer)
        product = ops.matmul(h, ops.constant(w), False, transpose_b)
        h = ops.add(product, ops.constant(rand(n, seed=30 + layer)), name=f"bias{layer}")
        if layer < len(widths) - 2:
            h = ops.relu(h, name=f"relu{layer}")
    return ov.Model([h], [x], "dense")


def _dense_reference(model: ov.Model, x: np.ndarray) -> np.ndarray:
    return ov.Core().compile_model(model, "TEMPLATE")(x)[0]


def _plan(compiled: ov.CompiledModel):
    return next(iter(compiled._executable._plans.values()))


@pytest.mark.parametrize("transpose_b", [False, True])
def test_single_row_dense_layers_are_one_fused_matrix_vector_step_each(transpose_b: bool) -> None:
    """Each layer of a batch-1 MLP is one gemm step, bias and relu fused, reading the
    weights as (N, K) rows (transposed strides), whether the model stores them (K, N) or (N, K)."""
    model = _dense_layers(transpose_b)
    compiled = ov.Core().compile_model(model, "CPU", {**F32, "INFERENCE_NUM_THREADS": 2})
    plan = _plan(compiled)
    assert [s.type_name for s in plan.steps] == ["MatMul"] * 3
    for step in plan.steps:
        assert "gemm" in step.exec_type and "brgemm" not in step.exec_type, step.exec_type
        weights = next(md for arg, _, md in step.args if arg == dc.ARG_WEIGHTS)
        assert weights.strides()[-2] == 1  # K varies fastest: rows of the (N, K) matrix
    fused = [f"bias{i}" for i in range(3)] + [f"relu{i}" for i in range(2)]
    assert all(plan.backends[name].startswith("fused into") for name in fused), plan.backends
    for seed in (1, 2):
        x = rand(1, 64, seed=seed)
        np.testing.assert_allclose(compiled(x)[0], _dense_reference(model, x), rtol=1e-5, atol=1e-5)


def test_single_row_of_a_rank_3_input_with_gelu() -> None:
    x = ops.parameter([1, 1, 16], np.float32, name="x")
    product = ops.matmul(x, ops.constant(rand(24, 16, seed=5)), False, True, name="mm")
    y = ops.gelu(ops.add(product, ops.constant(rand(24, seed=6))), name="act")
    model = ov.Model([y], [x], "row3d")
    compiled = ov.Core().compile_model(model, "CPU", F32)
    [step] = _plan(compiled).steps
    assert "gemm" in step.exec_type and _plan(compiled).backends["act"] == "fused into mm"
    value = rand(1, 1, 16, seed=7)
    np.testing.assert_allclose(compiled(value)[0], _dense_reference(model, value), rtol=1e-5, atol=1e-5)


def test_products_of_several_rows_stay_inner_products() -> None:
    x = ops.parameter([3, 16], np.float32, name="x")
    y = ops.matmul(x, ops.constant(rand(16, 24, seed=3)), False, False, name="mm")
    model = ov.Model([y], [x], "rows")
    compiled = ov.Core().compile_model(model, "CPU", F32)
    [step] = _plan(compiled).steps
    assert "brgemm" in step.exec_type, step.exec_type
    value = rand(3, 16, seed=4)
    np.testing.assert_allclose(compiled(value)[0], _dense_reference(model, value), rtol=1e-5, atol=1e-5)


def test_a_failing_onednn_step_raises_naming_the_step(compiled) -> None:
    request = compiled.create_infer_request()
    request.infer(rand(4, 6))
    bound = request._executor._static
    failing = bound.plan.steps[0]
    bound.runs[0] = lambda: dc.invalid_arguments  # the status a broken argument would give
    with pytest.raises(api.DnnlError, match=f"{failing.name} .*invalid"):
        request.infer(rand(4, 6))


def test_an_output_that_is_an_input_follows_each_run() -> None:
    """A static plan returns its output arrays without a lookup, except outputs bound per run."""
    x = ops.parameter([2, 3], np.float32, name="x")
    doubled = ops.multiply(x, ops.constant(np.float32(2)), name="doubled")
    model = ov.Model([doubled, x], [x], "passthrough")
    request = ov.Core().compile_model(model, "CPU", F32).create_infer_request()
    for seed in (1, 2):
        value = rand(2, 3, seed=seed)
        got = request.infer(value, share_inputs=True)  # a new array each run: the output is it
        np.testing.assert_allclose(got[0], value * 2, rtol=1e-6)
        np.testing.assert_array_equal(got[1], value)
