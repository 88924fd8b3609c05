"""Per-layer times of vinopy's CPU plugin beside OpenVINO's (PERF_COUNT, what benchmark_app -pc prints)
and ONNX Runtime's node profile, for one model file, as a Markdown section.

vinopy names a fused step after its first node and keeps the ONNX node names as OpenVINO's frontend
does (a Conv or Gemm with a bias is "<node>/WithoutBiases" plus an Add), so a step and OpenVINO's
layer of the same work have one name. ONNX Runtime names its fused nodes after one of the nodes
they replace plus a suffix ("<node>/MatMulAddFusion", "<output>_nchwc"): each is counted under the
longest layer name it starts with.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

RUNS = 20
WITHOUT_BIASES = "/WithoutBiases"


@dataclass
class Layer:
    kind: str  # "op [kernel]"
    us: float  # median over the runs


Profile = dict[str, Layer]  # by layer name


def runtime_profile(module: Any, path: Path, inputs: list[np.ndarray], config: dict[str, Any]) -> Profile:
    """vinopy's or OpenVINO's per-layer median times (``module`` is ``vinopy`` or ``openvino``)."""
    core = module.Core()
    request = core.compile_model(core.read_model(str(path)), "CPU", {**config, "PERF_COUNT": True})
    request = request.create_infer_request()
    times: dict[str, list[float]] = {}
    kinds: dict[str, str] = {}
    for _ in range(RUNS):
        request.infer(inputs, share_inputs=True, share_outputs=True)
        for row in request.get_profiling_info():
            times.setdefault(row.node_name, []).append(row.real_time.total_seconds() * 1e6)
            kinds[row.node_name] = f"{row.node_type} [{row.exec_type}]"
    return {name: Layer(kinds[name], statistics.median(us)) for name, us in times.items()}


def onnxruntime_profile(path: Path, inputs: list[np.ndarray], threads: int) -> Profile:
    """ONNX Runtime's per-node median kernel times, after its own fusions."""
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as folder:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(folder) / "ort")
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        feeds = {i.name: v for i, v in zip(session.get_inputs(), inputs)}
        for _ in range(RUNS):
            session.run(None, feeds)
        events = json.loads(Path(session.end_profiling()).read_text())
    times: dict[str, list[float]] = {}
    kinds: dict[str, str] = {}
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            name = event["name"].removesuffix("_kernel_time")
            times.setdefault(name, []).append(event["dur"])
            kinds[name] = f"{event['args'].get('op_name', '?')} [{event['args'].get('provider', '?')}]"
    return {name: Layer(kinds[name], statistics.median(us)) for name, us in times.items()}


def attribute(nodes: Profile, layers: list[str]) -> dict[str, float]:
    """Each of ONNX Runtime's ``nodes`` times, summed under the longest of ``layers`` (a name without
    its "/WithoutBiases") that its name is or starts with before a "/" or "_"; "" for the rest."""
    bases = sorted(((name.removesuffix(WITHOUT_BIASES), name) for name in layers), reverse=True)
    sums: dict[str, float] = {}
    for node, layer in nodes.items():
        owner = next(
            (name for base, name in bases if node == base or node.startswith((base + "/", base + "_"))), ""
        )
        sums[owner] = sums.get(owner, 0.0) + layer.us
    return sums


def by_kind(profile: Profile) -> list[tuple[str, float]]:
    sums: dict[str, float] = {}
    for layer in profile.values():
        sums[layer.kind] = sums.get(layer.kind, 0.0) + layer.us
    return sorted(sums.items(), key=lambda kv: -kv[1])


def markdown(title: str, vinopy: Profile, openvino: Profile, onnxruntime: Profile | None, top: int) -> str:
    """The section of one model: totals, time by layer kind, and the layers that take longest in
    either runtime with the three times side by side."""
    ort_by_layer = attribute(onnxruntime, list(vinopy)) if onnxruntime else {}
    totals = [("vinopy", vinopy), ("OpenVINO", openvino), ("ONNX Runtime", onnxruntime or {})]
    lines = [f"## {title}", ""]
    for label, profile in totals[: 3 if onnxruntime else 2]:
        timed = sum(1 for layer in profile.values() if layer.us)
        total = sum(p.us for p in profile.values()) / 1e3
        kinds = ", ".join(f"{kind} {us / 1e3:.2f}" for kind, us in by_kind(profile)[:5])
        lines.append(f"- {label}: **{total:.2f} ms** in {timed} timed layers; by kind (ms): {kinds}")
    lines += [
        "",
        "| layer (vinopy step) | vinopy kernel | vinopy µs | OpenVINO kernel | OpenVINO µs "
        "| vinopy/OpenVINO | ONNX Runtime µs |",
        "|---|---|---|---|---|---|---|",
    ]
    names = sorted(set(vinopy) | set(openvino), key=lambda n: -max(_us(vinopy, n), _us(openvino, n)))
    for name in names[:top]:
        ours, theirs = vinopy.get(name), openvino.get(name)
        ratio = f"{ours.us / theirs.us:.2f}" if ours and theirs and theirs.us else ""
        ort_us = f"{ort_by_layer[name]:.0f}" if name in ort_by_layer else ""
        lines.append(
            f"| `{name}` | {ours.kind if ours else '(fused)'} | {_us(vinopy, name):.0f} | "
            f"{theirs.kind if theirs else '(not a layer)'} | {_us(openvino, name):.0f} | {ratio} | {ort_us} |"
        )
    if onnxruntime:
        unmatched = ort_by_layer.get("", 0.0) / 1e3
        lines += ["", f"ONNX Runtime nodes matched to no vinopy step: {unmatched:.2f} ms."]
    return "\n".join(lines) + "\n"


def _us(profile: Profile, name: str) -> float:
    layer = profile.get(name)
    return layer.us if layer else 0.0
