"""ONNX backend conformance: every onnx.backend.test case on TEMPLATE and on CPU, checked against the
committed expected-pass list (onnx_expected_passes.txt, made on TEMPLATE, the reference device).

A listed case that fails is a regression and fails the test: on CPU too, so the CPU device gives the
reference device's answers wherever that one is right. An unlisted case that fails is an expected
failure (xfail, with its error); one that passes on TEMPLATE is reported as newly passing in the
summary. Regenerate the list with ``python tests/conformance/run.py --write``.
"""

from __future__ import annotations

import pytest

from tests.conformance.suite import Case, load_cases, read_expected
from vinopy.frontend.onnx.backend import VinopyBackend, backend_for

CASES = load_cases(VinopyBackend)
CPU_CASES = load_cases(backend_for("CPU"))
EXPECTED = read_expected()


def _judge(case: Case, status: str, message: str) -> None:
    if status == "skip":
        pytest.skip(f"onnx.backend.test skipped it: {message}")
    if case.name in EXPECTED:
        assert status == "pass", f"regression: {case.name} is in the expected-pass list\n{message}"
    elif status != "pass":
        pytest.xfail(message.splitlines()[-1][:300] if message else "failed")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_onnx_backend(case: Case, record_property: pytest.FixtureRequest) -> None:
    status, message = case.run()
    record_property("conformance", (case.name, case.category, status))
    _judge(case, status, message)


@pytest.mark.parametrize("case", CPU_CASES, ids=[f"CPU-{c.name}" for c in CPU_CASES])
def test_onnx_backend_on_cpu(case: Case) -> None:
    _judge(case, *case.run())
