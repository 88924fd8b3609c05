import numpy as np
import openvino.opset15 as real_ops
import pytest

import vinopy as ov
from tests.utils import assert_close, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError

ops = ov.opset15
BATCH, INPUT, HIDDEN, TIME = 3, 5, 4, 6
GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def weights(kind, dirs=None, linear_before_reset=False):
    g = GATES[kind]
    lead = () if dirs is None else (dirs,)
    bias = (4 if linear_before_reset else g) * HIDDEN
    return [
        rand(lead + (g * HIDDEN, INPUT), low=-0.6, high=0.6),
        rand(lead + (g * HIDDEN, HIDDEN), low=-0.6, high=0.6),
        rand(lead + (bias,), low=-0.3, high=0.3),
    ]


def cell_inputs(kind, **kw):
    states = [rand((BATCH, HIDDEN))] * (2 if kind == "lstm" else 1)
    return [rand((BATCH, INPUT)), *states, *weights(kind, **kw)]


def sequence_inputs(kind, direction, lengths, **kw):
    dirs = 2 if direction == "bidirectional" else 1
    states = [rand((BATCH, dirs, HIDDEN)) for _ in range(2 if kind == "lstm" else 1)]
    return [rand((BATCH, TIME, INPUT)), *states, np.array(lengths, np.int32), *weights(kind, dirs, **kw)]


def compare(ours, real, inputs, dynamic=False):
    got = run_op(ours, inputs, dynamic=dynamic)
    expected = openvino_reference(real, inputs, compile_cpu=True)
    assert len(got) == len(expected)
    for a, e in zip(got, expected):
        assert_close(a, e, rtol=1e-4, atol=1e-5)


CELL_CASES = [
    ("rnn", {"activations": ["tanh"]}),
    ("rnn", {"activations": ["relu"], "clip": 0.8}),
    ("gru", {}),
    ("gru", {"linear_before_reset": True}),
    ("gru", {"activations": ["relu", "tanh"]}),
    ("lstm", {}),
    ("lstm", {"clip": 0.5}),
    ("lstm", {"activations": ["sigmoid", "relu", "tanh"]}),
]


@pytest.mark.parametrize("kind,attrs", CELL_CASES)
@pytest.mark.parametrize("dynamic", [False, True])
def test_cells_match_openvino(kind, attrs, dynamic):
    inputs = cell_inputs(kind, linear_before_reset=attrs.get("linear_before_reset", False))
    factory = f"{kind}_cell"
    if kind == "rnn":  # OpenVINO's rnn_cell takes the activation lists positionally
        attrs = {"activations_alpha": [], "activations_beta": [], **attrs}
    compare(
        lambda *p: getattr(ops, factory)(*p, HIDDEN, **attrs),
        lambda *p: getattr(real_ops, factory)(*p, HIDDEN, **attrs),
        inputs,
        dynamic,
    )


SEQUENCE_CASES = [
    ("rnn", "forward", {}),
    ("rnn", "reverse", {}),
    ("rnn", "bidirectional", {"clip": 0.7}),
    ("gru", "forward", {}),
    ("gru", "reverse", {"linear_before_reset": True}),
    ("gru", "bidirectional", {}),
    ("lstm", "forward", {}),
    ("lstm", "reverse", {}),
    ("lstm", "bidirectional", {"clip": 0.9}),
]


@pytest.mark.parametrize("kind,direction,attrs", SEQUENCE_CASES)
@pytest.mark.parametrize("lengths", [[TIME] * BATCH, [TIME, 2, 4]])
def test_sequences_match_openvino(kind, direction, attrs, lengths):
    inputs = sequence_inputs(
        kind, direction, lengths, linear_before_reset=attrs.get("linear_before_reset", False)
    )
    factory = f"{kind}_sequence"
    compare(
        lambda *p: getattr(ops, factory)(*p, HIDDEN, direction, **attrs),
        lambda *p: getattr(real_ops, factory)(*p, HIDDEN, direction, **attrs),
        inputs,
    )


def test_lstm_sequence_dynamic_shapes():
    inputs = sequence_inputs("lstm", "bidirectional", [TIME, 1, 3])
    compare(
        lambda *p: ops.lstm_sequence(*p, HIDDEN, "bidirectional"),
        lambda *p: real_ops.lstm_sequence(*p, HIDDEN, "bidirectional"),
        inputs,
        dynamic=True,
    )


def test_lstm_cell_step_formula():
    """The fico gate order written out with numpy, independent of any framework."""
    x, h, c, w, r, b = cell_inputs("lstm")
    (h_out, c_out) = run_op(lambda *p: ops.lstm_cell(*p, HIDDEN), [x, h, c, w, r, b])
    gates = x @ w.T + h @ r.T + b
    f, i, g, o = np.split(gates, 4, axis=1)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    c_ref = sig(f) * c + sig(i) * np.tanh(g)
    assert_close(c_out, c_ref, rtol=1e-5)
    assert_close(h_out, sig(o) * np.tanh(c_ref), rtol=1e-5)


def test_inferred_shapes_and_attributes():
    x = ops.parameter([-1, -1, INPUT])
    seq = ops.gru_sequence(
        x,
        ops.parameter([-1, 2, HIDDEN]),
        ops.parameter([-1], np.int32),
        *weights("gru", 2),
        HIDDEN,
        "bidirectional",
    )
    assert seq.get_output_partial_shape(0) == ov.PartialShape([-1, 2, -1, HIDDEN])
    assert seq.get_output_partial_shape(1) == ov.PartialShape([-1, 2, HIDDEN])
    assert seq.get_attributes()["activations"] == ["sigmoid", "tanh"]
    cell = ops.lstm_cell(
        ops.parameter([2, INPUT]),
        ops.parameter([-1, HIDDEN]),
        ops.parameter([2, HIDDEN]),
        *weights("lstm"),
        HIDDEN,
    )
    assert cell.get_output_partial_shape(1) == ov.PartialShape([2, HIDDEN])


def test_errors():
    x, h, c, w, r, b = cell_inputs("lstm")
    p = [ops.parameter(list(v.shape)) for v in (x, h, c)]
    with pytest.raises(NodeValidationError, match="W dimension 0 must be 16"):
        ops.lstm_cell(*p, w[:8], r, b, HIDDEN)
    with pytest.raises(NodeValidationError, match="does not match batch"):
        ops.lstm_cell(p[0], ops.parameter([BATCH + 1, HIDDEN]), p[2], w, r, b, HIDDEN)
    with pytest.raises(NodeValidationError, match="activations must list 3"):
        ops.lstm_cell(*p, w, r, b, HIDDEN, ["sigmoid"])
    with pytest.raises(NodeValidationError, match="unsupported activation.*gelu"):
        ops.lstm_cell(*p, w, r, b, HIDDEN, ["sigmoid", "gelu", "tanh"])
    with pytest.raises(NodeValidationError, match="same element type"):
        ops.lstm_cell(*p, w.astype(np.float64), r, b, HIDDEN)
    seq = sequence_inputs("gru", "forward", [TIME] * BATCH)
    with pytest.raises(NodeValidationError, match="direction must be"):
        ops.gru_sequence(*seq, HIDDEN, "sideways")
    with pytest.raises(NodeValidationError, match="initial_hidden_state dimension 1 must be 2"):
        ops.gru_sequence(*seq, HIDDEN, "bidirectional")
    with pytest.raises(NodeValidationError, match="sequence_lengths must have a integer"):
        ops.gru_sequence(seq[0], seq[1], seq[2].astype(np.float32), *seq[3:], HIDDEN, "forward")
