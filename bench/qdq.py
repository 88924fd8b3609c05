"""Latency of an ONNX model in QDQ form (onnxruntime.quantization's output), batch 1, in vinopy's
CPU plugin, ONNX Runtime and OpenVINO, all three reading the same QDQ file.

    python bench/qdq.py [--model resnet50] [--rounds 5] [--seconds 2] [--calibration-samples 30]

The f32 model is bench/run.py's (exported once into bench/.cache/); ``quantize_static`` turns it
into QDQ form (per-channel s8 weights, MinMax ranges from random calibration inputs) next to it, on
first use. Each runtime runs in a worker process of its own, and each round measures all three in
turn (the order rotates); the ratios are taken per round and their median is reported. Before
that, vinopy's and OpenVINO's largest difference to ONNX Runtime's outputs (relative to their
largest magnitude) is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run import ROOT, RUNTIMES, Worker, max_relative_error


def qdq_model(spec: Any, cache: Path, samples: int) -> Path:
    """The model quantized by onnxruntime.quantization into QDQ form, made on first use."""
    from bench.models import export

    path = export(spec, cache)
    target = path.with_name(f"{path.stem}_qdq_{samples}.onnx")
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
        str(path), str(target), RandomInputs(), quant_format=ortq.QuantFormat.QDQ, per_channel=True
    )
    return target


def bench(path: Path, inputs: list[np.ndarray], args: argparse.Namespace) -> dict[str, list[float]]:
    """Per runtime, the median latency (ms) of each round."""
    workers = {runtime: Worker(runtime, path, inputs, args) for runtime in RUNTIMES}
    reference = workers["onnxruntime"].call("outputs")
    for runtime in ("vinopy", "openvino"):
        error = max_relative_error(workers[runtime].call("outputs"), reference)
        print(f"  {runtime}: max error relative to onnxruntime {error:.2e}", flush=True)
    medians: dict[str, list[float]] = {runtime: [] for runtime in RUNTIMES}
    for r in range(args.rounds):
        order = RUNTIMES[r % 3 :] + RUNTIMES[: r % 3]
        for runtime in order:
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
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="per runtime and round")
    parser.add_argument("--threads", type=int, default=0, help="0: each runtime's default")
    parser.add_argument("--calibration-samples", type=int, default=30)
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache")
    parser.add_argument("--quantize-only", action="store_true", help="make the QDQ model and stop")
    args = parser.parse_args()
    args.precision = "f32"  # what Worker's runners read; the QDQ model sets the int8 layers itself
    from bench.models import MODELS

    spec = MODELS[args.model]
    path = qdq_model(spec, args.cache, args.calibration_samples)
    print(f"{args.model} in QDQ form: {path}", flush=True)
    if args.quantize_only:
        return
    medians = bench(path, list(spec.inputs(np.random.default_rng(1)).values()), args)
    for other in ("onnxruntime", "openvino"):
        ratios = [v / o for v, o in zip(medians["vinopy"], medians[other])]
        print(
            f"vinopy / {other} latency: median {statistics.median(ratios):.2f} "
            f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)})"
        )


if __name__ == "__main__":
    main()
