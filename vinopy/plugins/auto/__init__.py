"""AUTO: picks the best available device for a model."""

from vinopy.plugins.auto.plugin import AutoPlugin

__all__ = ["AutoPlugin"]
