"""The MatMul lowering: a product by a constant matrix is an inner product (weights in the blocked
layout its brgemm kernels want), or a matrix-vector product when it has one row; others a matmul
whose operands that are transposed views are read through their strides and whose result is written
transposed when a Transpose alone reads it; all with fused post-ops."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vinopy.graph.node import Node, Output
from vinopy.plugins.cpu import attention, fusion, int8
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.lowerings import _create, attr, bind_args, emit, lowering, padded
from vinopy.plugins.cpu.plan import PlanBuilder, Rep, Slot


@lowering("MatMul")
def lower_matmul(b: PlanBuilder, node: Node) -> bool:
    a, w = node.input_values()
    va, vw = b.value(a), b.value(w)
    if len(va.shape) < 2 or len(vw.shape) < 2 or vw.dtype != np.float32:
        return False
    if (
        int8.lower_matmul(b, node)
        or attention.lower_scores(b, node)
        or _merged_projections(b, node)
        or _single_row(b, node)
        or _inner_product(b, node)
    ):
        return True
    # operands that are transposed views are read through their strides, when oneDNN has a fast kernel
    return _matmul(b, node, strided=True) or _matmul(b, node, strided=False)


def _single_row(b: PlanBuilder, node: Node) -> bool:
    """One row by a constant matrix (a batch-1 dense layer): a matmul, which oneDNN 3.2 computes as a
    matrix-vector product when its weights are (N, K) rows read transposed; on AVX2 that beats the
    inner product's brgemm (784x512: 27 vs 29 us, 512x10: 2.3 vs 3.3 us, one thread). f32 only: that
    is what was measured, and other types may have no such kernel."""
    rows = int(np.prod(b.value(node.output(0)).shape[:-1]))
    if rows != 1 or b.dt != dc.f32 or _inner_product_weights(b, node) is None:
        return False
    return _matmul(b, node, strided=False, rows_of_weights=True)


def _matmul(b: PlanBuilder, node: Node, strided: bool, rows_of_weights: bool = False) -> bool:
    """``rows_of_weights``: constant weights stored as (N, K) rows, else in the layout oneDNN picks."""
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
        logical = _logical(w_dims, node.transpose_b)
        if weights is None:
            w_md = operands[dc.ARG_WEIGHTS][0]
        elif rows_of_weights:
            w_md = _matrix_md(_logical(logical, True), True, b.dt)
        else:
            w_md = api.MemoryDesc.any(logical, b.dt)
        bias = None if f.bias is None else api.MemoryDesc.plain([1] * (rank - 1) + [out.shape[-1]], dc.f32)
        dst = dst or api.MemoryDesc.plain(out.shape, b.dt)
        return _create(b, "matmul", operands[dc.ARG_SRC][0], w_md, bias, dst, attr(f.post_ops))

    f = fusion.collect(b, node, weights, channel_axis=rank - 1, build=build)
    if f is None or ((strided or rows_of_weights) and "ref" in f.pd.impl_info()):
        return False
    fusion.transposed_destination(b, f, build)
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
    fusion.emit_fused(b, node, f, emit, inputs=inputs, views=views, consts=consts, out_md=out_md)
    return True


def _inner_product(b: PlanBuilder, node: Node) -> bool:
    """A product by a constant matrix as an inner product over the rows of the input: oneDNN 3.2's
    brgemm kernels for it on AVX2 (weights reordered once into their blocked layout) keep pace with
    the matmul's gemm on narrow products and compute wide ones in one step, where the gemm slowed
    down unless split into blocks of columns."""
    weights = _inner_product_weights(b, node)
    if weights is None:
        return False
    a = node.input_value(0)
    shape = b.value(node.output(0)).shape
    src, dst = _rows_md(b, a, weights.shape[1]), _rows_md(b, node.output(0), shape[-1])

    def build(f: fusion.Fusion) -> api.PrimitiveDesc:
        bias = None if f.bias is None else api.MemoryDesc.plain([shape[-1]], dc.f32)
        return _inner_product_pd(b, src, f.weights, bias, dst, f.post_ops)

    f = fusion.collect(b, node, weights, channel_axis=len(shape) - 1, build=build, flat=True)
    if f is None or "ref" in f.pd.impl_info() or _transpose_reads(b, f.out):
        return False  # a matmul can write the result transposed, for free
    consts = {dc.ARG_WEIGHTS: (f.weights, api.MemoryDesc.plain(f.weights.shape, dc.f32))}
    if f.bias is not None:
        consts[dc.ARG_BIAS] = (f.bias, api.MemoryDesc.plain(f.bias.shape, dc.f32))
    out_md = b.plain_md(b.value(f.out), b.dt)
    fusion.emit_fused(b, node, f, emit, views={dc.ARG_SRC: (a, src)}, consts=consts, out_md=out_md)
    return True


def _merged_projections(b: PlanBuilder, node: Node) -> bool:
    """Products of one input by several constant matrices, each followed by a bias at most (attention's
    query, key and value projections): one inner product over the weights stacked, each result a
    strided view of its columns of the wide one."""
    group = _projections_of(b, node)
    if len(group) < 2:
        return False
    a = node.input_value(0)
    weights = np.concatenate([f.weights for _, f in group])
    widths = [f.weights.shape[0] for _, f in group]
    bias = np.concatenate(
        [np.zeros(n, np.float32) if f.bias is None else f.bias for n, (_, f) in zip(widths, group)]
    )
    src, dst = _rows_md(b, a, weights.shape[1]), _rows_md(b, a, weights.shape[0])
    pd = _inner_product_pd(b, src, weights, api.MemoryDesc.plain(bias.shape, dc.f32), dst, None)
    if "ref" in pd.impl_info():
        return False
    consts = {
        dc.ARG_WEIGHTS: (weights, api.MemoryDesc.plain(weights.shape, dc.f32)),
        dc.ARG_BIAS: (bias, api.MemoryDesc.plain(bias.shape, dc.f32)),
    }
    itemsize = dst.size() // weights.shape[0] // int(np.prod(b.value(a).shape[:-1]))
    firsts = np.cumsum([0, *widths[:-1]]).tolist()
    # oneDNN sizes each strided view of columns as the whole result: room for the last one to start late
    slot = b.new_slot(Slot(nbytes=dst.size() + firsts[-1] * itemsize))
    args = bind_args(b, pd, views={dc.ARG_SRC: (a, src)}, consts=consts)
    b.add_step(pd, [*args, (dc.ARG_DST, slot, dst)], node.get_friendly_name(), node.get_type_name())
    for (product, f), first in zip(group, firsts):
        shape = list(b.value(f.out).shape)
        strides = api.row_major([*shape[:-1], weights.shape[0]])
        columns = Rep(dst, b.new_slot(Slot(alias=slot, offset=first * itemsize)))
        b.strided_view(f.out, columns, api.MemoryDesc.plain(shape, b.dt, strides))
        for fused in [product, *f.nodes]:
            if fused is not node:
                b.fuse(fused, node)
    return True


def _projections_of(b: PlanBuilder, first: Node) -> list[tuple[Node, fusion.Fusion]]:
    """``first`` and the products of its input not lowered yet, by constant matrices, whose results
    only get a bias: (node, that chain); empty when ``first`` is not one of them."""
    group = []
    readers = [t for t in first.input_value(0).get_target_inputs() if t.get_node() is not first]
    for target in [*first.inputs()[:1], *sorted(readers, key=lambda t: t.get_node().get_friendly_name())]:
        node = target.get_node()
        if node.get_type_name() != "MatMul" or target.get_index() != 0:
            continue
        if node is not first and (id(node) in b.done or id(node) in b.fused):
            continue
        weights = _inner_product_weights(b, node)
        chains = (
            [] if weights is None else fusion.chains(b, node, weights, len(b.value(node.output(0)).shape) - 1)
        )
        if chains and not chains[-1].kinds:
            group.append((node, chains[-1]))
        elif node is first:
            return []
    return group


def _inner_product_weights(b: PlanBuilder, node: Node) -> np.ndarray | None:
    """The (N, K) weights of a product of rows by a constant matrix, which an inner product computes."""
    a, w = node.input_values()
    const, shape = b.value(w).const, b.value(node.output(0)).shape
    if (
        const is None
        or node.transpose_a
        or any(d != 1 for d in const.shape[:-2])
        or int(np.prod(b.value(a).shape[:-1])) != int(np.prod(shape[:-1]))
    ):
        return None
    matrix = const.reshape(const.shape[-2:])
    return np.ascontiguousarray(matrix if node.transpose_b else matrix.T, np.float32)


def _rows_md(b: PlanBuilder, output: Output, width: int) -> api.MemoryDesc:
    """(rows, width) over a value's leading axes, in the compute type."""
    return api.MemoryDesc.plain([int(np.prod(b.value(output).shape[:-1])), width], b.dt)


def _inner_product_pd(
    b: PlanBuilder,
    src: api.MemoryDesc,
    weights: np.ndarray,
    bias: api.MemoryDesc | None,
    dst: api.MemoryDesc,
    post_ops: api.PostOps | None,
) -> api.PrimitiveDesc:
    weights_md = api.MemoryDesc.any(list(weights.shape), b.dt)
    args = (dc.forward_inference, src, weights_md, bias, dst, attr(post_ops))
    return _create(b, "inner_product_forward", *args)


def _transpose_reads(b: PlanBuilder, output: Output) -> bool:
    """Whether a Transpose alone reads ``output`` (the matmul then writes it transposed)."""
    consumer = b.sole_consumer(output)
    return consumer is not None and consumer.get_type_name() == "Transpose"


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
