"""ONNX backend conformance: every onnx.backend.test case on TEMPLATE, checked against the committed
expected-pass list (onnx_expected_passes.txt).

A listed case that fails is a regression and fails the test. An unlisted case that fails is an
expected failure (xfail, with its error); one that passes is reported as newly passing in the
summary. Regenerate the list with ``python tests/conformance/run.py --write``.
"""

from __future__ import annotations

import pytest

from tests.conformance.suite import Case, load_cases, read_expected
from vinopy.frontend.onnx.backend import VinopyBackend

CASES = load_cases(VinopyBackend)
EXPECTED = read_expected()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_onnx_backend(case: Case, record_property: pytest.FixtureRequest) -> None:
    status, message = case.run()
    record_property("conformance", (case.name, case.category, status))
    if status == "skip":
        pytest.skip(f"onnx.backend.test skipped it: {message}")
    if case.name in EXPECTED:
        assert status == "pass", f"regression: {case.name} is in the expected-pass list\n{message}"
    elif status != "pass":
        pytest.xfail(message.splitlines()[-1][:300] if message else "failed")
