"""TEMPLATE: the reference device runs every op's evaluate, several requests in parallel."""

import numpy as np

import vinopy as ov

ops = ov.opset13


def test_template_matches_numpy_and_runs_requests_in_parallel() -> None:
    x = ops.parameter([4, 4], np.float32, name="x")
    w = ops.constant(np.eye(4, dtype=np.float32) * 2)
    model = ov.Model(ops.subtract(ops.matmul(x, w, False, True), x), [x])
    compiled = ov.Core().compile_model(model, "TEMPLATE", {"NUM_STREAMS": 2})
    queue = ov.AsyncInferQueue(compiled)
    assert len(queue) == 2
    data = [np.full((4, 4), i, np.float32) for i in range(4)]
    out: dict[int, np.ndarray] = {}
    queue.set_callback(lambda request, i: out.__setitem__(i, request.results[0].copy()))
    for i, value in enumerate(data):
        queue.start_async([value], i)
    queue.wait_all()
    for i, value in enumerate(data):
        np.testing.assert_allclose(out[i], value @ (np.eye(4) * 2).T - value)


def test_template_full_name_and_streams_range() -> None:
    core = ov.Core()
    assert "Template" in core.get_property("TEMPLATE", "FULL_DEVICE_NAME")
    low, high = core.get_property("TEMPLATE", "RANGE_FOR_STREAMS")
    assert 1 == low <= high
