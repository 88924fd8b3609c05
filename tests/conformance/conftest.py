"""Summary of the conformance run: passes per category and the cases that newly pass."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.conformance.suite import read_expected

_OUTCOMES: dict[str, tuple[str, str]] = {}


def pytest_runtest_logreport(report: Any) -> None:
    # runs in the controller under xdist too: user_properties travel with the report
    for key, value in report.user_properties:
        if key == "conformance":
            name, category, status = value
            _OUTCOMES[name] = (category, status)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _OUTCOMES:
        return
    total, passed = Counter(), Counter()
    for category, status in _OUTCOMES.values():
        total[category] += 1
        passed[category] += status == "pass"
    line = ", ".join(f"{cat} {passed[cat]}/{total[cat]}" for cat in sorted(total))
    terminalreporter.write_line(f"ONNX conformance (TEMPLATE): {line}")
    newly = sorted(n for n, (_, s) in _OUTCOMES.items() if s == "pass" and n not in read_expected())
    if newly:
        terminalreporter.write_line(
            f"{len(newly)} newly passing case(s), add them with `python tests/conformance/run.py --write`:"
        )
        for name in newly:
            terminalreporter.write_line(f"  {name}")
