"""Skip the CPU plugin's tests where oneDNN cannot be loaded."""

from __future__ import annotations

import pytest

from vinopy.plugins.cpu import CPUPlugin


@pytest.fixture(scope="session")
def cpu_plugin() -> CPUPlugin:
    ok, why = CPUPlugin().is_available()
    if not ok:
        pytest.skip(why)
    return CPUPlugin()
