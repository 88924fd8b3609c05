"""Properties: OpenVINO's property keys, their value types and parsing, and per-scope tables.

Each scope (the core, a device, a compiled model) owns a :class:`PropertyTable`: read-only values
(or getters) and read-write values with their defaults. ``supported_properties`` lists them with
'RO'/'RW', and getting or setting an unknown or read-only key raises an error naming it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

from vinopy.graph.types import Type


class _Enum(enum.Enum):
    """An enum as OpenVINO's Python API shows it: ``str`` is ``Class.NAME``, ``int`` its value."""

    def __int__(self) -> int:
        return int(self.value)

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self.name}: {self.value}>"

    @classmethod
    def parse(cls, value: Any) -> _Enum:
        """The member for a member, its name (``"THROUGHPUT"``, ``"PerformanceMode.THROUGHPUT"``,
        ``"LOG_DEBUG"``) or its integer value."""
        if isinstance(value, cls):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            for member in cls:
                if member.value == value:
                    return member
        elif isinstance(value, str):
            name = value.split(".")[-1].upper()
            if name in cls.__members__:
                return cls.__members__[name]
        raise ValueError(f"expected one of {list(cls.__members__)}, got {value!r}")


class PerformanceMode(_Enum):
    LATENCY = 1
    THROUGHPUT = 2
    CUMULATIVE_THROUGHPUT = 3


class ExecutionMode(_Enum):
    PERFORMANCE = 1
    ACCURACY = 2


class Priority(_Enum):
    LOW = 0
    MEDIUM = 1
    HIGH = 2
    DEFAULT = 1  # an alias of MEDIUM, as in OpenVINO


class DeviceType(_Enum):
    INTEGRATED = 0
    DISCRETE = 1


class LogLevel(_Enum):
    NO = -1
    ERR = 0
    WARNING = 1
    INFO = 2
    DEBUG = 3
    TRACE = 4

    @classmethod
    def parse(cls, value: Any) -> _Enum:
        if isinstance(value, str):  # OpenVINO's strings are LOG_NONE, LOG_ERROR, LOG_WARNING ...
            name = value.split(".")[-1].upper().removeprefix("LOG_")
            value = {"NONE": "NO", "ERROR": "ERR"}.get(name, name)
        return super().parse(value)


class Affinity(_Enum):
    NONE = -1
    CORE = 0
    NUMA = 1
    HYBRID_AWARE = 2


class Capability:
    """``properties.device.Capability``: the strings of OPTIMIZATION_CAPABILITIES."""

    FP32 = "FP32"
    BF16 = "BF16"
    FP16 = "FP16"
    INT8 = "INT8"
    INT16 = "INT16"
    BIN = "BIN"
    WINOGRAD = "WINOGRAD"
    EXPORT_IMPORT = "EXPORT_IMPORT"


class StreamsNum:
    """``properties.streams.Num``: a number of streams, or AUTO (-1) / NUMA (-2)."""

    AUTO: StreamsNum
    NUMA: StreamsNum

    def __init__(self, value: int = -1) -> None:
        self._value = int(value)

    def to_integer(self) -> int:
        return self._value

    def __int__(self) -> int:
        return self._value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StreamsNum):
            return other._value == self._value
        return isinstance(other, int) and other == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return f"<Num: {self._value}>"


StreamsNum.AUTO = StreamsNum(-1)
StreamsNum.NUMA = StreamsNum(-2)


# --- value parsers ---------------------------------------------------------------
def parse_bool(value: Any) -> bool:
    if isinstance(value, str):
        text = value.upper()
        if text in ("YES", "TRUE", "1"):
            return True
        if text in ("NO", "FALSE", "0"):
            return False
        raise ValueError(f"expected YES/NO or a bool, got {value!r}")
    if isinstance(value, (bool, int)):
        return bool(value)
    raise ValueError(f"expected a bool, got {value!r}")


def parse_count(value: Any) -> int:
    """A non-negative integer (0 means 'let the device choose')."""
    number = int(value)
    if number < 0:
        raise ValueError(f"expected an integer >= 0, got {value!r}")
    return number


def parse_streams(value: Any) -> int:
    """A number of streams >= 0, AUTO (-1) or NUMA (-2)."""
    if isinstance(value, StreamsNum):
        return value.to_integer()
    if isinstance(value, str) and value.upper() in ("AUTO", "NUMA"):
        return -1 if value.upper() == "AUTO" else -2
    number = int(value)
    if number < -2:
        raise ValueError(f"expected a number of streams >= 0, AUTO (-1) or NUMA (-2), got {value!r}")
    return number


def parse_str(value: Any) -> str:
    if not isinstance(value, (str, bytes)) and hasattr(value, "__fspath__"):
        return str(value.__fspath__())
    return str(value)


def parse_list(value: Any) -> list[str]:
    """Device lists: ``"CPU,TEMPLATE"`` or a list of names."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def parse_device_properties(value: Any) -> dict[str, dict[str, Any]]:
    """DEVICE_PROPERTIES: ``{device: {key: value}}``; the inner keys are parsed by each device."""
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a dict of device name to properties, got {value!r}")
    return {str(device).upper(): as_dict(props) for device, props in value.items()}


# how to read a value of every property key vinopy knows
PARSERS: dict[str, Callable[[Any], Any]] = {
    "PERF_COUNT": parse_bool,
    "CACHE_DIR": parse_str,
    "NUM_STREAMS": parse_streams,
    "INFERENCE_NUM_THREADS": parse_count,
    "COMPILATION_NUM_THREADS": parse_count,
    "AFFINITY": Affinity.parse,
    "ENABLE_MMAP": parse_bool,
    "PERFORMANCE_HINT": PerformanceMode.parse,
    "INFERENCE_PRECISION_HINT": Type.resolve,
    "EXECUTION_MODE_HINT": ExecutionMode.parse,
    "PERFORMANCE_HINT_NUM_REQUESTS": parse_count,
    "ENABLE_CPU_PINNING": parse_bool,
    "ENABLE_HYPER_THREADING": parse_bool,
    "MODEL_PRIORITY": Priority.parse,
    "MULTI_DEVICE_PRIORITIES": parse_list,
    "DEVICE_ID": parse_str,
    "DEVICE_PROPERTIES": parse_device_properties,
    "LOG_LEVEL": LogLevel.parse,
}


# other spellings of keys: MODEL_NAME is the Python name of NETWORK_NAME
ALIASES = {"MODEL_NAME": "NETWORK_NAME"}


def key_of(name: Any) -> str:
    """The key of a property given as a key, a property function or a (key, value) pair."""
    key = name() if callable(name) else name
    if isinstance(key, tuple):
        key = key[0]
    if not isinstance(key, str):
        raise TypeError(f"a property name must be a string or a property function, got {key!r}")
    return ALIASES.get(key, key)


def as_dict(properties: Any, value: Any = None) -> dict[str, Any]:
    """Normalize ``{key: value}``, ``[(key, value)]``, ``(key, value)`` or ``key, value`` into a dict
    of string keys to raw values (parsing happens in the scope that accepts them)."""
    if value is not None:
        properties = {properties: value}
    elif isinstance(properties, tuple) and len(properties) == 2 and isinstance(properties[0], str):
        properties = {properties[0]: properties[1]}
    elif isinstance(properties, list):
        properties = dict(properties)
    if not isinstance(properties, Mapping):
        raise TypeError(f"properties must be a dict of name to value, got {type(properties).__name__}")
    return {key_of(k): v for k, v in properties.items()}


def parse(key: str, value: Any) -> Any:
    """A raw value as the property's type; a bad value raises an error naming the property."""
    reader = PARSERS.get(key, lambda v: v)
    try:
        return reader(value)
    except (ValueError, TypeError) as e:
        raise ValueError(f"Bad value for property '{key}': {e}") from None


class PropertyTable:
    """The properties of one object: read-only values (values or zero-argument getters) and
    read-write keys with defaults. ``owner`` names the object in errors."""

    def __init__(self, owner: str, read_only: Mapping[str, Any], read_write: Mapping[str, Any]) -> None:
        self.owner = owner
        self.read_only = dict(read_only)
        self.read_write = dict(read_write)

    def supported(self) -> dict[str, str]:
        table = {"SUPPORTED_PROPERTIES": "RO"}
        table.update({k: "RO" for k in self.read_only})
        table.update({k: "RW" for k in self.read_write})
        return table

    def get(self, key: str, config: Mapping[str, Any]) -> Any:
        """A value: set in ``config``, read-only, or the default."""
        if key == "SUPPORTED_PROPERTIES":
            return self.supported()
        if key in self.read_only:
            value = self.read_only[key]
            return value() if callable(value) else value
        if key in self.read_write:
            return config.get(key, self.read_write[key])
        raise RuntimeError(
            f"Property '{key}' is not supported by {self.owner}; supported: {sorted(self.supported())}"
        )

    def accept(self, updates: Mapping[str, Any]) -> dict[str, Any]:
        """Parsed values for settable keys; unknown or read-only keys raise an error naming them."""
        result = {}
        for key, value in as_dict(updates).items():
            if key in self.read_write:
                result[key] = parse(key, value)
            elif key in self.read_only or key == "SUPPORTED_PROPERTIES":
                raise RuntimeError(f"Property '{key}' of {self.owner} is read-only")
            else:
                raise RuntimeError(
                    f"Property '{key}' is not supported by {self.owner}; "
                    f"settable properties: {sorted(self.read_write)}"
                )
        return result

    def split(self, updates: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``updates`` divided into what this table accepts (parsed) and the rest (raw)."""
        mine = {k: v for k, v in updates.items() if k in self.read_write}
        rest = {k: v for k, v in updates.items() if k not in self.read_write}
        return self.accept(mine), rest


def __getattr__(name: str) -> Any:
    """``openvino.runtime.properties`` was the public namespace: forward its names to ours."""
    import vinopy.properties as public

    try:
        return getattr(public, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
