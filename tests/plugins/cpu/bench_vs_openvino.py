"""Time vinopy's CPU plugin against OpenVINO's on the same models (a report, not a test).

    python -m tests.plugins.cpu.bench_vs_openvino [--repeat N]

Models: a ResNet-like conv stack (conv+bias+relu, residual adds, pooling) and a 784-512-512-10 MLP.
Both libraries build the same graph from the same weights through their opset APIs; both run f32.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import openvino as ovr

import vinopy as ov

RNG = np.random.default_rng(0)


def _w(*shape: int) -> np.ndarray:
    return (RNG.standard_normal(shape) * (2.0 / np.prod(shape[1:])) ** 0.5).astype(np.float32)


def resnet_weights(channels: int = 64, blocks: int = 4) -> list[np.ndarray]:
    weights = [_w(channels, 3, 3, 3)]
    for _ in range(blocks * 2):
        weights += [
            _w(channels, channels, 3, 3),
            (RNG.standard_normal((1, channels, 1, 1)) * 0.1).astype(np.float32),
        ]
    return weights


def resnet(ops: Any, weights: list[np.ndarray], shape: list[int]) -> tuple[Any, Any]:
    x = ops.parameter(shape, np.float32, name="x")

    def conv(y: Any, w: np.ndarray) -> Any:
        return ops.convolution(y, ops.constant(w), [1, 1], [1, 1], [1, 1], [1, 1])

    y = ops.relu(conv(x, weights[0]))
    for i in range(1, len(weights), 4):
        h = ops.relu(ops.add(conv(y, weights[i]), ops.constant(weights[i + 1])))
        y = ops.relu(ops.add(ops.add(conv(h, weights[i + 2]), ops.constant(weights[i + 3])), y))
    y = ops.max_pool(y, [2, 2], [1, 1], [0, 0], [0, 0], [2, 2]).output(0)
    return x, y


def mlp_weights() -> list[np.ndarray]:
    return [_w(784, 512), _w(512) * 0, _w(512, 512), _w(512) * 0, _w(512, 10), _w(10) * 0]


def mlp(ops: Any, weights: list[np.ndarray], shape: list[int]) -> tuple[Any, Any]:
    x = ops.parameter(shape, np.float32, name="x")
    y = x
    for i in range(0, 6, 2):
        y = ops.add(ops.matmul(y, ops.constant(weights[i]), False, False), ops.constant(weights[i + 1]))
        if i < 4:
            y = ops.relu(y)
    return x, y


def _time(run: Callable[[], Any], repeat: int) -> float:
    for _ in range(5):
        run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def compare(
    name: str, build: Callable[..., tuple[Any, Any]], weights: list[np.ndarray], shape: list[int], repeat: int
) -> None:
    data = RNG.standard_normal(shape).astype(np.float32)
    x, y = build(ov.opset13, weights, shape)
    ours = ov.Core().compile_model(ov.Model([y], [x]), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    ours_request = ours.create_infer_request()
    xr, yr = build(ovr.opset13, weights, shape)
    theirs = ovr.Core().compile_model(
        ovr.Model([yr], [xr]), "CPU", {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}
    )
    theirs_request = theirs.create_infer_request()
    got = ours_request.infer([data], share_outputs=True)[0]
    want = theirs_request.infer([data], share_outputs=True)[0]
    error = float(np.abs(got - want).max() / (np.abs(want).max() or 1))
    t_ours = _time(lambda: ours_request.infer([data], share_inputs=True, share_outputs=True), repeat)
    t_theirs = _time(lambda: theirs_request.infer([data], share_inputs=True, share_outputs=True), repeat)
    print(
        f"{name:28s} vinopy {t_ours:8.3f} ms  openvino {t_theirs:8.3f} ms  "
        f"ratio {t_ours / t_theirs:5.2f}  max rel. error {error:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    compare("resnet-like 1x3x56x56 (64c)", resnet, resnet_weights(), [1, 3, 56, 56], args.repeat)
    compare("mlp 784-512-512-10 batch 1", mlp, mlp_weights(), [1, 784], args.repeat * 10)
    compare("mlp 784-512-512-10 batch 64", mlp, mlp_weights(), [64, 784], args.repeat * 4)


if __name__ == "__main__":
    main()
