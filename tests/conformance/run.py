"""Run the ONNX backend conformance suite and (re)write the expected-pass list.

python tests/conformance/run.py                 # vinopy on TEMPLATE, prints a summary
python tests/conformance/run.py --write         # ... and regenerate onnx_expected_passes.txt
python tests/conformance/run.py --runtime ort   # ONNX Runtime through the same runner
python tests/conformance/run.py --device CPU -k conv --failures
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conformance.suite import (
    Case,
    describe_failure,
    load_cases,
    read_expected,
    summary_line,
    write_expected,
)

_CASES: list[Case] = []


def make_backend(runtime: str, device: str) -> Any:
    if runtime == "ort":
        import onnxruntime.backend

        return onnxruntime.backend
    from vinopy.frontend.onnx.backend import backend_for

    return backend_for(device)


def _run_one(index: int) -> tuple[int, str, str]:
    status, message = _CASES[index].run()
    return index, status, message


def run_all(cases: list[Case], jobs: int) -> dict[Case, tuple[str, str]]:
    _CASES[:] = cases
    if jobs <= 1:
        results = map(_run_one, range(len(cases)))
        return {cases[i]: (s, m) for i, s, m in results}
    with multiprocessing.get_context("fork").Pool(jobs, maxtasksperchild=200) as pool:
        return {cases[i]: (s, m) for i, s, m in pool.imap_unordered(_run_one, range(len(cases)), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runtime", choices=("vinopy", "ort"), default="vinopy")
    parser.add_argument("--device", default="TEMPLATE", help="vinopy device for the ONNX 'CPU' device")
    parser.add_argument("-k", dest="pattern", default="", help="only cases whose name contains this")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="rewrite the expected-pass list")
    parser.add_argument("--failures", action="store_true", help="list each failing case and its error")
    args = parser.parse_args(argv)

    cases = [c for c in load_cases(make_backend(args.runtime, args.device)) if args.pattern in c.name]
    start = time.perf_counter()
    results = run_all(cases, args.jobs)
    elapsed = time.perf_counter() - start
    if args.failures:
        for case, (status, message) in sorted(results.items(), key=lambda item: item[0].name):
            if status != "pass":
                print(f"[{status}] {describe_failure(case, message)}")
    passed = {c.name for c, (status, _) in results.items() if status == "pass"}
    expected = read_expected()
    label = f"{args.runtime}" + (f" on {args.device}" if args.runtime == "vinopy" else "")
    print(summary_line({c: s for c, (s, _) in results.items()}, label) + f"  ({elapsed:.0f} s)")
    if args.runtime == "vinopy" and not args.pattern:
        print(f"newly passing: {len(passed - expected)}, regressed: {len(expected - passed)}")
        if args.write:
            write_expected(passed)
            print(f"wrote {len(passed)} cases to the expected-pass list")
    return 0


if __name__ == "__main__":
    sys.exit(main())
