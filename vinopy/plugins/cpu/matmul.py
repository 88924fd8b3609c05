"""The MatMul lowering: constant weights in the layout oneDNN picks, fused post-ops, operands that are
transposed views read through their strides, a result written transposed when a Transpose alone
reads it, and wide products split into column blocks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from vinopy.graph.node import Node, Output
from vinopy.plugins.cpu import fusion, int8
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.lowerings import _MD, _create, attr, bind_args, emit, lowering, padded
from vinopy.plugins.cpu.plan import PlanBuilder, Slot


@lowering("MatMul")
def lower_matmul(b: PlanBuilder, node: Node) -> bool:
    a, w = node.input_values()
    va, vw = b.value(a), b.value(w)
    if len(va.shape) < 2 or len(vw.shape) < 2 or vw.dtype != np.float32:
        return False
    if int8.lower_matmul(b, node):
        return True
    # operands that are transposed views are read through their strides, when oneDNN has a fast kernel
    return _matmul(b, node, strided=True) or _matmul(b, node, strided=False)


def _matmul(b: PlanBuilder, node: Node, strided: bool) -> bool:
    a, w = node.input_values()
    vw, out = b.value(w), b.value(node.output(0))
    rank = len(out.shape)
    w_dims = padded(vw.shape, rank)
    weights = None if vw.const is None else np.ascontiguousarray(vw.const).reshape(w_dims)
    operands = {dc.ARG_SRC: _operand(b, a, rank, node.transpose_a, strided)}
    if weights is None:
        operands[dc.ARG_WEIGHTS] = _operand(b, w, rank, node.transpose_b, strided)
    if strided and not any(read_strided for _, read_strided in operands.values()):
        return False

    def build(f: fusion.Fusion, dst: api.MemoryDesc | None = None) -> api.PrimitiveDesc:
        w_md = (
            operands[dc.ARG_WEIGHTS][0]
            if weights is None
            else api.MemoryDesc.any(_logical(w_dims, node.transpose_b), b.dt)
        )
        bias = None if f.bias is None else api.MemoryDesc.plain([1] * (rank - 1) + [out.shape[-1]], dc.f32)
        dst = dst or api.MemoryDesc.plain(out.shape, b.dt)
        return _create(b, "matmul", operands[dc.ARG_SRC][0], w_md, bias, dst, attr(f.post_ops))

    f = fusion.collect(b, node, weights, channel_axis=rank - 1, build=build)
    if f is None or (strided and "ref" in f.pd.impl_info()):
        return False
    _transposed_destination(b, f, build)
    inputs, views, consts = {}, {}, {}
    for arg, operand in ((dc.ARG_SRC, a), (dc.ARG_WEIGHTS, w)):
        if arg in operands:
            md, read_strided = operands[arg]
            if read_strided:
                inputs[arg] = operand  # the transposed view's own representation: no reorder
            else:
                views[arg] = (operand, md)
    if weights is not None:
        consts[dc.ARG_WEIGHTS] = (weights, _matrix_md(w_dims, node.transpose_b, dc.f32))
    if f.bias is not None:
        bias_dims = [1] * (rank - 1) + [out.shape[-1]]
        consts[dc.ARG_BIAS] = (f.bias.reshape(bias_dims), api.MemoryDesc.plain(bias_dims, dc.f32))
    out_md = b.plain_md(b.value(f.out), b.dt)
    blocks = _column_blocks(b, node, f, weights, operands[dc.ARG_SRC][0])
    emit_fn = emit if blocks is None else partial(_emit_blocks, blocks)
    fusion.emit_fused(b, node, f, emit_fn, inputs=inputs, views=views, consts=consts, out_md=out_md)
    return True


# oneDNN 3.2's f32 matmul on AVX2 (gemm_jit_f32) slows down more than linearly as the result widens:
# (128x768)@(768x3072) takes about 1.6 times as long as four (768x768) products. Wide results with
# enough rows are computed in blocks of columns, each written into its place in the one result.
_BLOCK_COLUMNS = 768
_MIN_ROWS = 16

Block = tuple[api.PrimitiveDesc, np.ndarray, np.ndarray | None, int]  # (pd, weights, bias, first column)


def _column_blocks(
    b: PlanBuilder, node: Node, f: fusion.Fusion, weights: np.ndarray | None, src: api.MemoryDesc
) -> list[Block] | None:
    shape = b.value(node.output(0)).shape
    columns, rows = shape[-1], int(np.prod(shape[:-1]))
    plain_result = b.value(f.out).shape == shape and not any(k[0] == "binary" for k in f.kinds)
    if weights is None or not plain_result or rows < _MIN_ROWS or columns < 2 * _BLOCK_COLUMNS:
        return None
    logical = np.swapaxes(weights, -1, -2) if node.transpose_b else weights
    strides = api.row_major(shape)
    blocks = []
    for first in range(0, columns, _BLOCK_COLUMNS):
        last = min(first + _BLOCK_COLUMNS, columns)
        block_weights = np.ascontiguousarray(logical[..., first:last])
        bias = None if f.bias is None else np.ascontiguousarray(f.bias[first:last])
        dims = [*shape[:-1], last - first]
        bias_md = (
            None if bias is None else api.MemoryDesc.plain([1] * (len(shape) - 1) + [last - first], dc.f32)
        )
        dst = api.MemoryDesc.plain(dims, b.dt, strides)
        weights_md = api.MemoryDesc.any(block_weights.shape, b.dt)
        try:
            pd = _create(b, "matmul", src, weights_md, bias_md, dst, attr(f.post_ops))
        except api.DnnlError:
            return None
        blocks.append((pd, block_weights, bias, first))
    return blocks


def _emit_blocks(
    blocks: list[Block],
    b: PlanBuilder,
    node: Node,
    pd: api.PrimitiveDesc,
    out: Output,
    *,
    inputs: dict[int, Output],
    views: dict[int, tuple[Output, api.MemoryDesc]],
    consts: dict[int, tuple[np.ndarray, api.MemoryDesc]],
    out_md: api.MemoryDesc | None,
    dst_slot: int | None,
) -> None:
    """One step per block, each with its slice of the weights and bias (``consts``, the whole ones,
    are not used), writing into its columns of the result."""
    full = pd.md(_MD, dc.ARG_DST)
    slot = b.output_rep(out, out_md or full, dst_slot, full.size())
    itemsize = full.size() // int(np.prod(b.value(node.output(0)).shape))
    # oneDNN sizes a block's strided view as a whole result: room for the last block's to start late
    b.slots[slot].nbytes = max(b.slots[slot].nbytes, full.size() + blocks[-1][3] * itemsize)
    for i, (block_pd, weights, bias, first) in enumerate(blocks):
        block_consts = {dc.ARG_WEIGHTS: (weights, api.MemoryDesc.plain(weights.shape, dc.f32))}
        if bias is not None:
            bias_dims = padded([bias.size], weights.ndim)
            block_consts[dc.ARG_BIAS] = (bias.reshape(bias_dims), api.MemoryDesc.plain(bias_dims, dc.f32))
        args = bind_args(b, block_pd, inputs, block_consts, views)
        dst = block_pd.md(_MD, dc.ARG_DST)
        args.append((dc.ARG_DST, b.new_slot(Slot(alias=slot, offset=first * itemsize)), dst))
        b.add_step(block_pd, args, f"{node.get_friendly_name()}/block{i}", node.get_type_name())


def _operand(
    b: PlanBuilder, output: Output, rank: int, transposed: bool, strided: bool
) -> tuple[api.MemoryDesc, bool]:
    """A matmul operand's descriptor and whether it is read through a transposed view's strides
    (else it is its plain buffer, transposed by swapped strides when asked)."""
    value = b.value(output)
    if strided and not transposed and len(value.shape) == rank and b.dt == dc.f32:
        for rep in value.reps:
            if rep.strided:
                return rep.md, True
    return _matrix_md(padded(value.shape, rank), transposed, b.dt), False


def _transposed_destination(
    b: PlanBuilder, f: fusion.Fusion, build: Callable[..., api.PrimitiveDesc]
) -> None:
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


def _logical(dims: Sequence[int], transposed: bool) -> list[int]:
    dims = list(dims)
    if transposed:
        dims[-1], dims[-2] = dims[-2], dims[-1]
    return dims


def _matrix_md(stored: Sequence[int], transposed: bool, dtype: int) -> api.MemoryDesc:
    """A matrix operand stored row-major as ``stored``, read transposed when asked (swapped strides)."""
    strides = api.row_major(stored)
    if transposed:
        strides[-1], strides[-2] = strides[-2], strides[-1]
    return api.MemoryDesc.plain(_logical(stored, transposed), dtype, strides)
