"""Per-inference cost of small models, where Python's share shows: the median of many calls.

    python bench/overhead.py [--calls 5000] [--rounds 3] [--steps]

Runs ``compiled(x)``, ``request.infer(x)`` and ``request.infer({name: x})`` on the MLP of bench/run.py
(784-512-512-10, from bench/.cache/mlp.onnx) and on a tiny MLP (8-8-8-8, built here) whose kernels take
almost nothing, so that its times are the per-call overhead. vinopy and OpenVINO run in the same
process, one after the other in each round; the table gives each case's median per round in µs.

``--steps`` breaks the MLP down instead: each oneDNN step of vinopy's plan executed alone, on one
thread and on two, then all steps in one loop, the
executor's run and the request's infer (the differences are Python); and onnxruntime's per-node
kernel times (its profiler, one thread and its default) next to its whole run.
"""

from __future__ import annotations

import argparse
import json
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


def vinopy_steps(threads: int) -> dict[str, Callable[[], Any]]:
    """The MLP's oneDNN steps alone, all of them, the executor's run and the request's infer, on
    ``threads`` threads."""
    import vinopy
    from vinopy.plugins.cpu.dnnl.arenas import on_threads

    core = vinopy.Core()
    model = core.read_model(str(ROOT / ".cache" / "mlp.onnx"))
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads}
    request = core.compile_model(model, "CPU", config).create_infer_request()
    x = np.random.default_rng(1).random((1, 784), dtype=np.float32)
    request.infer(x)
    executor = request._executor
    bound = executor._static  # the static plan, bound for this request
    found = {
        f"{step.name} ({step.exec_type}, {threads} thr)": lambda run=run: on_threads(threads, run)
        for step, run in zip(bound.plan.steps, bound.runs)
    }
    return {
        **found,
        f"all steps, {threads} thr": lambda: on_threads(threads, bound.run_steps),
        "executor.run": lambda: executor.run([x]),
        "infer(x)": lambda: request.infer(x),
    }


def onnxruntime_nodes(threads: int, calls: int) -> dict[str, float]:
    """Median µs of each node's kernel and of the whole run, from onnxruntime's profiler."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.enable_profiling = threads, True
    session = ort.InferenceSession(
        str(ROOT / ".cache" / "mlp.onnx"), options, providers=["CPUExecutionProvider"]
    )
    feed = {session.get_inputs()[0].name: np.random.default_rng(1).random((1, 784), dtype=np.float32)}
    for _ in range(calls):
        session.run(None, feed)
    trace = Path(session.end_profiling())
    durations: dict[str, list[float]] = {}
    for event in json.loads(trace.read_text()):
        name = event["name"]
        if name.endswith("_kernel_time") or name == "model_run":
            durations.setdefault(name.removesuffix("_kernel_time"), []).append(event["dur"])
    trace.unlink()
    return {name: statistics.median(values) for name, values in durations.items()}


def print_steps(calls: int, rounds: int) -> None:
    print(f"| vinopy, MLP | median µs per round ({calls} calls each) |\n|---|---|")
    for threads in (1, 2):
        table = vinopy_steps(threads)
        medians = {name: [median_us(fn, calls) for _ in range(rounds)] for name, fn in table.items()}
        for name, values in medians.items():
            print(f"| {name} | {' '.join(f'{v:.1f}' for v in values)} |")
    print("\n| onnxruntime node (profiler) | 1 thread µs | default threads µs |\n|---|---|---|")
    one, default = onnxruntime_nodes(1, calls), onnxruntime_nodes(0, calls)
    for name in one:
        print(f"| {name} | {one[name]:.0f} | {default.get(name, float('nan')):.0f} |")


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--calls", type=int, default=5000, help="calls per case and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", action="store_true", help="the MLP per step, and onnxruntime per node")
    args = parser.parse_args()
    if args.steps:
        print_steps(args.calls, args.rounds)
    else:
        print_cases(args.calls, args.rounds)
    print(f"\nload average (1, 5, 15 min): {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


def print_cases(calls: int, rounds: int) -> None:
    import openvino

    import vinopy

    table = {**cases(vinopy, "vinopy"), **cases(openvino, "OpenVINO")}
    medians: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(rounds):
        for name, fn in table.items():
            medians[name].append(median_us(fn, calls))
    print(f"| case | median µs per round ({calls} calls each) |\n|---|---|")
    for name, values in medians.items():
        print(f"| {name} | {' '.join(f'{v:.1f}' for v in values)} |")


if __name__ == "__main__":
    main()
