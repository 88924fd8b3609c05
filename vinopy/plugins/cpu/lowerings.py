"""Lowerings of ops to oneDNN primitives, found by type name; each declines (returns False) when the
node's attributes or shapes are outside what it maps exactly, and the node then runs its numpy kernel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from vinopy.graph.node import Node, Output
from vinopy.plugins.cpu import fusion
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.plan import PlanBuilder, Rep, Slot

Lowering = Callable[[PlanBuilder, Node], bool]
LOWERINGS: dict[str, Lowering] = {}
_MD = dc.query_exec_arg_md


def lowering(*type_names: str) -> Callable[[Lowering], Lowering]:
    def register(fn: Lowering) -> Lowering:
        for name in type_names:
            LOWERINGS[name] = fn
        return fn

    return register


def lower(b: PlanBuilder, node: Node) -> bool:
    """Emit oneDNN steps for ``node`` when a lowering maps it; False leaves it to numpy."""
    fn = LOWERINGS.get(node.get_type_name())
    if fn is None or not _float_static(b, node):
        return False
    try:
        return fn(b, node)
    except api.DnnlError:
        return False  # no oneDNN implementation for these shapes/attributes


def _float_static(b: PlanBuilder, node: Node) -> bool:
    """The outputs anyone reads (MaxPool's unread indices aside) and the non-constant inputs are f32
    tensors of known, non-empty shape and rank >= 1."""
    outs = [b.value(o) for o in node.outputs() if o.index == 0 or o.get_target_inputs()]
    ins = [v for v in map(b.value, node.input_values()) if not v.is_const]
    return all(v.static and v.dtype == np.float32 and v.shape and 0 not in v.shape for v in outs + ins)


# --- emission helpers ---------------------------------------------------------
def current_md(b: PlanBuilder, output: Output) -> api.MemoryDesc:
    """The layout a value has now (its producer's), so layout-preserving ops add no reorder."""
    value = b.value(output)
    md = next((r.md for r in value.reps if r.md is not None and r.md.data_type == dc.f32), None)
    if md is None and (value.quant is not None or value.is_const):
        # only its integers exist (dequantize them), or a constant computed at compile time
        md = b.require(output, b.plain_md(value)).md
    return md or next(r.md for r in value.reps if r.md is not None)


def emit(
    b: PlanBuilder,
    node: Node,
    pd: api.PrimitiveDesc,
    out: Output,
    *,
    inputs: dict[int, Output] | None = None,
    consts: dict[int, tuple[np.ndarray, api.MemoryDesc]] | None = None,
    views: dict[int, tuple[Output, api.MemoryDesc]] | None = None,
    out_md: api.MemoryDesc | None = None,
    dst_slot: int | None = None,
    scratch_args: Sequence[int] = (),
    fixed: dict[int, tuple[np.ndarray, api.MemoryDesc]] | None = None,
) -> None:
    """Bind a primitive's arguments to slots (reordering inputs where needed) and add its step.

    ``views`` read a value's plain buffer through another descriptor (transposed or unsqueezed);
    ``out_md`` names the destination's layout as a representation of ``out`` when it differs in dims
    only (reductions without keep_dims); ``scratch_args`` are outputs nobody reads (statistics);
    ``fixed`` are constants in the descriptor given (scales and zero points of the attributes)."""
    args = bind_args(b, pd, inputs, consts, views, scratch_args)
    args += [(arg, b.const_input(array, md, md), md) for arg, (array, md) in (fixed or {}).items()]
    dst = pd.md(_MD, dc.ARG_DST)
    args.append((dc.ARG_DST, b.output_rep(out, out_md or dst, dst_slot, dst.size()), dst))
    b.add_step(pd, args, node.get_friendly_name(), node.get_type_name())


def bind_args(
    b: PlanBuilder,
    pd: api.PrimitiveDesc,
    inputs: dict[int, Output] | None = None,
    consts: dict[int, tuple[np.ndarray, api.MemoryDesc]] | None = None,
    views: dict[int, tuple[Output, api.MemoryDesc]] | None = None,
    scratch_args: Sequence[int] = (),
) -> list[tuple[int, int, api.MemoryDesc]]:
    """The (argument, slot, descriptor) of every source of a primitive: see ``emit``."""
    args = []
    for arg, output in (inputs or {}).items():
        md = pd.md(_MD, arg)
        args.append((arg, b.require(output, md).slot, md))
    for arg, (array, source_md) in (consts or {}).items():
        md = pd.md(_MD, arg)
        args.append((arg, b.const_input(array, md, source_md), md))
    for arg, (output, md) in (views or {}).items():
        plain = b.plain_md(b.value(output), md.data_type)
        args.append((arg, b.require(output, plain).slot, md))
    for arg in scratch_args:
        md = pd.md(_MD, arg)
        if md.size():
            args.append((arg, b.new_slot(Slot(nbytes=md.size())), md))
    return args


def attr(post_ops: api.PostOps | None = None) -> api.Attr:
    return api.Attr.create(post_ops)


def eltwise_attr(kinds: Sequence[tuple]) -> api.Attr:
    """Attributes with eltwise post-ops, given as ("eltwise", algorithm, alpha, beta)."""
    post_ops = api.PostOps.create() if kinds else None
    for kind in kinds:
        post_ops.eltwise(*kind[1:])
    return attr(post_ops)


def padded(shape: Sequence[int], rank: int) -> list[int]:
    return [1] * (rank - len(shape)) + list(shape)


def _create(b: PlanBuilder, kind: str, *args: object) -> api.PrimitiveDesc:
    return api.PrimitiveDesc.create(f"dnnl_{kind}_primitive_desc_create", b.engine, *args)


# --- element-wise -------------------------------------------------------------
@lowering(*fusion.ELTWISE, "Elu", "Clamp", "Gelu", "Swish")
def lower_eltwise(b: PlanBuilder, node: Node) -> bool:
    params = fusion.eltwise_params(b, node)
    if params is None:
        return False
    tail = int8.fake_quantize_tail(b, node.output(0))
    if tail is not None:  # NNCF's SiLU: its Sigmoid, quantized
        int8.eltwise_chain(b, node, [("eltwise", *params)], tail)
        return True
    algorithm, alpha, beta = params
    src = current_md(b, node.input_value(0))
    pd = _create(b, "eltwise_forward", dc.forward_inference, algorithm, src, src, alpha, beta, attr())
    emit(b, node, pd, node.output(0), inputs={dc.ARG_SRC: node.input_value(0)})
    return True


_BINARY = {
    "Add": dc.binary_add,
    "Subtract": dc.binary_sub,
    "Multiply": dc.binary_mul,
    "Divide": dc.binary_div,
    "Maximum": dc.binary_max,
    "Minimum": dc.binary_min,
}
_COMMUTATIVE = {"Add", "Multiply", "Maximum", "Minimum"}


@lowering(*_BINARY)
def lower_binary(b: PlanBuilder, node: Node) -> bool:
    if getattr(node, "auto_broadcast", "numpy") not in ("numpy", "none"):
        return False
    if int8.lower_scaling(b, node):
        return True
    x, y = node.input_values()
    out = b.value(node.output(0))
    if b.value(x).shape != out.shape and node.get_type_name() in _COMMUTATIVE:
        x, y = y, x
    vx, vy = b.value(x), b.value(y)
    if vx.shape != out.shape or vx.const is not None:
        return False  # oneDNN broadcasts only the second source; constant pairs run in numpy
    if any(v.dtype != np.float32 or not v.static for v in (vx, vy)):
        return False
    y_dims = padded(vy.shape, len(out.shape))
    tail = int8.fake_quantize_tail(b, node.output(0))  # NNCF's SiLU: its Multiply
    attributes = eltwise_attr([] if tail is None else tail.kinds)
    dst_type = dc.f32 if tail is None or tail.grid is None else tail.grid.dtype
    candidates = (current_md(b, x), b.plain_md(vx))
    for src0 in candidates:
        if vy.shape == out.shape:
            y_md = src0
        elif vy.const is not None:  # oneDNN lays it out as src0 is: next to a blocked src0, a plain
            y_md = api.MemoryDesc.any(y_dims, dc.f32)  # broadcast operand gets the reference kernel
        else:
            y_md = api.MemoryDesc.plain(y_dims, dc.f32)
        try:
            dst = api.MemoryDesc.any(out.shape, dst_type)
            pd = _create(b, "binary", _BINARY[node.get_type_name()], src0, y_md, dst, attributes)
        except api.DnnlError:
            continue
        if pd.impl_info().startswith("ref") and src0 is not candidates[-1]:
            continue  # the reference kernel is slower than reordering the source to plain
        result = node.output(0) if tail is None else tail.take_in(b, node)
        if vy.const is not None:
            consts = {
                dc.ARG_SRC_1: (
                    np.ascontiguousarray(vy.const, np.float32).reshape(y_dims),
                    api.MemoryDesc.plain(y_dims, dc.f32),
                )
            }
            emit(b, node, pd, result, inputs={dc.ARG_SRC_0: x}, consts=consts)
        elif vy.shape == out.shape:
            emit(b, node, pd, result, inputs={dc.ARG_SRC_0: x, dc.ARG_SRC_1: y})
        else:
            emit(b, node, pd, result, inputs={dc.ARG_SRC_0: x}, views={dc.ARG_SRC_1: (y, y_md)})
        return True
    return False


# --- softmax, reductions, concat ------------------------------------------------
@lowering("Softmax", "LogSoftmax")
def lower_softmax(b: PlanBuilder, node: Node) -> bool:
    rank = len(b.value(node.output(0)).shape)
    axis = int(getattr(node, "axis", 1)) % max(rank, 1)
    alg = dc.softmax_log if node.get_type_name() == "LogSoftmax" else dc.softmax_accurate
    src = current_md(b, node.input_value(0))
    pd = _create(b, "softmax_forward", dc.forward_inference, alg, src, src, axis, attr())
    emit(b, node, pd, node.output(0), inputs={dc.ARG_SRC: node.input_value(0)})
    return True


# no ReduceMax/ReduceMin: oneDNN's reduction (and max pooling over the whole image) starts from
# -FLT_MAX/+FLT_MAX, so a row of -inf (a fully masked attention row) reduces to -FLT_MAX, not -inf
_REDUCE = {
    "ReduceSum": (dc.reduction_sum, 0.0),
    "ReduceMean": (dc.reduction_mean, 0.0),
    "ReduceProd": (dc.reduction_mul, 0.0),
    "ReduceL1": (dc.reduction_norm_lp_sum, 1.0),
    "ReduceL2": (dc.reduction_norm_lp_sum, 2.0),
}


@lowering(*_REDUCE)
def lower_reduce(b: PlanBuilder, node: Node) -> bool:
    data, axes_in = node.input_value(0), node.input_value(1)
    axes, shape = b.value(axes_in).const, b.value(data).shape
    if axes is None or not shape or 0 in shape:
        return False
    reduced = {int(a) % len(shape) for a in np.asarray(axes).reshape(-1)}
    if not reduced:
        return False
    keep_dims = [1 if i in reduced else d for i, d in enumerate(shape)]
    if keep_dims == list(shape):
        return False  # reducing only unit axes: oneDNN rejects src == dst
    if _global_pool(b, node, reduced, keep_dims):
        return True
    alg, p = _REDUCE[node.get_type_name()]
    src = current_md(b, data)
    dst = api.MemoryDesc.plain(keep_dims, src.data_type)
    pd = _create(b, "reduction", alg, src, dst, p, 0.0, attr())
    out_md = b.plain_md(b.value(node.output(0)), src.data_type)
    emit(b, node, pd, node.output(0), inputs={dc.ARG_SRC: data}, out_md=out_md)
    return True


_GLOBAL_POOL = {"ReduceMean": dc.pooling_avg_exclude_padding}


def _global_pool(b: PlanBuilder, node: Node, reduced: set[int], keep_dims: list[int]) -> bool:
    """A mean or max over all spatial axes is a pooling with the whole image as its window: jit
    kernels read oneDNN's blocked layouts there, where the reduction primitive has only a reference."""
    data = node.input_value(0)
    shape = b.value(data).shape
    if node.get_type_name() not in _GLOBAL_POOL or len(shape) < 3 or reduced != set(range(2, len(shape))):
        return False
    spatial = list(shape[2:])
    src = current_md(b, data)
    dst = api.MemoryDesc.any(keep_dims, src.data_type)
    zeros, ones = [0] * len(spatial), [1] * len(spatial)
    args = (ones, spatial, zeros, zeros, zeros, attr())
    pd = _create(
        b, "pooling_forward", dc.forward_inference, _GLOBAL_POOL[node.get_type_name()], src, dst, *args
    )
    if list(b.value(node.output(0)).shape) == keep_dims:
        emit(b, node, pd, node.output(0), inputs={dc.ARG_SRC: data})
        return True
    # without keep_dims: pooled in oneDNN's layout, then reordered to plain, read as (N, C)
    pooled = pd.md(_MD, dc.ARG_DST)
    pooled_slot = b.new_slot(Slot(nbytes=pooled.size()))
    src_md = pd.md(_MD, dc.ARG_SRC)
    args = [(dc.ARG_SRC, b.require(data, src_md).slot, src_md), (dc.ARG_DST, pooled_slot, pooled)]
    b.add_step(pd, args, node.get_friendly_name(), node.get_type_name())
    plain = api.MemoryDesc.plain(keep_dims, src.data_type)
    out_md = b.plain_md(b.value(node.output(0)), src.data_type)
    out_slot = b.output_rep(node.output(0), out_md, None, plain.size())
    b.add_reorder(Rep(pooled, pooled_slot), plain, out_slot, node.get_friendly_name())
    return True


@lowering("Concat")
def lower_concat(b: PlanBuilder, node: Node) -> bool:
    out = b.value(node.output(0))
    inputs = node.input_values()
    if any(b.value(i).dtype != np.float32 or 0 in b.value(i).shape for i in inputs) or len(inputs) < 2:
        return False
    if int8.lower_concat(b, node):
        return True
    axis = int(node.axis) % len(out.shape)
    if _concat_in_place(b, node, axis):
        b.backends[node.get_friendly_name()] = "view"
        return True
    srcs = [current_md(b, i) for i in inputs]
    if len({s.data_type for s in srcs}) != 1:
        srcs = [b.plain_md(b.value(i)) for i in inputs]
    handles = (api.c_void_p * len(srcs))(*[s.handle for s in srcs])
    dst = api.MemoryDesc.any(out.shape, srcs[0].data_type)
    pd = _create(b, "concat", dst, len(srcs), axis, handles, attr())
    emit(b, node, pd, node.output(0), inputs={dc.ARG_MULTIPLE_SRC + i: v for i, v in enumerate(inputs)})
    return True


_CHANNEL_BLOCKS = ((dc.nChw8c, 8), (dc.nChw16c, 16))


def _concat_in_place(b: PlanBuilder, node: Node, axis: int) -> bool:
    """A concat of one image's channels in oneDNN's blocked layout (nChw8c) copies nothing: each
    input whose channels are whole blocks is a contiguous byte range of the result, so producers
    write it there (see ``PlanBuilder.concatenate_in_place``)."""
    inputs = node.input_values()
    shapes = [b.value(i).shape for i in inputs]
    out_shape = b.value(node.output(0)).shape
    if axis != 1 or len(out_shape) != 4 or out_shape[0] != 1 or len(set(inputs)) != len(inputs):
        return False
    for tag, block in _CHANNEL_BLOCKS:
        if any(shape[1] % block for shape in shapes):
            continue
        mds = [api.MemoryDesc.with_tag(shape, dc.f32, tag) for shape in shapes]
        parts = [next((r for r in b.value(i).reps if r.md == md), None) for i, md in zip(inputs, mds)]
        if all(parts):
            md = api.MemoryDesc.with_tag(out_shape, dc.f32, tag)
            return b.concatenate_in_place(node.output(0), md, parts)
    return False


# --- views: reshapes and transposes without copies ----------------------------------
@lowering("Reshape", "Squeeze", "Unsqueeze")
def lower_reshape(b: PlanBuilder, node: Node) -> bool:
    """A reshape of a plain buffer is the same bytes: the output shares the input's slot (reordered to
    plain first when its producer wrote a blocked layout)."""
    if int8.lower_reshape(b, node) or _split_view(b, node):
        return True
    data = node.input_value(0)
    source = b.writable_plain(data)
    if source is None and any(r.md is not None and not r.numpy for r in b.value(data).reps):
        source = b.require(data, b.plain_md(b.value(data)))
    if source is None or source.strided:
        return False
    b.alias(node.output(0), source)
    b.backends[node.get_friendly_name()] = "view"
    return True


def _split_view(b: PlanBuilder, node: Node) -> bool:
    """A reshape of a strided view (columns of a wider product) that only splits its last axis (into
    heads) is a strided view of the same bytes too."""
    data = node.input_value(0)
    view = _strided_rep(b, data)
    shape, new_shape = b.value(data).shape, b.value(node.output(0)).shape
    keep = len(shape) - 1
    if view is None or tuple(new_shape[:keep]) != tuple(shape[:keep]) or view.md.strides()[-1] != 1:
        return False
    strides = view.md.strides()[:keep] + api.row_major(new_shape[keep:])
    b.strided_view(node.output(0), view, api.MemoryDesc.plain(new_shape, dc.f32, strides))
    b.backends[node.get_friendly_name()] = "view"
    return True


def _strided_rep(b: PlanBuilder, output: Output) -> Rep | None:
    """The value's f32 strided view, when that is all there is of it (no plain buffer of its own)."""
    if b.writable_plain(output) is not None:
        return None
    return next((r for r in b.value(output).reps if r.strided and r.md.data_type == dc.f32), None)


@lowering("Transpose")
def lower_transpose(b: PlanBuilder, node: Node) -> bool:
    """The input's plain buffer (or strided view) read with permuted strides; a consumer that needs
    the transposed value plain reorders it (oneDNN), and matmuls read the strides as they are."""
    if int8.lower_transpose(b, node):
        return True
    perm = b.value(node.input_value(1)).const
    source = b.writable_plain(node.input_value(0)) or _strided_rep(b, node.input_value(0))
    if perm is None or source is None:
        return False
    perm = [int(p) for p in np.asarray(perm).reshape(-1)]
    strides = source.md.strides()
    md = api.MemoryDesc.plain(b.value(node.output(0)).shape, dc.f32, [strides[p] for p in perm])
    b.strided_view(node.output(0), source, md)
    b.backends[node.get_friendly_name()] = "view"
    return True


# --- normalization --------------------------------------------------------------
@lowering("LRN")
def lower_lrn(b: PlanBuilder, node: Node) -> bool:
    axes = b.value(node.input_value(1)).const
    rank = len(b.value(node.output(0)).shape)
    if axes is None or node.size % 2 == 0 or rank < 3:
        return False
    reduced = sorted({int(a) % rank for a in np.asarray(axes).reshape(-1)})
    if reduced == [1]:
        alg = dc.lrn_across_channels
    elif reduced == list(range(2, rank)):
        alg = dc.lrn_within_channel
    else:
        return False
    src = current_md(b, node.input_value(0))
    pd = _create(
        b,
        "lrn_forward",
        dc.forward_inference,
        alg,
        src,
        src,
        int(node.size),
        float(node.alpha),
        float(node.beta),
        float(node.bias),
        attr(),
    )
    emit(b, node, pd, node.output(0), inputs={dc.ARG_SRC: node.input_value(0)})
    return True


@lowering("MVN")
def lower_mvn(b: PlanBuilder, node: Node) -> bool:
    """MVN over trailing axes with variance normalized (eps inside the root) is a layer normalization;
    a following Multiply and Add by constants along the last axis become its scale and shift."""
    shape = b.value(node.output(0)).shape
    if node.version == "opset2":
        axes = node.reduction_axes
    else:
        value = b.value(node.input_value(1)).const
        if value is None or node.eps_mode != "inside_sqrt":
            return False
        axes = [int(a) % len(shape) for a in np.asarray(value).reshape(-1)]
    first = len(shape) - len(set(axes))
    if not node.normalize_variance or sorted(set(axes)) != list(range(first, len(shape))) or first == 0:
        return False
    rows = int(np.prod(shape[:first]))
    md = api.MemoryDesc.plain([rows, int(np.prod(shape[first:]))], b.dt)
    affine, fused, out = _layer_norm_affine(b, node) if first == len(shape) - 1 else ({}, [], node.output(0))
    flags = (dc.use_scale if dc.ARG_SCALE in affine else 0) | (dc.use_shift if dc.ARG_SHIFT in affine else 0)
    pd = _create(
        b, "layer_normalization_forward", dc.forward_inference, md, md, None, float(node.eps), flags, attr()
    )
    consts = {arg: (array, api.MemoryDesc.plain(array.shape, dc.f32)) for arg, array in affine.items()}
    for consumer in fused:
        b.fuse(consumer, node)
    emit(
        b,
        node,
        pd,
        out,
        views={dc.ARG_SRC: (node.input_value(0), md)},
        consts=consts,
        out_md=b.plain_md(b.value(out), b.dt),
        scratch_args=(dc.ARG_MEAN, dc.ARG_VARIANCE),
    )
    return True


def _layer_norm_affine(b: PlanBuilder, node: Node) -> tuple[dict[int, np.ndarray], list[Node], Output]:
    """Scale (a Multiply) then shift (an Add) by constants that vary only along the last axis."""
    out = node.output(0)
    width = b.value(out).shape[-1]
    found: dict[int, np.ndarray] = {}
    nodes: list[Node] = []
    for arg, type_name in ((dc.ARG_SCALE, "Multiply"), (dc.ARG_SHIFT, "Add")):
        consumer = b.sole_consumer(out)
        if consumer is None or consumer.get_type_name() != type_name:
            continue
        vector = fusion.channel_const(b, consumer, out, len(b.value(out).shape) - 1)
        if vector is None:
            continue
        found[arg] = np.ascontiguousarray(np.broadcast_to(vector, (width,)), np.float32)
        nodes.append(consumer)
        out = consumer.output(0)
    return found, nodes, out


# --- interpolate ----------------------------------------------------------------
# (mode, coordinate transformation, nearest rounding) that oneDNN's resampling computes exactly
_RESAMPLING = {
    ("linear", "half_pixel", None): dc.resampling_linear,
    ("linear_onnx", "half_pixel", None): dc.resampling_linear,
    ("nearest", "half_pixel", "round_prefer_ceil"): dc.resampling_nearest,
    ("nearest", "tf_half_pixel_for_nn", "floor"): dc.resampling_nearest,
    # the same source pixels as half_pixel when every output size is a multiple of the input's
    ("nearest", "asymmetric", "floor"): dc.resampling_nearest,
}


@lowering("Interpolate")
def lower_interpolate(b: PlanBuilder, node: Node) -> bool:
    if node.version == "opset1" or node.antialias or any(node.pads_begin) or any(node.pads_end):
        return False
    src_shape, dst_shape = b.value(node.input_value(0)).shape, b.value(node.output(0)).shape
    if len(src_shape) < 3 or src_shape[:2] != dst_shape[:2]:
        return False
    nearest = node.mode == "nearest"
    alg = _RESAMPLING.get(
        (node.mode, node.coordinate_transformation_mode, node.nearest_mode if nearest else None)
    )
    if alg is None or not _integral_scales(b, node, src_shape, dst_shape):
        return False
    if node.coordinate_transformation_mode == "asymmetric" and any(
        o % i for i, o in zip(src_shape, dst_shape)
    ):
        return False
    src = current_md(b, node.input_value(0))
    dst = api.MemoryDesc.any(dst_shape, src.data_type)
    pd = _create(b, "resampling_forward", dc.forward_inference, alg, None, src, dst, attr())
    emit(b, node, pd, node.output(0), inputs={dc.ARG_SRC: node.input_value(0)})
    return True


def _integral_scales(b: PlanBuilder, node: Node, src: Sequence[int], dst: Sequence[int]) -> bool:
    """With shape_calculation_mode scales, coordinates use the given scales: they must equal dst/src."""
    if node.shape_calculation_mode != "scales":
        return True
    port = 2 if node.version == "opset4" else 1
    scales = b.value(node.input_value(port)).const
    if scales is None:
        return False
    ratios = {round(o / i, 6) for i, o in zip(src, dst) if i != o}
    return {round(float(v), 6) for v in np.asarray(scales).reshape(-1) if float(v) != 1.0} <= ratios


# --- pooling ------------------------------------------------------------------
def window_pads(
    node: Node,
    src: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    dst: Sequence[int],
) -> tuple[list[int], list[int]]:
    """oneDNN's left and right paddings that give exactly ``dst`` (ceil rounding widens the right)."""
    auto = str(getattr(node, "auto_pad", "explicit")).lower()
    left, right = [], []
    for i, (n, k, s, d, o) in enumerate(zip(src, kernel, strides, dilations, dst)):
        extent = (k - 1) * d + 1
        total = max((o - 1) * s + extent - n, 0)
        if auto in ("same_upper", "same_lower"):
            pl = total // 2 if auto == "same_upper" else total - total // 2
            pr = total - pl
        elif auto == "valid":
            pl = pr = 0
        else:
            pl, pr = int(node.pads_begin[i]), int(node.pads_end[i])
        if (n - extent + pl + pr) // s + 1 != o:
            pr = (o - 1) * s + extent - n - pl
        left.append(pl)
        right.append(pr)
    return left, right


@lowering("MaxPool", "AvgPool")
def lower_pool(b: PlanBuilder, node: Node) -> bool:
    if int8.lower_max_pool(b, node):
        return True
    if node.get_output_size() > 1 and node.output(1).get_target_inputs():
        return False  # indices are wanted
    src_shape, dst_shape = b.value(node.input_value(0)).shape, b.value(node.output(0)).shape
    if len(src_shape) < 3:
        return False
    n = len(src_shape) - 2
    dilations = list(getattr(node, "dilations", None) or [1] * n)
    pads = window_pads(node, src_shape[2:], node.kernel_shape, node.strides, dilations, dst_shape[2:])
    left, right = pads
    if node.get_type_name() == "AvgPool":
        exclude = bool(node.exclude_pad)
        ends = list(node.pads_end or [0] * n)
        if not exclude and any(r > e for r, e in zip(right, ends)):
            return False  # ceil-mode windows past the padding: counted differently
        alg = dc.pooling_avg_exclude_padding if exclude else dc.pooling_avg_include_padding
    else:
        alg = dc.pooling_max
    if any(r < 0 for r in right):
        return False
    src = current_md(b, node.input_value(0))
    pd = pooling_pd(b, node, alg, src, api.MemoryDesc.any(dst_shape, src.data_type), dilations, pads)
    emit(b, node, pd, node.output(0), inputs={dc.ARG_SRC: node.input_value(0)})
    return True


def pooling_pd(
    b: PlanBuilder,
    node: Node,
    alg: int,
    src: api.MemoryDesc,
    dst: api.MemoryDesc,
    dilations: list[int],
    pads: tuple[list[int], list[int]],
) -> api.PrimitiveDesc:
    """A forward pooling primitive for a MaxPool/AvgPool node's window attributes."""
    left, right = pads
    dilations_dnnl = [d - 1 for d in dilations]  # oneDNN counts dilation from 0
    return _create(
        b,
        "pooling_forward",
        dc.forward_inference,
        alg,
        src,
        dst,
        list(node.strides),
        list(node.kernel_shape),
        dilations_dnnl,
        left,
        right,
        attr(),
    )


# --- convolution with fused post-ops ---------------------------------
@lowering("Convolution", "GroupConvolution")
def lower_convolution(b: PlanBuilder, node: Node) -> bool:
    if int8.lower_convolution(b, node):
        return True
    weights = b.value(node.input_value(1)).const
    if weights is None:
        return False
    src_shape = b.value(node.input_value(0)).shape
    dst_shape = b.value(node.output(0)).shape
    kernel = weights.shape[-(len(src_shape) - 2) :]
    left, right = window_pads(node, src_shape[2:], kernel, node.strides, node.dilations, dst_shape[2:])
    if any(r < 0 for r in right):
        return False

    def build(f: fusion.Fusion) -> api.PrimitiveDesc:
        bias = None if f.bias is None else api.MemoryDesc.plain([dst_shape[1]], dc.f32)
        weights_md = api.MemoryDesc.any(f.weights.shape, b.dt)
        args = (list(node.strides), [d - 1 for d in node.dilations], left, right, attr(f.post_ops))
        errors = []
        for src, dst in _conv_layouts(b, node, kernel):
            try:
                kind = (dc.forward_inference, dc.convolution_direct)
                create = partial(_create, b, "convolution_forward", *kind, src, weights_md, bias, dst, *args)
                return _jit_depthwise(b, create)
            except api.DnnlError as e:
                errors.append(e)
        raise errors[-1]

    f = fusion.collect(b, node, weights.astype(np.float32), channel_axis=1, build=build)
    if f is None:
        return False
    f = int8.prescaled_for_int8_readers(b, f, build)
    consts = {dc.ARG_WEIGHTS: (f.weights, api.MemoryDesc.plain(f.weights.shape, dc.f32))}
    if f.bias is not None:
        consts[dc.ARG_BIAS] = (f.bias, api.MemoryDesc.plain(f.bias.shape, dc.f32))
    fusion.emit_fused(b, node, f, emit, inputs={dc.ARG_SRC: node.input_value(0)}, consts=consts)
    return True


@lowering("ConvolutionBackpropData", "GroupConvolutionBackpropData")
def lower_deconvolution(b: PlanBuilder, node: Node) -> bool:
    filters = b.value(node.input_value(1)).const
    if filters is None:
        return False
    src_shape = b.value(node.input_value(0)).shape
    dst_shape = b.value(node.output(0)).shape
    spatial = len(src_shape) - 2
    kernel = filters.shape[-spatial:]
    full = [
        s * (i - 1) + (k - 1) * d + 1
        for s, i, k, d in zip(node.strides, src_shape[2:], kernel, node.dilations)
    ]
    left = _deconv_begin_pads(node, dst_shape[2:], full)
    right = [f - pl - o for f, pl, o in zip(full, left, dst_shape[2:])]
    # OpenVINO's filters are (IC, OC, ...) or (G, IC/G, OC/G, ...); oneDNN's are (OC, IC, ...)
    axis = filters.ndim - spatial - 2
    strides = api.row_major(filters.shape)
    strides[axis], strides[axis + 1] = strides[axis + 1], strides[axis]
    dims = list(filters.shape)
    dims[axis], dims[axis + 1] = dims[axis + 1], dims[axis]
    source_md = api.MemoryDesc.plain(dims, dc.f32, strides)
    weights = np.ascontiguousarray(filters, dtype=np.float32)

    def build(f: fusion.Fusion) -> api.PrimitiveDesc:
        bias = None if f.bias is None else api.MemoryDesc.plain([dst_shape[1]], dc.f32)
        return _create(
            b,
            "deconvolution_forward",
            dc.forward_inference,
            dc.deconvolution_direct,
            api.MemoryDesc.any(src_shape, b.dt),
            api.MemoryDesc.any(dims, b.dt),
            bias,
            api.MemoryDesc.any(dst_shape, b.dt),
            list(node.strides),
            [d - 1 for d in node.dilations],
            left,
            right,
            attr(f.post_ops),
        )

    f = fusion.collect(b, node, None, channel_axis=1, build=build)
    if f is None:
        return False
    consts = {dc.ARG_WEIGHTS: (weights, source_md)}
    if f.bias is not None:
        consts[dc.ARG_BIAS] = (f.bias, api.MemoryDesc.plain(f.bias.shape, dc.f32))
    fusion.emit_fused(b, node, f, emit, inputs={dc.ARG_SRC: node.input_value(0)}, consts=consts)
    return True


def _deconv_begin_pads(node: Node, out: Sequence[int], full: Sequence[int]) -> list[int]:
    """Begin pads as OpenVINO places them: explicit, none, or split as auto_pad says given output_shape."""
    auto = str(node.auto_pad).lower()
    if auto == "explicit":
        return [int(p) for p in node.pads_begin]
    if auto in ("same_upper", "same_lower") and node.get_input_size() > 2:
        totals = [f - o + p for f, o, p in zip(full, out, node.output_padding)]
        return [t // 2 if auto == "same_upper" else t - t // 2 for t in totals]
    return [0] * len(out)


def _conv_layouts(
    b: PlanBuilder, node: Node, kernel: Sequence[int]
) -> list[tuple[api.MemoryDesc, api.MemoryDesc]]:
    """The (source, destination) layouts to try, best first: channels-last where that is oneDNN's
    fastest kernel (``_channels_last_preferred``); else the blocked layout the producer wrote (no
    reorder); channels-last after a channels-last producer when int8 steps read the result through
    a FakeQuantize (they read channels-last integers: quantizing then changes no layout; for NNCF's
    MobileNetV2, whose f32 depthwise convolutions sit between int8 ones, the two layout changes
    around each cost more than the channels-last kernel loses); else nChw8c after a channels-last
    producer (left to itself, oneDNN would stay channels-last, slower for 1x1 and depthwise
    kernels); then whatever the convolution likes best."""
    data = node.input_value(0)
    shapes = (b.value(data).shape, b.value(node.output(0)).shape)
    anything = (api.MemoryDesc.any(shapes[0], b.dt), api.MemoryDesc.any(shapes[1], b.dt))
    if _channels_last_preferred(b, node, kernel):
        return [_tagged(shapes, b.dt, dc.nhwc), anything]
    md = current_md(b, data)
    if md.data_type != b.dt or md == b.plain_md(b.value(data), b.dt):
        return [anything]
    channels_last = len(shapes[0]) == 4 and md == _tagged(shapes, b.dt, dc.nhwc)[0]
    if channels_last and int8.quantized_for_int8_readers(b, node.output(0)):
        return [_tagged(shapes, b.dt, dc.nhwc), anything]  # quantized for its reader in place
    if channels_last and _avx2_only(b):
        return [_tagged(shapes, b.dt, dc.nChw8c), anything]
    return [(md, anything[1]), anything]


def _jit_depthwise(b: PlanBuilder, create: Callable[[], api.PrimitiveDesc]) -> api.PrimitiveDesc:
    """The convolution ``create`` makes; for a channels-last depthwise one on AVX2, oneDNN's jit_dw
    kernel rather than brdgmm, which oneDNN lists first but which took 1.1-1.5x jit_dw's time on
    MobileNetV2's depthwise shapes (1 and 2 threads, side by side)."""
    pd = create()
    if not (_avx2_only(b) and pd.impl_info().startswith("brdgmm_dw")):
        return pd
    while api.library().dnnl_primitive_desc_next_impl(pd.handle) == dc.success:
        if pd.impl_info().startswith("jit_dw"):
            return pd
    return create()  # no jit_dw kernel for these post-ops: brdgmm after all


def _tagged(
    shapes: tuple[Sequence[int], Sequence[int]], dt: int, tag: int
) -> tuple[api.MemoryDesc, api.MemoryDesc]:
    return api.MemoryDesc.with_tag(shapes[0], dt, tag), api.MemoryDesc.with_tag(shapes[1], dt, tag)


def _avx2_only(b: PlanBuilder) -> bool:
    """f32 on a CPU without AVX-512, where oneDNN 3.2's blocked kernels use 8-channel blocks."""
    return b.dt == dc.f32 and not api.has_isa(api.cpu_isa(), dc.cpu_isa_avx512_core)


def _channels_last_preferred(b: PlanBuilder, node: Node, kernel: Sequence[int]) -> bool:
    """Whether a convolution runs channels-last: on AVX2, a spatial kernel over many channels and a
    small image, where oneDNN's brgemm kernel (nhwc) was measured 10-30% faster than the blocked
    nChw8c one (3x3 from 128 channels at 28x28 to 512 at 7x7), far more than the two reorders
    around it cost (with 64 channels they ate the gain; at 56x56 there was none)."""
    src, dst = b.value(node.input_value(0)).shape, b.value(node.output(0)).shape
    return (
        node.get_type_name() == "Convolution"
        and len(src) == 4
        and src[1] >= _CHANNELS_LAST_MIN_CHANNELS
        and dst[2] * dst[3] <= _CHANNELS_LAST_MAX_PIXELS
        and any(k > 1 for k in kernel)
        and _avx2_only(b)
    )


_CHANNELS_LAST_MIN_CHANNELS = 128
_CHANNELS_LAST_MAX_PIXELS = 28 * 28


# the MatMul lowering lives in its own module; importing it registers it
from vinopy.plugins.cpu import int8  # noqa: E402
from vinopy.plugins.cpu import matmul as _matmul  # noqa: E402, F401
