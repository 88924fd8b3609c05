"""``ov.properties``: property keys as callables, with the hint, streams, device and log namespaces.

``properties.enable_profiling()`` is the key ``"PERF_COUNT"``; ``properties.enable_profiling(True)``
is the pair ``("PERF_COUNT", True)`` that ``Core.set_property`` and ``compile_model`` accept.
"""

from vinopy.properties import device, hint, log, streams
from vinopy.properties._factory import Property, ro, rw
from vinopy.runtime.properties import Affinity

enable_profiling = rw("enable_profiling", "PERF_COUNT")
cache_dir = rw("cache_dir", "CACHE_DIR")
num_streams = rw("num_streams", "NUM_STREAMS")
inference_num_threads = rw("inference_num_threads", "INFERENCE_NUM_THREADS")
compilation_num_threads = rw("compilation_num_threads", "COMPILATION_NUM_THREADS")
affinity = rw("affinity", "AFFINITY")
enable_mmap = rw("enable_mmap", "ENABLE_MMAP")
available_devices = ro("available_devices", "AVAILABLE_DEVICES")
supported_properties = ro("supported_properties", "SUPPORTED_PROPERTIES")
optimal_number_of_infer_requests = ro("optimal_number_of_infer_requests", "OPTIMAL_NUMBER_OF_INFER_REQUESTS")
execution_devices = ro("execution_devices", "EXECUTION_DEVICES")
model_name = ro("model_name", "NETWORK_NAME")
loaded_from_cache = ro("loaded_from_cache", "LOADED_FROM_CACHE")

__all__ = [
    "Affinity",
    "Property",
    "affinity",
    "available_devices",
    "cache_dir",
    "compilation_num_threads",
    "device",
    "enable_mmap",
    "enable_profiling",
    "execution_devices",
    "hint",
    "inference_num_threads",
    "loaded_from_cache",
    "log",
    "model_name",
    "num_streams",
    "optimal_number_of_infer_requests",
    "streams",
    "supported_properties",
]
