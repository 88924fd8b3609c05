"""Per-layer times of vinopy's CPU plugin beside OpenVINO's (PERF_COUNT, what benchmark_app -pc prints)
and ONNX Runtime's node profile, for one model file, as a Markdown section.

Rows are vinopy's steps. vinopy keeps the ONNX node names as OpenVINO's frontend does (a Conv or
Gemm with a bias is "<node>/WithoutBiases" plus an Add) and names a fused step after its first
node; CPUPlugin.query_backends says which nodes each step took in. An OpenVINO layer counts under
the step that ran its node (OpenVINO may name a fusion after its last node instead). ONNX Runtime
names its fused nodes after one of the nodes they replace plus a suffix ("<node>/MatMulAddFusion",
"<output>_nchwc"): each counts under the step of the longest node name it starts with, or else
under the step that writes the tensor it writes (its graph after fusions says which).
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx

BLOCKS, BLOCK_RUNS = 4, 6  # each runtime runs BLOCK_RUNS times in a row, BLOCKS times in turn
RUNS = BLOCKS * (BLOCK_RUNS - 1)  # counted: the first run of a block warms it up
WITHOUT_BIASES = "/WithoutBiases"
LABELS = {"vinopy": "vinopy", "openvino": "OpenVINO", "onnxruntime": "ONNX Runtime"}


@dataclass
class Layer:
    kind: str  # "op [kernel]"
    us: float  # median over the runs
    outputs: tuple[str, ...] = ()  # the names of the tensors it writes, where known (ONNX Runtime's)


Profile = dict[str, Layer]  # by layer name


def profile_all(
    path: Path, inputs: list[np.ndarray], config: dict[str, Any], threads: int, blocks: int = BLOCKS
) -> tuple[dict[str, Profile], dict[str, float]]:
    """Per-layer median times of vinopy, OpenVINO and (for an ONNX file) ONNX Runtime, and the median
    wall time of a run (ms), by runtime. Each runtime runs in a process of its own (sharing one would
    let OpenVINO's TBB settings and ONNX Runtime's spinning threads slow the others); they take turns
    in blocks of runs, so that a change of the machine's load falls on all of them alike, with a pause
    before each block (``settle``). A block's first run is not counted: it pays for the caches the
    previous runtime filled."""
    runtimes = ["vinopy", "openvino"] + (["onnxruntime"] if path.suffix == ".onnx" else [])
    context = multiprocessing.get_context("spawn")
    pipes = {}
    for runtime in runtimes:
        pipes[runtime], child = context.Pipe()
        context.Process(
            target=_serve, args=(child, runtime, path, inputs, config, threads), daemon=True
        ).start()
    for runtime in runtimes:
        assert pipes[runtime].recv() == "ready"
    for _ in range(blocks):
        for pipe in pipes.values():
            settle()
            pipe.send("block")
            pipe.recv()
    results = {}
    for runtime, pipe in pipes.items():
        pipe.send("end")
        results[runtime] = pipe.recv()
    return {r: layers for r, (layers, _) in results.items()}, {r: wall for r, (_, wall) in results.items()}


SETTLE_S = 0.1


def settle() -> None:
    """Wait for the previous runtime's threads to go idle before measuring another: after a run,
    ONNX Runtime's idle worker spins on for about 60 ms (measured: 60 ms of CPU time in its process
    while it waits 200 ms or 1 s), taking a core from whatever runs next (a one-convolution model
    ran 2x slower in vinopy and OpenVINO right after it)."""
    time.sleep(SETTLE_S)


def _serve(
    conn: Any, runtime: str, path: Path, inputs: list[np.ndarray], config: dict[str, Any], threads: int
) -> None:
    profiler = _OnnxRuntimeProfiler(path, inputs, threads) if runtime == "onnxruntime" else None
    profiler = profiler or _OpenVinoProfiler(importlib.import_module(runtime), path, inputs, config)
    conn.send("ready")
    while conn.recv() == "block":
        for run in range(BLOCK_RUNS):
            profiler.run(counted=run > 0)
        conn.send("done")
    conn.send((profiler.layers(), statistics.median(profiler.walls)))


class _OpenVinoProfiler:
    """vinopy's or OpenVINO's PERF_COUNT times (``module`` is either: they share the API)."""

    def __init__(self, module: Any, path: Path, inputs: list[np.ndarray], config: dict[str, Any]) -> None:
        core = module.Core()
        compiled = core.compile_model(core.read_model(str(path)), "CPU", {**config, "PERF_COUNT": True})
        self.request, self.inputs = compiled.create_infer_request(), inputs
        self.samples: dict[str, list[float]] = {}
        self.kinds: dict[str, str] = {}
        self.walls: list[float] = []

    def run(self, counted: bool) -> None:
        wall = _timed(self.request.infer, self.inputs, share_inputs=True, share_outputs=True)
        if counted:
            self.walls.append(wall)
            for row in self.request.get_profiling_info():
                self.samples.setdefault(row.node_name, []).append(row.real_time.total_seconds() * 1e6)
                self.kinds[row.node_name] = f"{row.node_type} [{row.exec_type}]"

    def layers(self) -> Profile:
        return _medians(self.samples, self.kinds)


class _OnnxRuntimeProfiler:
    """ONNX Runtime's session profile: per-node kernel times, after its own fusions."""

    def __init__(self, path: Path, inputs: list[np.ndarray], threads: int) -> None:
        import onnxruntime as ort

        self.folder = tempfile.TemporaryDirectory()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(self.folder.name) / "ort")
        # the graph after ORT's fusions, without its weights: what each fused node writes
        options.optimized_model_filepath = str(Path(self.folder.name) / "optimized.onnx")
        options.add_session_config_entry("session.optimized_model_external_initializers_file_name", "w.bin")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        optimized = onnx.load(options.optimized_model_filepath, load_external_data=False)
        self.outputs = {node.name: tuple(node.output) for node in optimized.graph.node}
        self.feeds = {i.name: v for i, v in zip(self.session.get_inputs(), inputs)}
        self.walls: list[float] = []

    def run(self, counted: bool) -> None:
        wall = _timed(self.session.run, None, self.feeds)
        self.walls += [wall] if counted else []

    def layers(self) -> Profile:
        with self.folder:
            layers = _ort_layers(json.loads(Path(self.session.end_profiling()).read_text()))
        return {name: replace(layer, outputs=self.outputs.get(name, ())) for name, layer in layers.items()}


def _timed(fn: Any, *args: Any, **kwargs: Any) -> float:
    """The milliseconds that ``fn(*args, **kwargs)`` takes."""
    start = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1e3


def _ort_layers(events: list[dict[str, Any]]) -> Profile:
    """ONNX Runtime's per-node median kernel times, after its own fusions, from its profile (each
    node runs once a run, so its n-th time is the n-th run's; the first of each block is dropped)."""
    samples: dict[str, list[float]] = {}
    kinds: dict[str, str] = {}
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            name = event["name"].removesuffix("_kernel_time")
            samples.setdefault(name, []).append(event["dur"])
            kinds[name] = f"{event['args'].get('op_name', '?')} [{event['args'].get('provider', '?')}]"
    counted = {name: [us for i, us in enumerate(v) if i % BLOCK_RUNS] for name, v in samples.items()}
    return _medians(counted, kinds)


def _medians(samples: dict[str, list[float]], kinds: dict[str, str]) -> Profile:
    return {name: Layer(kinds[name], statistics.median(us)) for name, us in samples.items()}


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
    # by the names of the tensors they write too: OpenVINO names a model output's producer after the
    # output, and ONNX Runtime names some fusions after no node ("Gelu_token_3")
    for node in model.get_ordered_ops():
        for output in node.outputs():
            for tensor_name in output.get_names():
                owners.setdefault(tensor_name, owners.get(node.get_friendly_name(), ""))
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
    "/WithoutBiases") that the node's name is or starts with before a "/" or "_", else for the
    tensor it writes ("" when neither is known)."""
    bases = sorted(((name.removesuffix(WITHOUT_BIASES), step) for name, step in owners.items()), reverse=True)
    sums: dict[str, float] = {}
    for node, layer in nodes.items():
        node = node.removeprefix("fused ")  # how ORT names some of its fusions
        step = next((s for b, s in bases if node == b or node.startswith((b + "/", b + "_"))), None)
        if step is None:
            step = next((owners[t] for t in layer.outputs if t in owners), "")
        sums[step] = sums.get(step, 0.0) + layer.us
    return sums


def by_kind(profile: Profile) -> list[tuple[str, float]]:
    sums: dict[str, float] = {}
    for layer in profile.values():
        sums[layer.kind] = sums.get(layer.kind, 0.0) + layer.us
    return sorted(sums.items(), key=lambda kv: -kv[1])


def markdown(
    title: str,
    profiles: dict[str, Profile],
    owners: dict[str, str],
    walls: dict[str, float],
    top: int,
) -> str:
    """The section of one model: totals, time by layer kind, and the steps that take longest in
    either runtime with the three times side by side."""
    vinopy, onnxruntime = profiles["vinopy"], profiles.get("onnxruntime")
    ov_by_step = by_step(profiles["openvino"], owners)
    ort_by_step = by_prefix(onnxruntime, owners) if onnxruntime else {}
    lines = [f"## {title}", ""]
    for runtime, profile in profiles.items():
        timed = sum(1 for layer in profile.values() if layer.us)
        total = sum(p.us for p in profile.values()) / 1e3
        kinds = ", ".join(f"{kind} {us / 1e3:.2f}" for kind, us in by_kind(profile)[:5])
        lines.append(
            f"- {LABELS[runtime]}: **{total:.2f} ms** in {timed} timed layers, {walls[runtime]:.2f} ms "
            f"per run; by kind (ms): {kinds}"
        )
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
