"""OpenVINO opset 15: factory functions for the newest version of every op introduced up to opset15.

Importing this module is cheap: they are made on first use (``vinopy.ops.registry.opset_namespace``)."""

from vinopy.ops.registry import opset_namespace as _opset_namespace

__getattr__, __dir__ = _opset_namespace(15, globals())
