"""benchmark_app's command-line flags, with OpenVINO's names, defaults and meaning."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

PRECISIONS = ["bool", "f16", "f32", "f64", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"]
HINTS = {
    "throughput": "THROUGHPUT",
    "tput": "THROUGHPUT",
    "cumulative_throughput": "CUMULATIVE_THROUGHPUT",
    "ctput": "CUMULATIVE_THROUGHPUT",
    "latency": "LATENCY",
    "none": "",
}


class UsageError(Exception):
    """Arguments that do not make sense; reported as one line and exit code 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits with 2 and usage; we report one line
        raise UsageError(message)


def _flag(value: str | None) -> bool:
    return value is None or str(value).lower() in ("true", "yes", "1", "y")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="benchmark_app",
        description="Measure inference speed of a model on a device.",
        formatter_class=argparse.RawTextHelpFormatter,
    )
    add = p.add_argument
    add("-m", "--path_to_model", required=True, help="Path to a model (.xml, .onnx).")
    add("-d", "--target_device", default="CPU", help="Device to infer on (default CPU).")
    add(
        "-hint",
        "--perf_hint",
        choices=list(HINTS),
        default=None,
        help="Performance hint: throughput (default with async) or latency or none.",
    )
    add(
        "-api",
        "--api_type",
        choices=["sync", "async"],
        default=None,
        help="sync or async API; default: sync for the latency hint, async otherwise.",
    )
    add("-niter", "--number_iterations", type=int, default=None, help="Number of iterations.")
    add("-t", "--time", type=int, default=None, help="Seconds to run (60 when neither -t nor -niter).")
    add(
        "-max_irate", "--maximum_inference_rate", type=float, default=0, help="Maximum inferences per second."
    )
    add("-nireq", "--number_infer_requests", type=int, default=0, help="Number of infer requests.")
    add("-nstreams", "--number_streams", default=None, help="Number of streams (or AUTO).")
    add("-nthreads", "--number_threads", type=int, default=None, help="Number of threads.")
    add("-pin", "--infer_threads_pinning", choices=["YES", "NO"], default=None, help="Pin threads to cores.")
    add("-b", "--batch_size", type=int, default=0, help="Batch size (changes the N dimension).")
    add("-shape", default="", help='Model input shapes, e.g. "input1[1,3,224,224],input2[1,4]".')
    add(
        "-data_shape",
        default="",
        help='Input tensor shapes for dynamic models, e.g. "[1,3,224,224][1,3,448,448]".',
    )
    add("-layout", default="", help='Input layouts, e.g. "input1[NCHW],input2[NC]" or "[NCHW]".')
    add("-i", "--paths_to_input", nargs="+", default=[], help="Input files or folders (.npy, .bin, images).")
    add("-ip", "--input_precision", choices=PRECISIONS, default=None, help="Precision of all inputs.")
    add("-op", "--output_precision", choices=PRECISIONS, default=None, help="Precision of all outputs.")
    add("-iop", "--input_output_precision", default="", help='Per-port precisions: "in1:f32,out1:f16".')
    add("-infer_precision", default=None, help="Inference precision hint (f32, bf16, f16).")
    add(
        "-inference_only",
        "--inference_only",
        nargs="?",
        const="true",
        default=None,
        help="Measure inference only (inputs are filled once).",
    )
    add("-no_warmup", action="store_true", help="Skip the warm-up inference.")
    add(
        "-mean_values", "--mean_values", default="", help="Per-channel mean values, e.g. [123.7,116.3,103.5]."
    )
    add(
        "-scale_values", "--scale_values", default="", help="Per-channel scale values, e.g. [58.4,57.1,57.4]."
    )
    add("-cdir", "--cache_dir", default="", help="Model cache directory.")
    add(
        "-lfile",
        "--load_from_file",
        nargs="?",
        const="true",
        default=None,
        help="Compile the model from its file without read_model.",
    )
    add("-extensions", "--extensions", default="", help="Extension libraries (not supported by vinopy).")
    add("-c", "--path_to_cldnn_config", default="", help="GPU kernel config (not supported by vinopy).")
    add("-pc", "--perf_counts", nargs="?", const="true", default=None, help="Print per-layer counters.")
    add(
        "-pcsort",
        "--perf_counts_sort",
        choices=["no_sort", "sort", "simple_sort"],
        default=None,
        help="Print per-layer counters sorted by time.",
    )
    add(
        "-pcseq",
        "--pcseq",
        nargs="?",
        const="true",
        default=None,
        help="Print counters for each data shape group.",
    )
    add(
        "-report_type",
        "--report_type",
        choices=["no_counters", "average_counters", "detailed_counters"],
        default="",
        help="Kind of statistics report written to -report_folder.",
    )
    add("-report_folder", "--report_folder", default="", help="Folder for the CSV/JSON statistics report.")
    add(
        "-json_stats",
        "--json_stats",
        nargs="?",
        const="true",
        default=None,
        help="Write the report as JSON instead of CSV.",
    )
    add("-exec_graph_path", "--exec_graph_path", default="", help="Write the executed graph as IR here.")
    add("-dump_config", default="", help="Write the device configuration as JSON here.")
    add("-load_config", default="", help="Read a JSON device configuration from here.")
    add(
        "-latency_percentile",
        "--latency_percentile",
        type=int,
        default=50,
        help="Percentile reported as the latency (1..100, default 50: median).",
    )
    return p


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    for name in ("inference_only", "load_from_file", "perf_counts", "pcseq", "json_stats"):
        value = getattr(args, name)
        setattr(args, name, None if value is None else _flag(value))
    if args.perf_counts_sort:
        args.perf_counts = True
    _validate(args)
    return args


def _validate(args: argparse.Namespace) -> None:
    if args.number_iterations is not None and args.number_iterations < 0:
        raise UsageError(f"-niter must be >= 0, got {args.number_iterations}")
    if args.time is not None and args.time <= 0:
        raise UsageError(f"-t must be a positive number of seconds, got {args.time}")
    if not 1 <= args.latency_percentile <= 100:
        raise UsageError(f"-latency_percentile must be in 1..100, got {args.latency_percentile}")
    if args.batch_size < 0:
        raise UsageError(f"-b must be positive, got {args.batch_size}")
    if args.extensions or args.path_to_cldnn_config:
        raise UsageError("-extensions and -c (native extension libraries) are not supported by vinopy")
    if args.report_type and not args.report_folder:
        raise UsageError("-report_type needs -report_folder")
    if args.number_infer_requests < 0:
        raise UsageError(f"-nireq must be >= 0, got {args.number_infer_requests}")
    if args.perf_hint is None:
        args.perf_hint = "latency" if args.api_type == "sync" else "throughput"
    if args.api_type is None:
        args.api_type = "sync" if HINTS[args.perf_hint] == "LATENCY" else "async"
    if args.number_iterations is None and args.time is None:
        args.time = 60
