"""The AUTO plugin: compiles on the first device, in priority order, that can compile the model."""

from __future__ import annotations

from typing import Any

from vinopy.graph.model import Model
from vinopy.runtime.plugin import COMMON_RW, STREAMS_RW, Executable, ExecutionDevices, Plugin

# devices in the order AUTO tries them when MULTI_DEVICE_PRIORITIES does not say
PRIORITY = ("CPU", "TEMPLATE")


class AutoPlugin(Plugin):
    """Passes the settings it is given on to the device it chooses; EXECUTION_DEVICES of the
    compiled model names that device and why the ones before it were passed over."""

    device_name = "AUTO"
    default_config = {**COMMON_RW, **STREAMS_RW, "MULTI_DEVICE_PRIORITIES": [], "DEVICE_PROPERTIES": {}}
    capabilities: list[str] = []

    def full_name(self) -> str:
        return "Auto device"

    def compile_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """Only what was set: the chosen device fills in its own defaults and hints."""
        return {**self.config, **self.property_table().accept(config)}

    def _candidates(self, config: dict[str, Any]) -> list[str]:
        chosen = config.get("MULTI_DEVICE_PRIORITIES")
        if chosen:
            return [d.upper() for d in chosen]
        registered = [d for d in self.core._plugin_paths if d != self.device_name]
        return [d for d in PRIORITY if d in registered] + [d for d in registered if d not in PRIORITY]

    def _device_config(self, plugin: Plugin, config: dict[str, Any]) -> dict[str, Any]:
        """The core's keys, and AUTO's settings that the device supports, resolved by the device."""
        passed = {k: v for k, v in config.items() if k in plugin.default_config}
        passed.update(config.get("DEVICE_PROPERTIES", {}).get(plugin.device_name, {}))
        core_keys = {k: v for k, v in config.items() if k not in self.default_config}
        return {**core_keys, **plugin.compile_config(passed)}

    def compile(self, model: Model, config: dict[str, Any]) -> Executable:
        notes = []
        for device in self._candidates(config):
            try:
                plugin = self.core._usable_plugin(device)
                device_config = self._device_config(plugin, config)
                executable = plugin.compile(model, device_config)
            except Exception as e:  # any failure on one device means: try the next one
                notes.append(f"{device} skipped: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
                continue
            executable.device_plugin, executable.device_config = plugin, device_config
            executable.execution_devices = ExecutionDevices([device], notes)
            return executable
        raise RuntimeError("AUTO found no device that can compile the model: " + "; ".join(notes))

    def query_model(self, model: Model, config: dict[str, Any]) -> dict[str, str]:
        errors = []
        for device in self._candidates(config):
            try:
                plugin = self.core._usable_plugin(device)
            except RuntimeError as e:
                errors.append(str(e))
                continue
            return plugin.query_model(model, self._device_config(plugin, config))
        raise RuntimeError("AUTO found no usable device: " + "; ".join(errors))
