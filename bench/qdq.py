"""Latency of an ONNX model quantized by onnxruntime.quantization, batch 1, in vinopy's CPU plugin,
ONNX Runtime and OpenVINO, all three reading the same file.

    python bench/qdq.py [--model resnet50] [--format qdq|qoperator] [--rounds 5] [--seconds 2]
                        [--calibration-samples 30]

The f32 model is bench/run.py's (exported once into bench/.cache/); ``quantize_static`` quantizes it
(per-channel s8 weights, MinMax ranges from random calibration inputs) next to it, on first use:
``--format qdq`` (the default) writes QuantizeLinear/DequantizeLinear pairs around float ops,
``--format qoperator`` QLinearConv, QLinearAdd, QLinearGlobalAveragePool, QGemm and the like, with u8
activations (ONNX Runtime's advice for that format on x86-64). Each runtime runs in a worker process of
its own, and each round measures all of them in turn (the order rotates); the ratios are taken per
round and their median is reported. Before that, vinopy's and OpenVINO's largest difference to ONNX
Runtime's outputs (relative to their largest magnitude) is printed. A runtime that cannot load the
model is reported and left out.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run import ROOT, RUNTIMES, Worker, max_relative_error

FORMATS = ("qdq", "qoperator")


def quantize_options(quant_format: str) -> dict[str, Any]:
    """quantize_static's options for a format, besides the per-channel weights both use."""
    from onnxruntime import quantization as ortq

    if quant_format == "qoperator":  # u8 activations: ONNX Runtime's advice for QOperator on x86-64
        return {"quant_format": ortq.QuantFormat.QOperator, "activation_type": ortq.QuantType.QUInt8}
    return {"quant_format": ortq.QuantFormat.QDQ}


def quantized_model(spec: Any, cache: Path, samples: int, quant_format: str) -> Path:
    """The model quantized by onnxruntime.quantization in ``quant_format``, made on first use."""
    from bench.models import export

    path = export(spec, cache)
    target = path.with_name(f"{path.stem}_{quant_format}_{samples}.onnx")
    if target.exists():
        return target
    from onnxruntime import quantization as ortq

    class RandomInputs(ortq.CalibrationDataReader):
        def __init__(self) -> None:
            rng = np.random.default_rng(2)
            self.batches = iter([spec.inputs(rng) for _ in range(samples)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    ortq.quantize_static(
        str(path), str(target), RandomInputs(), per_channel=True, **quantize_options(quant_format)
    )
    return target


def read_error(runtime: str, path: Path) -> str | None:
    """Why ``runtime`` (vinopy or OpenVINO) cannot read the model, or None. Checked in a process of
    its own first: a Worker whose runtime fails while loading would leave the benchmark waiting."""
    code = f"import {runtime}; {runtime}.Core().read_model({str(path)!r})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode == 0:
        return None
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    return "; ".join(lines[-2:]) or f"exit status {done.returncode}"  # OpenVINO's summary: two lines


def start_workers(path: Path, inputs: list[np.ndarray], args: argparse.Namespace) -> dict[str, Worker]:
    """A worker per runtime that reads the model; the others are reported and left out."""
    workers = {}
    for runtime in RUNTIMES:
        error = None if runtime == "onnxruntime" else read_error(runtime, path)
        if error is None:
            workers[runtime] = Worker(runtime, path, inputs, args)
        elif runtime == "vinopy":
            raise SystemExit(f"vinopy cannot read {path}: {error}")
        else:
            print(f"  {runtime} cannot read the model, left out: {error}", flush=True)
    return workers


def bench(path: Path, inputs: list[np.ndarray], args: argparse.Namespace) -> dict[str, list[float]]:
    """Per runtime that loads the model, the median latency (ms) of each round."""
    workers = start_workers(path, inputs, args)
    runtimes = list(workers)
    reference = workers["onnxruntime"].call("outputs")
    for runtime in runtimes:
        if runtime != "onnxruntime":
            error = max_relative_error(workers[runtime].call("outputs"), reference)
            print(f"  {runtime}: max error relative to onnxruntime {error:.2e}", flush=True)
    medians: dict[str, list[float]] = {runtime: [] for runtime in runtimes}
    for r in range(args.rounds):
        shift = r % len(runtimes)
        for runtime in runtimes[shift:] + runtimes[:shift]:
            medians[runtime].append(statistics.median(workers[runtime].call("latency", args.seconds)))
        print(
            f"  round {r + 1} (load {os.getloadavg()[0]:.1f}): "
            + "  ".join(f"{k} {v[-1]:.2f} ms" for k, v in medians.items()),
            flush=True,
        )
    for worker in workers.values():
        worker.close()
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--format", choices=FORMATS, default="qdq", help="the quantized form")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="per runtime and round")
    parser.add_argument("--threads", type=int, default=0, help="0: each runtime's default")
    parser.add_argument("--calibration-samples", type=int, default=30)
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache")
    parser.add_argument("--quantize-only", action="store_true", help="make the quantized model and stop")
    args = parser.parse_args()
    args.precision = "f32"  # what Worker's runners read; the quantized model sets the int8 layers itself
    from bench.models import MODELS

    spec = MODELS[args.model]
    path = quantized_model(spec, args.cache, args.calibration_samples, args.format)
    print(f"{args.model} in {args.format} form: {path}", flush=True)
    if args.quantize_only:
        return
    medians = bench(path, list(spec.inputs(np.random.default_rng(1)).values()), args)
    for other in [runtime for runtime in medians if runtime != "vinopy"]:
        ratios = [v / o for v, o in zip(medians["vinopy"], medians[other])]
        print(
            f"vinopy / {other} latency: median {statistics.median(ratios):.2f} "
            f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)})"
        )


if __name__ == "__main__":
    main()
