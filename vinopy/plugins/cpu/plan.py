"""The execution plan of a model with static shapes: buffers (slots) and steps, built once per compile.

Every tensor of the graph is a ``Value``; a value may live in several representations (``Rep``: a
oneDNN memory descriptor over a slot) when consumers want different layouts or types. Reorders are
inserted only where a consumer needs a representation that does not exist yet, so oneDNN's blocked
layouts flow between oneDNN steps and plain layout appears only at numpy steps and model outputs.
Reshapes of plain buffers are alias slots and transposes strided views of them (no copies); slots
whose values are never alive together share buffers (``memory.share_buffers``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output
from vinopy.graph.types import Type
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.memory import Layout, share_buffers

_DNNL_TYPES = {
    np.dtype(np.float32): dc.f32,
    np.dtype(np.int32): dc.s32,
    np.dtype(np.int8): dc.s8,
    np.dtype(np.uint8): dc.u8,
    np.dtype(np.float16): dc.f16,
}  # no boolean: oneDNN 3.2's primitives (memory descriptors included) reject dnnl_boolean


def dnnl_type(dtype: np.dtype) -> int | None:
    if dtype.name == "bfloat16":
        return dc.bf16
    return _DNNL_TYPES.get(np.dtype(dtype))


def dnnl_type_name(data_type: int) -> str:
    """OpenVINO's name of a oneDNN data type: "f32", "bf16", "u8", ..."""
    names = {dc.bf16: "bf16", **{t: Type(dtype).get_type_name() for dtype, t in _DNNL_TYPES.items()}}
    return names.get(data_type, "undefined")


@dataclass
class Slot:
    """One buffer of a request: preallocated bytes, a model input, a constant, or a run-time-shaped value."""

    nbytes: int = 0
    view: tuple[tuple[int, ...], np.dtype] | None = None  # numpy view (shape, dtype) of a plain slot
    const: np.ndarray | None = None  # shared by every request, never written
    parameter: int | None = None  # bound to the model's input of this index at each run
    alias: int | None = None  # shares this earlier slot's buffer (a reshaped view), owning no bytes
    offset: int = 0  # bytes into the alias's buffer (a block of columns of a matmul's result)


@dataclass
class Rep:
    md: api.MemoryDesc | None  # None for values that oneDNN cannot describe (strings, dynamic shapes)
    slot: int
    numpy: bool = False  # the slot's numpy view is this value, in the value's own dtype
    strided: bool = False  # a permuted view of another value's plain buffer (a zero-copy Transpose)


@dataclass(frozen=True)
class Quant:
    """A FakeQuantize's output that is ``scale * (q - zero_point)`` for integers ``q`` of ``dtype``
    (u8 or s8): its int8 representations hold ``q``, quantized from ``source`` (the FakeQuantize's
    input) when first asked for; its f32 ones are dequantized from an int8 one."""

    scale: float
    zero_point: int
    dtype: int
    source: Output
    # factors along the source's last axis applied before quantizing (a SmoothQuant Multiply taken in)
    source_scales: np.ndarray | None = field(default=None, compare=False)
    # the source holds ``q`` as floats (its step applied the scale and zero point): quantizing converts
    prescaled: bool = field(default=False, compare=False)


@dataclass
class Value:
    """A tensor of the graph. A constant one has its array, or computes it when first asked for:
    folding every node of constants at once would keep an f32 copy of each dequantized weight
    (``Constant(i8) -> Convert -> Multiply``) that int8 steps, reading the integers, never use."""

    shape: tuple[int, ...] | None  # None: known only at run time
    dtype: np.dtype
    reps: list[Rep] = field(default_factory=list)
    quant: Quant | None = None
    array: np.ndarray | None = field(default=None, repr=False)  # the constant's, once known
    compute: Callable[[], np.ndarray] | None = field(default=None, repr=False)  # makes ``array``

    @property
    def static(self) -> bool:
        return self.shape is not None

    @property
    def is_const(self) -> bool:
        """Whether the value is known before run time (without computing it)."""
        return self.array is not None or self.compute is not None

    @property
    def const(self) -> np.ndarray | None:
        """The constant's array (computed now if not yet), or None for a run-time value."""
        if self.array is None and self.compute is not None:
            self.array = self.compute()
        return self.array

    def forget(self) -> None:
        """Drop a computed array (slots holding it keep it); it is computed again if asked for."""
        if self.compute is not None:
            self.array = None


@dataclass
class DnnlStep:
    primitive: api.Primitive
    args: list[tuple[int, int, api.MemoryDesc]]  # (execute argument, slot, descriptor)
    scratchpad: api.MemoryDesc | None
    name: str
    type_name: str
    exec_type: str


@dataclass
class NumpyStep:
    node: Node
    inputs: list[int]  # slots
    outputs: list[int]
    name: str
    type_name: str
    exec_type: str = "numpy"


Step = DnnlStep | NumpyStep


@dataclass
class Plan:
    slots: list[Slot]
    steps: list[Step]
    outputs: list[int]  # slots of the model's results, in order
    scratchpad_bytes: int
    backends: dict[str, str]  # friendly name -> "oneDNN", "numpy", "view" or "fused into <name>"
    layout: Layout = field(default_factory=lambda: Layout({}, []))

    def root(self, slot: int) -> int:
        alias = self.slots[slot].alias
        return slot if alias is None else alias

    def plan_memory(self) -> None:
        """Let slots whose values are never alive together share buffers."""
        owned = {
            i: s.nbytes
            for i, s in enumerate(self.slots)
            if s.alias is None and s.const is None and s.parameter is None and s.nbytes
        }
        touches = [{self.root(slot) for slot in step_slots(step)} for step in self.steps]
        self.layout = share_buffers(owned, touches, [self.root(s) for s in self.outputs])


def step_slots(step: Step) -> list[int]:
    if isinstance(step, NumpyStep):
        return [*step.inputs, *step.outputs]
    return [slot for _, slot, _ in step.args]


class PlanBuilder:
    """Walks a static model once, lowering what it can to oneDNN and the rest to numpy steps."""

    def __init__(self, model: Model, engine: api.Engine, compute_type: int) -> None:
        self.engine = engine
        self.stream = api.Stream.create(engine)  # for reorders of constants at compile time
        self.dt = compute_type
        self.slots: list[Slot] = []
        self.steps: list[Step] = []
        self.values: dict[Output, Value] = {}
        self.backends: dict[str, str] = {}
        self.fused: set[int] = set()
        self.viewed: set[int] = set()  # slots that other values read as views (reshaped, transposed)
        self.done: set[int] = set()  # nodes whose steps are emitted (or that are being lowered)
        self.folded: set[int] = set()  # nodes computed at compile time
        self.computed: list[Output] = []  # folded values whose arrays are computed and kept for now
        self.scratchpad_bytes = 0
        self.model = model

    # --- values ---------------------------------------------------------------
    def value(self, output: Output) -> Value:
        return self.values[output]

    def new_slot(self, slot: Slot) -> int:
        self.slots.append(slot)
        return len(self.slots) - 1

    def _define(
        self,
        output: Output,
        array: np.ndarray | None = None,
        compute: Callable[[], np.ndarray] | None = None,
    ) -> Value:
        ps = output.get_partial_shape()
        shape = tuple(d.get_length() for d in ps) if ps.is_static else None
        et = output.get_element_type()
        dtype = np.dtype(et.to_dtype()) if et.is_static() else np.dtype(object)
        value = Value(shape, dtype, array=array, compute=compute)
        self.values[output] = value
        return value

    def plain_md(self, value: Value, dtype: int | None = None) -> api.MemoryDesc | None:
        dt = dnnl_type(value.dtype) if dtype is None else dtype
        if not value.static or dt is None:
            return None
        return api.MemoryDesc.plain(value.shape, dt)

    def _numpy_slot(self, value: Value, slot: Slot) -> Rep:
        """A slot holding the value as numpy sees it."""
        if value.static and slot.const is None and slot.parameter is None:
            slot.view = (value.shape, value.dtype)
            slot.nbytes = max(int(np.prod(value.shape, dtype=np.int64)) * value.dtype.itemsize, 1)
        rep = Rep(self.plain_md(value), self.new_slot(slot), numpy=True)
        value.reps.append(rep)
        return rep

    def numpy_rep(self, output: Output) -> Rep:
        """The value in plain layout and its own dtype; a reorder converts from oneDNN's layout."""
        value = self.value(output)
        for rep in value.reps:
            if rep.numpy:
                return rep
        if value.const is not None:
            return self._numpy_slot(value, Slot(const=value.const))
        rep = self.require(output, self.plain_md(value))
        if rep.md is None or rep.md.data_type != dnnl_type(value.dtype):
            return rep
        slot = self.slots[rep.slot]
        if rep.strided or (slot.view is not None and slot.view != (value.shape, value.dtype)):
            # another value's bytes (a transpose that only moves unit dims is plain): numpy reads
            # them through an alias slot of this value's shape, leaving that value's view as it is
            root = rep.slot if slot.alias is None else slot.alias
            alias = Slot(view=(value.shape, value.dtype), alias=root, offset=slot.offset)
            self.viewed.add(root)
            numpy = Rep(rep.md, self.new_slot(alias), numpy=True)
            value.reps.append(numpy)
            return numpy
        slot.view = (value.shape, value.dtype)
        rep.numpy = True
        return rep

    def require(self, output: Output, md: api.MemoryDesc) -> Rep:
        """The value in layout and type ``md``, reordered from an existing representation if needed."""
        value = self.value(output)
        for rep in value.reps:
            if rep.md is not None and rep.md == md:
                return rep
        if value.const is not None:
            return self._const_rep(value, md, api.MemoryDesc.plain(value.shape, dnnl_type(value.dtype)))
        if value.quant is not None:
            return self._quantized_rep(output, value.quant, md)
        source = next((r for r in value.reps if r.md is not None), None)
        if source is None:
            raise RuntimeError(f"value of {output.node.get_friendly_name()} has no oneDNN representation")
        slot = self.new_slot(Slot(nbytes=md.size()))
        self.add_reorder(source, md, slot, output.node.get_friendly_name())
        rep = Rep(md, slot)
        value.reps.append(rep)
        return rep

    def add_reorder(
        self, source: Rep, md: api.MemoryDesc, slot: int, name: str, source_md: api.MemoryDesc | None = None
    ) -> None:
        pd = api.PrimitiveDesc.reorder(source_md or source.md, md, self.engine)
        args = [(dc.ARG_FROM, source.slot, source_md or source.md), (dc.ARG_TO, slot, md)]
        self.add_step(pd, args, f"{name}/reorder", "Reorder")

    def _quantized_rep(self, output: Output, q: Quant, md: api.MemoryDesc) -> Rep:
        """The FakeQuantize's output in ``md``: quantized from its input by a reorder with the
        destination's scale and zero point when ``md`` is q's integer type, else dequantized (by
        a reorder with the source's scale and zero point) from an integer representation."""
        value = self.value(output)
        quantize = md.data_type == q.dtype
        existing = next((r for r in value.reps if r.md is not None and r.md.data_type == q.dtype), None)
        if quantize and existing is not None:  # integers in another layout: a plain reorder
            slot = self.new_slot(Slot(nbytes=md.size()))
            self.add_reorder(existing, md, slot, output.node.get_friendly_name())
            return self._add_rep(value, Rep(md, slot))
        if quantize and q.prescaled:  # a conversion, which rounds and saturates as the FakeQuantize
            slot = self.new_slot(Slot(nbytes=md.size()))
            source = next(r for r in self.value(q.source).reps if r.md is not None)
            self.add_reorder(source, md, slot, output.node.get_friendly_name())
            return self._quantized_slot(value, md, slot)
        if quantize and q.source_scales is not None:
            scaled = self._scaled_quantize(output, q)
            return scaled if scaled.md == md else self._quantized_rep(output, q, md)
        if quantize:
            source = next(r for r in self.value(q.source).reps if r.md is not None)
            if source.md.data_type != dc.f32:
                source = self.require(q.source, self.plain_md(self.value(q.source)))
        else:
            source = existing
            if source is None:
                rank = len(value.shape)
                int_md = (
                    api.MemoryDesc.with_tag(value.shape, q.dtype, dc.nhwc)
                    if rank == 4
                    else self.plain_md(value, q.dtype)
                )
                source = self._quantized_rep(output, q, int_md)
        if q.zero_point and (moved := self._moved_apart(output, q, source, md)) is not None:
            if moved.md.data_type == md.data_type:  # scaled in the source's layout: only a move is left
                slot = self.new_slot(Slot(nbytes=md.size()))
                self.add_reorder(moved, md, slot, output.node.get_friendly_name())
                return self._quantized_slot(value, md, slot)
            source = moved
        arg = dc.ARG_DST if quantize else dc.ARG_SRC
        attr = api.Attr.create()
        attr.set_scales_mask(arg, 0)
        args = [
            (dc.ARG_FROM, source.slot, source.md),
            (dc.ARG_ATTR_SCALES | arg, *self.scalar_const(np.float32(q.scale))),
        ]
        if q.zero_point:
            attr.set_zero_points_mask(arg, 0)
            args.append((dc.ARG_ATTR_ZERO_POINTS | arg, *self.scalar_const(np.int32(q.zero_point))))
        slot = self.new_slot(Slot(nbytes=md.size()))
        args.append((dc.ARG_TO, slot, md))
        pd = api.PrimitiveDesc.reorder(source.md, md, self.engine, attr)
        name = output.node.get_friendly_name()
        self.add_step(pd, args, f"{name}/{'quantize' if quantize else 'dequantize'}", "Reorder")
        return self._quantized_slot(value, md, slot)

    def _scaled_quantize(self, output: Output, q: Quant) -> Rep:
        """The plain integers of ``q.source`` times its factors along the last axis: a binary product
        by the factors over q's scale, plus the zero point as a post-op, written in q's integer type
        (oneDNN's conversion rounds to nearest and saturates, as the FakeQuantize clips)."""
        value = self.value(output)
        source = self.require(q.source, self.plain_md(self.value(q.source)))
        factors = np.ascontiguousarray(q.source_scales / np.float32(q.scale), np.float32)
        factors_md = api.MemoryDesc.plain([1] * (len(value.shape) - 1) + [factors.size], dc.f32)
        md = self.plain_md(value, q.dtype)
        post_ops = api.PostOps.create()
        post_ops.eltwise(dc.eltwise_linear, 1.0, float(q.zero_point))
        pd = api.PrimitiveDesc.create(
            "dnnl_binary_primitive_desc_create",
            self.engine,
            dc.binary_mul,
            source.md,
            factors_md,
            md,
            api.Attr.create(post_ops),
        )
        slot = self.new_slot(Slot(nbytes=md.size()))
        factors_slot = self.new_slot(Slot(const=factors))
        args = [(dc.ARG_SRC_0, source.slot, source.md), (dc.ARG_SRC_1, factors_slot, factors_md)]
        self.add_step(
            pd, [*args, (dc.ARG_DST, slot, md)], f"{output.node.get_friendly_name()}/quantize", "Multiply"
        )
        return self._quantized_slot(value, md, slot)

    def _moved_apart(self, output: Output, q: Quant, source: Rep, md: api.MemoryDesc) -> Rep | None:
        """oneDNN 3.2's jit reorder drops the zero point when it also changes the layout (seen at
        1x2048x7x7, nhwc <-> nchw), so the layout changes in a plain reorder of its own: on the
        integers when the floats' layout is plain or channels-last, else on the floats. Returns the
        source moved to md's layout (to scale from), or the value scaled in the source's layout (of
        md's type, to reorder), or None when the layouts agree."""
        value = self.value(output)
        quantize = md.data_type == q.dtype
        floats, ints = (source.md, md) if quantize else (md, source.md)
        ints_there = self._retyped(value, floats, q.dtype)  # the integers in the floats' layout
        if ints_there is not None:
            # quantized where the floats are, or (dequantizing) the integers reordered there
            return None if ints_there == ints else self._quantized_rep(output, q, ints_there)
        floats_in_int_layout = self._retyped(value, ints, dc.f32)
        if floats_in_int_layout is None or floats_in_int_layout == floats:
            return None
        if quantize:
            return self.require(q.source, floats_in_int_layout)
        return self._quantized_rep(output, q, floats_in_int_layout)  # dequantized where the integers are

    def _retyped(self, value: Value, md: api.MemoryDesc, dtype: int) -> api.MemoryDesc | None:
        """``md``'s layout, when plain or channels-last, with elements of ``dtype``."""
        layouts = [lambda dt: self.plain_md(value, dt)]
        if len(value.shape) == 4:
            layouts.append(lambda dt: api.MemoryDesc.with_tag(value.shape, dt, dc.nhwc))
        return next((layout(dtype) for layout in layouts if layout(md.data_type) == md), None)

    def _quantized_slot(self, value: Value, md: api.MemoryDesc, slot: int) -> Rep:
        """The representation of a quantized value that a step writes in ``slot``."""
        rep = Rep(md, slot)
        if md == self.plain_md(value, md.data_type) and md.data_type == dnnl_type(value.dtype):
            self.slots[slot].view = (value.shape, value.dtype)
            rep.numpy = True
        value.reps.append(rep)
        return rep

    def scalar_const(self, scalar: np.generic) -> tuple[int, api.MemoryDesc]:
        """A one-element constant (a scale or zero point given at execution): its slot and descriptor."""
        array = np.array([scalar])
        md = api.MemoryDesc.plain([1], dnnl_type(array.dtype))
        return self.new_slot(Slot(const=array)), md

    def _const_rep(self, value: Value, md: api.MemoryDesc, source_md: api.MemoryDesc) -> Rep:
        """A constant reordered once, now, into ``md`` (weights in the layout a primitive chose); one
        already in that layout is used where it is, not copied."""
        data = np.ascontiguousarray(value.const)
        if md == source_md:
            return self._add_rep(value, Rep(md, self.new_slot(Slot(const=data))))
        out = aligned_empty(md.size())
        pd = api.PrimitiveDesc.reorder(source_md, md, self.engine)
        scratch = aligned_empty(pd.md(dc.query_scratchpad_md).size())
        args = {
            dc.ARG_FROM: api.Memory.create(source_md, self.engine, data),
            dc.ARG_TO: api.Memory.create(md, self.engine, out),
            dc.ARG_SCRATCHPAD: api.Memory.create(pd.md(dc.query_scratchpad_md), self.engine, scratch),
        }
        api.Primitive.create(pd).execute(self.stream, args)
        self.stream.wait()
        return self._add_rep(value, Rep(md, self.new_slot(Slot(const=out))))

    @staticmethod
    def _add_rep(value: Value, rep: Rep) -> Rep:
        value.reps.append(rep)
        return rep

    def const_input(self, array: np.ndarray, md: api.MemoryDesc, source_md: api.MemoryDesc) -> int:
        """The slot of a constant (not a graph value: folded weights, biases) in layout ``md``."""
        holder = Value(tuple(array.shape), array.dtype, array=array)
        return self._const_rep(holder, md, source_md).slot

    # --- steps ----------------------------------------------------------------
    def add_step(
        self, pd: api.PrimitiveDesc, args: list[tuple[int, int, api.MemoryDesc]], name: str, type_name: str
    ) -> None:
        scratch = pd.md(dc.query_scratchpad_md)
        size = scratch.size()
        self.scratchpad_bytes = max(self.scratchpad_bytes, size)
        primitive = api.Primitive.create(pd)
        exec_type = pd.impl_info().replace(":", "_")
        self.steps.append(DnnlStep(primitive, args, scratch if size else None, name, type_name, exec_type))

    def writable_plain(self, output: Output) -> Rep | None:
        """The value's plain f32 representation in a buffer the plan owns (not a model input)."""
        value = self.value(output)
        plain = self.plain_md(value)
        for rep in value.reps:
            slot = self.slots[rep.slot]
            if rep.md is not None and rep.md == plain and slot.parameter is None and slot.const is None:
                return rep
        return None

    def alias(self, output: Output, source: Rep) -> None:
        """``output`` is ``source``'s bytes under another shape: a slot sharing the buffer, no step."""
        value = self.value(output)
        root = self.slots[source.slot].alias
        slot = Slot(view=(value.shape, value.dtype), alias=source.slot if root is None else root)
        self.viewed.add(slot.alias)
        value.reps.append(Rep(self.plain_md(value), self.new_slot(slot), numpy=True))

    def strided_view(self, output: Output, source: Rep, md: api.MemoryDesc) -> None:
        """``output`` is ``source``'s bytes read through ``md`` (permuted strides): no step."""
        self.viewed.add(source.slot)
        self.value(output).reps.append(Rep(md, source.slot, strided=True))

    def concatenate_in_place(self, output: Output, md: api.MemoryDesc, parts: list[Rep]) -> bool:
        """``output`` (in layout ``md``) is the bytes of ``parts`` laid end to end: the first part's
        slot grows to hold them all and the others become views into it, so their producers write
        ``output`` and no step copies. Declines unless each part owns its slot alone and the first
        part's slot comes first (a view's slot must follow its root's)."""
        slots = [part.slot for part in parts]
        if (
            sum(part.md.size() for part in parts) != md.size()
            or slots[0] != min(slots)
            or not all(self._owns_alone(part) for part in parts)
        ):
            return False
        owner, offset = slots[0], parts[0].md.size()
        self.slots[owner].nbytes = md.size()
        for part in parts[1:]:
            self.slots[part.slot] = Slot(alias=owner, offset=offset)
            offset += part.md.size()
        self.viewed.add(owner)  # nothing may accumulate in place into these bytes any more
        self.value(output).reps.append(Rep(md, owner))
        return True

    def _owns_alone(self, rep: Rep) -> bool:
        """Whether ``rep`` is all that lives in its slot: bytes a step writes, not an input, a
        constant or a view, and no other value's representation."""
        slot = self.slots[rep.slot]
        if (
            rep.strided
            or slot.alias is not None
            or slot.const is not None
            or slot.parameter is not None
            or rep.slot in self.viewed
            or slot.nbytes != rep.md.size()
        ):
            return False
        return sum(r.slot == rep.slot for v in self.values.values() for r in v.reps) == 1

    def is_aliased(self, slot: int) -> bool:
        """Whether another value lives in this slot's bytes (then it must not be written in place)."""
        return self.slots[slot].alias is not None or slot in self.viewed

    def output_rep(self, output: Output, md: api.MemoryDesc, slot: int | None, nbytes: int) -> int:
        """Give a primitive's destination a slot (new unless given) and make it a rep of ``output``."""
        value = self.value(output)
        if slot is None:
            slot = self.new_slot(Slot(nbytes=nbytes))
        rep = Rep(md, slot)
        if value.static and md == self.plain_md(value):
            self.slots[slot].view = (value.shape, value.dtype)
            rep.numpy = True
        value.reps.append(rep)
        return slot

    def fuse(self, node: Node, into: Node) -> None:
        self.fused.add(id(node))
        self.backends[node.get_friendly_name()] = f"fused into {into.get_friendly_name()}"

    def sole_consumer(self, output: Output) -> Node | None:
        """The one node reading ``output``, when nothing else (a Result included) does; a folded
        ShapeOf of it reads nothing at run time."""
        targets = [t for t in output.get_target_inputs() if id(t.get_node()) not in self.folded]
        if len(targets) != 1:
            return None
        node = next(iter(targets)).get_node()
        return None if node.get_type_name() == "Result" else node

    # --- the walk -------------------------------------------------------------
    def build(self, lower: Any) -> Plan:
        """``lower(builder, node) -> bool`` emits oneDNN steps for a node, or declines."""
        ops = [n for n in self.model.get_ordered_ops() if n.get_type_name() != "Result"]
        for node in ops:  # every value's shape and type first, so lowerings can look ahead to fuse
            self._define_outputs(node)
        for index, param in enumerate(self.model.get_parameters()):
            self._numpy_slot(self.value(param.output(0)), Slot(parameter=index))
            self.backends[param.get_friendly_name()] = "input"
            self.done.add(id(param))
        for node in ops:  # by identity: friendly names need not be unique
            if not self._handled(node):
                self._visit(node, lower)
                self._forget_unread()
        outputs = [self.numpy_rep(r.input_value(0)).slot for r in self.model.get_results()]
        plan = Plan(self.slots, self.steps, outputs, self.scratchpad_bytes, self.backends)
        plan.plan_memory()
        return plan

    def _define_outputs(self, node: Node) -> None:
        """Each output's value: a Constant's array, a foldable op of constants computed when asked
        for (see ``Value``), else a run-time value."""
        # a ShapeOf of a static shape too (OpenVINO's ONNX reader computes Conv biases' shapes so)
        shape_of = node.get_type_name() == "ShapeOf"
        if (node.get_input_size() == 0 or shape_of) and (arrays := node.fold()) is not None:
            for output, array in zip(node.outputs(), arrays):
                self._define(output, array=np.asarray(array))
        elif (
            node.get_input_size()
            and node.foldable
            and all(self.value(o).is_const for o in node.input_values())
        ):
            for output in node.outputs():
                self._define(output, compute=partial(self._fold, output))
        else:
            for output in node.outputs():
                self._define(output)
            return
        self.folded.add(id(node))
        self.backends[node.get_friendly_name()] = "constant"

    def _fold(self, output: Output) -> np.ndarray:
        """The value of a folded node's output, from its inputs' (computed in turn when needed)."""
        node = output.node
        arrays = node.evaluate(*(self.value(o).const for o in node.input_values()))
        self.computed.append(output)
        return np.asarray(arrays[output.index] if isinstance(arrays, (list, tuple)) else arrays)

    def _handled(self, node: Node) -> bool:
        """Whether the walk is past ``node``: its steps emitted, fused into another's, or folded."""
        return id(node) in self.done or id(node) in self.fused or id(node) in self.folded

    def _forget_unread(self) -> None:
        """Drop the computed arrays that no node left to lower reads: what steps use is in their
        slots already (packed weights, say), so the arrays would only outlive the compile."""
        pending = []
        for output in self.computed:
            if all(self._handled(t.get_node()) for t in output.get_target_inputs()):
                self.value(output).forget()
            else:
                pending.append(output)
        self.computed = pending

    def _visit(self, node: Node, lower: Any) -> None:
        name = node.get_friendly_name()
        self.done.add(id(node))
        if lower(self, node):
            self.backends.setdefault(name, "oneDNN")
            return
        inputs = [self.numpy_rep(o).slot for o in node.input_values()]
        outputs = [self._numpy_slot(self.value(o), Slot()).slot for o in node.outputs()]
        self.steps.append(NumpyStep(node, inputs, outputs, name, node.get_type_name()))
        self.backends[name] = "numpy"


def aligned_empty(nbytes: int, alignment: int = 64) -> np.ndarray:
    """Uninitialized bytes whose address is a multiple of ``alignment`` (what oneDNN kernels like)."""
    raw = np.empty(max(nbytes, 1) + alignment, dtype=np.uint8)
    offset = (-raw.ctypes.data) % alignment
    return raw[offset : offset + max(nbytes, 1)]
