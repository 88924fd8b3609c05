"""Einsum: Einstein summation with ellipsis, repeated labels (diagonals) and implicit output."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from vinopy.graph.node import Node, NodeValidationError, Output, attr
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import broadcast_shapes, require, require_element_type, same_type
from vinopy.ops.registry import register

_ELLIPSIS = "..."
_TOKEN = re.compile(r"\.\.\.|[a-zA-Z]")


def _labels(term: str, equation: str) -> list[str]:
    tokens = _TOKEN.findall(term)
    require(
        "".join(tokens) == term,
        f"equation '{equation}': subscript '{term}' may hold only letters and one '...'",
    )
    require(
        tokens.count(_ELLIPSIS) <= 1, f"equation '{equation}': subscript '{term}' has more than one '...'"
    )
    return tokens


def parse_equation(equation: str, n_inputs: int) -> tuple[list[list[str]], list[str]]:
    """Input and output label lists; the implicit output is the labels seen once, sorted, after '...'."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    inputs = [_labels(term, equation) for term in lhs.split(",")]
    require(
        len(inputs) == n_inputs,
        f"equation '{equation}' has {len(inputs)} input subscripts for {n_inputs} inputs",
    )
    if arrow:
        output = _labels(rhs, equation)
        require(len(set(output)) == len(output), f"equation '{equation}': output labels repeat")
        seen = {label for term in inputs for label in term}
        missing = [label for label in output if label not in seen]
        require(not missing, f"equation '{equation}': output labels {missing} are not in any input")
        return inputs, output
    counts: dict[str, int] = {}
    for label in (label for term in inputs for label in term if label != _ELLIPSIS):
        counts[label] = counts.get(label, 0) + 1
    has_ellipsis = any(_ELLIPSIS in term for term in inputs)
    return inputs, [_ELLIPSIS] * has_ellipsis + sorted(k for k, c in counts.items() if c == 1)


def _bind(labels: list[str], shape: PartialShape) -> tuple[dict[str, Dimension], PartialShape | None]:
    """Each label's dimension in one input, and the dims the ellipsis covers (None when unknown)."""
    if shape.rank.is_dynamic:
        return {}, None
    named = [label for label in labels if label != _ELLIPSIS]
    rank = len(shape)
    if _ELLIPSIS not in labels:
        require(rank == len(named), f"subscript '{''.join(labels)}' needs rank {len(named)}, got {shape}")
        return dict(_pairs(named, list(shape))), PartialShape([])
    require(rank >= len(named), f"subscript '{''.join(labels)}' needs rank >= {len(named)}, got {shape}")
    at = labels.index(_ELLIPSIS)
    covered = rank - len(named)
    dims = list(shape)
    bound = _pairs(labels[:at] + labels[at + 1 :], dims[:at] + dims[at + covered :])
    return dict(bound), PartialShape(dims[at : at + covered])


def _pairs(labels: list[str], dims: list[Dimension]) -> list[tuple[str, Dimension]]:
    """Label/dim pairs; a label repeated within one input (a diagonal) needs matching dims."""
    merged: dict[str, Dimension] = {}
    for label, dim in zip(labels, dims):
        _merge_into(merged, label, dim)
    return list(merged.items())


def _merge_into(dims: dict[str, Dimension], label: str, dim: Dimension) -> None:
    if label in dims:
        merged = dims[label].merge(dim)
        if merged is None:
            raise NodeValidationError(f"label '{label}' has different dimensions {dims[label]} and {dim}")
        dims[label] = merged
    else:
        dims[label] = dim


@register
class Einsum(Node):
    """Einstein summation over the inputs as the equation says."""

    type_name, version = "Einsum", "opset7"
    inputs_spec = ("*inputs",)
    equation: str = attr()

    def infer(self, *inputs: Output) -> tuple[Type, PartialShape]:
        require(len(inputs) > 0, "Einsum needs at least one input")
        et = require_element_type(same_type(*inputs), "numeric", "Einsum inputs")
        terms, output = parse_equation(self.equation, len(inputs))
        dims: dict[str, Dimension] = {}
        ellipsis: PartialShape | None = PartialShape([])
        for labels, out in zip(terms, inputs):
            bound, covered = _bind(labels, out.get_partial_shape())
            for label, dim in bound.items():
                _merge_into(dims, label, dim)
            if _ELLIPSIS in labels:
                ellipsis = (
                    None if covered is None or ellipsis is None else broadcast_shapes(ellipsis, covered)
                )
        if _ELLIPSIS in output and ellipsis is None:
            return et, PartialShape.dynamic()
        out_dims: list[Any] = []
        for label in output:
            out_dims.extend(list(ellipsis) if label == _ELLIPSIS else [dims.get(label, Dimension())])
        return et, PartialShape(out_dims)

    def evaluate(self, *inputs: np.ndarray) -> np.ndarray:
        terms, output = parse_equation(self.equation, len(inputs))
        explicit = ",".join("".join(t) for t in terms) + "->" + "".join(output)
        dtype = inputs[0].dtype
        if dtype.kind == "V":  # bf16 and other ml_dtypes types: numpy's einsum computes in f32
            inputs = tuple(x.astype(np.float32) for x in inputs)
        result = np.einsum(explicit, *inputs, optimize=len(inputs) > 2)
        return np.asarray(result).astype(dtype, copy=False)
