"""Buffer sharing between slots whose values are never alive together."""

from __future__ import annotations

import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import F32, check, model_of, rand
from vinopy.plugins.cpu.memory import share_buffers

ops = ov.opset13


def test_disjoint_lifetimes_share_and_overlapping_do_not() -> None:
    # step 0 writes 0, step 1 reads 0 and writes 1, step 2 reads 1 and writes 2, step 3 reads 2 and writes 3
    layout = share_buffers({0: 100, 1: 50, 2: 200, 3: 10}, [[0], [0, 1], [1, 2], [2, 3]], outputs=[3])
    b = layout.buffer_of
    assert b[0] != b[1] and b[1] != b[2] and b[2] != b[3]
    assert b[2] == b[0]  # 0 is dead after step 1: its buffer is grown for 2
    assert len(layout.sizes) == 2 and max(layout.sizes) == 200


def test_outputs_stay_alive_to_the_end() -> None:
    layout = share_buffers({0: 8, 1: 8, 2: 8}, [[0], [0, 1], [1, 2]], outputs=[0, 2])
    assert layout.buffer_of[0] not in (layout.buffer_of[1], layout.buffer_of[2])


@pytest.mark.usefixtures("cpu_plugin")
def test_deep_chain_runs_in_few_buffers() -> None:
    def build(x: ov.Output) -> list:
        y = x
        for i in range(8):
            w = ops.constant(rand(8, 8, 3, 3, seed=i) * 0.2)
            y = ops.relu(ops.convolution(y, w, [1, 1], [1, 1], [1, 1], [1, 1]))
        return [y, ops.sigmoid(y)]

    model = model_of(build, [(1, 8, 9, 9)])
    check(model, [rand(1, 8, 9, 9)], atol=1e-4)
    compiled = ov.Core().compile_model(model, "CPU", F32)
    plan = next(iter(compiled._executable._plans.values()))
    assert len(plan.layout.sizes) <= 4 < len(plan.layout.buffer_of)
