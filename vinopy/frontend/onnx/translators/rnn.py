"""Recurrent layers: LSTM, GRU and RNN onto OpenVINO's *Sequence ops.

ONNX lays sequences out as [seq, batch, ...] (layout=0) or [batch, seq, ...] (layout=1) with
states [num_directions, batch, hidden]; OpenVINO as [batch, seq, ...] with states
[batch, num_directions, hidden]. ONNX orders LSTM gates i, o, f, c; OpenVINO f, i, c, o.
"""

from __future__ import annotations

from vinopy import opset16 as ops
from vinopy.frontend.onnx.context import NodeContext, i64, like, shape_of
from vinopy.frontend.onnx.registry import onnx_op
from vinopy.graph.model import Model
from vinopy.graph.node import Output
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type

_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
_DEFAULT_ACTIVATIONS = {"LSTM": ["sigmoid", "tanh", "tanh"], "GRU": ["sigmoid", "tanh"], "RNN": ["tanh"]}
_LSTM_ORDER = [2, 0, 3, 1]  # OpenVINO's f, i, c, o taken from ONNX's i, o, f, c


def _reorder_gates(value: Output, order: list[int]) -> Output:
    parts = ops.split(value, i64(1), 4).outputs()
    return ops.concat([parts[i] for i in order], 1).output(0)


class RecurrentInputs:
    """A recurrent node's inputs in OpenVINO's layout, with ONNX's defaults made explicit."""

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx
        self.hidden = ctx.attr("hidden_size")
        self.direction = ctx.attr("direction", "forward")
        self.num_dirs = 2 if self.direction == "bidirectional" else 1
        self.batch_major = bool(ctx.attr("layout", 0))
        x = ctx.input(0)
        self.x = x if self.batch_major else ops.transpose(x, i64([1, 0, 2])).output(0)
        dims = shape_of(self.x)
        self.batch = ops.gather(dims, i64([0]), i64(0)).output(0)
        self.seq_len = ops.gather(dims, i64([1]), i64(0)).output(0)

    def state(self, index: int) -> Output:
        """An initial state in [batch, num_directions, hidden], zeros when absent."""
        if self.ctx.has_input(index):
            value = self.ctx.input(index)
            return value if self.batch_major else ops.transpose(value, i64([1, 0, 2])).output(0)
        shape = ops.concat([self.batch, i64([self.num_dirs, self.hidden])], 0)
        return ops.broadcast(like(0, self.x), shape).output(0)

    def lengths(self) -> Output:
        if self.ctx.has_input(4):
            return ops.convert(self.ctx.input(4), "i32").output(0)
        return ops.convert(ops.broadcast(self.seq_len, self.batch), "i32").output(0)

    def bias(self, gates: int) -> Output:
        """ONNX's [num_directions, 2 * gates * hidden] (input and recurrent bias) as their sum."""
        if not self.ctx.has_input(3):
            return ops.broadcast(like(0, self.x), i64([self.num_dirs, gates * self.hidden])).output(0)
        w_bias, r_bias = ops.split(self.ctx.input(3), i64(1), 2).outputs()
        return ops.add(w_bias, r_bias).output(0)

    def activations(self) -> tuple[list[str], list[float] | None, list[float] | None]:
        names = [a.lower() for a in self.ctx.attr("activations", [])] or _DEFAULT_ACTIVATIONS[
            self.ctx.op_type
        ]
        per_direction = len(_DEFAULT_ACTIVATIONS[self.ctx.op_type])
        for i in range(per_direction, len(names), per_direction):
            if names[i : i + per_direction] != names[:per_direction]:
                raise self.ctx.fail("different activations per direction are not supported")
        alpha, beta = self.ctx.attr("activation_alpha"), self.ctx.attr("activation_beta")
        return names[:per_direction], alpha, beta

    def outputs(self, y: Output, *states: Output) -> list[Output]:
        """OpenVINO's Y [batch, dirs, seq, hidden] and states [batch, dirs, hidden] in ONNX's layout."""
        if self.batch_major:
            return [ops.transpose(y, i64([0, 2, 1, 3])).output(0), *states]
        y = ops.transpose(y, i64([2, 1, 0, 3])).output(0)
        return [y, *(ops.transpose(s, i64([1, 0, 2])).output(0) for s in states)]


def _clip(ctx: NodeContext) -> float:
    return float(ctx.attr("clip", 0.0))


@onnx_op("LSTM", changed=(14,))
def lstm(ctx: NodeContext) -> list[Output]:
    if ctx.attr("input_forget", 0):
        raise ctx.fail("input_forget=1 is not supported")
    r = RecurrentInputs(ctx)
    if ctx.has_input(7):
        peepholes = ctx.const_input(7)
        if peepholes is None or peepholes.any():
            return r.outputs(*_peephole_lstm(ctx, r))
    w, rw = (_reorder_gates(ctx.input(i), _LSTM_ORDER) for i in (1, 2))
    bias = ops.reshape(r.bias(4), i64([r.num_dirs, 4, -1]), False)
    bias = ops.reshape(ops.gather(bias, i64(_LSTM_ORDER), i64(1)), i64([r.num_dirs, -1]), False).output(0)
    names, alpha, beta = r.activations()
    node = ops.lstm_sequence(
        r.x,
        r.state(5),
        r.state(6),
        r.lengths(),
        w,
        rw,
        bias,
        r.hidden,
        r.direction,
        names,
        alpha,
        beta,
        _clip(ctx),
    )
    return r.outputs(node.output(0), node.output(1), node.output(2))


_STEP_ACTIVATIONS = {"sigmoid": ops.sigmoid, "tanh": ops.tanh, "relu": ops.relu}


def _peephole_lstm(ctx: NodeContext, r: RecurrentInputs) -> list[Output]:
    """An LSTM with peepholes (OpenVINO's LSTMSequence has none) as a TensorIterator per direction
    whose body is one step of ONNX's equations; Y [batch, dirs, seq, hidden] and the final states
    [batch, dirs, hidden], OpenVINO's layout."""
    names, alpha, beta = r.activations()
    if alpha or beta or any(n not in _STEP_ACTIVATIONS for n in names):
        raise ctx.fail(f"activations {names} with peephole weights are not supported")
    f, g, h = (_STEP_ACTIVATIONS[n] for n in names)
    clip = _clip(ctx)
    h0, c0, bias = r.state(5), r.state(6), r.bias(4)
    lengths = ops.convert(r.lengths(), "i64").output(0)
    steps = ops.range(i64(0), ops.squeeze(r.seq_len, i64([0])), i64(1), "i64").output(0)
    outputs: list[list[Output]] = [[], [], []]
    for d in range(r.num_dirs):
        reverse = r.direction == "reverse" or d == 1
        taken = [
            ops.gather(v, i64(d), i64(0)).output(0) for v in (ctx.input(1), ctx.input(2), bias, ctx.input(7))
        ]
        states = [ops.gather(v, i64(d), i64(1)).output(0) for v in (h0, c0)]
        sequence = [steps, lengths]
        for k, value in enumerate(_lstm_direction(r, taken, states, sequence, reverse, (f, g, h), clip)):
            outputs[k].append(ops.unsqueeze(value, i64([1])).output(0))
    return [ops.concat(parts, 1).output(0) if len(parts) > 1 else parts[0] for parts in outputs]


def _lstm_direction(
    r: RecurrentInputs,
    weights: list[Output],
    states: list[Output],
    sequence: list[Output],
    reverse: bool,
    acts: tuple,
    clip: float,
) -> list[Output]:
    """One direction: Y [batch, seq, hidden], final H and C [batch, hidden]. Steps at or past a batch
    item's length keep its states and give zeros (``sequence``: the step indices and the lengths)."""
    f, g, h = acts
    x_shape = r.x.get_partial_shape()
    step_shape = (
        PartialShape([x_shape[0], 1, x_shape[2]]) if x_shape.rank.is_static else PartialShape.dynamic(3)
    )
    x_t = ops.parameter(step_shape, r.x.get_element_type(), name="x_t")
    carried = [
        ops.parameter(s.get_partial_shape(), s.get_element_type(), name=n) for s, n in zip(states, ("h", "c"))
    ]
    step = ops.parameter([1], Type.i64, name="t")
    invariant = [
        ops.parameter(w.get_partial_shape(), w.get_element_type(), name=n)
        for w, n in zip([*weights, sequence[1]], ["W", "R", "B", "P", "lengths"])
    ]
    w, rw, b, p, lengths = (param.output(0) for param in invariant)
    h_prev, c_prev = (param.output(0) for param in carried)
    x = ops.squeeze(x_t, i64([1]))
    gates = ops.add(ops.add(ops.matmul(x, w, False, True), ops.matmul(h_prev, rw, False, True)), b)
    gi, go, gf, gc = ops.split(gates, i64(1), 4).outputs()  # ONNX's order: i, o, f, c
    p_i, p_o, p_f = ops.split(p, i64(0), 3).outputs()
    i = f(_clipped(ops.add(gi, ops.multiply(p_i, c_prev)).output(0), clip))
    forget = f(_clipped(ops.add(gf, ops.multiply(p_f, c_prev)).output(0), clip))
    c_new = ops.add(ops.multiply(forget, c_prev), ops.multiply(i, g(_clipped(gc, clip)))).output(0)
    o = f(_clipped(ops.add(go, ops.multiply(p_o, c_new)).output(0), clip))
    h_new = ops.multiply(o, h(c_new)).output(0)
    valid = ops.unsqueeze(ops.less(step, lengths), i64([1])).output(0)  # [batch, 1]
    h_new = ops.select(valid, h_new, h_prev).output(0)
    c_new = ops.select(valid, c_new, c_prev).output(0)
    y = ops.unsqueeze(ops.select(valid, h_new, like(0, h_new)), i64([1])).output(0)
    results = [ops.result(v) for v in (h_new, c_new, y)]
    body = Model(results, [x_t, step, *carried, *invariant], "lstm_step")
    node = ops.tensor_iterator()
    node.set_body(body)
    start, stride, end = (-1, -1, 0) if reverse else (0, 1, -1)
    node.set_sliced_input(x_t, r.x, start, stride, 1, end, 1)
    node.set_sliced_input(step, sequence[0], start, stride, 1, end, 0)
    for param, initial, result in zip(carried, states, results):
        node.set_merged_input(param, initial, result.output(0))
    for param, value in zip(invariant, [*weights, sequence[1]]):
        node.set_invariant_input(param, value)
    y_all = node.get_concatenated_slices(results[2].output(0), start, stride, 1, end, 1)
    return [
        y_all,
        node.get_iter_value(results[0].output(0), -1),
        node.get_iter_value(results[1].output(0), -1),
    ]


def _clipped(value: Output, clip: float) -> Output:
    return ops.clamp(value, -clip, clip).output(0) if clip > 0 else value


@onnx_op("GRU", changed=(14,))
def gru(ctx: NodeContext) -> list[Output]:
    r = RecurrentInputs(ctx)
    linear_before_reset = bool(ctx.attr("linear_before_reset", 0))
    if linear_before_reset and ctx.has_input(3):
        # OpenVINO keeps the recurrent bias of the h gate apart: [z, r, h input, h recurrent]
        w_bias, r_bias = ops.split(ctx.input(3), i64(1), 2).outputs()
        wz_r, w_h = ops.variadic_split(w_bias, i64(1), i64([2 * r.hidden, r.hidden])).outputs()
        rz_r, r_h = ops.variadic_split(r_bias, i64(1), i64([2 * r.hidden, r.hidden])).outputs()
        bias = ops.concat([ops.add(wz_r, rz_r), w_h, r_h], 1).output(0)
    elif linear_before_reset:
        bias = ops.broadcast(like(0, r.x), i64([r.num_dirs, 4 * r.hidden])).output(0)
    else:
        bias = r.bias(3)
    names, alpha, beta = r.activations()
    node = ops.gru_sequence(
        r.x,
        r.state(5),
        r.lengths(),
        ctx.input(1),
        ctx.input(2),
        bias,
        r.hidden,
        r.direction,
        names,
        alpha,
        beta,
        _clip(ctx),
        linear_before_reset,
    )
    return r.outputs(node.output(0), node.output(1))


@onnx_op("RNN", changed=(14,))
def rnn(ctx: NodeContext) -> list[Output]:
    r = RecurrentInputs(ctx)
    names, alpha, beta = r.activations()
    node = ops.rnn_sequence(
        r.x,
        r.state(5),
        r.lengths(),
        ctx.input(1),
        ctx.input(2),
        r.bias(1),
        r.hidden,
        r.direction,
        names,
        alpha,
        beta,
        _clip(ctx),
    )
    return r.outputs(node.output(0), node.output(1))
