"""Graph passes: Pass, PassManager, a pattern matcher, and the standard cleanups.

Plugins and tools run these themselves (``PassManager().register_pass(ConstantFolding())``)."""

from vinopy.passes.base import MatcherPass, Pass, PassManager, replace_output
from vinopy.passes.constant_folding import ConstantFolding
from vinopy.passes.dead_code import DeadCodeElimination
from vinopy.passes.dump import dump
from vinopy.passes.pattern import (
    Match,
    any_input,
    consumers_count,
    has_static_shape,
    match,
    wrap_type,
)
from vinopy.passes.qdq import FuseQuantizeDequantize, PullReshapeThroughDequantization
from vinopy.passes.shape_of_folding import ShapeOfFolding

__all__ = [
    "ConstantFolding",
    "DeadCodeElimination",
    "FuseQuantizeDequantize",
    "Match",
    "MatcherPass",
    "Pass",
    "PassManager",
    "PullReshapeThroughDequantization",
    "ShapeOfFolding",
    "any_input",
    "consumers_count",
    "dump",
    "has_static_shape",
    "match",
    "replace_output",
    "wrap_type",
]
