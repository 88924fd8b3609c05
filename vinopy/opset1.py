"""OpenVINO opset 1: factory functions for the newest version of every op introduced up to opset1."""

from vinopy.ops.registry import opset_factories as _opset_factories

globals().update(_opset_factories(1))
