"""``ov.properties.device``: what a device is and per-device settings."""

from typing import Any

from vinopy.properties._factory import ro, rw
from vinopy.runtime.properties import Capability
from vinopy.runtime.properties import DeviceType as Type


def _join_devices(*devices: Any) -> str:
    """``priorities("CPU", "TEMPLATE")`` -> "CPU,TEMPLATE" (a list or a single string works too)."""
    if len(devices) == 1 and not isinstance(devices[0], str):
        devices = tuple(devices[0])
    return ",".join(str(d) for d in devices)


def _device_properties(*values: Any) -> dict[str, Any]:
    """``properties({"CPU": {...}})`` or ``properties("CPU", {...})``."""
    if len(values) == 2:
        return {values[0]: dict(values[1])}
    if len(values) == 1 and isinstance(values[0], dict):
        return dict(values[0])
    raise TypeError("device.properties() takes {device: {key: value}} or (device, {key: value})")


full_name = ro("full_name", "FULL_DEVICE_NAME")
architecture = ro("architecture", "DEVICE_ARCHITECTURE")
type = ro("type", "DEVICE_TYPE")
capabilities = ro("capabilities", "OPTIMIZATION_CAPABILITIES")
priorities = rw("priorities", "MULTI_DEVICE_PRIORITIES", combine=_join_devices)
id = rw("id", "DEVICE_ID")
properties = rw("properties", "DEVICE_PROPERTIES", combine=_device_properties)

__all__ = [
    "Capability",
    "Type",
    "architecture",
    "capabilities",
    "full_name",
    "id",
    "priorities",
    "properties",
    "type",
]
