"""OpenVINO opset 12: factory functions for the newest version of every op introduced up to opset12."""

from vinopy.ops.registry import opset_factories as _opset_factories

globals().update(_opset_factories(12))
