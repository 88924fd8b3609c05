"""The ONNX backend conformance suite as plain cases: each runs one ``onnx.backend.test`` test.

Shared by the pytest module (which checks the committed expected-pass list) and ``run.py`` (which
regenerates it and can run ONNX Runtime through the same runner for comparison).
"""

from __future__ import annotations

import os
import tempfile
import traceback
import unittest
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXPECTED_FILE = Path(__file__).with_name("onnx_expected_passes.txt")
# the light models' inputs and reference outputs are generated here instead of ~/.onnx
os.environ.setdefault("ONNX_HOME", os.path.join(tempfile.gettempdir(), "vinopy_onnx_home"))

# BackendTest's categories, shortened for the summary
CATEGORIES = {
    "OnnxBackendNodeModelTest": "node",
    "OnnxBackendRealModelTest": "light-model",
    "OnnxBackendSimpleModelTest": "simple",
    "OnnxBackendPyTorchConvertedModelTest": "pytorch-converted",
    "OnnxBackendPyTorchOperatorModelTest": "pytorch-operator",
}


@dataclass(frozen=True)
class Case:
    name: str  # the test method, e.g. test_relu_cpu
    category: str
    test_class: Any

    def run(self) -> tuple[str, str]:
        """('pass' | 'fail' | 'skip', message) for this case."""
        result = unittest.TestResult()
        self.test_class(self.name).run(result)
        if result.skipped:
            return "skip", result.skipped[0][1]
        problems = result.failures + result.errors
        if problems:
            return "fail", _short(problems[0][1])
        return "pass", ""


def _short(trace: str) -> str:
    """The last lines of a traceback: the error, not the frames."""
    lines = [line for line in trace.strip().splitlines() if line.strip()]
    return "\n".join(lines[-6:])


def load_cases(backend: Any) -> list[Case]:
    """All host-device ('_cpu') cases of onnx.backend.test for a backend, in a stable order."""
    import onnx.backend.test

    runner = onnx.backend.test.BackendTest(backend, __name__)
    cases = []
    for class_name, test_class in sorted(runner.test_cases.items()):
        category = CATEGORIES.get(class_name, class_name)
        for name in sorted(dir(test_class)):
            if name.startswith("test_") and name.endswith("_cpu"):
                cases.append(Case(name, category, test_class))
    return cases


def read_expected(path: Path = EXPECTED_FILE) -> set[str]:
    if not path.exists():
        return set()
    lines = (line.strip() for line in path.read_text().splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def write_expected(passed: set[str], path: Path = EXPECTED_FILE) -> None:
    header = "# ONNX backend cases that pass on vinopy (TEMPLATE); regenerate with tests/conformance/run.py\n"
    path.write_text(header + "".join(f"{name}\n" for name in sorted(passed)))


def summary_line(outcomes: dict[Case, str], label: str) -> str:
    """'label: node 1100/1300, light-model 9/9, ...' counting passes per category."""
    total, passed = Counter(), Counter()
    for case, status in outcomes.items():
        total[case.category] += 1
        passed[case.category] += status == "pass"
    parts = [f"{cat} {passed[cat]}/{total[cat]}" for cat in sorted(total)]
    return f"{label}: " + ", ".join(parts)


def describe_failure(case: Case, message: str) -> str:
    return f"{case.name}: {message.splitlines()[-1] if message else ''}"


def format_exception(e: BaseException) -> str:
    return _short("".join(traceback.format_exception(e)))
