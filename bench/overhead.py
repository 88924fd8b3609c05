"""Per-inference cost of small models, where Python's share shows: the median of many calls.

    python bench/overhead.py [--calls 5000] [--rounds 3]

Runs ``compiled(x)``, ``request.infer(x)`` and ``request.infer({name: x})`` on the MLP of bench/run.py
(784-512-512-10, from bench/.cache/mlp.onnx) and on a tiny MLP (8-8-8-8, built here) whose kernels take
almost nothing, so that its times are the per-call overhead. vinopy and OpenVINO run in the same
process, one after the other in each round; the table gives each case's median per round in µs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))


def tiny_mlp(ov: Any) -> Any:
    """Three 8x8 matmuls with biases and relus, input 'input' [1, 8]."""
    ops, rng = ov.opset13, np.random.default_rng(0)
    x = ops.parameter([1, 8], np.float32, name="input")
    h = x
    for layer in range(3):
        h = ops.matmul(h, ops.constant(rng.standard_normal((8, 8)).astype(np.float32)), False, False)
        h = ops.add(h, ops.constant(rng.standard_normal(8).astype(np.float32)))
        if layer < 2:
            h = ops.relu(h)
    return ov.Model([h], [x], "tiny_mlp")


def cases(ov: Any, label: str) -> dict[str, Callable[[], Any]]:
    core = ov.Core()
    models = {"mlp": core.read_model(str(ROOT / ".cache" / "mlp.onnx")), "tiny": tiny_mlp(ov)}
    found = {}
    for name, model in models.items():
        compiled = core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "LATENCY"})
        port = compiled.inputs[0]
        x = np.random.default_rng(1).random(tuple(port.get_shape()), dtype=np.float32)
        request, feed = compiled.create_infer_request(), {port.get_any_name(): x}
        found[f"{label} {name} compiled(x)"] = lambda c=compiled, x=x: c(x)
        found[f"{label} {name} infer(x)"] = lambda r=request, x=x: r.infer(x)
        found[f"{label} {name} infer(dict)"] = lambda r=request, f=feed: r.infer(f)
    return found


def median_us(fn: Callable[[], Any], calls: int) -> float:
    for _ in range(min(calls, 500)):  # warm up
        fn()
    clock, samples = time.perf_counter_ns, []
    for _ in range(calls):
        start = clock()
        fn()
        samples.append(clock() - start)
    return statistics.median(samples) / 1000


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--calls", type=int, default=5000, help="calls per case and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import openvino

    import vinopy

    table = {**cases(vinopy, "vinopy"), **cases(openvino, "OpenVINO")}
    medians: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(args.rounds):
        for name, fn in table.items():
            medians[name].append(median_us(fn, args.calls))
    print(f"| case | median µs per round ({args.calls} calls each) |\n|---|---|")
    for name, values in medians.items():
        print(f"| {name} | {' '.join(f'{v:.1f}' for v in values)} |")
    print(f"\nload average (1, 5, 15 min): {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
