"""Core: the entry point that reads models, knows the devices and compiles models for them."""

from __future__ import annotations

import importlib
from typing import Any

from vinopy.graph.model import Model
from vinopy.runtime import properties
from vinopy.runtime.compiled_model import CompiledModel
from vinopy.runtime.plugin import Plugin

BUILTIN_PLUGINS = {
    "TEMPLATE": "vinopy.plugins.template:TemplatePlugin",
    "CPU": "vinopy.plugins.cpu:CPUPlugin",
    "AUTO": "vinopy.plugins.auto:AutoPlugin",
}


class Core:
    def __init__(self, xml_config_file: str = "") -> None:
        self._plugin_paths: dict[str, str] = dict(BUILTIN_PLUGINS)
        self._plugins: dict[str, Plugin] = {}
        self._config: dict[str, Any] = {}
        self._device_config: dict[str, dict[str, Any]] = {}

    # --- devices --------------------------------------------------------------
    def _plugin(self, device: str) -> Plugin:
        name = device.split(".")[0].split(":")[0].upper()
        if name not in self._plugins:
            path = self._plugin_paths.get(name)
            if path is None:
                raise RuntimeError(
                    f"Device '{device}' is not registered; available devices: {self.available_devices}"
                )
            module, cls = path.split(":")
            try:
                plugin = getattr(importlib.import_module(module), cls)()
            except (ImportError, AttributeError) as e:
                raise RuntimeError(f"Device '{name}' cannot be loaded: {e}") from e
            plugin.core = self
            self._plugins[name] = plugin
        return self._plugins[name]

    def _usable_plugin(self, device: str) -> Plugin:
        plugin = self._plugin(device)
        ok, why = plugin.is_available()
        if not ok:
            raise RuntimeError(f"Device '{device}' is not available: {why}")
        return plugin

    @property
    def available_devices(self) -> list[str]:
        devices = []
        for name in self._plugin_paths:
            if name == "AUTO":
                continue
            try:
                if self._plugin(name).is_available()[0]:
                    devices.append(name)
            except RuntimeError:
                continue
        return devices

    def get_available_devices(self) -> list[str]:
        return self.available_devices

    def get_versions(self, device_name: str) -> dict[str, Any]:
        from vinopy import __version__

        return {d: _Version(__version__, f"vinopy {d} plugin") for d in device_name.split(",")}

    def register_plugin(self, plugin_name: str, device_name: str, config: dict[str, Any] | None = None) -> None:
        """Register a plugin class as ``'package.module:Class'`` (or a module exposing ``Plugin``)."""
        device = device_name.upper()
        if device in self._plugin_paths:
            raise RuntimeError(f"Device '{device}' is already registered")
        self._plugin_paths[device] = plugin_name if ":" in plugin_name else f"{plugin_name}:Plugin"
        if config:
            self._device_config[device] = properties.as_dict(config)

    def unload_plugin(self, device_name: str) -> None:
        self._plugins.pop(device_name.upper(), None)

    # --- models ---------------------------------------------------------------
    def read_model(self, model: Any, weights: Any = None, config: dict[str, Any] | None = None) -> Model:
        from vinopy.frontend import read_model

        return read_model(model, weights)

    def _merged_config(self, device: str, config: dict[str, Any] | None) -> dict[str, Any]:
        merged = dict(self._config)
        merged.update(self._device_config.get(device.upper(), {}))
        merged.update(properties.as_dict(config or {}))
        return merged

    def compile_model(self, model: Any, device_name: str | None = None,
                      config: dict[str, Any] | None = None, *, weights: Any = None) -> CompiledModel:
        """Compile a Model (or a model path) for a device; no device means AUTO."""
        if isinstance(device_name, dict) and config is None:
            device_name, config = None, device_name
        device = device_name or "AUTO"
        if not isinstance(model, Model):
            model = self.read_model(model, weights)
        plugin = self._usable_plugin(device)
        merged = self._merged_config(device, config)
        executable = plugin.compile(model, merged)
        return CompiledModel(executable, getattr(executable, "device_name", plugin.device_name), merged, model)

    def query_model(self, model: Model, device_name: str, config: dict[str, Any] | None = None) -> dict[str, str]:
        return self._usable_plugin(device_name).query_model(model, self._merged_config(device_name, config))

    def import_model(self, model_stream: Any, device_name: str, config: dict[str, Any] | None = None) -> CompiledModel:
        raise RuntimeError(f"Device '{device_name}' cannot import compiled models yet")

    # --- properties -----------------------------------------------------------
    def set_property(self, device_name: Any = None, properties_: Any = None) -> None:
        """``set_property({...})`` for every device, or ``set_property("CPU", {...})``."""
        if properties_ is None:
            self._config.update(properties.as_dict(device_name))
            return
        if isinstance(properties_, tuple) and len(properties_) == 2 and isinstance(device_name, str) \
                and device_name.upper() not in self._plugin_paths:
            self._config.update(properties.as_dict(device_name, properties_))
            return
        device = str(device_name).upper()
        self._plugin(device)  # an unknown device raises here
        self._device_config.setdefault(device, {}).update(properties.as_dict(properties_))

    def get_property(self, device_name: str, name: Any = None) -> Any:
        if name is None:
            key = properties.key_of(device_name)
            if key in self._config:
                return self._config[key]
            if key in properties.RW:
                return properties.RW[key][1]
            if key == "AVAILABLE_DEVICES":
                return self.available_devices
            raise RuntimeError(f"Unknown core property '{key}'")
        key = properties.key_of(name)
        device = device_name.upper()
        plugin = self._plugin(device)
        if key == "FULL_DEVICE_NAME":
            return plugin.full_name()
        if key == "AVAILABLE_DEVICES":
            return [""] if plugin.is_available()[0] else []
        if key == "SUPPORTED_PROPERTIES":
            return sorted(set(properties.RW) | {"FULL_DEVICE_NAME", "AVAILABLE_DEVICES",
                                                "SUPPORTED_PROPERTIES", "OPTIMIZATION_CAPABILITIES"})
        if key == "OPTIMIZATION_CAPABILITIES":
            return list(getattr(plugin, "capabilities", ["FP32"]))
        config = self._merged_config(device, None)
        if key in config:
            return config[key]
        if key in properties.RW:
            try:
                return plugin.get_property(key)
            except KeyError:
                return properties.RW[key][1]
        raise RuntimeError(f"Unknown property '{key}' of device '{device}'")


class _Version:
    def __init__(self, build: str, description: str) -> None:
        self.build_number = build
        self.description = description
        self.major, self.minor, self.patch = (int(p) for p in (build.split(".") + ["0", "0"])[:3])

    def __repr__(self) -> str:
        return f"{self.description} {self.build_number}"


def compile_model(model: Any, device_name: str | None = "AUTO", config: dict[str, Any] | None = None) -> CompiledModel:
    """``ov.compile_model(model_or_path, device, config)`` with a Core of its own."""
    return Core().compile_model(model, device_name, config)


