"""AsyncInferQueue: jobs, callbacks with userdata, idle ids, iteration."""

import gc
import threading

import numpy as np
import pytest

import vinopy as ov
import vinopy.properties.hint as hints
from tests.runtime.conftest import expected, two_input_model

B = np.zeros((2, 4), np.float32)


@pytest.fixture
def compiled(core: ov.Core) -> ov.CompiledModel:
    return core.compile_model(two_input_model(), "TEMPLATE")


def test_queue_runs_every_job_with_its_userdata(compiled: ov.CompiledModel) -> None:
    queue = ov.AsyncInferQueue(compiled, 3)
    results: dict[int, np.ndarray] = {}
    lock = threading.Lock()

    def done(request: ov.InferRequest, userdata: int) -> None:
        with lock:
            results[userdata] = request.get_output_tensor().data.copy()

    queue.set_callback(done)
    for i in range(10):
        queue.start_async({"a": np.full((2, 3), i, np.float32), "b": B}, userdata=i)
    queue.wait_all()
    assert sorted(results) == list(range(10))
    for i, value in results.items():
        np.testing.assert_allclose(value, expected(np.full((2, 3), i, np.float32), B), rtol=1e-6)
    assert queue.is_ready()


def test_queue_container_protocol(compiled: ov.CompiledModel) -> None:
    queue = ov.AsyncInferQueue(compiled, 2)
    assert len(queue) == 2 and all(isinstance(r, ov.InferRequest) for r in queue)
    assert queue[1] is list(queue)[1]
    assert queue.get_idle_request_id() in (0, 1)
    queue.start_async([np.ones((2, 3), np.float32), B], userdata="x")
    queue.wait_all()
    assert "x" in queue.userdata
    assert any(r.results["out"].sum() > 0 for r in queue)


def test_default_jobs_follow_the_hint(core: ov.Core) -> None:
    compiled = core.compile_model(
        two_input_model(), "TEMPLATE", {hints.performance_mode(): hints.PerformanceMode.THROUGHPUT}
    )
    assert len(ov.AsyncInferQueue(compiled)) == compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS") > 1


def test_queue_reports_errors(compiled: ov.CompiledModel) -> None:
    queue = ov.AsyncInferQueue(compiled, 1)
    with pytest.raises(ValueError, match="input 'b' is not set"):
        queue.start_async({"a": np.ones((2, 3), np.float32)})
    assert queue.is_ready()  # the failed start gave its request back

    def fail(request, userdata):
        raise RuntimeError(f"job {userdata} failed")

    queue.set_callback(fail)
    queue.start_async([np.ones((2, 3), np.float32), B], userdata=5)
    with pytest.raises(RuntimeError, match="job 5 failed"):
        queue.wait_all()


def test_requests_reuse_one_worker_thread_and_release_it():
    param = ov.opset13.parameter([1, 4], ov.Type.f32, name="x")
    compiled = ov.Core().compile_model(ov.Model([ov.opset13.relu(param)], [param]), "TEMPLATE")
    before = threading.active_count()
    queue = ov.AsyncInferQueue(compiled, 2)
    for _ in range(50):
        queue.start_async({0: np.ones((1, 4), np.float32)})
    queue.wait_all()
    assert threading.active_count() <= before + 2
    del queue
    gc.collect()
    for _ in range(100):
        if threading.active_count() <= before:
            break
        threading.Event().wait(0.01)
    assert threading.active_count() <= before
