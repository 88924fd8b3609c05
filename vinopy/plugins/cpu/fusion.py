"""Post-op fusion for convolution and matmul: a following per-channel Add becomes the bias, a
BatchNormInference is folded into weights and bias, activations become eltwise post-ops (also when
exporters spelled them as several ops: ReLU6 as Maximum/Minimum, SiLU as x * sigmoid(x), GELU as
x * 0.5 * (1 + erf(x / sqrt 2)), scaling by a scalar), a residual Add becomes a sum post-op (the
residual is copied into the destination first) and a broadcast operand (an attention mask) a binary
post-op. The longest chain oneDNN accepts is used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
    "Negative": (dc.eltwise_linear, -1.0, 0.0),
}  # no SoftPlus: oneDNN's soft_relu is off by percents where log(1 + exp(x)) is tiny (x < -10)


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
        if _converted_to_float(b, node.output(0)):
            return None  # a saturating cast: oneDNN's clip maps NaN to min, numpy's keeps it for the cast
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


def _converted_to_float(b: PlanBuilder, output: Output) -> bool:
    """Whether a Convert to a floating type (one with NaN) reads ``output``."""
    for target in output.get_target_inputs():
        node = target.get_node()
        if node.get_type_name() == "Convert":
            dtype = b.value(node.output(0)).dtype
            if dtype.kind == "f" or dtype.name.startswith(("float8", "bfloat")):
                return True
    return False


@dataclass
class Fusion:
    out: Output  # the value the fused step produces
    weights: np.ndarray | None
    bias: np.ndarray | None = None
    nodes: list[Node] = field(default_factory=list)
    residual: Output | None = None
    # ("eltwise", alg, alpha, beta), ("sum",) or ("binary", alg, operand)
    kinds: list[tuple[Any, ...]] = field(default_factory=list)
    post_ops: api.PostOps | None = None
    pd: api.PrimitiveDesc | None = None
    flat: bool = False  # the primitive writes the result as (rows, channels): an inner product
    # flat, as the channels-last (1, channels, rows, 1) of a 1x1 convolution: the same bytes
    pointwise: bool = False


def collect(
    b: PlanBuilder,
    node: Node,
    weights: np.ndarray | None,
    channel_axis: int,
    build: Callable[[Fusion], api.PrimitiveDesc],
    flat: bool = False,
) -> Fusion | None:
    """The longest fusable chain after ``node`` that oneDNN implements, else the node alone."""
    for f in reversed(chains(b, node, weights, channel_axis)):
        f.flat = flat
        try:
            f.post_ops = post_ops(b, f)
            f.pd = build(f)
            return f
        except api.DnnlError:
            continue
    return None


def chains(b: PlanBuilder, node: Node, weights: np.ndarray | None, axis: int) -> list[Fusion]:
    """The node alone, then each longer chain of consumers folded into it (shortest first)."""
    found = [Fusion(node.output(0), weights)]
    while (f := _extend(b, found[-1], axis)) is not None:
        found.append(f)
    return found


def _extend(b: PlanBuilder, prev: Fusion, axis: int) -> Fusion | None:
    """``prev`` with the op (or activation pattern) that reads its output folded in, or None."""
    f = replace(prev, nodes=list(prev.nodes), kinds=list(prev.kinds))
    pattern = activation_pattern(b, f.out)
    if pattern is not None:
        f.kinds.append(("eltwise", *pattern[0]))
        return _advanced(f, pattern[1])
    consumer = b.sole_consumer(f.out)
    if consumer is None:
        return None
    t = consumer.get_type_name()
    channels = b.value(f.out).shape[axis]
    if (
        t == "Add"
        and f.bias is None
        and not f.kinds
        and (bias := channel_const(b, consumer, f.out, axis)) is not None
    ):
        f.bias = np.broadcast_to(bias, (channels,)).astype(np.float32)
    elif (
        t == "BatchNormInference"
        and not f.kinds
        and f.weights is not None
        and axis == 1
        and (folded := _fold_batch_norm(b, consumer, f)) is not None
    ):
        f.weights, f.bias = folded
    elif consumer.input_value(0) == f.out and (params := eltwise_params(b, consumer)) is not None:
        f.kinds.append(("eltwise", *params))
    elif (params := scalar_eltwise(b, consumer, f.out)) is not None:
        f.kinds.append(("eltwise", *params))
    elif t == "Add" and f.residual is None and (other := _residual(b, consumer, f.out)) is not None:
        f.residual = other
        f.kinds.append(("sum",))
    elif t in _BINARY_POST and (other := broadcast_operand(b, consumer, f.out)) is not None:
        f.kinds.append(("binary", _BINARY_POST[t], other))
    else:
        return None
    return _advanced(f, [consumer])


def _advanced(f: Fusion, nodes: list[Node]) -> Fusion:
    f.nodes.extend(nodes)
    f.out = nodes[-1].output(0)
    return f


def post_ops(b: PlanBuilder, f: Fusion) -> api.PostOps | None:
    if not f.kinds:
        return None
    ops = api.PostOps.create()
    for kind in f.kinds:
        if kind[0] == "sum":  # ("sum",) or ("sum", scale, zero point, data type) of integers
            ops.sum(*kind[1:])
        elif kind[0] == "binary":
            ops.binary(kind[1], binary_md(b, kind[2], f))
        else:
            ops.eltwise(*kind[1:])
    return ops


def binary_md(b: PlanBuilder, operand: Output, f: Fusion) -> api.MemoryDesc:
    """A broadcast operand's plain buffer read with its dims padded to the destination's rank, or
    collapsed to (rows, channels) for a flat destination, which a pointwise one reads as a 1x1
    convolution's channels-last (1, channels, rows, 1) (raises when its broadcast does not collapse)."""
    shape = b.value(f.out).shape
    dims = [1] * (len(shape) - len(b.value(operand).shape)) + list(b.value(operand).shape)
    if f.flat:  # each leading dim is 1 or the result's (a valid broadcast): all of them or none
        rows = int(np.prod(dims[:-1]))
        if rows not in (1, int(np.prod(shape[:-1]))):
            raise api.DnnlError(f"binary post-op on {operand.node.get_friendly_name()}", dc.unimplemented)
        dims = [rows, dims[-1]]
        if f.pointwise:
            return api.MemoryDesc.with_tag([1, dims[1], dims[0], 1], dc.f32, dc.nhwc)
    return api.MemoryDesc.plain(dims, dc.f32)


def binary_views(b: PlanBuilder, f: Fusion) -> dict[int, tuple[Output, api.MemoryDesc]]:
    """The execute arguments of the binary post-ops: each operand's buffer, read as its plain layout."""
    return {
        api.post_op_arg(i, dc.ARG_SRC_1): (kind[2], binary_md(b, kind[2], f))
        for i, kind in enumerate(f.kinds)
        if kind[0] == "binary"
    }


# --- patterns of several ops that are one oneDNN activation ------------------------------------------
_FLT_MAX = float(np.finfo(np.float32).max)


def _scalar(b: PlanBuilder, output: Output) -> float | None:
    const = b.value(output).const
    if const is None or const.size != 1 or const.dtype != np.float32:
        return None
    return float(const.reshape(-1)[0])


def scalar_eltwise(b: PlanBuilder, node: Node, out: Output) -> tuple[int, float, float] | None:
    """``out`` combined with a scalar constant as one eltwise: x*c, x/c, x+c, x-c, max(x, c), min(x, c)."""
    t = node.get_type_name()
    other = _other(node, out)
    if (
        other is None
        or (c := _scalar(b, other)) is None
        or b.value(node.output(0)).shape != b.value(out).shape
    ):
        return None
    first = node.input_value(0) == out
    if t == "Multiply":
        return dc.eltwise_linear, c, 0.0
    if t == "Divide" and first and c != 0.0:
        return dc.eltwise_linear, 1.0 / c, 0.0
    if t == "Add":
        return dc.eltwise_linear, 1.0, c
    if t == "Subtract":
        return (dc.eltwise_linear, 1.0, -c) if first else (dc.eltwise_linear, -1.0, c)
    if t == "Maximum":
        return dc.eltwise_clip_v2, c, _FLT_MAX
    if t == "Minimum":
        return dc.eltwise_clip_v2, -_FLT_MAX, c
    return None


def activation_pattern(b: PlanBuilder, x: Output) -> tuple[tuple[int, float, float], list[Node]] | None:
    """SiLU written as x * sigmoid(x), or GELU as x * 0.5 * (1 + erf(x / sqrt(2))): (eltwise, nodes)."""
    readers = [t.get_node() for t in x.get_target_inputs()]
    if len(readers) != 2 or len({id(n) for n in readers}) != 2:
        return None
    for first, second in (readers, readers[::-1]):
        if first.get_type_name() == "Sigmoid" and _product_of(second, x, first.output(0)):
            if b.sole_consumer(first.output(0)) is second:
                return (dc.eltwise_swish, 1.0, 0.0), [first, second]
        one_plus_erf = _one_plus_erf(b, first, x)
        if one_plus_erf is not None:
            tail = _gelu_tail(b, second, x, one_plus_erf[-1].output(0))
            if tail is not None:
                return (dc.eltwise_gelu_erf, 0.0, 0.0), [*one_plus_erf, *tail]
    return None


def _product_of(node: Node, x: Output, y: Output) -> bool:
    return node.get_type_name() == "Multiply" and {*node.input_values()} == {x, y} and x != y


def _one_plus_erf(b: PlanBuilder, scale: Node, x: Output) -> list[Node] | None:
    """x / sqrt(2) (or x * 1/sqrt(2)) -> Erf -> + 1: the nodes, each read only by the next."""
    params = scalar_eltwise(b, scale, x)
    if params is None or params[0] != dc.eltwise_linear or abs(params[1] - 0.5**0.5) > 1e-6 or params[2]:
        return None
    erf = b.sole_consumer(scale.output(0))
    if erf is None or erf.get_type_name() != "Erf":
        return None
    add = b.sole_consumer(erf.output(0))
    if add is None or scalar_eltwise(b, add, erf.output(0)) != (dc.eltwise_linear, 1.0, 1.0):
        return None
    return [scale, erf, add] if add.get_type_name() == "Add" else None


def _gelu_tail(b: PlanBuilder, node: Node, x: Output, one_plus_erf: Output) -> list[Node] | None:
    """(x * (1 + erf)) * 0.5 or (x * 0.5) * (1 + erf), starting at ``node`` (which reads x)."""
    if _product_of(node, x, one_plus_erf):
        half = b.sole_consumer(node.output(0))
        ok = half is not None and scalar_eltwise(b, half, node.output(0)) == (dc.eltwise_linear, 0.5, 0.0)
        return [node, half] if ok and half.get_type_name() == "Multiply" else None
    if node.get_type_name() == "Multiply" and scalar_eltwise(b, node, x) == (dc.eltwise_linear, 0.5, 0.0):
        last = b.sole_consumer(node.output(0))
        if last is not None and _product_of(last, node.output(0), one_plus_erf):
            return [node, last]
    return None


_BINARY_POST = {
    "Add": dc.binary_add,
    "Multiply": dc.binary_mul,
    "Maximum": dc.binary_max,
    "Minimum": dc.binary_min,
}


def broadcast_operand(b: PlanBuilder, node: Node, out: Output) -> Output | None:
    """The other input of a commutative binary op when it is a float tensor broadcast onto ``out``."""
    other = _other(node, out)
    if other is None:
        return None
    value, shape = b.value(other), b.value(out).shape
    if value.dtype != np.float32 or not value.static or len(value.shape) > len(shape):
        return None
    if b.value(node.output(0)).shape != shape or (value.const is None and not value.reps):
        return None
    dims = [1] * (len(shape) - len(value.shape)) + list(value.shape)
    return other if all(d in (1, s) for d, s in zip(dims, shape)) else None


def _other(node: Node, out: Output) -> Output | None:
    ins = node.input_values()
    if len(ins) != 2 or out not in ins or ins[0] == ins[1]:
        return None
    return ins[1] if ins[0] == out else ins[0]


def channel_const(b: PlanBuilder, add: Node, out: Output, axis: int) -> np.ndarray | None:
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


def transposed_destination(b: PlanBuilder, f: Fusion, build: Callable[..., api.PrimitiveDesc]) -> None:
    """When a Transpose alone reads the result, write the result transposed: that Transpose is then free."""
    t = b.sole_consumer(f.out)
    if t is None or t.get_type_name() != "Transpose" or b.dt != dc.f32 or f.residual is not None:
        return
    perm = b.value(t.input_value(1)).const
    if perm is None:
        return
    plain = api.row_major(b.value(t.output(0)).shape)
    strides = [0] * len(plain)
    for i, axis in enumerate(np.asarray(perm).reshape(-1)):
        strides[int(axis)] = plain[i]
    try:
        pd = build(f, api.MemoryDesc.plain(b.value(f.out).shape, b.dt, strides))
    except api.DnnlError:
        return
    if "ref" not in pd.impl_info():
        f.pd = pd
        f.nodes.append(t)
        f.out = t.output(0)


def float_rep(b: PlanBuilder, output: Output) -> Any:
    """The value's first f32 representation (a quantized value also has integer ones)."""
    reps = [r for r in b.value(output).reps if r.md is not None]
    return next((r for r in reps if r.md.data_type == dc.f32), reps[0])


def _last_reader(b: PlanBuilder, residual: Output, index: int, fused: list[Node]) -> bool:
    """Whether every other reader of ``residual`` already has its step, so its buffer (slot ``index``)
    may be reused."""
    slot = b.slots[index]
    if slot.parameter is not None or slot.const is not None or b.is_aliased(index):
        return False  # another value may read these bytes later
    readers = [t.get_node() for t in residual.get_target_inputs()]
    return all(id(n) in b.done or id(n) in b.fused or n in fused for n in readers)


def emit_fused(b: PlanBuilder, node: Node, f: Fusion, emit: Callable[..., None], **kwargs: Any) -> None:
    """Emit the fused step; with a residual, copy it into the destination before the step runs."""
    dst_slot = None
    if f.residual is not None:
        dst = f.pd.md(dc.query_exec_arg_md, dc.ARG_DST)
        if f.flat:  # the same bytes, described with the result's dims
            dst = b.plain_md(b.value(f.out), dst.data_type)
        # an int8 sum reads the residual's integers, in the destination's layout when they exist
        source = next((r for r in b.value(f.residual).reps if r.md == dst), None) or float_rep(b, f.residual)
        own_source = f.residual in node.input_values()  # the step reads it while writing the sum
        if (
            source.md == dst
            and not source.strided
            and not own_source
            and _last_reader(b, f.residual, source.slot, f.nodes)
        ):
            dst_slot = source.slot  # accumulate in place: nothing reads the residual afterwards
        else:
            dst_slot = b.new_slot(Slot(nbytes=dst.size()))
            b.add_reorder(source, dst, dst_slot, f"{node.get_friendly_name()}/residual")
    for fused in f.nodes:
        b.fuse(fused, node)
    views = {**kwargs.pop("views", {}), **binary_views(b, f)}
    emit(b, node, f.pd, f.out, dst_slot=dst_slot, views=views, **kwargs)
