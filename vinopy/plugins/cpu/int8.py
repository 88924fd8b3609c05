"""INT8 execution of quantized models (what vinopy.quantization and NNCF write for OpenVINO).

A per-tensor FakeQuantize whose input and output ranges agree and whose zero falls on its grid is
``scale * (q - zero_point)`` for 8-bit integers ``q``: its output value gets a ``Quant`` and no step
of its own. A Convolution, GroupConvolution or MatMul reading it whose weights are integer
(``Constant(i8) -> Convert -> Multiply(per-channel scale)``) runs oneDNN's int8 kernel: u8/s8 source
quantized by a reorder with the FakeQuantize's scale and zero point, s8 weights, s32 accumulation,
the source scale and the per-channel weight scales applied at the end (``ARG_ATTR_SCALES``), then
the f32 bias and the fused post-ops as in f32. A FakeQuantize alone reading the result makes the
step write its integers (destination scale and zero point), so int8 tensors flow from step to step
(a ReLU or ReLU6 before it is no post-op when the integers' saturation clamps as much); so does
``MaxPool -> FakeQuantize`` (the MaxPool then runs on the integers, which commutes) and ResNet's and
MobileNetV2's ``FakeQuantize -> Add(quantized residual) -> activation -> FakeQuantize`` (that
FakeQuantize's rounding as eltwise post-ops, the Add as a sum post-op reading the residual's
integers with their scale and zero point). An int8 MatMul runs as a 1x1 convolution (its weights
packed once) with its bias, activations, broadcast operands and residual as post-ops; a FakeQuantize
that alone reads it and that only float steps read (attention's query and key) becomes rounding
post-ops; so does a FakeQuantize with per-channel ranges (NNCF's before a depthwise convolution that
runs in f32), its scales as binary post-ops. A float step (that depthwise convolution) read by a
FakeQuantize whose readers are int8 steps writes the integers as floats, channels-last (its scale
and zero point as a post-op), so quantizing them is a plain conversion. A product by per-channel
factors (SmoothQuant's) that only such a FakeQuantize reads has no step: the quantizing step
multiplies by the factors over the scale and writes the integers. Attention's Q·Kᵀ of two
FakeQuantized activations (NNCF's transformer quantization) reads their integers (the key's on the
s8 grid) through the heads' reshapes and transposes, which are views. An element-wise step (NNCF's
SiLU: its Sigmoid and Multiply) that a FakeQuantize alone reads takes it in as post-ops, writing its
rounded floats or, when only int8 steps read it, its integers; a FakeQuantize that only float steps
read is one step writing its rounded floats. A Concat of values on one grid (NNCF unifies its inputs'
ranges; MaxPools of a value keep its grid) that int8 steps read concatenates their integers. Any
other reader of a quantized value gets it dequantized (a reorder with the source scale): the
FakeQuantize's result.

The result differs from the FakeQuantize graph computed in f32 only by rounding: the integer sums
are exact, the scaling rounds once in f32, and an activation that lands within float rounding of a
half step may quantize to the neighbouring level (one step of the next FakeQuantize).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from vinopy import opset13 as ops
from vinopy.graph.node import Node, Output
from vinopy.plugins.cpu import attention, fusion
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.lowerings import (
    _create,
    attr,
    current_md,
    eltwise_attr,
    emit,
    lowering,
    pooling_pd,
    window_pads,
)
from vinopy.plugins.cpu.plan import PlanBuilder, Quant, Rep, Slot, Value

_WEIGHTED = ("Convolution", "GroupConvolution", "MatMul")
_RESHAPES = ("Reshape", "Squeeze", "Unsqueeze")
_VIEWS = (*_RESHAPES, "Transpose")


def fake_quantize_params(b: PlanBuilder, node: Node) -> Quant | None:
    """The Quant of a FakeQuantize oneDNN's int8 reorders compute exactly, else None: u8, or s8 for
    a symmetric grid that int8 attention scores read as their key (oneDNN's weights are s8)."""
    q = _grid(b, node)
    if q is None or q.zero_point != 128 or not _read_as_key(b, node.output(0)):
        return q
    return replace(q, zero_point=0, dtype=dc.s8)


def _grid(b: PlanBuilder, node: Node) -> Quant | None:
    """A per-tensor FakeQuantize's integers on the u8 grid, or None."""
    if node.get_type_name() != "FakeQuantize" or int(node.levels) != 256:
        return None
    bounds = [b.value(node.input_value(i)).const for i in range(1, 5)]
    if any(v is None or v.size != 1 for v in bounds):
        return None  # per-channel activation ranges: not handled
    il, ih, ol, oh = (float(np.asarray(v).reshape(-1)[0]) for v in bounds)
    if not (ih > il and np.isclose(il, ol, rtol=1e-6) and np.isclose(ih, oh, rtol=1e-6)):
        return None
    scale = (ih - il) / 255
    zero = -il / scale
    zero_point = round(zero)
    if abs(zero - zero_point) > 1e-3 or not 0 <= zero_point <= 255:
        return None  # zero is not a level: the integers would be shifted by a fraction
    # a signed grid stays u8 with zero point 128: oneDNN's s8 sources on CPUs without VNNI halve
    # the weights (losing a bit) to avoid the saturation of vpmaddubsw
    return Quant(scale, zero_point, dc.u8, node.input_value(0))


@lowering("FakeQuantize")
def lower_fake_quantize(b: PlanBuilder, node: Node) -> bool:
    out = node.output(0)
    if b.value(out).quant is not None:
        return True  # quantized from the input of the scaling it took in (see lower_scaling)
    q = fake_quantize_params(b, node)
    if q is None:
        return False
    data = b.value(node.input_value(0))
    if data.quant is not None and (data.quant.scale, data.quant.zero_point) == (q.scale, q.zero_point):
        _same_integers(b, node, data)
        return True
    int8_readers = _int8_readers(b, out)
    if not any(int8_readers):
        return round_in_float(b, node, q)
    b.value(out).quant = q
    if not all(int8_readers):
        # someone reads it in f32: dequantize once, now, in the layout the input has
        source_md = next(r.md for r in b.value(q.source).reps if r.md is not None)
        b.require(out, source_md if source_md.data_type == dc.f32 else b.plain_md(b.value(out)))
    return True


def round_in_float(b: PlanBuilder, node: Node, grid: Quant) -> bool:
    """A FakeQuantize that only float steps read (NNCF's on a Multiply's input, in SiLU): one step
    writes the fake-quantized floats in the input's layout, where its integers would take a quantizing
    and a dequantizing reorder."""
    eltwise_chain(b, node, _rounding(grid))
    return True


def eltwise_chain(b: PlanBuilder, node: Node, kinds: list[tuple], tail: Tail | None = None) -> None:
    """One step applying eltwise ``kinds`` to ``node``'s input, and the FakeQuantize ``tail`` that it
    takes in: a product by one carrying them as post-ops (oneDNN 3.2's jit binary kernels take eltwise
    post-ops, its eltwise kernels none), which writes the tail's integers where it has them."""
    shape = b.value(node.output(0)).shape
    ones = [1] * len(shape)  # the factor's layout is oneDNN's choice: a plain one next to a blocked
    any_one = api.MemoryDesc.any(ones, dc.f32)  # source gets the reference kernel
    grid = None if tail is None else tail.grid
    dst = api.MemoryDesc.any(shape, dc.f32 if grid is None else grid.dtype)
    post_ops = eltwise_attr([*kinds, *([] if tail is None else tail.kinds)])
    src = current_md(b, node.input_value(0))
    pd = _create(b, "binary", dc.binary_mul, src, any_one, dst, post_ops)
    one = (np.ones(ones, np.float32), api.MemoryDesc.plain(ones, dc.f32))
    out = node.output(0) if tail is None else tail.take_in(b, node)
    emit(b, node, pd, out, inputs={dc.ARG_SRC_0: node.input_value(0)}, consts={dc.ARG_SRC_1: one})


@dataclass
class Tail:
    """A FakeQuantize that an element-wise float step takes in (``fake_quantize_tail``)."""

    fq: Node
    kinds: list[tuple]  # eltwise post-ops
    grid: Quant | None = None  # the integers the step writes, if it writes integers

    def take_in(self, b: PlanBuilder, step: Node) -> Output:
        """Fuse the FakeQuantize into ``step``: its output, which the step writes."""
        b.fuse(self.fq, step)
        out = self.fq.output(0)
        if self.grid is not None:
            b.value(out).quant = Quant(self.grid.scale, self.grid.zero_point, self.grid.dtype, None)
        return out


def fake_quantize_tail(b: PlanBuilder, output: Output) -> Tail | None:
    """A per-tensor FakeQuantize on oneDNN's grid that alone reads ``output``, as post-ops of the
    element-wise step writing ``output`` (NNCF's SiLU: its Sigmoid and Multiply): when only float
    steps read it, its rounding (the step writes the fake-quantized floats); when only int8 steps do,
    the scaling to its integers, which the step writes (the conversion to their type rounds and
    saturates them)."""
    reader = _sole_fake_quantize(b, output)
    grid = None if reader is None else fake_quantize_params(b, reader)
    if grid is None:
        return None
    int8_readers = _int8_readers(b, reader.output(0))
    if not any(int8_readers):
        return Tail(reader, _rounding(grid))
    if all(int8_readers):
        return Tail(reader, [_to_levels(grid)], grid)
    return None


def _to_levels(grid: Quant) -> tuple:
    """An eltwise post-op mapping values to ``grid``'s integers (as floats, not yet rounded)."""
    return ("eltwise", dc.eltwise_linear, 1 / grid.scale, float(grid.zero_point))


def _float_read_fake_quantize(b: PlanBuilder, output: Output) -> Node | None:
    """The FakeQuantize that alone reads ``output`` when only float steps read it, else None."""
    reader = _sole_fake_quantize(b, output)
    return None if reader is None or any(_int8_readers(b, reader.output(0))) else reader


def _sole_fake_quantize(b: PlanBuilder, output: Output) -> Node | None:
    """The FakeQuantize that alone reads ``output`` (as its data), else None."""
    reader = b.sole_consumer(output)
    if reader is None or reader.get_type_name() != "FakeQuantize" or reader.input_value(0) != output:
        return None
    return reader


def lower_scaling(b: PlanBuilder, node: Node) -> bool:
    """A product by factors along the last axis (SmoothQuant's, before a projection) that only a
    FakeQuantize read by int8 steps reads: no step of its own, the step that quantizes its input
    multiplies by the factors (``PlanBuilder._scaled_quantize``)."""
    fq = b.sole_consumer(node.output(0))
    if fq is None or fq.input_value(0) != node.output(0):
        return False
    factors, q = _channel_factors(b, node), fake_quantize_params(b, fq)
    if factors is None or q is None or not all(_int8_readers(b, fq.output(0))):
        return False
    b.value(fq.output(0)).quant = replace(q, source=node.input_value(0), source_scales=factors)
    b.fuse(node, fq)
    return True


def _channel_factors(b: PlanBuilder, mul: Node) -> np.ndarray | None:
    """The factors of ``data * constant`` when the constant varies along the last axis only."""
    if mul.get_type_name() != "Multiply":
        return None
    data, factors = mul.input_values()
    const = b.value(factors).const
    shape = b.value(mul.output(0)).shape
    if const is None or b.value(data).shape != shape or const.dtype != np.float32 or const.ndim > len(shape):
        return None
    if const.ndim == 0 or not shape:  # a scalar factor: left to the plain eltwise lowering
        return None
    if any(d != 1 for d in const.shape[:-1]) or const.shape[-1] not in (1, shape[-1]):
        return None
    return np.broadcast_to(const.reshape(-1), shape[-1:]).astype(np.float32)


def _same_integers(b: PlanBuilder, node: Node, data: Value) -> None:
    """A FakeQuantize of a value already on its grid changes nothing: its output is the input's
    integers (a pooled value whose producer wrote this FakeQuantize's integers)."""
    value = b.value(node.output(0))
    value.quant = data.quant  # with its source, when the integers are yet to be made from it
    for rep in data.reps:
        b.viewed.add(rep.slot)  # two values in one buffer: neither is accumulated into in place
        value.reps.append(replace(rep, numpy=False))
    b.backends[node.get_friendly_name()] = "view"


def prescaled_for_int8_readers(
    b: PlanBuilder, f: fusion.Fusion, build: Callable[[fusion.Fusion], api.PrimitiveDesc]
) -> fusion.Fusion:
    """When a FakeQuantize that int8 steps read alone reads a float step's result (NNCF's after a
    depthwise convolution whose weights are no per-channel int8), the step applies its scale and zero
    point as a post-op: it writes the integers as floats, and quantizing them is a conversion (a
    reorder without scales, twice as fast as one with a scale on AVX2). oneDNN 3.2 has no f32
    convolution writing u8."""
    fq = b.sole_consumer(f.out)
    if fq is None or fq.input_value(0) != f.out or not quantized_for_int8_readers(b, f.out):
        return f
    grid = fake_quantize_params(b, fq)
    g = replace(f, kinds=[*_without_saturated_clamps(f.kinds, grid), _to_levels(grid)])
    try:
        g.post_ops = fusion.post_ops(b, g)
        g.pd = build(g)
    except api.DnnlError:
        return f
    b.value(fq.output(0)).quant = replace(grid, prescaled=True)
    return g


def quantized_for_int8_readers(b: PlanBuilder, output: Output) -> bool:
    """Whether ``output``, through sole readers (what a step fuses: BatchNorm, an activation), reaches
    a FakeQuantize on oneDNN's grid whose readers all take its integers."""
    node = b.sole_consumer(output)
    for _ in range(_FUSABLE_CHAIN):
        if node is None:
            return False
        if node.get_type_name() == "FakeQuantize":
            return fake_quantize_params(b, node) is not None and all(_int8_readers(b, node.output(0)))
        node = b.sole_consumer(node.output(0))
    return False


_FUSABLE_CHAIN = 5  # BatchNorm's Multiply and Add, ReLU6 (Maximum and Minimum), the FakeQuantize


def _int8_readers(b: PlanBuilder, output: Output) -> list[bool]:
    """Whether each reader of ``output`` reads it as integers (``_int8_reader``)."""
    return [_int8_reader(b, t.get_node(), t.get_index()) for t in output.get_target_inputs()]


def _int8_reader(b: PlanBuilder, node: Node, port: int) -> bool:
    """Whether ``node`` reads input ``port`` as integers (or dequantizes it itself, when it must)."""
    t = node.get_type_name()
    if t == "FakeQuantize":
        return port == 0 and fake_quantize_params(b, node) is not None
    if t in ("MaxPool", *_VIEWS):
        return port == 0 and all(_int8_readers(b, node.output(0)))
    if t == "Add":
        return _residual_add(b, node)
    if t == "Concat":
        return _concat_grid(b, node) is not None and all(_int8_readers(b, node.output(0)))
    if t == "MatMul" and int8_scores(b, node):
        return True
    return t in _WEIGHTED and port == 0 and int8_weights(b, node) is not None


def int8_scores(b: PlanBuilder, node: Node) -> bool:
    """Whether ``node`` is attention's Q·Kᵀ (scaled, masked and soft-maxed) of two activations that
    FakeQuantizes put on oneDNN's grids (read through reshapes and transposes), the key's symmetric
    (s8), as NNCF quantizes transformers: an int8 matmul reads their integers."""
    if node.get_type_name() != "MatMul" or node.transpose_a or attention.softmax_chain(b, node) is None:
        return False
    query, key = (_quantized_source(b, v) for v in node.input_values())
    return query is not None and key is not None and key.zero_point == 128


def _quantized_source(b: PlanBuilder, output: Output) -> Quant | None:
    """The u8 grid of the FakeQuantize that ``output`` is a view of (through reshapes and transposes
    that nothing else reads), or None."""
    node = output.node
    while node.get_type_name() in _VIEWS and b.sole_consumer(node.input_value(0)) is node:
        node = node.input_value(0).node
    return _grid(b, node)


def _read_as_key(b: PlanBuilder, output: Output) -> bool:
    """Whether int8 scores read ``output`` (through views) as their key."""
    for target in output.get_target_inputs():
        reader = target.get_node()
        if reader.get_type_name() in _VIEWS and _read_as_key(b, reader.output(0)):
            return True
        if target.get_index() == 1 and int8_scores(b, reader):
            return True
    return False


def int8_weights(b: PlanBuilder, node: Node) -> tuple[np.ndarray, np.ndarray] | None:
    """The s8 weights and the per-output-channel scales of ``Constant(i8) -> Convert -> Multiply``
    on port 1 (the weights as stored, the scales one per output channel)."""
    mul = node.input_value(1).node
    if mul.get_type_name() == "FakeQuantize":
        return _fake_quantized_weights(b, node, mul)
    if mul.get_type_name() != "Multiply":
        return None
    for convert_in, scale_in in (mul.input_values(), mul.input_values()[::-1]):
        convert = convert_in.node
        scale = b.value(scale_in).const
        if convert.get_type_name() != "Convert" or scale is None:
            continue
        values = b.value(convert.input_value(0)).const
        if values is None or values.dtype != np.int8:
            continue
        if b.value(mul.output(0)).shape != values.shape:
            return None
        channels = _channel_scales(node, values.shape, np.asarray(scale, np.float32))
        return None if channels is None else (values, channels)
    return None


def _fake_quantized_weights(b: PlanBuilder, node: Node, fq: Node) -> tuple[np.ndarray, np.ndarray] | None:
    """f32 weights through a FakeQuantize (per output channel ranges) whose grid, like NNCF's
    symmetric one, has zero on a level and fits s8: the levels as integers and the steps as scales."""
    w = b.value(fq.input_value(0)).const
    bounds = [b.value(fq.input_value(i)).const for i in range(1, 5)]
    if w is None or w.dtype != np.float32 or any(v is None for v in bounds) or int(fq.levels) > 256:
        return None
    il, ih, ol, oh = (np.broadcast_to(np.asarray(v, np.float32), w.shape) for v in bounds)
    if not (np.allclose(il, ol, rtol=1e-6) and np.allclose(ih, oh, rtol=1e-6)) or not np.all(ih > il):
        return None
    steps = int(fq.levels) - 1
    scale = (ih - il) / steps
    zero = -il / scale
    zero_point = np.round(zero)
    if np.abs(zero - zero_point).max() > 1e-3 or zero_point.min() < steps - 127 or zero_point.max() > 128:
        return None  # levels - zero point would not fit -128..127
    levels = np.round((np.clip(w, il, ih) - il) / scale) - zero_point
    values = levels.astype(np.int8)
    channels = _channel_scales(node, w.shape, scale)
    return None if channels is None else (values, channels)


def _channel_scales(node: Node, shape: tuple[int, ...], scale: np.ndarray) -> np.ndarray | None:
    """The scale per output channel when ``scale`` varies along the output channel axes only."""
    t = node.get_type_name()
    if t == "MatMul":
        if len(shape) != 2:
            return None
        axes = (0,) if node.transpose_b else (1,)
    else:
        axes = (0,) if t == "Convolution" else (0, 1)
    full = np.broadcast_to(scale.reshape((1,) * (len(shape) - scale.ndim) + scale.shape), shape)
    others = tuple(i for i in range(len(shape)) if i not in axes)
    first = full[tuple(slice(None) if i in axes else slice(0, 1) for i in range(len(shape)))]
    if not np.array_equal(np.broadcast_to(first, shape), full):
        return None
    return np.ascontiguousarray(first.reshape(-1) if others else first, np.float32)


def _attr(f: fusion.Fusion, q: Quant, weight_mask: int, out: Quant | None = None) -> api.Attr:
    a = attr(f.post_ops)
    if out is not None:
        a.set_scales_mask(dc.ARG_DST, 0)
        if out.zero_point:
            a.set_zero_points_mask(dc.ARG_DST, 0)
    a.set_scales_mask(dc.ARG_SRC, 0)
    a.set_scales_mask(dc.ARG_WEIGHTS, weight_mask)
    if q.zero_point:
        a.set_zero_points_mask(dc.ARG_SRC, 0)
    return a


def _fixed(b: PlanBuilder, q: Quant, f: fusion.Fusion) -> dict[int, tuple[np.ndarray, api.MemoryDesc]]:
    """The execute-time scales (and zero point): the weights' per channel, folded BatchNorms included."""
    w_scales = np.ascontiguousarray(f.weights.reshape(-1), np.float32)
    fixed = {
        dc.ARG_ATTR_SCALES | dc.ARG_SRC: _scalar(q.scale, dc.f32),
        dc.ARG_ATTR_SCALES | dc.ARG_WEIGHTS: (w_scales, api.MemoryDesc.plain([w_scales.size], dc.f32)),
    }
    if q.zero_point:
        fixed[dc.ARG_ATTR_ZERO_POINTS | dc.ARG_SRC] = _scalar(q.zero_point, dc.s32)
    return fixed


def _scalar(value: float, dtype: int) -> tuple[np.ndarray, api.MemoryDesc]:
    """A scale (f32) or zero point (s32) given at execution."""
    return np.array([value], np.float32 if dtype == dc.f32 else np.int32), api.MemoryDesc.plain([1], dtype)


def lower_convolution(b: PlanBuilder, node: Node) -> bool:
    """An int8 (Group)Convolution, or False to leave it to the f32 lowering."""
    q = b.value(node.input_value(0)).quant
    found = int8_weights(b, node) if q is not None else None
    if found is None:
        return False
    values, scales = found
    src_shape = b.value(node.input_value(0)).shape
    dst_shape = b.value(node.output(0)).shape
    kernel = values.shape[-(len(src_shape) - 2) :]
    left, right = window_pads(node, src_shape[2:], kernel, node.strides, node.dilations, dst_shape[2:])
    if any(r < 0 for r in right):
        return False
    mask = 0b11 if node.get_type_name() == "GroupConvolution" else 0b1  # of the output channels

    def build_with(f: fusion.Fusion, dst: api.MemoryDesc, a: api.Attr) -> api.PrimitiveDesc:
        bias = None if f.bias is None else api.MemoryDesc.plain([dst_shape[1]], dc.f32)
        return _create(
            b,
            "convolution_forward",
            dc.forward_inference,
            dc.convolution_direct,
            api.MemoryDesc.any(src_shape, q.dtype),
            api.MemoryDesc.any(values.shape, dc.s8),
            bias,
            dst,
            list(node.strides),
            [d - 1 for d in node.dilations],
            left,
            right,
            a,
        )

    def build(f: fusion.Fusion) -> api.PrimitiveDesc:
        return build_with(f, api.MemoryDesc.any(dst_shape, dc.f32), _attr(f, q, mask))

    # the "weights" the fusion folds BatchNorms into are the per-channel scales, one row each
    try:
        f = fusion.collect(b, node, scales.reshape(-1, 1), channel_axis=1, build=build)
    except api.DnnlError:
        return False
    if f is None or "ref" in f.pd.impl_info():
        return False
    f = _rounded_in_float(b, f, build, channel_axis=1, per_tensor=False)
    consts = {dc.ARG_WEIGHTS: (values, api.MemoryDesc.plain(values.shape, dc.s8))}
    if f.bias is not None:
        consts[dc.ARG_BIAS] = (f.bias, api.MemoryDesc.plain(f.bias.shape, dc.f32))
    fixed = _fixed(b, q, f)
    f = _requantize(b, f, fixed, lambda g, out: _attr(g, q, mask, out), build_with)
    fusion.emit_fused(b, node, f, emit, inputs={dc.ARG_SRC: node.input_value(0)}, consts=consts, fixed=fixed)
    _report(b, node, f.pd)
    if b.value(f.out).quant is not None:
        _dequantize_for_float_readers(b, f.out)
    return True


@dataclass
class _Tail:
    """Nodes after a fused chain that the int8 step takes in, ending in the FakeQuantize whose
    integers it writes (``out``), and the post-ops they add."""

    nodes: list[Node]
    kinds: list[tuple]
    out: Quant
    residual: Output | None = None


def _requantize(
    b: PlanBuilder,
    f: fusion.Fusion,
    fixed: dict[int, tuple[np.ndarray, api.MemoryDesc]],
    attr_of: Callable[[fusion.Fusion, Quant], api.Attr],
    build: Callable[[fusion.Fusion, api.MemoryDesc, api.Attr], api.PrimitiveDesc],
) -> fusion.Fusion:
    """When a FakeQuantize alone reads the result, write its integers directly (the destination's
    scale and zero point): it becomes part of the step, and no f32 result is written. When that
    FakeQuantize's value is added to another quantized value (a residual), then activated and
    quantized again, the step takes all of it in: the integers of the last FakeQuantize come out."""
    reader = b.sole_consumer(f.out)
    if reader is None or f.residual is not None or reader.input_value(0) != f.out:
        return f
    out = fake_quantize_params(b, reader)
    tails = (
        [_pooled_tail(b, reader)]
        if out is None
        else [_residual_tail(b, reader, out), _Tail([reader], [], out)]
    )
    for tail in tails:
        if tail is None:
            continue
        kinds = _without_saturated_clamps([*f.kinds, *tail.kinds], tail.out)
        g = replace(f, nodes=[*f.nodes, *tail.nodes], kinds=kinds, residual=tail.residual)
        g.out = tail.nodes[-1].output(0) if tail.nodes else f.out
        g.post_ops = fusion.post_ops(b, g)
        try:
            g.pd = build(g, api.MemoryDesc.any(b.value(g.out).shape, tail.out.dtype), attr_of(g, tail.out))
        except api.DnnlError:
            continue
        if "ref" not in g.pd.impl_info():
            _write_integers(b, g, fixed, tail.out)
            return g
    return f


def _write_integers(
    b: PlanBuilder, f: fusion.Fusion, fixed: dict[int, tuple[np.ndarray, api.MemoryDesc]], out: Quant
) -> None:
    """``f.out`` holds ``out``'s integers: its quantization, and the destination's execute-time scale
    and zero point; a residual gets its integers in the destination's layout (the sum reads them)."""
    b.value(f.out).quant = Quant(out.scale, out.zero_point, out.dtype, None)
    fixed[dc.ARG_ATTR_SCALES | dc.ARG_DST] = _scalar(out.scale, dc.f32)
    if out.zero_point:
        fixed[dc.ARG_ATTR_ZERO_POINTS | dc.ARG_DST] = _scalar(out.zero_point, dc.s32)
    if f.residual is not None:
        b.require(f.residual, f.pd.md(dc.query_exec_arg_md, dc.ARG_DST))


def _without_saturated_clamps(kinds: list[tuple], grid: Quant) -> list[tuple]:
    """The post-ops less the clamps at their end (ReLU, ReLU6, Clamp) that the destination's saturation
    to ``grid``'s levels makes redundant: OpenVINO folds ReLU6 into the quantization range alike, and
    each eltwise post-op costs the int8 kernel instructions per output vector. A MaxPool between the
    step and the FakeQuantize does not matter: a clamp commutes with taking a maximum."""
    kept = list(kinds)
    while kept and (bounds := _clamp_bounds(kept[-1])) is not None and _saturation_covers(bounds, grid):
        kept.pop()
    return kept


def _clamp_bounds(kind: tuple) -> tuple[float, float] | None:
    """The (low, high) an eltwise post-op clamps to, or None when it is no clamp."""
    if kind[0] != "eltwise":
        return None
    algorithm, alpha, beta = kind[1:]
    if algorithm == dc.eltwise_relu and alpha == 0.0:
        return 0.0, np.inf
    if algorithm in (dc.eltwise_clip, dc.eltwise_clip_v2):
        return alpha, beta
    return None


def _saturation_covers(bounds: tuple[float, float], grid: Quant) -> bool:
    """Whether clamping to ``bounds`` before quantizing to ``grid`` changes no level: the grid's lowest
    and highest values lie within them."""
    tolerance = 1e-3  # of a level: float rounding of the range's ends
    low, high = (v / grid.scale for v in bounds)
    lowest, highest = _levels(grid)
    return low <= lowest + tolerance and high >= highest - tolerance


def _levels(grid: Quant) -> tuple[float, float]:
    """The lowest and highest integers of ``grid`` less its zero point (the values over the scale)."""
    lowest, highest = (-128.0, 127.0) if grid.dtype == dc.s8 else (0.0, 255.0)
    return lowest - grid.zero_point, highest - grid.zero_point


def _pooled_tail(b: PlanBuilder, pool: Node) -> _Tail | None:
    """``MaxPool -> FakeQuantize`` alone reading the step's result: the step writes the integers of
    that FakeQuantize (which commutes with taking a maximum), the MaxPool runs on them and the
    FakeQuantize then changes nothing."""
    if pool.get_type_name() != "MaxPool" or _indices_read(pool):
        return None
    fq = b.sole_consumer(pool.output(0))
    out = None if fq is None or fq.input_value(0) != pool.output(0) else fake_quantize_params(b, fq)
    return None if out is None else _Tail([], [], out)


def _residual_tail(b: PlanBuilder, fq: Node, grid: Quant) -> _Tail | None:
    """``fq -> Add(other quantized value) -> activations -> FakeQuantize``: the FakeQuantize of the
    step's result as post-ops (to its grid and back), the Add as a sum of the other value's integers
    (its scale and zero point), the activations as eltwise post-ops."""
    add = b.sole_consumer(fq.output(0))
    if add is None or not _residual_add(b, add):
        return None
    other = next(v for v in add.input_values() if v != fq.output(0))
    residual = b.value(other).quant
    if residual is None or b.value(other).shape != b.value(add.output(0)).shape:
        return None  # not computed yet: the step producing it may take the Add in instead
    activations, last = _activated_fake_quantize(b, add)
    kinds = [
        *_rounding(grid),
        ("sum", residual.scale, residual.zero_point, residual.dtype),
        *(("eltwise", *params) for _, params in activations),
    ]
    nodes = [fq, add, *(node for node, _ in activations), last]
    return _Tail(nodes, kinds, fake_quantize_params(b, last), other)


def _rounding(grid: Quant) -> list[tuple]:
    """A FakeQuantize as eltwise post-ops: to its grid's integers, rounded and clipped, and back."""
    return [
        ("eltwise", dc.eltwise_linear, 1 / grid.scale, 0.0),
        ("eltwise", dc.eltwise_round, 0.0, 0.0),
        ("eltwise", dc.eltwise_clip_v2, *_levels(grid)),
        ("eltwise", dc.eltwise_linear, grid.scale, 0.0),
    ]


def _rounded_in_float(
    b: PlanBuilder,
    f: fusion.Fusion,
    build: Callable[[fusion.Fusion], api.PrimitiveDesc],
    channel_axis: int,
    per_tensor: bool = True,
) -> fusion.Fusion:
    """When a FakeQuantize that only float steps read alone reads the result (attention's query and
    key before the f32 scores, NNCF's per-channel one before a depthwise convolution), its rounding
    as post-ops: the step writes the fake-quantized floats, and no quantizing and dequantizing
    reorders (or numpy FakeQuantize) follow it. Without ``per_tensor``, a FakeQuantize on oneDNN's
    grid is left to ``_requantize`` (its integers, which a MaxPool reads before float steps)."""
    reader = _float_read_fake_quantize(b, f.out)
    if reader is None:
        return f
    grid = fake_quantize_params(b, reader)
    if grid is not None and not per_tensor:
        return f
    kinds = _rounding(grid) if grid is not None else _channel_rounding(b, reader, channel_axis)
    if kinds is None:
        return f
    g = replace(f, nodes=[*f.nodes, reader], kinds=[*f.kinds, *kinds], out=reader.output(0))
    try:
        g.post_ops = fusion.post_ops(b, g)
        g.pd = build(g)
    except api.DnnlError:
        return f
    return g


def _channel_rounding(b: PlanBuilder, fq: Node, channel_axis: int) -> list[tuple] | None:
    """A FakeQuantize whose ranges vary along ``channel_axis`` (and whose output ranges are its input
    ones) as post-ops: per-channel scaling to its levels (binary operands), rounding, clipping to
    the levels, and scaling back; None for other FakeQuantizes."""
    shape = b.value(fq.output(0)).shape
    bounds = [b.value(fq.input_value(i)).const for i in range(1, 5)]
    if shape is None or any(v is None or v.ndim > len(shape) for v in bounds):
        return None
    channels = shape[channel_axis]
    operand_shape = [channels if axis == channel_axis else 1 for axis in range(len(shape))]
    try:
        il, ih, ol, oh = (np.broadcast_to(np.asarray(v, np.float32), operand_shape) for v in bounds)
    except ValueError:
        return None  # the ranges vary along another axis too
    if not (np.allclose(il, ol, rtol=1e-6) and np.allclose(ih, oh, rtol=1e-6)) or not np.all(ih > il):
        return None
    steps = int(fq.levels) - 1
    scale = (ih - il) / steps
    kinds = [("binary", dc.binary_mul, _constant(b, 1 / scale))]
    offset = np.any(il != 0)
    if offset:
        kinds.append(("binary", dc.binary_sub, _constant(b, il / scale)))
    kinds += [
        ("eltwise", dc.eltwise_round, 0.0, 0.0),
        ("eltwise", dc.eltwise_clip_v2, 0.0, float(steps)),
        ("binary", dc.binary_mul, _constant(b, scale)),
    ]
    if offset:
        kinds.append(("binary", dc.binary_add, _constant(b, il)))
    return kinds


def _constant(b: PlanBuilder, array: np.ndarray) -> Output:
    """A compile-time constant that is in no model (a post-op operand computed here)."""
    array = np.ascontiguousarray(array, np.float32)
    output = ops.constant(array).output(0)
    b.values[output] = Value(array.shape, array.dtype, array=array)
    return output


def _activated_fake_quantize(
    b: PlanBuilder, add: Node
) -> tuple[list[tuple[Node, tuple[int, float, float]]], Node] | None:
    """The activations (each with its eltwise) that alone read the Add's result, one after the
    other, and the FakeQuantize on oneDNN's grid that alone reads the last; else None."""
    activations = []
    x = add.output(0)
    while (reader := b.sole_consumer(x)) is not None and (params := _activation(b, reader, x)) is not None:
        activations.append((reader, params))
        x = reader.output(0)
    if reader is None or reader.input_value(0) != x or fake_quantize_params(b, reader) is None:
        return None
    return activations, reader


def _activation(b: PlanBuilder, node: Node, x: Output) -> tuple[int, float, float] | None:
    """oneDNN's eltwise for an activation of ``x`` (one op, or a scalar Maximum/Minimum of ReLU6)."""
    if node.input_value(0) == x and (params := fusion.eltwise_params(b, node)) is not None:
        return params
    return fusion.scalar_eltwise(b, node, x)


def _residual_add(b: PlanBuilder, add: Node) -> bool:
    """An Add of two FakeQuantize outputs on oneDNN's grids, activated and quantized again: an int8
    step may take it in as a sum (when it does not, the Add's lowering dequantizes what it reads)."""
    ins = add.input_values()
    quantized = [v.node for v in ins if v.node.get_type_name() == "FakeQuantize"]
    return (
        add.get_type_name() == "Add"
        and len({*ins}) == len(quantized) == 2
        and all(fake_quantize_params(b, fq) is not None for fq in quantized)
        and _activated_fake_quantize(b, add) is not None
    )


def _dequantize_for_float_readers(b: PlanBuilder, out: Output) -> None:
    if not all(_int8_readers(b, out)):
        shape = b.value(out).shape
        md = api.MemoryDesc.with_tag(shape, dc.f32, dc.nhwc) if len(shape) == 4 else b.plain_md(b.value(out))
        b.require(out, md)


def lower_matmul(b: PlanBuilder, node: Node) -> bool:
    """An int8 MatMul of an activation (not transposed) by 2-D integer weights, or False."""
    a = node.input_value(0)
    q = b.value(a).quant
    found = int8_weights(b, node) if q is not None and not node.transpose_a else None
    if found is None:
        return False
    values, scales = found
    out = b.value(node.output(0))
    rank = len(out.shape)
    a_shape = b.value(a).shape
    if len(a_shape) != rank or rank < 2:
        return False
    w_dims = [1] * (rank - 2) + list(values.shape[::-1] if node.transpose_b else values.shape)
    stored = values.T if node.transpose_b else values
    weights = np.ascontiguousarray(stored).reshape(w_dims)

    def build(f: fusion.Fusion) -> api.PrimitiveDesc:
        bias = None if f.bias is None else api.MemoryDesc.plain([1] * (rank - 1) + [out.shape[-1]], dc.f32)
        return _create(
            b,
            "matmul",
            api.MemoryDesc.plain(a_shape, q.dtype),
            api.MemoryDesc.any(w_dims, dc.s8),
            bias,
            api.MemoryDesc.plain(out.shape, dc.f32),
            _attr(f, q, 1 << (rank - 1)),
        )

    try:
        f = fusion.collect(b, node, scales.reshape(-1, 1), channel_axis=rank - 1, build=build)
    except api.DnnlError:
        return False
    if f is None:
        return False
    f = _rounded_in_float(b, f, build, channel_axis=rank - 1)
    if _emit_as_convolution(b, node, f, q, values):
        return True
    consts = {dc.ARG_WEIGHTS: (weights, api.MemoryDesc.plain(w_dims, dc.s8))}
    if f.bias is not None:
        bias_dims = [1] * (rank - 1) + [out.shape[-1]]
        consts[dc.ARG_BIAS] = (f.bias.reshape(bias_dims), api.MemoryDesc.plain(bias_dims, dc.f32))
    fusion.emit_fused(
        b,
        node,
        f,
        emit,
        inputs={dc.ARG_SRC: a},
        consts=consts,
        fixed=_fixed(b, q, f),
        out_md=b.plain_md(b.value(f.out), dc.f32),
    )
    _report(b, node, f.pd)
    return True


def _emit_as_convolution(b: PlanBuilder, node: Node, f: fusion.Fusion, q: Quant, values: np.ndarray) -> bool:
    """Emit an int8 MatMul as a 1x1 convolution reading its plain (rows, K) activation as
    channels-last (1, K, rows, 1) and writing (rows, N) as (1, N, rows, 1): that jit kernel reads
    weights packed at compile time, where oneDNN's int8 matmul on AVX2 (gemm) packs them at every call
    (three times slower for one row, twice for BERT's 128). Broadcast operands and a residual are read
    in that layout too, and a FakeQuantize that int8 steps read gets its integers written (as for
    convolutions). False when oneDNN has no such kernel."""
    a = node.input_value(0)
    rows = int(np.prod(b.value(a).shape[:-1]))
    channels, depth = values.shape if node.transpose_b else values.shape[::-1]
    weights = np.ascontiguousarray(values if node.transpose_b else values.T).reshape(channels, depth, 1, 1)
    src = api.MemoryDesc.with_tag([1, depth, rows, 1], q.dtype, dc.nhwc)
    bias = None if f.bias is None else api.MemoryDesc.plain([channels], dc.f32)
    no_pads = [0, 0]

    def build_with(g: fusion.Fusion, dst: api.MemoryDesc, a: api.Attr) -> api.PrimitiveDesc:
        """The convolution writing ``dst``'s type (its dims are the MatMul's)."""
        return _create(
            b,
            "convolution_forward",
            dc.forward_inference,
            dc.convolution_direct,
            src,
            api.MemoryDesc.any(weights.shape, dc.s8),
            bias,
            api.MemoryDesc.with_tag([1, channels, rows, 1], dst.data_type, dc.nhwc),
            [1, 1],
            no_pads,
            no_pads,
            no_pads,
            a,
        )

    g = replace(f, flat=True, pointwise=True)
    try:
        g.post_ops = fusion.post_ops(b, g)
        g.pd = build_with(g, api.MemoryDesc.any(b.value(g.out).shape, dc.f32), _attr(g, q, 1))
    except api.DnnlError:
        return False
    if "ref" in g.pd.impl_info():
        return False
    fixed = _fixed(b, q, g)
    g = _requantize(b, g, fixed, lambda h, out: _attr(h, q, 1, out), build_with)
    consts = {dc.ARG_WEIGHTS: (weights, api.MemoryDesc.plain(weights.shape, dc.s8))}
    if g.bias is not None:
        consts[dc.ARG_BIAS] = (g.bias, bias)
    out_md = b.plain_md(b.value(g.out), g.pd.md(dc.query_exec_arg_md, dc.ARG_DST).data_type)
    fusion.emit_fused(
        b, node, g, emit, views={dc.ARG_SRC: (a, src)}, consts=consts, fixed=fixed, out_md=out_md
    )
    _report(b, node, g.pd)
    if b.value(g.out).quant is not None:
        _dequantize_for_float_readers(b, g.out)
    return True


def _report(b: PlanBuilder, node: Node, pd: api.PrimitiveDesc) -> None:
    """query_backends says which steps run in int8, and oneDNN's implementation of them."""
    b.backends[node.get_friendly_name()] = f"oneDNN int8 ({pd.impl_info()})"


def lower_max_pool(b: PlanBuilder, node: Node) -> bool:
    """MaxPool of a quantized value on its integers: the result is quantized alike."""
    q = b.value(node.input_value(0)).quant
    if q is None or node.get_type_name() != "MaxPool":
        return False
    if _indices_read(node):
        return False
    src_shape, dst_shape = b.value(node.input_value(0)).shape, b.value(node.output(0)).shape
    if len(src_shape) != 4:
        return False
    dilations = list(getattr(node, "dilations", None) or [1, 1])
    left, right = window_pads(node, src_shape[2:], node.kernel_shape, node.strides, dilations, dst_shape[2:])
    if any(r < 0 for r in right):
        return False
    src = api.MemoryDesc.with_tag(src_shape, q.dtype, dc.nhwc)
    dst = api.MemoryDesc.any(dst_shape, q.dtype)
    pd = pooling_pd(b, node, dc.pooling_max, src, dst, dilations, (left, right))
    emit(b, node, pd, node.output(0), inputs={dc.ARG_SRC: node.input_value(0)})
    _report(b, node, pd)
    b.value(node.output(0)).quant = Quant(q.scale, q.zero_point, q.dtype, None)
    if not all(_int8_readers(b, node.output(0))):
        b.require(node.output(0), api.MemoryDesc.with_tag(dst_shape, dc.f32, dc.nhwc))
    return True


def lower_concat(b: PlanBuilder, node: Node) -> bool:
    """A Concat of values on one grid (NNCF gives a Concat's inputs one range) that only int8 steps
    read: a concat of their integers, channels-last as int8 convolutions read them."""
    grid = _concat_grid(b, node)
    if grid is None or not all(_int8_readers(b, node.output(0))):
        return False
    inputs = node.input_values()
    if any(b.value(i).quant is None for i in inputs):
        return False  # an input has no integers (its FakeQuantize ran in numpy)

    def integers(output: Output) -> api.MemoryDesc:
        shape = b.value(output).shape
        return (
            api.MemoryDesc.with_tag(shape, grid.dtype, dc.nhwc)
            if len(shape) == 4
            else b.plain_md(b.value(output), grid.dtype)
        )

    srcs = [integers(i) for i in inputs]
    handles = (api.c_void_p * len(srcs))(*[s.handle for s in srcs])
    axis = int(node.axis) % len(b.value(node.output(0)).shape)
    pd = _create(b, "concat", integers(node.output(0)), len(srcs), axis, handles, attr())
    emit(b, node, pd, node.output(0), inputs={dc.ARG_MULTIPLE_SRC + i: v for i, v in enumerate(inputs)})
    _report(b, node, pd)
    b.value(node.output(0)).quant = Quant(grid.scale, grid.zero_point, grid.dtype, None)
    return True


def _concat_grid(b: PlanBuilder, node: Node) -> Quant | None:
    """The grid that every input of a Concat is on, as the output of a FakeQuantize or a MaxPool of
    one (YOLO's SPPF block), or None."""
    grids = [_pooled_grid(b, i) for i in node.input_values()]
    if len(grids) < 2 or any(g is None for g in grids):
        return None
    keys = {(g.scale, g.zero_point, g.dtype) for g in grids}
    return grids[0] if len(keys) == 1 else None


def _pooled_grid(b: PlanBuilder, output: Output) -> Quant | None:
    """The grid of a FakeQuantize's output, or of MaxPools of it (taking a maximum keeps the grid)."""
    node = output.node
    while node.get_type_name() == "MaxPool" and output.index == 0 and not _indices_read(node):
        output = node.input_value(0)
        node = output.node
    return fake_quantize_params(b, node)


def _indices_read(pool: Node) -> bool:
    """Whether anything reads MaxPool's second output (the indices)."""
    return pool.get_output_size() > 1 and bool(pool.output(1).get_target_inputs())


def lower_reshape(b: PlanBuilder, node: Node) -> bool:
    """A reshape of a quantized value that only int8 layers read: a view of its plain integers."""
    data = node.input_value(0)
    q = b.value(data).quant
    out = node.output(0)
    if q is None or not all(_int8_readers(b, out)):
        return False
    source = b.require(data, b.plain_md(b.value(data), q.dtype))
    value = b.value(out)
    root = b.slots[source.slot].alias
    slot = b.new_slot(Slot(alias=source.slot if root is None else root))
    b.viewed.add(b.slots[slot].alias)
    value.reps.append(Rep(b.plain_md(value, q.dtype), slot))
    value.quant = Quant(q.scale, q.zero_point, q.dtype, None)
    b.backends[node.get_friendly_name()] = "view"
    return True


def lower_transpose(b: PlanBuilder, node: Node) -> bool:
    """A transpose of a quantized value that only int8 steps read: its integers read through
    permuted strides (attention's heads), no step."""
    data, out = node.input_value(0), node.output(0)
    q, perm = b.value(data).quant, b.value(node.input_value(1)).const
    if q is None or perm is None:
        return False
    if not all(_int8_readers(b, out)):
        return False
    source = b.require(data, b.plain_md(b.value(data), q.dtype))
    strides = source.md.strides()
    order = [int(axis) for axis in np.asarray(perm).reshape(-1)]
    b.strided_view(
        out, source, api.MemoryDesc.plain(b.value(out).shape, q.dtype, [strides[i] for i in order])
    )
    b.value(out).quant = Quant(q.scale, q.zero_point, q.dtype, None)
    b.backends[node.get_friendly_name()] = "view"
    return True
