"""The executed graph of a CPU plan (``CompiledModel.get_runtime_model()``): a node per step, in the
order the steps run, fed by the steps that wrote what it reads; the model's Parameters and Results
around them. Views (a reshape that copies nothing) are no node: their readers are fed by the step
that wrote the viewed buffer. Constants (weights) are no node either."""

from __future__ import annotations

import numpy as np

from vinopy.graph import exec_model_info as info
from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type
from vinopy.ops.constant import Parameter, Result
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.plan import DnnlStep, Plan, Step, dnnl_type_name

_NOT_READ = (dc.ARG_DST, dc.ARG_SCRATCHPAD)


def executed_graph(model: Model, plan: Plan) -> Model:
    """The plan of ``model`` as OpenVINO's executed graph."""
    parameters = [_parameter(p, order) for order, p in enumerate(model.get_parameters())]
    writers: dict[int, list[Output]] = {}  # a buffer (root slot) -> the outputs that wrote it
    for slot in (i for i, s in enumerate(plan.slots) if s.parameter is not None):
        writers[plan.root(slot)] = [parameters[plan.slots[slot].parameter].output(0)]
    fused = _fused_names(plan)
    for order, step in enumerate(plan.steps, start=len(parameters)):
        reads, writes = _slots(step)
        # a step writing over a value that a step wrote before adds to it (a residual summed in place)
        reads += [s for s in writes if plan.root(s) == s]
        sources = list(dict.fromkeys(o for s in reads for o in writers.get(plan.root(s), [])))
        outputs = [_output_form(step, s, plan) for s in writes]
        node = info.ExecutionNode(sources, outputs, step.name, _layer_info(step, outputs, order, fused))
        for index, slot in enumerate(writes):
            root = plan.root(slot)
            # a step writing a view of a buffer wrote part of it (a Concat's inputs): keep the others
            previous = writers.get(root, []) if root != slot else []
            writers[root] = [*previous, node.output(index)]
    first = len(parameters) + len(plan.steps)
    results = []
    for order, (result, slot) in enumerate(zip(model.get_results(), plan.outputs), start=first):
        written = writers.get(plan.root(slot)) or [_constant(result, order)]
        results.append(_result(result, written[-1], order))  # a Concat's: the last of its parts
    return Model(results, parameters, model.get_friendly_name())


def _slots(step: Step) -> tuple[list[int], list[int]]:
    """The slots a step reads and those it writes."""
    if isinstance(step, DnnlStep):
        reads = [slot for arg, slot, _ in step.args if arg not in _NOT_READ]
        return reads, [slot for arg, slot, _ in step.args if arg == dc.ARG_DST]
    return list(step.inputs), list(step.outputs)


def _output_form(step: Step, slot: int, plan: Plan) -> tuple[Type, PartialShape]:
    view = plan.slots[slot].view  # the value's own shape and type, where numpy sees it
    if view is not None:
        shape, dtype = view
        return Type(np.dtype(dtype)), PartialShape(list(shape))
    if isinstance(step, DnnlStep):
        md = next(md for arg, s, md in step.args if s == slot and arg == dc.ARG_DST)
        return Type(dnnl_type_name(md.data_type)), PartialShape(md.dims())
    return Type.dynamic, PartialShape.dynamic()  # a numpy result shaped at run time


def _layer_info(
    step: Step, outputs: list[tuple[Type, PartialShape]], order: int, fused: dict[str, list[str]]
) -> dict[str, str]:
    precisions = ",".join(t.get_type_name() for t, _ in outputs)
    return {
        info.LAYER_TYPE: step.type_name,
        info.ORIGINAL_NAMES: ",".join([step.name, *fused.get(step.name, [])]),
        info.IMPL_TYPE: step.exec_type,
        info.EXECUTION_ORDER: str(order),
        info.PERF_COUNTER: info.NOT_EXECUTED,
        info.OUTPUT_PRECISIONS: precisions,
        info.RUNTIME_PRECISION: _runtime_precision(step) or precisions,
        info.OUTPUT_LAYOUTS: ",".join(_layout(md) for arg, _, md in _args(step) if arg == dc.ARG_DST),
    }


def _args(step: Step) -> list[tuple[int, int, api.MemoryDesc]]:
    return step.args if isinstance(step, DnnlStep) else []


def _runtime_precision(step: Step) -> str | None:
    """The element type a oneDNN step computes in: its source's (u8 or i8 for an int8 layer)."""
    for arg, _, md in _args(step):
        if arg == dc.ARG_SRC:
            return dnnl_type_name(md.data_type)
    return None


def _layout(md: api.MemoryDesc) -> str:
    """A plain layout as OpenVINO writes it ("abcd", channels-last "acdb"); "blocked" otherwise."""
    if md.format_kind != dc.blocked or md.inner_blocks:
        return "blocked"
    strides = md.strides()
    order = sorted(range(len(strides)), key=lambda axis: -strides[axis])
    return "".join("abcdefghijkl"[axis] for axis in order)


def _fused_names(plan: Plan) -> dict[str, list[str]]:
    """The source ops each step took in, by the step's name."""
    fused: dict[str, list[str]] = {}
    for name, backend in plan.backends.items():
        if backend.startswith("fused into "):
            fused.setdefault(backend.removeprefix("fused into "), []).append(name)
    return fused


def _parameter(source: Node, order: int) -> Parameter:
    out = source.output(0)
    node = Parameter(element_type=out.get_element_type(), shape=out.get_partial_shape())
    node.set_friendly_name(source.get_friendly_name())
    node.output(0).set_names(out.get_names())
    node.get_rt_info().update(_io_info("Input", source, out.get_element_type(), order))
    return node


def _constant(result: Node, order: int) -> Output:
    """What feeds a Result of a constant, which no step writes."""
    value = result.input_value(0)
    form = [(value.get_element_type(), value.get_partial_shape())]
    layer = _io_info("Const", value.get_node(), value.get_element_type(), order)
    return info.ExecutionNode([], form, value.get_node().get_friendly_name(), layer).output(0)


def _result(source: Node, value: Output, order: int) -> Result:
    node = Result(value)
    node.set_friendly_name(source.get_friendly_name())
    node.output(0).set_names(source.output(0).get_names())
    node.get_rt_info().update(_io_info("Output", source, value.get_element_type(), order))
    return node


def _io_info(kind: str, source: Node, element_type: Type, order: int) -> dict[str, str]:
    precision = element_type.get_type_name()
    return {
        info.LAYER_TYPE: kind,
        info.ORIGINAL_NAMES: source.get_friendly_name(),
        info.IMPL_TYPE: f"unknown_{precision}",
        info.EXECUTION_ORDER: str(order),
        info.PERF_COUNTER: info.NOT_EXECUTED,
        info.OUTPUT_PRECISIONS: precision,
        info.RUNTIME_PRECISION: precision,
        info.OUTPUT_LAYOUTS: "undef",
    }
