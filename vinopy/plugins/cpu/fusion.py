"""Post-op fusion for convolution and matmul: a following per-channel Add becomes the bias, a
BatchNormInference is folded into weights and bias, activations become eltwise post-ops and a
residual Add becomes a sum post-op (the residual is copied into the destination first)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vinopy.graph.node import Node, Output
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.plan import PlanBuilder, Slot

# type name -> (algorithm, alpha, beta) of ops with no attributes
ELTWISE: dict[str, tuple[int, float, float]] = {
    "Relu": (dc.eltwise_relu, 0.0, 0.0),
    "Sigmoid": (dc.eltwise_logistic, 0.0, 0.0),
    "Tanh": (dc.eltwise_tanh, 0.0, 0.0),
    "Exp": (dc.eltwise_exp, 0.0, 0.0),
    "Log": (dc.eltwise_log, 0.0, 0.0),
    "Abs": (dc.eltwise_abs, 0.0, 0.0),
    "Sqrt": (dc.eltwise_sqrt, 0.0, 0.0),
    "HSwish": (dc.eltwise_hardswish, 1 / 6, 0.5),
    "HSigmoid": (dc.eltwise_hardsigmoid, 1 / 6, 0.5),
    "Mish": (dc.eltwise_mish, 0.0, 0.0),
    "SoftPlus": (dc.eltwise_soft_relu, 1.0, 0.0),
    "Negative": (dc.eltwise_linear, -1.0, 0.0),
}


def eltwise_params(b: PlanBuilder, node: Node) -> tuple[int, float, float] | None:
    """oneDNN's (algorithm, alpha, beta) for an activation node, or None."""
    t = node.get_type_name()
    if b.value(node.input_value(0)).dtype != np.float32:
        return None
    if t in ELTWISE and node.get_input_size() == 1:
        return ELTWISE[t]
    if t == "Elu":
        return dc.eltwise_elu, float(node.alpha), 0.0
    if t == "Clamp":
        return dc.eltwise_clip_v2, float(node.min), float(node.max)
    if t == "Gelu":
        mode = str(getattr(node, "approximation_mode", "erf")).lower()
        return (dc.eltwise_gelu_tanh if mode == "tanh" else dc.eltwise_gelu_erf), 0.0, 0.0
    if t == "Swish":
        if node.get_input_size() == 1:
            return dc.eltwise_swish, 1.0, 0.0
        beta = b.value(node.input_value(1)).const
        if beta is not None and beta.size == 1:
            return dc.eltwise_swish, float(beta.reshape(-1)[0]), 0.0
    return None


@dataclass
class Fusion:
    out: Output  # the value the fused step produces
    weights: np.ndarray | None
    bias: np.ndarray | None = None
    nodes: list[Node] = field(default_factory=list)
    residual: Output | None = None
    kinds: list[tuple[Any, ...]] = field(default_factory=list)  # ("eltwise", alg, alpha, beta) or ("sum",)
    post_ops: api.PostOps | None = None
    pd: api.PrimitiveDesc | None = None


def collect(
    b: PlanBuilder,
    node: Node,
    weights: np.ndarray | None,
    channel_axis: int,
    build: Callable[[Fusion], api.PrimitiveDesc],
) -> Fusion | None:
    """The longest fusable chain after ``node`` that oneDNN implements, else the node alone."""
    chain = _chain(b, node, weights, channel_axis)
    for f in (chain, Fusion(node.output(0), weights)) if chain.nodes else (chain,):
        f.post_ops = _post_ops(b, f)
        try:
            f.pd = build(f)
            return f
        except api.DnnlError:
            continue
    return None


def _chain(b: PlanBuilder, node: Node, weights: np.ndarray | None, axis: int) -> Fusion:
    f = Fusion(node.output(0), weights)
    channels = b.value(f.out).shape[axis]
    while (consumer := b.sole_consumer(f.out)) is not None:
        t = consumer.get_type_name()
        if (
            t == "Add"
            and f.bias is None
            and not f.kinds
            and (bias := _channel_const(b, consumer, f.out, axis)) is not None
        ):
            f.bias = np.broadcast_to(bias, (channels,)).astype(np.float32)
        elif (
            t == "BatchNormInference"
            and not f.kinds
            and weights is not None
            and axis == 1
            and (folded := _fold_batch_norm(b, consumer, f)) is not None
        ):
            f.weights, f.bias = folded
        elif consumer.input_value(0) == f.out and (params := eltwise_params(b, consumer)) is not None:
            f.kinds.append(("eltwise", *params))
        elif t == "Add" and f.residual is None and (other := _residual(b, consumer, f.out)) is not None:
            f.residual = other
            f.kinds.append(("sum",))
        else:
            break
        f.nodes.append(consumer)
        f.out = consumer.output(0)
    return f


def _post_ops(b: PlanBuilder, f: Fusion) -> api.PostOps | None:
    if not f.kinds:
        return None
    ops = api.PostOps.create()
    for kind in f.kinds:
        if kind[0] == "sum":
            ops.sum()
        else:
            ops.eltwise(*kind[1:])
    return ops


def _other(node: Node, out: Output) -> Output | None:
    ins = node.input_values()
    if len(ins) != 2 or out not in ins or ins[0] == ins[1]:
        return None
    return ins[1] if ins[0] == out else ins[0]


def _channel_const(b: PlanBuilder, add: Node, out: Output, axis: int) -> np.ndarray | None:
    """The per-channel vector of an Add of a constant that only varies along ``axis`` (or a scalar)."""
    other = _other(add, out)
    if other is None or b.value(other).const is None or b.value(add.output(0)).shape != b.value(out).shape:
        return None
    const = b.value(other).const
    rank = len(b.value(out).shape)
    if const.dtype != np.float32 or const.ndim > rank:
        return None
    dims = [1] * (rank - const.ndim) + list(const.shape)
    if any(d != 1 for i, d in enumerate(dims) if i != axis):
        return None
    return const.reshape(-1)


def _residual(b: PlanBuilder, add: Node, out: Output) -> Output | None:
    other = _other(add, out)
    if other is None:
        return None
    value = b.value(other)
    if (
        not value.reps
        or value.const is not None
        or value.shape != b.value(out).shape
        or value.dtype != np.float32
    ):
        return None
    return other


def _fold_batch_norm(b: PlanBuilder, bn: Node, f: Fusion) -> tuple[np.ndarray, np.ndarray] | None:
    """Scale each output channel's weights and shift its bias: conv followed by BN is one conv."""
    names = (
        ("gamma", "beta", "data", "mean", "variance")
        if bn.version == "opset1"
        else ("data", "gamma", "beta", "mean", "variance")
    )
    ports = dict(zip(names, bn.input_values()))
    if ports["data"] != f.out:
        return None
    params = [b.value(ports[n]).const for n in ("gamma", "beta", "mean", "variance")]
    if any(p is None for p in params):
        return None
    gamma, beta, mean, var = (np.asarray(p, np.float64).reshape(-1) for p in params)
    scale = gamma / np.sqrt(var + float(bn.epsilon))
    channels = len(scale)
    if b.value(f.out).shape[1] != channels:
        return None
    # output channel c is row c of (O, I, ...) and of (G, O/G, I/G, ...) read as (G * O/G, ...)
    weights = f.weights.astype(np.float64)
    flat = weights.reshape(channels, -1) * scale[:, None]
    bias = np.zeros(channels) if f.bias is None else f.bias.astype(np.float64)
    return (flat.reshape(weights.shape).astype(np.float32), ((bias - mean) * scale + beta).astype(np.float32))


def _last_reader(b: PlanBuilder, residual: Output, fused: list[Node]) -> bool:
    """Whether every other reader of ``residual`` already has its step, so its buffer may be reused."""
    slot = b.slots[next(r for r in b.value(residual).reps if r.md is not None).slot]
    if slot.parameter is not None or slot.const is not None:
        return False
    readers = [t.get_node() for t in residual.get_target_inputs()]
    return all(id(n) in b.done or n in fused for n in readers)


def emit_fused(b: PlanBuilder, node: Node, f: Fusion, emit: Callable[..., None], **kwargs: Any) -> None:
    """Emit the fused step; with a residual, copy it into the destination before the step runs."""
    dst_slot = None
    if f.residual is not None:
        dst = f.pd.md(dc.query_exec_arg_md, dc.ARG_DST)
        source = next(r for r in b.value(f.residual).reps if r.md is not None)
        if source.md == dst and _last_reader(b, f.residual, f.nodes):
            dst_slot = source.slot  # accumulate in place: nothing reads the residual afterwards
        else:
            dst_slot = b.new_slot(Slot(nbytes=dst.size()))
            b.add_reorder(source, dst, dst_slot, f"{node.get_friendly_name()}/residual")
    for fused in f.nodes:
        b.fuse(fused, node)
    emit(b, node, f.pd, f.out, dst_slot=dst_slot, **kwargs)
