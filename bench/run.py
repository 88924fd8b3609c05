"""Speed and memory of vinopy's CPU plugin against OpenVINO CPU and ONNX Runtime, batch 1.

    python bench/run.py [--models resnet50,mlp] [--rounds 5] [--seconds 2] [--precision f32]
    python bench/run.py --profile [--models yolo_tiny]  # per-layer times beside OpenVINO's -pc and ORT's
    python bench/run.py --models resnet50 --int8    # vinopy and OpenVINO run an int8 IR
    python bench/run.py --profile --models resnet50 --int8 --output /tmp/p.md  # per layer, that IR
    PYTHONPATH=/path/to/nncf python bench/run.py --int8 --int8-from nncf   # the IR that NNCF writes

The models are built in PyTorch with random weights (bench/models.py), exported to ONNX once into
bench/.cache/ and read by all three runtimes from that file. With --int8, vinopy.quantization
quantizes it (random calibration inputs) into an IR in the cache that vinopy and OpenVINO both run
(with --int8-from nncf, nncf.quantize on OpenVINO's model writes that IR instead);
ONNX Runtime keeps the f32 model, whose outputs the error column then compares the int8 ones with.
Each runtime runs in a worker process of its own (so their thread pools cannot disturb each other);
each round measures every runtime in turn (the order rotates; latency in several short turns each),
so machine noise falls on all of them alike; ratios are taken per round. Each turn starts 0.1 s
after the previous one ends, once ONNX Runtime's idle thread has stopped spinning (it takes a core
for about 60 ms after a run).
Latency: synchronous requests with the LATENCY hint. Throughput: asynchronous requests with the
THROUGHPUT hint (ONNX Runtime: one single-threaded session per core, run from as many threads),
for --seconds or 40 times the slowest runtime's latency, whichever is longer.
Load time and memory: reading, compiling and the first inference, timed in a fresh process per
runtime, with the growth of its peak RSS (VmHWM, from /proc) over the RSS before.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import multiprocessing
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
from bench import profiles  # noqa: E402

# the names of bench.models.MODELS: that module (torch) is imported where models are exported only,
# never in the runtimes' worker processes, whose threads it would share
MODEL_NAMES = ("resnet50", "mobilenet_v2", "bert_base", "mlp", "yolo_tiny")
RUNTIMES = ("vinopy", "openvino", "onnxruntime")
QUANTIZERS = {"vinopy": "vinopy.quantization", "nncf": "NNCF"}


# --- process memory -------------------------------------------------------------------------------
def _status_kb(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> None:
    """Writing 5 to clear_refs resets VmHWM (peak RSS) to the current RSS (Linux >= 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")


def measure_peak(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """``fn()``, the seconds it took and the growth of peak RSS over RSS before it, in MiB."""
    reset_peak_rss()
    before = _status_kb("VmRSS")
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start, (_status_kb("VmHWM") - before) / 1024


# --- the three runtimes behind one interface --------------------------------------------------------
@dataclass
class Runner:
    """A compiled model: ``infer()`` runs one synchronous request, ``throughput(seconds)`` fills streams."""

    infer: Callable[[], list[np.ndarray]]
    throughput: Callable[[float], float]
    compile_s: float = 0.0
    peak_mib: float = 0.0


def _queue_throughput(queue_cls: Any, compiled: Any, inputs: list[np.ndarray], seconds: float) -> float:
    queue = queue_cls(compiled)
    done = [0]

    def count(*_: Any) -> None:
        done[0] += 1

    queue.set_callback(count)
    for _ in range(len(queue)):  # warm every request
        queue.start_async(inputs, share_inputs=True)
    queue.wait_all()
    done[0] = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        queue.start_async(inputs, share_inputs=True)
    queue.wait_all()
    return done[0] / (time.perf_counter() - start)


def openvino_like(module: Any, path: Path, inputs: list[np.ndarray], precision: str, threads: int) -> Runner:
    """vinopy and OpenVINO share the API: the same code drives both."""
    core = module.Core()
    config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": precision}
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads

    def build() -> Any:
        compiled = core.compile_model(
            core.read_model(str(path)), "CPU", {**config, "PERFORMANCE_HINT": "LATENCY"}
        )
        request = compiled.create_infer_request()
        request.infer(inputs, share_inputs=True, share_outputs=True)
        return request

    request, seconds, peak = measure_peak(build)
    throughput_model = core.compile_model(
        core.read_model(str(path)),
        "CPU",
        {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "THROUGHPUT"},
    )

    def infer() -> list[np.ndarray]:
        result = request.infer(inputs, share_inputs=True, share_outputs=True)
        return [result[i] for i in range(len(result))]

    return Runner(
        infer,
        lambda s: _queue_throughput(module.AsyncInferQueue, throughput_model, inputs, s),
        seconds,
        peak,
    )


def onnxruntime_runner(path: Path, inputs: list[np.ndarray], streams: int, threads: int) -> Runner:
    import onnxruntime as ort

    def build() -> Any:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        feeds = {i.name: v for i, v in zip(session.get_inputs(), inputs)}
        session.run(None, feeds)
        return session, feeds

    (session, feeds), seconds, peak = measure_peak(build)
    single = ort.SessionOptions()
    single.intra_op_num_threads = single.inter_op_num_threads = 1
    workers = [
        ort.InferenceSession(str(path), single, providers=["CPUExecutionProvider"]) for _ in range(streams)
    ]

    def throughput(duration: float) -> float:
        counts = [0] * streams
        end = time.perf_counter() + duration

        def work(i: int) -> None:  # onnxruntime releases the GIL while it runs
            while time.perf_counter() < end:
                workers[i].run(None, feeds)
                counts[i] += 1

        start = time.perf_counter()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(streams)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sum(counts) / (time.perf_counter() - start)

    return Runner(lambda: session.run(None, feeds), throughput, seconds, peak)


def make_runner(runtime: str, path: Path, inputs: list[np.ndarray], args: argparse.Namespace) -> Runner:
    if runtime == "onnxruntime":
        return onnxruntime_runner(path, inputs, len(os.sched_getaffinity(0)), args.threads)
    module = __import__(runtime)
    return openvino_like(module, path, inputs, args.precision, args.threads)


class Worker:
    """One runtime in a process of its own, driven over a pipe: the runtimes' thread pools (TBB's for
    vinopy and OpenVINO, onnxruntime's spinning workers) cannot disturb each other, and load time
    and peak memory are the model's alone."""

    def __init__(self, runtime: str, path: Path, inputs: list[np.ndarray], args: argparse.Namespace) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, runtime, path, inputs, args), daemon=True)
        self.process.start()
        self.compile_s, self.peak_mib = self.conn.recv()

    def call(self, *command: Any) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def close(self) -> None:
        self.conn.send(("exit",))
        self.process.join()


def _import_library(runtime: str) -> None:
    """The library's own import, which is not the model's cost. ``import openvino`` loads its whole
    runtime at once; vinopy's names load on first use (PEP 562), so its runtime, ONNX reader, IR
    reader, device plugins and op modules are imported here too (the native oneDNN library still
    loads inside the timed compile, as OpenVINO's CPU plugin library does)."""
    importlib.import_module(runtime)
    if runtime == "vinopy":
        for module in ("runtime.core", "frontend.onnx", "serialize", "plugins.cpu"):
            importlib.import_module(f"vinopy.{module}")
        importlib.import_module("vinopy.ops.registry").load_all()


def _serve(conn: Any, runtime: str, path: Path, inputs: list[np.ndarray], args: argparse.Namespace) -> None:
    # installed packages carry bytecode (pip compiles it); a source checkout under
    # PYTHONDONTWRITEBYTECODE (as on the development machines) would compile every module it imports
    # while the model loads: keep its bytecode, so that load times compare like with like
    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(ROOT / ".cache" / "pycache")
    _import_library(runtime)
    runner = make_runner(runtime, path, inputs, args)
    conn.send((runner.compile_s, runner.peak_mib))
    commands = {
        "outputs": lambda: [np.array(o) for o in runner.infer()],
        "latency": lambda seconds, warmup=3: latencies_ms(runner.infer, seconds, warmup),
        "throughput": runner.throughput,
    }
    while (command := conn.recv())[0] != "exit":
        conn.send(commands[command[0]](*command[1:]))


# --- measuring --------------------------------------------------------------------------------------
def latencies_ms(infer: Callable[[], Any], seconds: float, warmup: int = 3, least: int = 2) -> list[float]:
    for _ in range(warmup):
        infer()
    times: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < least:
        start = time.perf_counter()
        infer()
        times.append((time.perf_counter() - start) * 1e3)
    return times


@dataclass
class ModelResult:
    name: str
    description: str
    workers: dict[str, Worker]
    latency: dict[str, list[float]] = field(default_factory=dict)  # every sample of every round
    round_medians: dict[str, list[float]] = field(default_factory=dict)
    fps: dict[str, list[float]] = field(default_factory=dict)
    error: dict[str, float] = field(default_factory=dict)
    agreement: tuple[float, float] = (0.0, 0.0)  # vinopy against OpenVINO (the same file): max abs, rel
    load: list[float] = field(default_factory=list)  # the machine's 1-minute load average after each round


def max_errors(got: list[np.ndarray], want: list[np.ndarray]) -> tuple[float, float]:
    """The largest absolute difference over all outputs, and relative to each output's largest value."""
    worst_abs = worst_rel = 0.0
    for g, w in zip(got, want):
        difference = float(np.abs(np.asarray(g, np.float64) - w).max())
        worst_abs = max(worst_abs, difference)
        worst_rel = max(worst_rel, difference / (float(np.abs(w).max()) or 1.0))
    return worst_abs, worst_rel


def max_relative_error(got: list[np.ndarray], want: list[np.ndarray]) -> float:
    return max_errors(got, want)[1]


def bench_model(name: str, args: argparse.Namespace) -> ModelResult:
    from bench.models import MODELS, export

    spec = MODELS[name]
    path = export(spec, args.cache)
    inputs = list(spec.inputs(np.random.default_rng(1)).values())
    int8 = quantized_ir(spec, path, args.calibration_samples, args.int8_from) if args.int8 else path
    workers = {
        runtime: Worker(runtime, path if runtime == "onnxruntime" else int8, inputs, args)
        for runtime in RUNTIMES
    }
    result = ModelResult(name, spec.description, workers)
    outputs = {runtime: workers[runtime].call("outputs") for runtime in RUNTIMES}
    for runtime in ("vinopy", "openvino"):
        result.error[runtime] = max_relative_error(outputs[runtime], outputs["onnxruntime"])
    result.agreement = max_errors(outputs["vinopy"], outputs["openvino"])
    for r in range(args.rounds):
        order = RUNTIMES[r % 3 :] + RUNTIMES[: r % 3]
        samples = _interleaved_latencies(workers, order, args)
        for runtime in order:
            result.latency.setdefault(runtime, []).extend(samples[runtime])
            result.round_medians.setdefault(runtime, []).append(statistics.median(samples[runtime]))
        seconds = throughput_seconds(args.seconds, samples)
        for runtime in order:
            profiles.settle()
            result.fps.setdefault(runtime, []).append(workers[runtime].call("throughput", seconds))
        result.load.append(os.getloadavg()[0])
        medians = {k: v[-1] for k, v in result.round_medians.items()}
        print(
            f"  {name} round {r + 1} (load {result.load[-1]:.1f}): "
            + "  ".join(f"{k} {v:.3f} ms" for k, v in medians.items())
            + "  fps "
            + "  ".join(f"{k} {v[-1]:.1f}" for k, v in result.fps.items()),
            flush=True,
        )
    for worker in workers.values():
        worker.close()
    return result


def throughput_seconds(least: float, latencies_ms: dict[str, list[float]]) -> float:
    """How long each runtime's throughput run lasts: ``least`` seconds, or 40 times the slowest
    runtime's median latency. A slow model (BERT: 0.2 s) then completes some 40 inferences, and
    the streams idling while the last ones finish weigh a few percent, not one in ten."""
    slowest_ms = max(statistics.median(v) for v in latencies_ms.values())
    return max(least, 40 * slowest_ms / 1e3)


def _interleaved_latencies(
    workers: dict[str, Worker], order: tuple[str, ...], args: argparse.Namespace
) -> dict[str, list[float]]:
    """One round's latency samples: the runtimes take turns in ``args.slices`` slices, so that a
    change of the machine's load within the round falls on all of them alike."""
    samples: dict[str, list[float]] = {runtime: [] for runtime in order}
    for turn in range(args.slices):
        for runtime in order:
            warmup = 3 if turn == 0 else 0
            profiles.settle()
            samples[runtime] += workers[runtime].call("latency", args.seconds / args.slices, warmup)
    return samples


def quantized_ir(spec: Any, path: Path, samples: int, source: str = "vinopy") -> Path:
    """The model quantized by ``source`` (vinopy.quantization or NNCF on OpenVINO's model) with
    ``samples`` random calibration inputs, saved as IR next to its ONNX file on first use."""
    quantizer = "_nncf" if source == "nncf" else ""
    suffix = "_transformer" if spec.transformer and source == "vinopy" else ""
    target = path.with_name(f"{path.stem}{quantizer}_int8_{samples}{suffix}.xml")
    if target.exists():
        return target
    rng = np.random.default_rng(2)
    data = [list(spec.inputs(rng).values()) for _ in range(samples)]
    quantize = _nncf_quantize if source == "nncf" else _vinopy_quantize
    quantize(path, data, spec.transformer, target)
    return target


def _vinopy_quantize(path: Path, data: list[list[np.ndarray]], transformer: bool, target: Path) -> None:
    import vinopy as ov
    from vinopy import quantization

    model = ov.Core().read_model(str(path))
    model_type = quantization.ModelType.TRANSFORMER if transformer else None
    quantized = quantization.quantize(
        model, quantization.Dataset(data), subset_size=len(data), model_type=model_type
    )
    ov.save_model(quantized, str(target), compress_to_fp16=False)


def _nncf_quantize(path: Path, data: list[list[np.ndarray]], transformer: bool, target: Path) -> None:
    """NNCF (an optional tool, never a vinopy dependency) on OpenVINO's reading of the model."""
    try:
        import nncf
    except ImportError as error:
        raise SystemExit(
            f"--int8-from nncf needs the nncf package, which is not importable here ({error}); "
            "install it or put it on PYTHONPATH"
        ) from error
    import openvino

    model_type = nncf.ModelType.TRANSFORMER if transformer else None
    quantized = nncf.quantize(
        openvino.Core().read_model(str(path)),
        nncf.Dataset(data),
        subset_size=len(data),
        model_type=model_type,
    )
    openvino.save_model(quantized, str(target), compress_to_fp16=False)


# --- per-layer profile ------------------------------------------------------------------------------
def profile(names: list[str], args: argparse.Namespace, command: str, top: int = 25) -> str:
    """Per-layer times of vinopy beside OpenVINO's (PERF_COUNT) and, for an ONNX model, ONNX Runtime's
    node profile: a Markdown report with a section per model."""
    from bench.models import MODELS, export

    config = {"INFERENCE_PRECISION_HINT": args.precision, "PERFORMANCE_HINT": "LATENCY"}
    if args.threads:
        config["INFERENCE_NUM_THREADS"] = args.threads
    sections = []
    for name in names:
        spec = MODELS[name]
        path = export(spec, args.cache)
        if args.int8:
            path = quantized_ir(spec, path, args.calibration_samples, args.int8_from)
        inputs = list(spec.inputs(np.random.default_rng(1)).values())
        layers, walls = profiles.profile_all(path, inputs, config, args.threads)
        owners = profiles.step_of_node(path, config)
        sections.append(profiles.markdown(spec.description, layers, owners, walls, top))
        print(sections[-1], flush=True)
    header = [
        *heading("vinopy CPU per-layer profiles", command),
        f"- {_precision(args)}; batch 1; LATENCY hint; threads: {args.threads or 'default'}; "
        f"median of {profiles.RUNS} runs per layer; each runtime in a process of its own, "
        f"taking turns in blocks of {profiles.BLOCK_RUNS} runs (the first not counted).",
        "- Times are each runtime's own per-layer timers (vinopy and OpenVINO: get_profiling_info; "
        "ONNX Runtime: its session profile), so their sums leave out the time between layers.",
        "",
    ]
    return "\n".join(header) + "\n" + "\n".join(sections)


# --- the report ---------------------------------------------------------------------------------------
def machine() -> str:
    from vinopy.plugins.cpu import CPUPlugin
    from vinopy.plugins.cpu.dnnl import api

    flags = Path("/proc/cpuinfo").read_text().split("flags", 1)[-1].split("\n", 1)[0].split()
    isa = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx_vnni") if f in flags]
    memory = _meminfo_gib()
    return (
        f"{CPUPlugin().full_name()}, {len(os.sched_getaffinity(0))} cores available, "
        f"{memory:.0f} GiB RAM, ISA: {' '.join(isa)} (oneDNN {api.version()} uses "
        f"{api.isa_name(api.cpu_isa())}); Linux {platform.release()}, Python {platform.python_version()}"
    )


def _meminfo_gib() -> float:
    first = Path("/proc/meminfo").read_text().splitlines()[0]
    return int(first.split()[1]) / 2**20


def versions() -> str:
    import onnxruntime
    import openvino
    import torch

    import vinopy

    return (
        f"vinopy {getattr(vinopy, '__version__', '?')}, OpenVINO {openvino.__version__}, "
        f"ONNX Runtime {onnxruntime.__version__}, numpy {np.__version__}, "
        f"torch {torch.__version__} (export only)"
    )


def _stats(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} / {min(values):.3f} / {max(values):.3f}"


def _ratios(result: ModelResult, other: str) -> list[float]:
    return [v / o for v, o in zip(result.round_medians["vinopy"], result.round_medians[other])]


def _precision(args: argparse.Namespace) -> str:
    if not args.int8:
        return f"Precision: {args.precision}"
    return (
        f"Precision: int8 for vinopy and OpenVINO (the same IR, quantized by {QUANTIZERS[args.int8_from]} "
        f"with {args.calibration_samples} random samples), f32 for ONNX Runtime"
    )


def heading(title: str, command: str) -> list[str]:
    """A report's title and the lines that say when, where, with what and how it was made."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"# {title}",
        "",
        f"- Date: {now}; load average (1 min) at the end: {os.getloadavg()[0]:.1f}",
        f"- Machine: {machine()}",
        f"- Software: {versions()}",
        f"- Command: `{command}`",
    ]


def report(results: list[ModelResult], args: argparse.Namespace, command: str) -> str:
    lines = [
        *heading("vinopy CPU benchmark", command),
        f"- {_precision(args)}; batch 1; latency threads: {args.threads or 'default'}; "
        f"{args.rounds} rounds of {args.seconds:g} s per runtime and mode, runtimes interleaved "
        f"(latency in {args.slices} turns per round; the order rotates each round).",
        "",
        "## Latency (synchronous, LATENCY hint), ms: median / min / max over all samples",
        "",
        "| model | vinopy | OpenVINO | ONNX Runtime | vinopy/OpenVINO per round (median) "
        "| vinopy/ORT per round (median) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        cells = [_stats(r.latency[k]) for k in RUNTIMES]
        ratio_cells = []
        for other in ("openvino", "onnxruntime"):
            ratios = _ratios(r, other)
            ratio_cells.append(
                f"{' '.join(f'{x:.2f}' for x in ratios)} (**{statistics.median(ratios):.2f}**)"
            )
        lines.append(f"| {r.description} | {' | '.join(cells)} | {' | '.join(ratio_cells)} |")
    lines += ["", "Load average (1 min) of the machine after each round, as the ratios above:", ""]
    lines += [f"- {r.description}: {' '.join(f'{x:.1f}' for x in r.load)}" for r in results]
    lines += [
        "",
        "## Throughput (asynchronous, THROUGHPUT hint), inferences/s: median of rounds",
        "",
        "| model | vinopy | OpenVINO | ONNX Runtime | vinopy/OpenVINO | vinopy/ORT |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        fps = {k: statistics.median(v) for k, v in r.fps.items()}
        lines.append(
            f"| {r.description} | {fps['vinopy']:.1f} | {fps['openvino']:.1f} | {fps['onnxruntime']:.1f} | "
            f"{fps['vinopy'] / fps['openvino']:.2f} | {fps['vinopy'] / fps['onnxruntime']:.2f} |"
        )
    lines += [
        "",
        "## Load time (s: read + compile + first inference) and peak RSS growth (MiB), fresh process each",
        "",
        "| model | vinopy | OpenVINO | ONNX Runtime | max. rel. error vs ORT: vinopy / OpenVINO "
        "| vinopy vs OpenVINO: max. abs. / rel. error |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        cells = [f"{r.workers[k].compile_s:.2f} s, {r.workers[k].peak_mib:.0f} MiB" for k in RUNTIMES]
        lines.append(
            f"| {r.description} | {' | '.join(cells)} | {r.error['vinopy']:.1e} / {r.error['openvino']:.1e} "
            f"| {r.agreement[0]:.1e} / {r.agreement[1]:.1e} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--models", default=",".join(MODEL_NAMES), help=f"comma-separated, of: {', '.join(MODEL_NAMES)}"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0, help="per runtime, mode and round")
    parser.add_argument(
        "--slices", type=int, default=4, help="latency turns per runtime and round, interleaved"
    )
    parser.add_argument("--precision", default="f32", choices=("f32", "bf16"))
    parser.add_argument(
        "--threads", type=int, default=0, help="threads for latency runs (0: each runtime's default)"
    )
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache")
    parser.add_argument("--output", type=Path, help="default: RESULTS.md, or PROFILES.md with --profile")
    parser.add_argument(
        "--profile", action="store_true", help="per-layer times of --models instead of benchmarking"
    )
    parser.add_argument("--int8", action="store_true", help="vinopy and OpenVINO run the model quantized")
    parser.add_argument("--calibration-samples", type=int, default=30, help="for --int8")
    parser.add_argument(
        "--int8-from",
        default="vinopy",
        choices=tuple(QUANTIZERS),
        help="for --int8: the quantizer that writes the IR (nncf: nncf.quantize on OpenVINO's model)",
    )
    args = parser.parse_args()
    command = "python " + " ".join(sys.argv)
    names = args.models.split(",")
    if args.profile:
        text = profile(names, args, command)
        (args.output or ROOT / "PROFILES.md").write_text(text)
        return
    results = []
    for name in names:
        print(name, flush=True)
        results.append(bench_model(name, args))
    text = report(results, args, command)
    (args.output or ROOT / "RESULTS.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
