"""OpenVINO opset 13: factory functions for the newest version of every op introduced up to opset13."""

from vinopy.ops.registry import opset_factories as _opset_factories

globals().update(_opset_factories(13))
