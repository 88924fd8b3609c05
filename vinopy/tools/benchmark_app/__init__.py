"""benchmark_app: OpenVINO's benchmarking tool, flag for flag."""

from vinopy.tools.benchmark_app.main import main

__all__ = ["main"]
