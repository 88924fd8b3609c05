"""OpenVINO opset 9: factory functions for the newest version of every op introduced up to opset9."""

from vinopy.ops.registry import opset_factories as _opset_factories

globals().update(_opset_factories(9))
