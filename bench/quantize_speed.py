"""Calibration speed: vinopy's ``quantize()`` per phase, next to NNCF's on the same model and data.

    python bench/quantize_speed.py [--model bench/.cache/resnet50.onnx] [--samples 300] [--rounds 1]
    PYTHONPATH=/path/to/nncf python bench/quantize_speed.py --nncf   # also NNCF with OpenVINO

The calibration data is random-normal, one sample per item, shaped as the model's (static) input.
Each round runs vinopy, then NNCF (when asked), one after the other, so that machine noise falls on
both alike; the ratio is taken per round. Wall and CPU seconds of the quantize call itself.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable

import numpy as np

import vinopy as ov
import vinopy.quantization as vq
from vinopy.quantization import bias_correction, quantizer, statistics


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of ``run()``."""
    wall, cpu = time.perf_counter(), _cpu_seconds()
    run()
    return time.perf_counter() - wall, _cpu_seconds() - cpu


def _phase_timer(phases: dict[str, float]) -> Callable[..., list[list[np.ndarray]]]:
    """``statistics.collect`` that records its wall time under its description."""
    collect = statistics.collect

    def timed(*args: object) -> list[list[np.ndarray]]:
        start = time.perf_counter()
        result = collect(*args)
        phases[str(args[-1])] = time.perf_counter() - start
        return result

    return timed


def _samples(shape: list[int], count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape, dtype=np.float32) for _ in range(count)]


def _nncf_quantize(path: str, data: list[np.ndarray]) -> object:
    import nncf
    import openvino

    reference = openvino.Core().read_model(path)
    return nncf.quantize(reference, nncf.Dataset(data), subset_size=len(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bench/.cache/resnet50.onnx")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--nncf", action="store_true", help="also time nncf.quantize with OpenVINO")
    args = parser.parse_args()
    model = ov.Core().read_model(args.model)
    data = _samples(list(model.inputs[0].get_shape()), args.samples)
    phases: dict[str, float] = {}
    quantizer.collect = bias_correction.collect = _phase_timer(phases)
    for round_index in range(args.rounds):
        wall, cpu = _timed(lambda: vq.quantize(model, vq.Dataset(data), subset_size=args.samples))
        split = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
        print(f"round {round_index}: vinopy {wall:.1f} s wall, {cpu:.1f} s CPU ({split})")
        if args.nncf:
            nncf_wall, nncf_cpu = _timed(lambda: _nncf_quantize(args.model, data))
            print(
                f"round {round_index}: NNCF {nncf_wall:.1f} s wall, {nncf_cpu:.1f} s CPU; "
                f"vinopy / NNCF: {wall / nncf_wall:.2f}x wall, {cpu / nncf_cpu:.2f}x CPU"
            )


if __name__ == "__main__":
    main()
