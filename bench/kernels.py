"""The kernels that take most of the benchmark models' time, one layer per model: vinopy's CPU plugin
beside OpenVINO CPU and ONNX Runtime, each timed by its own per-layer profiler (bench/profiles.py).

    python bench/kernels.py [--threads 1] [--output bench/KERNELS.md]

Each case is a one-layer ONNX model with random weights: a convolution with a bias, or a dense layer
(MatMul + Add) over BERT-base's 128 tokens. The time reported for a runtime is its slowest layer's,
which is the convolution or the product (a layout reorder of the input or output, if any, is a
layer of its own and not counted). With a plain input, vinopy and OpenVINO run the layout that
oneDNN picks for it, not always the one a model's plan gives the layer (see bench/PROFILES.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from bench import profiles  # noqa: E402
from bench.run import heading  # noqa: E402

BLOCKS = 10  # one layer runs in milliseconds: more turns than a model's profile takes, for less noise

# name: ("conv", in channels, out channels, kernel, stride, image size) or ("dense", rows, in, out)
CASES: dict[str, tuple] = {
    "YOLO stem.1: 3x3/2, 16->32, 160x160": ("conv", 16, 32, 3, 2, 160),
    "YOLO p4.0: 3x3/2, 32->64, 80x80": ("conv", 32, 64, 3, 2, 80),
    "YOLO p4.2: 3x3/2, 64->128, 40x40": ("conv", 64, 128, 3, 2, 40),
    "YOLO p4 CSP: 3x3, 32->32, 40x40": ("conv", 32, 32, 3, 1, 40),
    "ResNet stage 1: 3x3, 64->64, 56x56": ("conv", 64, 64, 3, 1, 56),
    "ResNet stage 3: 3x3, 256->256, 14x14": ("conv", 256, 256, 3, 1, 14),
    "ResNet stage 4: 3x3, 512->512, 7x7": ("conv", 512, 512, 3, 1, 7),
    "ResNet stage 1: 1x1, 256->64, 56x56": ("conv", 256, 64, 1, 1, 56),
    "BERT attention output: 128x768 by 768x768": ("dense", 128, 768, 768),
    "BERT FFN up: 128x768 by 768x3072": ("dense", 128, 768, 3072),
    "BERT FFN down: 128x3072 by 3072x768": ("dense", 128, 3072, 768),
}


def case_model(case: tuple) -> tuple[onnx.ModelProto, np.ndarray]:
    """The one-layer model of a case and an input for it."""
    rng = np.random.default_rng(0)
    if case[0] == "conv":
        _, cin, cout, k, stride, size = case
        x = rng.standard_normal((1, cin, size, size)).astype(np.float32)
        weights = {
            "w": (rng.standard_normal((cout, cin, k, k)) / np.sqrt(cin * k * k)).astype(np.float32),
            "b": rng.standard_normal(cout).astype(np.float32),
        }
        nodes = [
            helper.make_node("Conv", ["x", "w", "b"], ["y"], "conv", pads=[k // 2] * 4, strides=[stride] * 2)
        ]
    else:
        _, rows, k, n = case
        x = rng.standard_normal((1, rows, k)).astype(np.float32)
        weights = {
            "w": (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32),
            "b": rng.standard_normal(n).astype(np.float32),
        }
        nodes = [
            helper.make_node("MatMul", ["x", "w"], ["p"], "matmul"),
            helper.make_node("Add", ["p", "b"], ["y"], "add"),
        ]
    graph = helper.make_graph(
        nodes,
        "kernel",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, name) for name, v in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return model, x


def slowest(profile: profiles.Profile) -> profiles.Layer:
    return max(profile.values(), key=lambda layer: layer.us)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=0, help="0: each runtime's default")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "kernels")
    parser.add_argument("--output", type=Path, default=ROOT / "KERNELS.md")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
    if args.threads:
        config["INFERENCE_NUM_THREADS"] = args.threads
    rows = []
    for index, (name, case) in enumerate(CASES.items()):
        model, x = case_model(case)
        path = args.cache / f"case{index}.onnx"
        onnx.save(model, str(path))
        layers, _ = profiles.profile_all(path, [x], config, args.threads, BLOCKS)
        ours, theirs, ort = (slowest(layers[r]) for r in ("vinopy", "openvino", "onnxruntime"))
        rows.append(
            f"| {name} | {ours.kind} | {ours.us:.0f} | {theirs.kind} | {theirs.us:.0f} | {ort.kind} | "
            f"{ort.us:.0f} | {ours.us / theirs.us:.2f} | {ours.us / ort.us:.2f} |"
        )
        print(rows[-1], flush=True)
    text = "\n".join(
        [
            *heading(
                "Kernels: one layer each, vinopy beside OpenVINO and ONNX Runtime",
                f"python {' '.join(sys.argv)}",
            ),
            f"- f32, batch 1, threads: {args.threads or 'default'}; median of "
            f"{BLOCKS * (profiles.BLOCK_RUNS - 1)} runs of each runtime's own layer timer; the runtimes take "
            f"turns in blocks of {profiles.BLOCK_RUNS} runs.",
            "- The input is plain (NCHW), so vinopy and OpenVINO run oneDNN's choice of layout for it "
            "(channels-last brgconv); inside the models vinopy runs many of these layers blocked (nChw8c "
            "jit kernels): bench/PROFILES.md has those.",
            "",
            "| layer | vinopy kernel | vinopy µs | OpenVINO kernel | OpenVINO µs | ONNX Runtime kernel "
            "| ONNX Runtime µs | vinopy/OpenVINO | vinopy/ORT |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    args.output.write_text(text)


if __name__ == "__main__":
    main()
