"""``vinopy demo``: build a small image classifier with the opset API, compile it, classify a
random image, and print the device, the top-5 classes and the median latency."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

import numpy as np

import vinopy as ov
from vinopy.tools.cli import CliParser, fail

ops = ov.opset13

IMAGE_SHAPE = (1, 3, 64, 64)
CHANNELS = (3, 8, 16, 32)  # three Convolution + Relu + MaxPool blocks
CLASSES = 10


def build_classifier(seed: int = 0) -> ov.Model:
    """Conv blocks, global average pooling, MatMul + bias, Softmax; weights drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    image = ops.parameter(list(IMAGE_SHAPE), np.float32, name="image")
    x = image.output(0)
    for i, (c_in, c_out) in enumerate(zip(CHANNELS, CHANNELS[1:])):
        filters = rng.normal(0, np.sqrt(2 / (9 * c_in)), (c_out, c_in, 3, 3)).astype(np.float32)
        conv = ops.convolution(x, ops.constant(filters), [1, 1], [1, 1], [1, 1], [1, 1], name=f"conv{i}")
        relu = ops.relu(conv, name=f"relu{i}")
        x = ops.max_pool(relu, [2, 2], [1, 1], [0, 0], [0, 0], [2, 2], name=f"pool{i}").output(0)
    pooled = ops.reduce_mean(x, ops.constant(np.array([2, 3], np.int64)), False, name="global_pool")
    weights = rng.normal(0, np.sqrt(1 / CHANNELS[-1]), (CHANNELS[-1], CLASSES)).astype(np.float32)
    bias = rng.normal(0, 0.1, CLASSES).astype(np.float32)
    logits = ops.add(
        ops.matmul(pooled, ops.constant(weights), False, False), ops.constant(bias), name="logits"
    )
    probabilities = ops.softmax(logits, 1, name="probabilities")
    probabilities.output(0).set_names({"probabilities"})
    return ov.Model([probabilities], [image], "vinopy_demo_classifier")


def _parser() -> CliParser:
    parser = CliParser(prog="vinopy demo", description=__doc__)
    parser.add_argument("-d", "--device", default="AUTO", help="device to compile for (default: AUTO)")
    parser.add_argument("-n", "--runs", type=int, default=20, help="inferences to time (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and the image")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(argv or []))
    if args.runs < 1:
        return fail("vinopy demo", f"--runs must be at least 1, got {args.runs}")
    model = build_classifier(args.seed)
    try:
        compiled = ov.Core().compile_model(model, args.device)
    except RuntimeError as e:
        return fail("vinopy demo", str(e))
    image = np.random.default_rng(args.seed + 1).random(IMAGE_SHAPE, dtype=np.float32)
    request = compiled.create_infer_request()
    latencies = []
    for _ in range(args.runs):
        start = time.perf_counter()
        probabilities = request.infer({"image": image})["probabilities"][0]
        latencies.append((time.perf_counter() - start) * 1e3)
    _report(model, compiled, args.device, probabilities, latencies)
    return 0


def _report(
    model: ov.Model,
    compiled: ov.CompiledModel,
    device: str,
    probabilities: np.ndarray,
    latencies: list[float],
) -> None:
    convs = sum(op.get_type_name() == "Convolution" for op in model.get_ops())
    print(
        f"model: {model.get_friendly_name()} ({convs} conv blocks, {CLASSES} classes), "
        f"input {'x'.join(map(str, IMAGE_SHAPE))}"
    )
    print(f"device: {device} -> {compiled.get_property('EXECUTION_DEVICES')}")
    print("top-5 classes:")
    for index in np.argsort(probabilities)[::-1][:5]:
        print(f"  class {index:2d}  {probabilities[index]:.4f}")
    print(f"median latency over {len(latencies)} runs: {statistics.median(latencies):.3f} ms")
