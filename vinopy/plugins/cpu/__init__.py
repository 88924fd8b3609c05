"""CPU: the oneDNN-backed device; ops without a lowering run their numpy kernels in the same plan."""

from vinopy.plugins.cpu.plugin import CPUPlugin

__all__ = ["CPUPlugin"]
