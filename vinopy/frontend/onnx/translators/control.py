"""Control flow: If, Loop and Scan, with their ONNX bodies converted into Models."""

from __future__ import annotations

import onnx

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import NodeContext, const, element_type, i64, partial_shape
from vinopy.frontend.onnx.converter import convert_subgraph, inline_subgraph
from vinopy.frontend.onnx.registry import onnx_op
from vinopy.graph.node import Node, Output
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type


def _body_parameter(info: onnx.ValueInfoProto, et: Type, shape: PartialShape) -> Node:
    """A body Parameter for a declared body input; its declared type and shape win when present."""
    declared = info.type.tensor_type
    if declared.elem_type:
        et = element_type(declared.elem_type)
    if declared.HasField("shape"):
        shape = partial_shape(info.type)
    param = ops.parameter(shape, et, name=info.name)
    param.output(0).set_names({info.name})
    return param


def _loose(value: Output) -> PartialShape:
    """The value's rank with every dimension dynamic: loop-carried values may change size."""
    shape = value.get_partial_shape()
    return shape if shape.rank.is_dynamic else PartialShape.dynamic(len(shape))


@onnx_op("If")
def if_(ctx: NodeContext) -> list[Output]:
    flag = ctx.const_input(0)
    if flag is not None:  # known at conversion time: only the taken branch exists
        return inline_subgraph(ctx.attr("then_branch" if flag.reshape(-1)[0] else "else_branch"), ctx.scope)
    node = ops.if_op(ctx.input(0))
    bodies = []
    for attr_name in ("then_branch", "else_branch"):
        bodies.append(convert_subgraph(ctx.attr(attr_name), ctx.scope, {}, []))
    (then_body, then_caps), (else_body, else_caps) = bodies
    node.set_then_body(then_body)
    node.set_else_body(else_body)
    inputs: dict[Output, list[Node | None]] = {}
    for branch, captures in enumerate((then_caps, else_caps)):
        for outer, param in captures:
            inputs.setdefault(outer, [None, None])[branch] = param
    for outer, (then_param, else_param) in inputs.items():
        node.set_input(outer, then_param, else_param)
    return [node.set_output(t, e) for t, e in zip(then_body.get_results(), else_body.get_results())]


@onnx_op("Loop")
def loop(ctx: NodeContext) -> list[Output]:
    graph: onnx.GraphProto = ctx.attr("body")
    trip = ctx.input(0) if ctx.has_input(0) else i64(-1)
    cond = ctx.input(1) if ctx.has_input(1) else const(True)
    initials = [ctx.input(i) for i in range(2, len(ctx.inputs))]
    iteration = _body_parameter(graph.input[0], Type.i64, PartialShape([]))
    cond_in = _body_parameter(graph.input[1], Type.boolean, PartialShape([]))
    carried = [
        _body_parameter(info, v.get_element_type(), _loose(v)) for info, v in zip(graph.input[2:], initials)
    ]
    params = [iteration, cond_in, *carried]
    bound = {info.name: p.output(0) for info, p in zip(graph.input, params)}
    body, captures = convert_subgraph(graph, ctx.scope, bound, params)
    results = body.get_results()
    n_carried = len(initials)
    # ONNX stacks each iteration's scan outputs along a new first axis
    for result in results[1 + n_carried :]:
        value = result.input_value(0)
        result.set_argument(0, ops.unsqueeze(value, i64([0])).output(0))
    body.validate_nodes_and_infer_types()
    node = ops.loop(trip, cond)
    node.set_function(body)
    node.set_special_body_ports([0, 0])
    node.set_merged_input(cond_in, cond, results[0].output(0))
    for param, initial, result in zip(carried, initials, results[1:]):
        node.set_merged_input(param, initial, result.output(0))
    for outer, param in captures:
        node.set_invariant_input(param, outer)
    outputs = [node.get_iter_value(r.output(0), -1) for r in results[1 : 1 + n_carried]]
    outputs += [node.get_concatenated_slices(r.output(0), 0, 1, 1, -1, 0) for r in results[1 + n_carried :]]
    return outputs


@onnx_op("Scan", changed=(9,))
def scan(ctx: NodeContext) -> list[Output]:
    graph: onnx.GraphProto = ctx.attr("body")
    n_scan = ctx.attr("num_scan_inputs")
    if ctx.opset < 9:
        return _scan_batched(ctx, graph, n_scan)
    states, scanned = ctx.inputs[: len(ctx.inputs) - n_scan], ctx.inputs[len(ctx.inputs) - n_scan :]
    in_axes = list(ctx.attr("scan_input_axes", [0] * n_scan))
    in_dirs = list(ctx.attr("scan_input_directions", [0] * n_scan))
    n_out = len(graph.output) - len(states)
    out_axes = list(ctx.attr("scan_output_axes", [0] * n_out))
    out_dirs = list(ctx.attr("scan_output_directions", [0] * n_out))
    return _scan(ctx, graph, states, scanned, (in_axes, in_dirs, out_axes, out_dirs))  # type: ignore[arg-type]


def _scan_batched(ctx: NodeContext, graph: onnx.GraphProto, n_scan: int) -> list[Output]:
    """Scan-8: every input has a leading batch axis and the body runs over each batch item's
    sequence (axis 1); unrolled over a static batch, each item a Scan-9."""
    if ctx.has_input(0):
        raise ctx.fail("Scan-8 with sequence_lens is not supported")
    values = ctx.inputs[1:]
    batch = (
        values[0].get_partial_shape()[0] if values and values[0].get_partial_shape().rank.is_static else None
    )
    if batch is None or batch.is_dynamic:
        raise ctx.fail("Scan-8 needs a static batch size")
    n_states = len(values) - n_scan
    dirs = list(ctx.attr("directions", [0] * n_scan))
    n_out = len(graph.output) - n_states
    layout = ([0] * n_scan, dirs, [0] * n_out, [0] * n_out)
    per_item = []
    for b in range(batch.get_length()):
        items = [ops.gather(v, i64(b), i64(0)).output(0) for v in values]
        per_item.append(_scan(ctx, graph, items[:n_states], items[n_states:], layout))
    return [
        ops.concat([ops.unsqueeze(outs[k], i64([0])) for outs in per_item], 0).output(0)
        for k in range(len(graph.output))
    ]


def _scan(
    ctx: NodeContext,
    graph: onnx.GraphProto,
    states: list[Output],
    scanned: list[Output],
    layout: tuple[list[int], list[int], list[int], list[int]],
) -> list[Output]:
    """A TensorIterator running the body over slices of ``scanned``; layout holds the scan axes and
    directions of the inputs and of the outputs."""
    in_axes, in_dirs, out_axes, out_dirs = layout
    state_params = [
        _body_parameter(info, v.get_element_type(), v.get_partial_shape())
        for info, v in zip(graph.input, states)
    ]
    bound = {p.get_friendly_name(): p.output(0) for p in state_params}
    slice_params = []
    for info, value, axis in zip(graph.input[len(states) :], scanned, in_axes):
        shape = value.get_partial_shape()
        dims = list(shape) if shape.rank.is_static else None
        if dims is not None:
            axis %= len(dims)
            dims[axis] = 1
        param = ops.parameter(
            PartialShape(dims) if dims else PartialShape.dynamic(),
            value.get_element_type(),
            name=f"{info.name}/slice",
        )
        slice_params.append(param)
        bound[info.name] = ops.squeeze(param, i64([axis])).output(0)
    body, captures = convert_subgraph(graph, ctx.scope, bound, state_params + slice_params)
    results = body.get_results()
    n_states = len(states)
    for result, axis in zip(results[n_states:], out_axes):
        value = result.input_value(0)
        result.set_argument(0, ops.unsqueeze(value, i64([axis])).output(0))
    body.validate_nodes_and_infer_types()
    node = ops.tensor_iterator()
    node.set_body(body)
    for param, initial, result in zip(state_params, states, results):
        node.set_merged_input(param, initial, result.output(0))
    for param, value, axis, direction in zip(slice_params, scanned, in_axes, in_dirs):
        start, stride, end = (-1, -1, 0) if direction else (0, 1, -1)
        node.set_sliced_input(param, value, start, stride, 1, end, axis)
    for outer, param in captures:
        node.set_invariant_input(param, outer)
    outputs = [node.get_iter_value(r.output(0), -1) for r in results[:n_states]]
    for result, axis, direction in zip(results[n_states:], out_axes, out_dirs):
        start, stride, end = (-1, -1, 0) if direction else (0, 1, -1)
        outputs.append(node.get_concatenated_slices(result.output(0), start, stride, 1, end, axis))
    return outputs


# --- optional values: a present value is its tensor; an absent one exists only at conversion time ---


@onnx_op("Optional")
def optional(ctx: NodeContext) -> Output:
    if not ctx.has_input(0):
        raise ctx.fail("empty optional values are not supported: OpenVINO graphs have no absent values")
    return ctx.input(0)


@onnx_op("OptionalHasElement")
def optional_has_element(ctx: NodeContext) -> Output:
    return const(ctx.has_input(0))


@onnx_op("OptionalGetElement")
def optional_get_element(ctx: NodeContext) -> Output:
    return ctx.input(0)
