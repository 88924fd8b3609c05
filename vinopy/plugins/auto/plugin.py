"""The AUTO plugin: compiles on the first available device in priority order."""

from __future__ import annotations

from typing import Any

from vinopy.graph.model import Model
from vinopy.runtime.plugin import Executable, Plugin

PRIORITY = ("CPU", "TEMPLATE")


class AutoPlugin(Plugin):
    device_name = "AUTO"

    def _candidates(self, device: str | None = None) -> list[str]:
        core = self.core
        available = core.available_devices
        return [d for d in PRIORITY if d in available]

    def compile(self, model: Model, config: dict[str, Any]) -> Executable:
        errors = []
        for device in self._candidates():
            try:
                executable = self.core._usable_plugin(device).compile(model, config)
            except (RuntimeError, NotImplementedError) as e:
                errors.append(f"{device}: {e}")
                continue
            executable.device_name = device
            return executable
        raise RuntimeError("AUTO found no device that can compile the model: " + "; ".join(errors))

    def query_model(self, model: Model, config: dict[str, Any]) -> dict[str, str]:
        device = self._candidates()[0]
        return self.core._usable_plugin(device).query_model(model, config)

    def full_name(self) -> str:
        return "Auto device"
