"""The CPU executor's per-inference path: input binding (zero-copy, rebinding, non-contiguous and
converted inputs), output sharing between consecutive inferences, threads and errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import F32, rand
from vinopy.plugins.cpu.dnnl import api

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


def test_set_num_threads_calls_the_library_only_on_a_change(monkeypatch) -> None:
    calls = []
    real = api.library().omp_set_num_threads
    monkeypatch.setattr(api.library(), "omp_set_num_threads", lambda n: calls.append(n) or real(n))
    api.set_num_threads(1)
    api.set_num_threads(1)
    api.set_num_threads(2)
    api.set_num_threads(1)
    assert calls[-2:] == [2, 1] and len(calls) <= 3  # the first may be skipped: already 1 here
