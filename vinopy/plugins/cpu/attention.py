"""Attention on oneDNN: softmax(Q·Kᵀ·scale + mask)·V as a matmul whose post-ops scale the scores and
add the mask, a softmax over them in place, and a matmul by V; heads are read through the strides of
their transposed views, not copied. Lowers ScaledDotProductAttention, and the chain exporters write
for it (MatMul, Multiply or Divide by a scalar, Add of a mask, Softmax over the last axis), whose
product by V then lowers as an ordinary MatMul. When FakeQuantizes put the query and key on oneDNN's
int8 grids (NNCF's transformer quantization), the scores are an int8 matmul of their integers (u8 or
s8 query, s8 key), both scales folded into the scaling post-op."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vinopy.graph.node import Node, Output
from vinopy.plugins.cpu import fusion
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.lowerings import _create, attr, lowering, padded
from vinopy.plugins.cpu.plan import PlanBuilder, Quant, Rep, Slot

Mask = Output | np.ndarray | None  # a float value added to the scores, or a constant one


@dataclass
class Operand:
    """How a matmul reads a value: ``md`` over its plain buffer, or over a transposed view's (``view``)."""

    value: Output
    dims: list[int]
    md: api.MemoryDesc
    view: Rep | None


@dataclass
class Scores:
    """The primitives of softmax(Q·Kᵀ·scale + mask), the scores' descriptor and their sources."""

    matmul: api.PrimitiveDesc
    softmax: api.PrimitiveDesc
    md: api.MemoryDesc
    dims: list[int]
    query: Operand
    key: Operand
    mask: Mask
    mask_arg: tuple[int, api.MemoryDesc] | None  # the binary post-op's execute argument and descriptor
    zero_point: np.ndarray | None = None  # the integer query's, given at execution


@lowering("ScaledDotProductAttention")
def lower_sdpa(b: PlanBuilder, node: Node) -> bool:
    query, key, value = node.input_values()[:3]
    out_shape = b.value(node.output(0)).shape
    rank = len(out_shape)
    scale, mask = _sdpa_scale(b, node), _sdpa_mask(b, node)
    if scale is None or mask is False:
        return False
    scores = _scores(b, query, key, True, scale, mask, rank)
    values = _operand(b, value, rank, transposed=False)

    def build(f: fusion.Fusion, dst: api.MemoryDesc | None = None) -> api.PrimitiveDesc:
        dst = dst or api.MemoryDesc.plain(out_shape, b.dt)
        return _create(b, "matmul", scores.md, values.md, None, dst, attr())

    f = fusion.Fusion(node.output(0), None)
    f.pd = build(f)
    fusion.transposed_destination(b, f, build)
    slot = _emit_scores(b, node, scores)
    for fused in f.nodes:
        b.fuse(fused, node)
    dst = f.pd.md(dc.query_exec_arg_md, dc.ARG_DST)
    out = b.output_rep(f.out, b.plain_md(b.value(f.out), b.dt), None, dst.size())
    args = [(dc.ARG_SRC, slot, scores.md), _bind(b, dc.ARG_WEIGHTS, values), (dc.ARG_DST, out, dst)]
    b.add_step(f.pd, args, f"{node.get_friendly_name()}/context", node.get_type_name())
    return True


def lower_scores(b: PlanBuilder, node: Node) -> bool:
    """A MatMul whose result is scaled, masked and soft-maxed over its last axis: one scores step
    with the scale and mask as post-ops, and the softmax in place over it."""
    chain = softmax_chain(b, node)
    if chain is None or node.transpose_a:
        return False
    scale, mask, nodes = chain
    query, key = node.input_values()
    rank = len(b.value(node.output(0)).shape)
    integers = _integer_operands(b, query, key)
    scores = _scores(b, query, key, node.transpose_b, scale, mask, rank, integers)
    slot = _emit_scores(b, node, scores)
    for fused in nodes:
        b.fuse(fused, node)
    b.output_rep(nodes[-1].output(0), scores.md, slot, scores.md.size())
    return True


def _integer_operands(b: PlanBuilder, query: Output, key: Output) -> tuple[Quant, Quant] | None:
    """The grids of a query and key that hold integers (the key's s8, as oneDNN's weights), or None."""
    grids = b.value(query).quant, b.value(key).quant
    if None in grids or grids[1].dtype != dc.s8 or grids[1].zero_point:
        return None
    return grids


def softmax_chain(b: PlanBuilder, node: Node) -> tuple[float, Mask, list[Node]] | None:
    """(scale, mask, the nodes up to the Softmax) of MatMul -> [* or / scalar] -> [+ mask] -> Softmax."""
    out, scale, mask, nodes = node.output(0), 1.0, None, []
    consumer = b.sole_consumer(out)
    params = None if consumer is None else fusion.scalar_eltwise(b, consumer, out)
    if params is not None and consumer.get_type_name() in ("Multiply", "Divide"):
        scale = params[1]  # a product or quotient by a scalar is (linear, c, 0)
        nodes.append(consumer)
        out, consumer = consumer.output(0), b.sole_consumer(consumer.output(0))
    if (
        consumer is not None
        and consumer.get_type_name() == "Add"
        and (mask := fusion.broadcast_operand(b, consumer, out)) is not None
    ):
        nodes.append(consumer)
        out, consumer = consumer.output(0), b.sole_consumer(consumer.output(0))
    if consumer is None or consumer.get_type_name() != "Softmax":
        return None
    rank = len(b.value(out).shape)
    if int(consumer.axis) % rank != rank - 1:
        return None
    return scale, mask, [*nodes, consumer]


def _sdpa_scale(b: PlanBuilder, node: Node) -> float | None:
    """The scores' factor: the constant scale input, else 1/sqrt(E); None when only known at run time."""
    if node.get_input_size() < 5:
        return 1.0 / math.sqrt(b.value(node.input_value(0)).shape[-1])
    scale = b.value(node.input_value(4)).const
    return None if scale is None else float(np.asarray(scale).reshape(-1)[0])


def _sdpa_mask(b: PlanBuilder, node: Node) -> Mask | bool:
    """What is added to the scores: causal and boolean masks as constants of 0 and -inf (False: a
    boolean mask known only at run time, which no post-op applies)."""
    if node.causal:
        length, source = b.value(node.input_value(0)).shape[-2], b.value(node.input_value(1)).shape[-2]
        return np.where(np.tri(length, source, dtype=bool), 0.0, -np.inf).astype(np.float32)
    if node.get_input_size() < 4:
        return None
    mask = node.input_value(3)
    value = b.value(mask)
    if value.dtype != np.bool_:
        return mask
    if value.const is None:
        return False
    return np.where(value.const, 0.0, -np.inf).astype(np.float32)


def _scores(
    b: PlanBuilder,
    query: Output,
    key: Output,
    key_transposed: bool,
    scale: float,
    mask: Mask,
    rank: int,
    integers: tuple[Quant, Quant] | None = None,
) -> Scores:
    """The primitives of the scores (Q·Kᵀ, scaled, masked) and the softmax over their last axis;
    with ``integers``, Q·Kᵀ of the operands' integers, scaled by both grids' steps."""
    q_type, k_type = (b.dt, b.dt) if integers is None else (integers[0].dtype, integers[1].dtype)
    q = _operand(b, query, rank, transposed=False, dtype=q_type)
    k = _operand(b, key, rank, transposed=key_transposed, dtype=k_type)
    zero_point = None
    if integers is not None:
        scale *= integers[0].scale * integers[1].scale
        if integers[0].zero_point:
            zero_point = np.array([integers[0].zero_point], np.int32)
    dims = [max(x, y) for x, y in zip(q.dims[:-2], k.dims[:-2])] + [q.dims[-2], k.dims[-1]]
    md = api.MemoryDesc.plain(dims, b.dt)
    if isinstance(mask, Output) and b.value(mask).const is not None:
        mask = np.asarray(b.value(mask).const, np.float32)
    post_ops, mask_arg = api.PostOps.create(), None
    if scale != 1.0:
        post_ops.eltwise(dc.eltwise_linear, scale, 0.0)
    if mask is not None:
        shape = mask.shape if isinstance(mask, np.ndarray) else b.value(mask).shape
        mask_md = api.MemoryDesc.plain(padded(shape, rank), dc.f32)
        mask_arg = (api.post_op_arg(post_ops.count, dc.ARG_SRC_1), mask_md)
        post_ops.binary(dc.binary_add, mask_md)
    matmul_attr = attr(post_ops if post_ops.count else None)
    if zero_point is not None:
        matmul_attr.set_zero_points_mask(dc.ARG_SRC, 0)
    matmul = _create(b, "matmul", q.md, k.md, None, md, matmul_attr)
    softmax = _create(
        b, "softmax_forward", dc.forward_inference, dc.softmax_accurate, md, md, rank - 1, attr()
    )
    return Scores(matmul, softmax, md, dims, q, k, mask, mask_arg, zero_point)


def _operand(
    b: PlanBuilder, output: Output, rank: int, transposed: bool, dtype: int | None = None
) -> Operand:
    """A matmul operand of type ``dtype`` (the inference precision's by default) read where it is: a
    transposed view through its strides, else the plain buffer; its last two axes swapped when
    ``transposed`` (a key read as Kᵀ)."""
    dtype = b.dt if dtype is None else dtype
    value = b.value(output)
    dims = padded(value.shape, rank)
    view = None
    if len(value.shape) == rank and dtype in (dc.f32, dc.u8, dc.s8):
        view = next((r for r in value.reps if r.strided and r.md.data_type == dtype), None)
    strides = api.row_major(dims) if view is None else view.md.strides()
    if transposed:
        dims[-2], dims[-1] = dims[-1], dims[-2]
        strides[-2], strides[-1] = strides[-1], strides[-2]
    return Operand(output, dims, api.MemoryDesc.plain(dims, dtype, strides), view)


def _bind(b: PlanBuilder, arg: int, operand: Operand) -> tuple[int, int, api.MemoryDesc]:
    """An execute argument reading the operand's view, or its plain buffer (reordered to it if needed)."""
    if operand.view is not None:
        return arg, operand.view.slot, operand.md
    value = b.value(operand.value)
    return arg, b.require(operand.value, b.plain_md(value, operand.md.data_type)).slot, operand.md


def _emit_scores(b: PlanBuilder, node: Node, s: Scores) -> int:
    """The scores step and the softmax over its result in place; returns the slot holding both."""
    slot = b.new_slot(Slot(nbytes=s.md.size()))
    args = [_bind(b, dc.ARG_SRC, s.query), _bind(b, dc.ARG_WEIGHTS, s.key), (dc.ARG_DST, slot, s.md)]
    if s.mask_arg is not None:
        arg, md = s.mask_arg
        if isinstance(s.mask, np.ndarray):
            mask_slot = b.const_input(np.ascontiguousarray(s.mask), md, md)
        else:
            mask_slot = b.require(s.mask, b.plain_md(b.value(s.mask))).slot
        args.append((arg, mask_slot, md))
    if s.zero_point is not None:
        zero_point_md = api.MemoryDesc.plain([1], dc.s32)
        zero_point_slot = b.const_input(s.zero_point, zero_point_md, zero_point_md)
        args.append((dc.ARG_ATTR_ZERO_POINTS | dc.ARG_SRC, zero_point_slot, zero_point_md))
    name = node.get_friendly_name()
    b.add_step(s.matmul, args, name, node.get_type_name())
    if s.key.md.data_type == dc.s8:
        b.backends[name] = f"oneDNN int8 ({s.matmul.impl_info()})"
    in_place = [(dc.ARG_SRC, slot, s.md), (dc.ARG_DST, slot, s.md)]
    b.add_step(s.softmax, in_place, f"{name}/softmax", "Softmax")
    return slot
