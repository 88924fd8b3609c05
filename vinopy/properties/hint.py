"""``ov.properties.hint``: performance hints and their enums."""

from vinopy.properties._factory import rw
from vinopy.runtime.properties import ExecutionMode, PerformanceMode, Priority

performance_mode = rw("performance_mode", "PERFORMANCE_HINT")
inference_precision = rw("inference_precision", "INFERENCE_PRECISION_HINT")
execution_mode = rw("execution_mode", "EXECUTION_MODE_HINT")
num_requests = rw("num_requests", "PERFORMANCE_HINT_NUM_REQUESTS")
enable_cpu_pinning = rw("enable_cpu_pinning", "ENABLE_CPU_PINNING")
enable_hyper_threading = rw("enable_hyper_threading", "ENABLE_HYPER_THREADING")
model_priority = rw("model_priority", "MODEL_PRIORITY")

__all__ = [
    "ExecutionMode",
    "PerformanceMode",
    "Priority",
    "enable_cpu_pinning",
    "enable_hyper_threading",
    "execution_mode",
    "inference_precision",
    "model_priority",
    "num_requests",
    "performance_mode",
]
