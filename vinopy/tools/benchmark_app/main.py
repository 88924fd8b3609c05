"""benchmark_app: measure a model's inference latency and throughput on a device, step by step."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import vinopy as ov
from vinopy.tools.benchmark_app import inputs as inp
from vinopy.tools.benchmark_app import model_setup
from vinopy.tools.benchmark_app.arguments import HINTS, UsageError, parse_args
from vinopy.tools.benchmark_app.statistics import (
    Latency,
    Report,
    average_counters,
    counter_table,
    latency_lines,
    sort_counters,
)

STEPS = 11


class Printer:
    def __init__(self) -> None:
        self.step = 0

    def next_step(self, title: str) -> None:
        self.step += 1
        print(f"[Step {self.step}/{STEPS}] {title}", flush=True)

    @staticmethod
    def info(text: str = "") -> None:
        print(f"[ INFO ] {text}", flush=True)

    @staticmethod
    def warning(text: str) -> None:
        print(f"[ WARNING ] {text}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run benchmark_app; a bad argument or a failure ends with one error line and exit code 1."""
    try:
        run(list(sys.argv[1:] if argv is None else argv))
    except UsageError as e:
        print(f"[ ERROR ] {e}", file=sys.stderr)
        return 1
    except (RuntimeError, ValueError, TypeError, KeyError, OSError, NotImplementedError) as e:
        print(f"[ ERROR ] {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


def run(argv: list[str]) -> None:
    out = Printer()
    out.next_step("Parsing and validating input arguments")
    out.info("Parsing input parameters")
    args = parse_args(argv)
    report = Report(args.report_folder, bool(args.json_stats)) if args.report_folder else None
    if report:
        report.add("Command line parameters", _argv_pairs(argv))

    out.next_step("Loading vinopy Runtime")
    core = ov.Core()
    device = args.target_device
    _print_versions(core, device, out)

    out.next_step("Setting device configuration")
    config = _device_config(core, args, device)

    model, read_ms, layouts, batch = _prepare_model(core, args, out)

    out.next_step("Loading the model to the device")
    start = time.perf_counter()
    compiled = core.compile_model(model if model is not None else args.path_to_model, device, config)
    compile_ms = (time.perf_counter() - start) * 1e3
    out.info(f"Compile model took {compile_ms:.2f} ms")
    if model is None:
        layouts = inp.layouts(compiled, args.layout)
        batch = model_setup.batch_size(compiled, layouts)

    out.next_step("Querying optimal runtime parameters")
    out.info("Model:")
    for key, value in _compiled_properties(compiled).items():
        out.info(f"  {key}: {value}")
    if args.dump_config:
        _dump_config(core, device, compiled, args.dump_config)

    out.next_step("Creating infer requests and preparing input tensors")
    nireq = args.number_infer_requests or (
        1 if args.api_type == "sync" else int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    )
    feeds = _prepare_inputs(compiled, args, layouts, out)

    limit = _limit_text(args)
    mode = "synchronously" if args.api_type == "sync" else f"asynchronously, {nireq} inference requests"
    out.next_step(f"Measuring performance (Start inference {mode}, limits: {limit})")
    inference_only = args.inference_only is not False
    if inference_only:
        out.info("Benchmarking in inference only mode (inputs filling are not included in measurement loop).")
    measured = _measure(compiled, feeds, args, nireq, out)

    out.next_step("Dumping statistics report")
    _report(args, report, measured, batch, nireq, device, read_ms, compile_ms, out, compiled)


def _print_versions(core: ov.Core, device: str, out: Printer) -> None:
    out.info("vinopy:")
    out.info(f"Build ................................. {ov.__version__}")
    out.info()
    out.info("Device info:")
    for name, version in core.get_versions(device).items():
        out.info(name)
        out.info(f"Build ................................. {version.build_number}")
    out.info()


def _prepare_model(
    core: ov.Core, args: Any, out: Printer
) -> tuple[ov.Model | None, float, dict[int, ov.Layout], int]:
    """Steps 4 to 6: read, reshape and configure the model; with -load_from_file there is none
    (the compiled file is read by compile_model). Returns it with the read time, layouts and batch."""
    out.next_step("Reading model files")
    start = time.perf_counter()
    if args.load_from_file:
        model = None
        read_ms = 0.0
        out.info("Skipping the step for loading model from file")
    else:
        out.info("Loading model files")
        model = core.read_model(args.path_to_model)
        read_ms = (time.perf_counter() - start) * 1e3
        out.info(f"Read model took {read_ms:.2f} ms")
        out.info("Original model I/O parameters:")
        for line in model_setup.describe(model):
            out.info(line)

    out.next_step("Resizing model to match image sizes and given batch")
    layouts: dict[int, ov.Layout] = {}
    if model is not None:
        layouts = inp.layouts(model, args.layout)
        model_setup.reshape(model, args.shape, args.batch_size, layouts)
        batch = model_setup.batch_size(model, layouts)
        out.info(f"Model batch size: {batch}")
    else:
        batch = 1
        out.info("Skipping the step for compiled network")

    out.next_step("Configuring input of the model")
    if model is not None:
        model = model_setup.configure(model, args, layouts)
        for line in model_setup.describe(model, layouts):
            out.info(line)
    return model, read_ms, layouts, batch


def _argv_pairs(argv: list[str]) -> list[tuple[str, str]]:
    pairs, i = [], 0
    while i < len(argv):
        if i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            pairs.append((argv[i], argv[i + 1]))
            i += 2
        else:
            pairs.append((argv[i], "true"))
            i += 1
    return pairs


def _device_config(core: ov.Core, args: Any, device: str) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if args.load_config:
        with open(args.load_config) as f:
            loaded = json.load(f)
        config.update(loaded.get(device, {}))
    hint = HINTS[args.perf_hint]
    if hint:
        config["PERFORMANCE_HINT"] = hint
    if args.number_streams is not None:
        config["NUM_STREAMS"] = args.number_streams
    if args.number_threads is not None:
        config["INFERENCE_NUM_THREADS"] = args.number_threads
    if args.infer_threads_pinning is not None:
        config["ENABLE_CPU_PINNING"] = args.infer_threads_pinning
    if args.infer_precision:
        config["INFERENCE_PRECISION_HINT"] = args.infer_precision
    if args.perf_counts or args.report_type in ("average_counters", "detailed_counters"):
        config["PERF_COUNT"] = True
    if args.cache_dir:
        core.set_property({"CACHE_DIR": args.cache_dir})
    if device.upper().split(":")[0] not in core.available_devices + ["AUTO"]:
        raise UsageError(f"device '{device}' is not available; available devices: {core.available_devices}")
    return config


def _dump_config(core: ov.Core, device: str, compiled: Any, path: str) -> None:
    """The device's settable properties as the compiled model has them, in a form -load_config reads."""
    supported = core.get_property(device, "SUPPORTED_PROPERTIES")
    values = _compiled_properties(compiled)
    settable = {k: _property_text(v) for k, v in values.items() if supported.get(k) == "RW"}
    with open(path, "w") as f:
        json.dump({device: settable}, f, indent=2)


def _property_text(value: Any) -> str:
    if isinstance(value, bool):
        return "YES" if value else "NO"
    if hasattr(value, "get_type_name"):
        return value.get_type_name()
    if hasattr(value, "to_integer"):
        return str(value.to_integer())
    return str(getattr(value, "name", value))


def _compiled_properties(compiled: Any) -> dict[str, Any]:
    values = {}
    for key in compiled.get_property("SUPPORTED_PROPERTIES"):
        if key == "SUPPORTED_PROPERTIES":
            continue
        try:
            values[key] = compiled.get_property(key)
        except (RuntimeError, KeyError):
            continue
    return values


def _prepare_inputs(compiled: Any, args: Any, layouts: dict[int, ov.Layout], out: Printer) -> list[list[Any]]:
    """One list of input arrays per data-shape group (several groups only with -data_shape lists)."""
    shapes = inp.data_shapes(compiled, args.data_shape)
    files = inp.files_per_input(compiled, args.paths_to_input)
    groups = max(len(s) for s in shapes) if shapes else 1
    rng = np.random.default_rng(0)
    feeds = []
    for g in range(groups):
        feed = []
        for i, port in enumerate(compiled.inputs):
            shape = shapes[i][g % len(shapes[i])]
            name = inp.input_name(port, i)
            if i in files and files[i]:
                path = files[i][g % len(files[i])]
                out.info(f"Read input '{name}' from {path}")
                feed.append(inp.load_file(path, port, shape, layouts.get(i, ov.Layout())))
            else:
                if g == 0:
                    out.warning(
                        f"No input files were given for input '{name}'!. "
                        "This input will be filled with random values!"
                    )
                    out.info(f"Fill input '{name}' with random values ")
                feed.append(inp.random_tensor(port, shape, rng, name))
        feeds.append(feed)
    return feeds


def _limit_text(args: Any) -> str:
    parts = []
    if args.number_iterations is not None:
        parts.append(f"{args.number_iterations} iterations")
    if args.time is not None:
        parts.append(f"{args.time * 1000} ms duration")
    return ", ".join(parts)


class Measured:
    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.per_group: dict[int, list[float]] = {}
        self.count = 0
        self.duration_ms = 0.0
        self.first_ms = 0.0
        self.profiles: list[list[Any]] = []

    def record(self, group: int, latency_ms: float) -> None:
        self.latencies_ms.append(latency_ms)
        self.per_group.setdefault(group, []).append(latency_ms)


def _measure(compiled: Any, feeds: list[list[Any]], args: Any, nireq: int, out: Printer) -> Measured:
    result = Measured()
    if args.number_iterations == 0:
        return result
    requests = [compiled.create_infer_request()] if args.api_type == "sync" else None
    queue = ov.AsyncInferQueue(compiled, nireq) if args.api_type == "async" else None
    first_request = requests[0] if requests else queue[0]
    start = time.perf_counter()
    if not args.no_warmup:
        first_request.infer(feeds[0])
    result.first_ms = (time.perf_counter() - start) * 1e3
    out.info(f"First inference took {result.first_ms:.2f} ms")
    niter = args.number_iterations
    if niter is not None and args.api_type == "async" and niter % nireq:
        niter = (niter // nireq + 1) * nireq
        out.warning(f"Number of iterations was aligned by request number to {niter}")
    deadline = None if args.time is None else args.time
    min_interval = 1.0 / args.maximum_inference_rate if args.maximum_inference_rate else 0.0
    bar = _progress(niter, deadline)
    start = time.perf_counter()
    if queue is not None:
        queue.set_callback(lambda request, group: result.record(group, request.latency))

        def submit(feed: list[Any], group: int) -> None:
            queue.start_async(feed, group, share_inputs=True)

    else:
        request = requests[0]

        def submit(feed: list[Any], group: int) -> None:
            request.infer(feed, share_inputs=True)
            result.record(group, request.latency)

    _run_loop(submit, feeds, result, niter, deadline, min_interval, start, bar)
    if queue is not None:
        queue.wait_all()
    result.duration_ms = (time.perf_counter() - start) * 1e3
    if bar is not None:
        bar.close()
    result.profiles = [r.get_profiling_info() for r in (requests or list(queue))]
    return result


def _should_continue(count: int, niter: int | None, deadline: float | None, start: float) -> bool:
    """As OpenVINO: run until both the iteration count and the duration (those given) are reached."""
    wants_iterations = niter is not None and count < niter
    wants_time = deadline is not None and time.perf_counter() - start < deadline
    return wants_iterations or wants_time


def _throttle(min_interval: float, last: float) -> float:
    if min_interval:
        wait = last + min_interval - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    return time.perf_counter()


def _run_loop(
    submit: Callable[[list[Any], int], None],
    feeds: list[list[Any]],
    result: Measured,
    niter: int | None,
    deadline: float | None,
    min_interval: float,
    start: float,
    bar: Any,
) -> None:
    """Submit the input groups in turn (a sync inference or an async start) until the limits."""
    last = start
    while _should_continue(result.count, niter, deadline, start):
        last = _throttle(min_interval, last)
        group = result.count % len(feeds)
        submit(feeds[group], group)
        result.count += 1
        _tick(bar, start)


def _progress(niter: int | None, deadline: float | None) -> Any:
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    if niter is not None:
        return tqdm(total=niter, unit="it", leave=False)
    return tqdm(total=int(deadline or 0), unit="s", leave=False, bar_format="{l_bar}{bar}| {n:.0f}/{total}s")


def _tick(bar: Any, start: float) -> None:
    if bar is None:
        return
    if bar.unit == "it":
        bar.update(1)
    else:
        bar.n = min(bar.total, time.perf_counter() - start)
        bar.refresh()


def _report(
    args: Any,
    report: Report | None,
    m: Measured,
    batch: int,
    nireq: int,
    device: str,
    read_ms: float,
    compile_ms: float,
    out: Printer,
    compiled: Any,
) -> None:
    counters = [sort_counters(average_counters([p]), args.perf_counts_sort) for p in m.profiles[:1]]
    if args.perf_counts and counters:
        out.info("Performance counts for 0-th infer request")
        for line in counter_table(counters[0]):
            print(line)
        print()
    if args.exec_graph_path:
        ov.serialize(compiled.get_runtime_model(), args.exec_graph_path)
    latency = Latency.of(m.latencies_ms, args.latency_percentile)
    fps = batch * m.count * 1000.0 / m.duration_ms if m.duration_ms else 0.0
    out.info(f"Execution Devices:{compiled.get_property('EXECUTION_DEVICES')}")
    if args.pcseq and len(m.per_group) > 1:
        for group, samples in sorted(m.per_group.items()):
            out.info(f"Data shape group {group}:")
            for line in latency_lines(Latency.of(samples, args.latency_percentile), args.latency_percentile):
                out.info("  " + line)
    out.info(f"Count:            {m.count} iterations")
    out.info(f"Duration:         {m.duration_ms:.2f} ms")
    for line in latency_lines(latency, args.latency_percentile):
        out.info(line)
    out.info(f"Throughput:   {fps:.2f} FPS")
    if report is None:
        return
    report.add(
        "Configuration setup",
        [
            ("topology", compiled.get_property("MODEL_NAME")),
            ("target device", device),
            ("API", args.api_type),
            ("inference_only", args.inference_only is not False),
            ("precision", args.infer_precision or "UNSPECIFIED"),
            ("batch size", batch),
            ("number of iterations", args.number_iterations or 0),
            ("number of parallel infer requests", nireq),
            ("duration (ms)", (args.time or 0) * 1000),
        ],
    )
    report.add(
        "Execution results",
        [
            ("read model time (ms)", f"{read_ms:.2f}"),
            ("compile model time (ms)", f"{compile_ms:.2f}"),
            ("first inference time (ms)", f"{m.first_ms:.2f}"),
            ("total execution time (ms)", f"{m.duration_ms:.2f}"),
            ("total number of iterations", m.count),
            ("latency (ms)", f"{latency.percentile:.2f}"),
            ("avg latency", f"{latency.average:.2f}"),
            ("min latency", f"{latency.minimum:.2f}"),
            ("max latency", f"{latency.maximum:.2f}"),
            ("throughput", f"{fps:.2f}"),
        ],
    )
    report.write()
    if args.report_type == "average_counters":
        report.write_counters("average_counters", [sort_counters(average_counters(m.profiles), None)])
    elif args.report_type == "detailed_counters":
        report.write_counters("detailed_counters", [average_counters([p]) for p in m.profiles])
