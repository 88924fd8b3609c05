"""Core: the entry point that reads models, knows the devices and compiles models for them."""

from __future__ import annotations

import importlib
from typing import Any

from vinopy.graph.model import Model
from vinopy.runtime import properties
from vinopy.runtime.compiled_model import CompiledModel
from vinopy.runtime.plugin import Plugin
from vinopy.runtime.properties import PropertyTable

BUILTIN_PLUGINS = {
    "TEMPLATE": "vinopy.plugins.template:TemplatePlugin",
    "CPU": "vinopy.plugins.cpu:CPUPlugin",
    "AUTO": "vinopy.plugins.auto:AutoPlugin",
}

# devices that choose among other devices rather than run models themselves
VIRTUAL_DEVICES = ("AUTO",)

# properties the core itself keeps (model caching, file mapping); they also reach compile's config
CORE_RW: dict[str, Any] = {"CACHE_DIR": "", "ENABLE_MMAP": True, "FORCE_TBB_TERMINATE": False}


def split_device(device: str) -> tuple[str, dict[str, Any]]:
    """``"AUTO:CPU,TEMPLATE"`` -> ("AUTO", priorities); ``"CPU.1"`` -> ("CPU", device id)."""
    name, _, targets = device.partition(":")
    name, _, device_id = name.partition(".")
    settings: dict[str, Any] = {}
    if targets:
        settings["MULTI_DEVICE_PRIORITIES"] = targets
    if device_id:
        settings["DEVICE_ID"] = device_id
    return name.upper(), settings


class Core:
    """``ov.Core()``: devices, their properties, reading and compiling models."""

    def __init__(self, xml_config_file: str = "") -> None:
        self._plugin_paths: dict[str, str] = dict(BUILTIN_PLUGINS)
        self._plugins: dict[str, Plugin] = {}
        self._config: dict[str, Any] = {}
        self._all_devices_config: dict[str, Any] = {}  # set without a device: given to every device
        self._table = PropertyTable("the core", {}, CORE_RW)

    # --- devices --------------------------------------------------------------
    def _plugin(self, device: str) -> Plugin:
        name = split_device(device)[0]
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
            plugin.set_property(self._supported_by(plugin, self._all_devices_config))
            self._plugins[name] = plugin
        return self._plugins[name]

    def _usable_plugin(self, device: str) -> Plugin:
        plugin = self._plugin(device)
        ok, why = plugin.is_available()
        if not ok:
            raise RuntimeError(f"Device '{device}' is not available: {why}")
        return plugin

    @staticmethod
    def _supported_by(plugin: Plugin, config: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in config.items() if k in plugin.default_config}

    @property
    def available_devices(self) -> list[str]:
        """Devices that can run models here, in registration order (AUTO is not listed)."""
        devices = []
        for name in self._plugin_paths:
            if name in VIRTUAL_DEVICES:
                continue
            try:
                if self._plugin(name).is_available()[0]:
                    devices.append(name)
            except RuntimeError:
                continue
        return devices

    def get_available_devices(self) -> list[str]:
        return self.available_devices

    def get_versions(self, device_name: str) -> dict[str, Version]:
        from vinopy import __version__

        versions = {}
        for device in device_name.split(","):
            name = split_device(device.strip())[0]
            self._plugin(name)  # an unknown device raises here
            versions[name] = Version(__version__, f"vinopy_{name.lower()}_plugin")
        return versions

    def register_plugin(
        self, plugin_name: str, device_name: str, config: dict[str, Any] | None = None
    ) -> None:
        """Register a plugin class as ``'package.module:Class'`` (or a module exposing ``Plugin``)."""
        device = device_name.upper()
        if device in self._plugin_paths:
            raise RuntimeError(f"Device '{device}' is already registered")
        self._plugin_paths[device] = plugin_name if ":" in plugin_name else f"{plugin_name}:Plugin"
        if config:
            self._plugin(device).set_property(properties.as_dict(config))

    def unload_plugin(self, device_name: str) -> None:
        name = split_device(device_name)[0]
        if name not in self._plugins:
            raise RuntimeError(f"Device '{device_name}' is not loaded")
        del self._plugins[name]

    # --- models ---------------------------------------------------------------
    def read_model(self, model: Any, weights: Any = None, config: dict[str, Any] | None = None) -> Model:
        """A Model from a path (.onnx, .xml), bytes, or an onnx ModelProto."""
        from vinopy.frontend import read_model

        return read_model(model, weights)

    def _compile_config(self, plugin: Plugin, device: str, config: Any) -> dict[str, Any]:
        """Core settings and the device's resolved config; unknown keys raise naming the device."""
        given = properties.as_dict(config or {})
        core_keys, device_keys = self._table.split(given)
        device_keys = {**split_device(device)[1], **device_keys}
        resolved = {**CORE_RW, **self._config, **core_keys}
        resolved.update(plugin.compile_config(device_keys))
        return resolved

    def compile_model(
        self,
        model: Any,
        device_name: str | None = None,
        config: dict[str, Any] | None = None,
        *,
        weights: Any = None,
    ) -> CompiledModel:
        """Compile a Model (or a model path) for a device; no device means AUTO."""
        if isinstance(device_name, dict) and config is None:
            device_name, config = None, device_name
        device = device_name or "AUTO"
        if not isinstance(model, Model):
            model = self.read_model(model, weights)
        plugin = self._usable_plugin(device)
        resolved = self._compile_config(plugin, device, config)
        if resolved.get("CACHE_DIR"):
            from vinopy.runtime import cache  # the IR writer and reader load only when caching

            return cache.compile_with_cache(
                model, device, resolved, lambda m, hit: self._compile(plugin, m, resolved, hit)
            )
        return self._compile(plugin, model, resolved)

    def _compile(
        self, plugin: Plugin, model: Model, config: dict[str, Any], loaded_from_cache: bool = False
    ) -> CompiledModel:
        executable = plugin.compile(model, config)
        if executable.device_plugin is None:  # AUTO fills these with the device it chose
            executable.device_plugin, executable.device_config = plugin, config
        return CompiledModel(executable, model, loaded_from_cache=loaded_from_cache)

    def query_model(
        self, model: Model, device_name: str, config: dict[str, Any] | None = None
    ) -> dict[str, str]:
        """The ops of ``model`` that the device supports: friendly name -> device name."""
        plugin = self._usable_plugin(device_name)
        return plugin.query_model(model, self._compile_config(plugin, device_name, config))

    def import_model(
        self, model_stream: Any, device_name: str, config: dict[str, Any] | None = None
    ) -> CompiledModel:
        """A compiled model from ``CompiledModel.export_model()`` bytes or a binary stream."""
        from vinopy.runtime import cache

        model, _, saved = cache.unpack(cache.read_blob(model_stream))
        plugin = self._usable_plugin(device_name)
        resolved = self._compile_config(plugin, device_name, {**saved, **(config or {})})
        return self._compile(plugin, model, resolved)

    # --- properties -----------------------------------------------------------
    def set_property(self, device_name: Any = None, properties_: Any = None) -> None:
        """``set_property({...})`` for the core and every device, ``set_property("CPU", {...})``
        for one device; a ``(key, value)`` pair may stand for the dict."""
        if properties_ is None:
            self._set_everywhere(properties.as_dict(device_name))
            return
        self._plugin(device_name).set_property(properties.as_dict(properties_))

    def _set_everywhere(self, updates: dict[str, Any]) -> None:
        per_device = updates.pop("DEVICE_PROPERTIES", None)
        core_keys, rest = self._table.split(updates)
        for key in rest:
            if key not in properties.PARSERS:
                raise RuntimeError(f"Property '{key}' is not supported by the core or any device")
        parsed = {k: properties.parse(k, v) for k, v in rest.items()}
        self._config.update(core_keys)
        self._all_devices_config.update(parsed)
        for plugin in self._plugins.values():
            plugin.set_property(self._supported_by(plugin, parsed))
        for device, props in properties.parse_device_properties(per_device or {}).items():
            self._plugin(device).set_property(props)

    def get_property(self, device_name: Any, name: Any = None) -> Any:
        """``get_property(key)`` of the core, or ``get_property(device, key)`` of a device."""
        if name is None:
            return self._table.get(properties.key_of(device_name), self._config)
        return self._plugin(device_name).get_property(properties.key_of(name))


class Version:
    """``Core.get_versions()`` values: a build number and a description."""

    def __init__(self, build: str, description: str) -> None:
        self.build_number = build
        self.description = description
        self.major, self.minor, self.patch = (int(p) for p in (build.split(".") + ["0", "0"])[:3])

    def __repr__(self) -> str:
        return f"<Version: {self.build_number} {self.description}>"


def compile_model(
    model: Any, device_name: str | None = "AUTO", config: dict[str, Any] | None = None
) -> CompiledModel:
    """``ov.compile_model(model_or_path, device, config)`` with a Core of its own."""
    return Core().compile_model(model, device_name, config)
