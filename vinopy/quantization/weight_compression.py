"""Weight-only compression: integer weights with a decompression subgraph, float activations.

INT8 modes: one scale (and zero point) per output channel. INT4 modes: one per group of
``group_size`` input channels (-1: per output channel) on 2-D MatMul and embedding weights; a
``ratio`` of their parameters (the layers with the smallest int4 error first) goes to int4 and the
rest, plus convolutions, embeddings and the last MatMul unless ``all_layers``, to ``backup_mode``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from vinopy.graph.model import Model
from vinopy.graph.node import Node, const_value
from vinopy.quantization.parameters import CompressWeightsMode, ValidationError
from vinopy.quantization.placement import weight_target
from vinopy.quantization.scope import IgnoredScope, ignored_nodes
from vinopy.quantization.weights import (
    IntWeight,
    decompression,
    quantize_asymmetric,
    quantize_symmetric,
    split_groups,
)

logger = logging.getLogger("vinopy.quantization")
_INT8 = (CompressWeightsMode.INT8_SYM, CompressWeightsMode.INT8_ASYM)
_DEFAULT_GROUP_SIZE = 128


@dataclass(frozen=True)
class _Target:
    node: Node
    port: int
    reduce_axes: tuple[int, ...]
    embedding: bool

    @property
    def weight(self) -> np.ndarray:
        return const_value(self.node.input_value(self.port))


def compress(
    model: Model,
    mode: CompressWeightsMode,
    ratio: float | None,
    group_size: int | None,
    ignored_scope: IgnoredScope | None,
    all_layers: bool,
    backup_mode: CompressWeightsMode | None,
) -> Model:
    """A copy of ``model`` with compressed weights (see the module docstring)."""
    ratio, group_size, backup_mode = _check(mode, ratio, group_size, backup_mode)
    work = model.clone()
    targets = _targets(work, ignored_nodes(work, ignored_scope))
    modes = _assign_modes(targets, mode, ratio, group_size, backup_mode, all_layers)
    for target in targets:
        weight = _compress(target, modes[target.node], group_size)
        name = f"{target.node.get_friendly_name()}/weights"
        element_type = target.node.get_input_element_type(target.port)
        target.node.input(target.port).replace_source_output(decompression(weight, element_type, name))
    counts = {m.value: sum(1 for t in targets if modes[t.node] is m) for m in set(modes.values())}
    logger.info("Compressed the weights of %d layer(s): %s", len(targets), counts)
    work.set_rt_info(mode.value, ["nncf", "weight_compression", "mode"])
    work.set_rt_info(str(ratio), ["nncf", "weight_compression", "ratio"])
    work.set_rt_info(str(group_size), ["nncf", "weight_compression", "group_size"])
    return work


def _check(
    mode: CompressWeightsMode,
    ratio: float | None,
    group_size: int | None,
    backup_mode: CompressWeightsMode | None,
) -> tuple[float, int, CompressWeightsMode]:
    if not isinstance(mode, CompressWeightsMode):
        raise ValidationError(f"mode must be a CompressWeightsMode, got {mode!r}")
    if mode in _INT8:
        if ratio not in (None, 1, 1.0) or group_size not in (None, -1):
            raise ValidationError(f"{mode} compresses per output channel: ratio and group_size must be None")
        return 1.0, -1, mode
    ratio = 1.0 if ratio is None else float(ratio)
    if not 0.0 <= ratio <= 1.0:
        raise ValidationError(f"ratio must be in [0, 1], got {ratio}")
    group_size = _DEFAULT_GROUP_SIZE if group_size is None else int(group_size)
    if group_size == 0 or group_size < -1:
        raise ValidationError(f"group_size must be positive or -1 (per channel), got {group_size}")
    backup_mode = backup_mode or CompressWeightsMode.INT8_ASYM
    if backup_mode not in _INT8:
        raise ValidationError(f"backup_mode must be an INT8 mode, got {backup_mode}")
    return ratio, group_size, backup_mode


def _targets(model: Model, ignored: set[Node]) -> list[_Target]:
    targets = []
    for node in model.get_ordered_ops():
        if node in ignored:
            continue
        if node.get_type_name() == "Gather" and _is_embedding(node):
            targets.append(_Target(node, 0, (1,), True))
            continue
        target = weight_target(node)
        if target is not None:
            rank = node.get_input_partial_shape(target.port).rank.get_length()
            targets.append(_Target(node, target.port, target.reduce_axes(rank), False))
    return targets


def _is_embedding(node: Node) -> bool:
    """Gather rows of a constant 2-D float table along axis 0."""
    table, axis = const_value(node.input_value(0)), const_value(node.input_value(2))
    return (
        table is not None
        and table.ndim == 2
        and table.dtype.kind == "f"
        and axis is not None
        and int(axis) == 0
        and const_value(node.input_value(1)) is None
    )


def _assign_modes(
    targets: list[_Target],
    mode: CompressWeightsMode,
    ratio: float,
    group_size: int,
    backup_mode: CompressWeightsMode,
    all_layers: bool,
) -> dict[Node, CompressWeightsMode]:
    modes = {t.node: backup_mode if mode not in _INT8 else mode for t in targets}
    if mode in _INT8:
        return modes
    last_matmul = next((t.node for t in reversed(targets) if t.node.get_type_name() == "MatMul"), None)
    eligible = [
        t
        for t in targets
        if _groupable(t, group_size) and (all_layers or not (t.embedding or t.node is last_matmul))
    ]
    total = sum(t.weight.size for t in eligible)
    eligible.sort(key=lambda t: _int4_error(t, mode, group_size))
    taken = 0
    for t in eligible:
        if taken >= ratio * total:
            break
        modes[t.node] = mode
        taken += t.weight.size
    return modes


def _groupable(target: _Target, group_size: int) -> bool:
    if len(target.reduce_axes) != 1 or target.node.get_type_name() not in ("MatMul", "Gather"):
        return False
    return group_size == -1 or target.weight.shape[target.reduce_axes[0]] % group_size == 0


def _compress(target: _Target, mode: CompressWeightsMode, group_size: int) -> IntWeight:
    weight = target.weight
    bits = 8 if mode in _INT8 else 4
    axes, shape = target.reduce_axes, None
    if bits == 4 and group_size != -1:
        axis = target.reduce_axes[0] % weight.ndim
        weight, axes, shape = split_groups(weight, axis, group_size), (axis + 1,), weight.shape
    if mode in (CompressWeightsMode.INT8_SYM, CompressWeightsMode.INT4_SYM):
        return quantize_symmetric(weight, axes, bits, narrow=bits == 8, shape=shape)
    return quantize_asymmetric(weight, axes, bits, shape=shape)


def _int4_error(target: _Target, mode: CompressWeightsMode, group_size: int) -> float:
    """Relative error of the int4 weight: layers that lose least go to int4 first."""
    weight = target.weight
    restored = _compress(target, mode, group_size).dequantize(weight.dtype)
    return float(np.linalg.norm(restored - weight) / (np.linalg.norm(weight) + 1e-12))
