"""``ov.properties.log``: the logging level."""

from vinopy.properties._factory import rw
from vinopy.runtime.properties import LogLevel as Level

level = rw("level", "LOG_LEVEL")

__all__ = ["Level", "level"]
