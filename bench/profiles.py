"""Per-layer times of vinopy's CPU plugin beside OpenVINO's (PERF_COUNT, what benchmark_app -pc prints)
and ONNX Runtime's node profile, for one model file, as a Markdown section.

Rows are vinopy's steps. vinopy keeps the ONNX node names as OpenVINO's frontend does (a Conv or
Gemm with a bias is "<node>/WithoutBiases" plus an Add) and names a fused step after its first
node; CPUPlugin.query_backends says which nodes each step took in. An OpenVINO layer counts under
the step that ran its node (OpenVINO may name a fusion after its last node instead). ONNX Runtime
names its fused nodes after one of the nodes they replace plus a suffix ("<node>/MatMulAddFusion",
"<output>_nchwc"): each counts under the step of the longest node name it starts with.
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


def step_of_node(path: Path, config: dict[str, Any]) -> dict[str, str]:
    """vinopy's step for each node of the model that a step runs or took in (by friendly name)."""
    import vinopy
    from vinopy.plugins.cpu import CPUPlugin

    model = vinopy.Core().read_model(str(path))
    backends = CPUPlugin().query_backends(model, config)
    owners = {}
    for name in backends:
        owner = name
        while backends.get(owner, "").startswith("fused into "):
            owner = backends[owner].removeprefix("fused into ")
        owners[name] = owner
    for result in model.get_results():  # OpenVINO names the producer of a model output after it
        value = result.input_value(0)
        for tensor_name in value.get_names():
            owners.setdefault(tensor_name, owners.get(value.get_node().get_friendly_name(), ""))
    return owners


def by_step(layers: Profile, owners: dict[str, str]) -> dict[str, float]:
    """OpenVINO's layer times summed under vinopy's step for the node of the same name ("" when none)."""
    sums: dict[str, float] = {}
    for name, layer in layers.items():
        step = owners.get(name, "")
        sums[step] = sums.get(step, 0.0) + layer.us
    return sums


def by_prefix(nodes: Profile, owners: dict[str, str]) -> dict[str, float]:
    """ONNX Runtime's node times summed under vinopy's step for the longest node name (without
    "/WithoutBiases") that the node's name is or starts with before a "/" or "_" ("" when none)."""
    bases = sorted(((name.removesuffix(WITHOUT_BIASES), step) for name, step in owners.items()), reverse=True)
    sums: dict[str, float] = {}
    for node, layer in nodes.items():
        node = node.removeprefix("fused ")  # how ORT names some of its fusions
        step = next((s for b, s in bases if node == b or node.startswith((b + "/", b + "_"))), "")
        sums[step] = sums.get(step, 0.0) + layer.us
    return sums


def by_kind(profile: Profile) -> list[tuple[str, float]]:
    sums: dict[str, float] = {}
    for layer in profile.values():
        sums[layer.kind] = sums.get(layer.kind, 0.0) + layer.us
    return sorted(sums.items(), key=lambda kv: -kv[1])


def markdown(
    title: str,
    vinopy: Profile,
    openvino: Profile,
    onnxruntime: Profile | None,
    owners: dict[str, str],
    top: int,
) -> str:
    """The section of one model: totals, time by layer kind, and the steps that take longest in
    either runtime with the three times side by side."""
    ov_by_step = by_step(openvino, owners)
    ort_by_step = by_prefix(onnxruntime, owners) if onnxruntime else {}
    totals = [("vinopy", vinopy), ("OpenVINO", openvino), ("ONNX Runtime", onnxruntime or {})]
    lines = [f"## {title}", ""]
    for label, profile in totals[: 3 if onnxruntime else 2]:
        timed = sum(1 for layer in profile.values() if layer.us)
        total = sum(p.us for p in profile.values()) / 1e3
        kinds = ", ".join(f"{kind} {us / 1e3:.2f}" for kind, us in by_kind(profile)[:5])
        lines.append(f"- {label}: **{total:.2f} ms** in {timed} timed layers; by kind (ms): {kinds}")
    lines += [
        "",
        "| vinopy step | vinopy kernel | vinopy µs | OpenVINO µs | vinopy/OpenVINO | ONNX Runtime µs "
        "| vinopy/ORT |",
        "|---|---|---|---|---|---|---|",
    ]
    steps = [name for name, layer in vinopy.items() if layer.kind != " [undef]"]
    steps.sort(key=lambda n: -max(vinopy[n].us, ov_by_step.get(n, 0.0)))
    for name in steps[:top]:
        ours, theirs, ort = vinopy[name].us, ov_by_step.get(name, 0.0), ort_by_step.get(name, 0.0)
        lines.append(
            f"| `{name}` | {vinopy[name].kind} | {ours:.0f} | {theirs:.0f} | {_ratio(ours, theirs)} | "
            f"{ort:.0f} | {_ratio(ours, ort)} |"
        )
    unmatched = [f"OpenVINO {ov_by_step.get('', 0.0) / 1e3:.2f} ms"]
    if onnxruntime:
        unmatched.append(f"ONNX Runtime {ort_by_step.get('', 0.0) / 1e3:.2f} ms")
    lines += ["", f"Time in layers of no vinopy node's name: {', '.join(unmatched)}."]
    return "\n".join(lines) + "\n"


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if ours and theirs else ""
