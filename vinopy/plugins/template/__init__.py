"""TEMPLATE: the reference device, which runs every op's numpy kernel."""

from vinopy.plugins.template.plugin import TemplatePlugin

__all__ = ["TemplatePlugin"]
