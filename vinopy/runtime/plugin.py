"""The plugin interface that every device implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from vinopy.graph.model import Model


@dataclass
class ProfilingInfo:
    """One row of ``InferRequest.get_profiling_info()``."""

    node_name: str
    node_type: str
    exec_type: str
    real_time: timedelta
    cpu_time: timedelta
    status: str = "EXECUTED"  # or NOT_RUN, OPTIMIZED_OUT


@dataclass
class ExecutorResult:
    outputs: list[np.ndarray]
    profiling: list[ProfilingInfo] = field(default_factory=list)


class Executor(ABC):
    """Runs one inference at a time; an InferRequest owns one, so state may live here."""

    @abstractmethod
    def run(self, inputs: list[np.ndarray], profile: bool = False) -> ExecutorResult:
        """Inputs in the order of the model's parameters; outputs in the order of its results."""


class Executable(ABC):
    """A model compiled for one device with one config."""

    model: Model  # the runtime model: what actually runs, for get_runtime_model()

    @abstractmethod
    def create_executor(self) -> Executor: ...

    def optimal_number_of_infer_requests(self) -> int:
        return 1

    def export(self) -> bytes:
        raise NotImplementedError("This device cannot export compiled models")


class Plugin(ABC):
    """A device: compiles models and answers queries about itself."""

    device_name: str = ""

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

    def supported_properties(self) -> dict[str, str]:
        """Property names and whether each is 'RO' or 'RW'."""
        return {}

    def get_property(self, name: str) -> Any:
        raise KeyError(name)

    def set_property(self, properties: dict[str, Any]) -> None:
        self.config.update(properties)
