"""The plugin interface that every device implements."""

from __future__ import annotations

import enum
import os
import platform
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from vinopy.graph.model import Model
from vinopy.graph.types import Type
from vinopy.runtime.properties import (
    DeviceType,
    ExecutionMode,
    LogLevel,
    PerformanceMode,
    Priority,
    PropertyTable,
)

if TYPE_CHECKING:
    from vinopy.runtime.core import Core


class Status(enum.Enum):
    NOT_RUN = 0
    OPTIMIZED_OUT = 1
    EXECUTED = 2

    def __str__(self) -> str:
        return f"Status.{self.name}"


@dataclass
class ProfilingInfo:
    """One row of ``InferRequest.get_profiling_info()``, with OpenVINO's fields."""

    Status: ClassVar[type[Status]] = Status  # ProfilingInfo.Status.EXECUTED, as in OpenVINO
    NOT_RUN: ClassVar[Status] = Status.NOT_RUN
    OPTIMIZED_OUT: ClassVar[Status] = Status.OPTIMIZED_OUT
    EXECUTED: ClassVar[Status] = Status.EXECUTED

    node_name: str = ""
    node_type: str = ""
    exec_type: str = ""
    real_time: timedelta = field(default_factory=timedelta)
    cpu_time: timedelta = field(default_factory=timedelta)
    status: Status = Status.EXECUTED

    def __post_init__(self) -> None:
        if isinstance(self.status, str):  # plugins may give the status by name
            self.status = Status[self.status]


@dataclass
class ExecutorResult:
    outputs: list[np.ndarray]
    profiling: list[ProfilingInfo] = field(default_factory=list)


class Executor(ABC):
    """Runs one inference at a time; an InferRequest owns one, so state may live here."""

    @abstractmethod
    def run(self, inputs: list[np.ndarray], profile: bool = False) -> ExecutorResult:
        """Inputs in the order of the model's parameters; outputs in the order of its results. The
        outputs may be the executor's own memory, which the next run overwrites (the request copies
        them unless the user asks to share them)."""


class Executable(ABC):
    """A model compiled for one device with one config."""

    model: Model  # the runtime model: what actually runs, for get_runtime_model()
    # the device that compiled it and the config it used; the core sets them (AUTO: the chosen device)
    device_plugin: Plugin | None = None
    device_config: dict[str, Any] = {}
    execution_devices: list[str] | None = None  # when not just the compiling device (AUTO: with reasons)

    @abstractmethod
    def create_executor(self) -> Executor: ...

    def runtime_model(self) -> Model:
        """What get_runtime_model() returns: the graph that runs (here, the compiled model itself)."""
        return self.model


class ExecutionDevices(list):
    """EXECUTION_DEVICES: a list of device names that also says why other devices were passed
    over (``notes``), shown by ``str``."""

    def __init__(self, devices: list[str], notes: list[str] | None = None) -> None:
        super().__init__(devices)
        self.notes = list(notes or [])

    def __str__(self) -> str:
        text = super().__repr__()
        return f"{text} ({'; '.join(self.notes)})" if self.notes else text


# read-write properties every device accepts, with their defaults
COMMON_RW: dict[str, Any] = {
    "PERF_COUNT": False,
    "PERFORMANCE_HINT": PerformanceMode.LATENCY,
    "PERFORMANCE_HINT_NUM_REQUESTS": 0,
    "EXECUTION_MODE_HINT": ExecutionMode.PERFORMANCE,
    "INFERENCE_PRECISION_HINT": Type.f32,
    "LOG_LEVEL": LogLevel.NO,
    "DEVICE_ID": "",
    "MODEL_PRIORITY": Priority.MEDIUM,
}

# what devices that run several requests in parallel add
STREAMS_RW: dict[str, Any] = {
    "NUM_STREAMS": -1,  # AUTO: one stream for LATENCY, several for THROUGHPUT
    "INFERENCE_NUM_THREADS": 0,
    "COMPILATION_NUM_THREADS": 0,
    "ENABLE_CPU_PINNING": False,
    "ENABLE_HYPER_THREADING": False,
}


class Plugin(ABC):
    """A device: compiles models and answers queries about itself.

    A plugin declares its read-write properties and defaults in ``default_config`` and its
    read-only ones in ``read_only_properties``; the core validates what users set against them
    and passes the resolved config (defaults, device settings, compile settings) to ``compile``.
    """

    device_name: str = ""
    default_config: ClassVar[dict[str, Any]] = COMMON_RW
    capabilities: ClassVar[list[str]] = ["FP32", "EXPORT_IMPORT"]
    core: Core  # set by the core that loads the plugin

    def __init__(self) -> None:
        self.config: dict[str, Any] = {}

    def is_available(self) -> tuple[bool, str]:
        """Whether the device can run here, and why not."""
        return True, ""

    @abstractmethod
    def compile(self, model: Model, config: dict[str, Any]) -> Executable: ...

    @abstractmethod
    def query_model(self, model: Model, config: dict[str, Any]) -> dict[str, str]:
        """Friendly names of the ops this device can run, mapped to the device name."""

    def full_name(self) -> str:
        return self.device_name

    # --- properties -------------------------------------------------------------
    def read_only_properties(self) -> dict[str, Any]:
        """Read-only properties: values or zero-argument getters."""
        ro: dict[str, Any] = {
            "FULL_DEVICE_NAME": self.full_name,
            "AVAILABLE_DEVICES": lambda: [""] if self.is_available()[0] else [],
            "OPTIMIZATION_CAPABILITIES": list(self.capabilities),
            "DEVICE_ARCHITECTURE": platform.machine(),
            "DEVICE_TYPE": DeviceType.INTEGRATED,
        }
        if self.supports_streams():
            ro["RANGE_FOR_STREAMS"] = (1, os.cpu_count() or 1)
        return ro

    def property_table(self) -> PropertyTable:
        return PropertyTable(f"device {self.device_name}", self.read_only_properties(), self.default_config)

    def supported_properties(self) -> dict[str, str]:
        """Property names and whether each is 'RO' or 'RW'."""
        return self.property_table().supported()

    def get_property(self, name: str) -> Any:
        """A property's value as compile would see it (hints resolved)."""
        return self.property_table().get(name, self.compile_config({}))

    def set_property(self, properties: dict[str, Any]) -> None:
        self.config.update(self.property_table().accept(properties))

    def compile_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The full config for ``compile``: defaults, then device settings, then ``config``
        (validated), with performance hints turned into a number of streams."""
        resolved = dict(self.default_config)
        resolved.update(self.config)
        resolved.update(self.property_table().accept(config))
        if self.supports_streams():
            resolved["NUM_STREAMS"] = self._streams(resolved)
        return resolved

    # --- streams and requests ----------------------------------------------------
    def supports_streams(self) -> bool:
        return "NUM_STREAMS" in self.default_config

    def throughput_streams(self) -> int:
        """Streams under the THROUGHPUT hint: enough to keep the cores busy, at least two."""
        return max(2, (os.cpu_count() or 2) // 2)

    def _streams(self, config: dict[str, Any]) -> int:
        """An explicit number of streams wins; AUTO/NUMA follow the performance hint."""
        streams = int(config.get("NUM_STREAMS", -1))
        if streams > 0:
            return streams
        return 1 if config.get("PERFORMANCE_HINT") == PerformanceMode.LATENCY else self.throughput_streams()

    def optimal_number_of_infer_requests(self, config: dict[str, Any]) -> int:
        """How many requests keep this device busy under a resolved ``config``."""
        requests = int(config.get("NUM_STREAMS", 1)) if self.supports_streams() else 1
        limit = int(config.get("PERFORMANCE_HINT_NUM_REQUESTS", 0))
        return max(1, min(requests, limit) if limit else requests)
