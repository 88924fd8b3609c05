"""Properties: OpenVINO's ``ov.properties`` names, their values and who may change them."""

from __future__ import annotations

import enum
from typing import Any

from vinopy.graph.types import Type


class _Enum(enum.Enum):
    def __str__(self) -> str:
        return self.value


class PerformanceMode(_Enum):
    LATENCY = "LATENCY"
    THROUGHPUT = "THROUGHPUT"
    CUMULATIVE_THROUGHPUT = "CUMULATIVE_THROUGHPUT"


class ExecutionMode(_Enum):
    PERFORMANCE = "PERFORMANCE"
    ACCURACY = "ACCURACY"


def _parse_enum(cls: type[_Enum]) -> Any:
    def parse(value: Any) -> _Enum:
        if isinstance(value, cls):
            return value
        text = str(value).split(".")[-1].upper()
        try:
            return cls(text)
        except ValueError:
            raise ValueError(f"expected one of {[m.value for m in cls]}, got {value!r}") from None

    return parse


def _parse_bool(value: Any) -> bool:
    if isinstance(value, str):
        if value.upper() in ("YES", "TRUE", "1"):
            return True
        if value.upper() in ("NO", "FALSE", "0"):
            return False
        raise ValueError(f"expected YES/NO or a bool, got {value!r}")
    return bool(value)


def _parse_int(value: Any) -> int:
    if isinstance(value, str) and value.upper() == "AUTO":
        return -1
    number = int(value)
    if number < -1:
        raise ValueError(f"expected an integer >= -1, got {value!r}")
    return number


def _parse_type(value: Any) -> Type:
    return Type.resolve(value)


# key: (parser, default); these are what a user may set on the core, a device or compile_model
RW: dict[str, tuple[Any, Any]] = {
    "PERFORMANCE_HINT": (_parse_enum(PerformanceMode), PerformanceMode.LATENCY),
    "EXECUTION_MODE_HINT": (_parse_enum(ExecutionMode), ExecutionMode.PERFORMANCE),
    "INFERENCE_PRECISION_HINT": (_parse_type, Type.f32),
    "PERFORMANCE_HINT_NUM_REQUESTS": (_parse_int, 0),
    "NUM_STREAMS": (_parse_int, 1),
    "INFERENCE_NUM_THREADS": (_parse_int, 0),
    "ENABLE_PROFILING": (_parse_bool, False),
    "PERF_COUNT": (_parse_bool, False),
    "CACHE_DIR": (str, ""),
    "ENABLE_CPU_PINNING": (_parse_bool, False),
    "ENABLE_HYPER_THREADING": (_parse_bool, False),
    "ENABLE_MMAP": (_parse_bool, True),
    "LOG_LEVEL": (str, "LOG_NONE"),
    "DEVICE_ID": (str, ""),
    "MODEL_PRIORITY": (str, "MEDIUM"),
    "COMPILATION_NUM_THREADS": (_parse_int, 0),
}
ALIASES = {"ENABLE_PROFILING": "PERF_COUNT"}
COMPILED_RW: set[str] = set()


def key_of(name: Any) -> str:
    key = name() if callable(name) else name
    if isinstance(key, tuple):
        key = key[0]
    key = str(key)
    return ALIASES.get(key, key)


def as_dict(properties: Any, value: Any = None) -> dict[str, Any]:
    """Normalize ``{key: value}``, ``[(key, value)]``, ``(key, value)`` or ``key, value``."""
    if value is not None:
        properties = {properties: value}
    elif isinstance(properties, tuple) and len(properties) == 2 and isinstance(properties[0], str):
        properties = {properties[0]: properties[1]}
    elif isinstance(properties, list):
        properties = dict(properties)
    if not isinstance(properties, dict):
        raise TypeError(f"properties must be a dict of name to value, got {type(properties).__name__}")
    result = {}
    for k, v in properties.items():
        key = key_of(k)
        if key not in RW:
            raise RuntimeError(f"Unknown or read-only property '{key}'; settable properties: {sorted(RW)}")
        parse = RW[key][0]
        try:
            result[key] = parse(v)
        except (ValueError, TypeError) as e:
            raise ValueError(f"Bad value for property '{key}': {e}") from None
    return result


def compiled_model_property(compiled: Any, key: str) -> Any:
    if key == "SUPPORTED_PROPERTIES":
        return sorted(RW) + ["OPTIMAL_NUMBER_OF_INFER_REQUESTS", "EXECUTION_DEVICES", "MODEL_NAME"]
    if key == "OPTIMAL_NUMBER_OF_INFER_REQUESTS":
        return compiled._executable.optimal_number_of_infer_requests()
    if key == "EXECUTION_DEVICES":
        return [compiled._device]
    if key == "MODEL_NAME":
        return compiled._source.get_friendly_name()
    if key in RW:
        return compiled._config.get(key, RW[key][1])
    raise RuntimeError(f"Unknown property '{key}' of a compiled model")
