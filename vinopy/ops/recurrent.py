"""Recurrent cells and sequences: RNN, GRU (gates z, r, h) and LSTM (gates f, i, c, o), OpenVINO layout.

Inputs follow OpenVINO's order: X, initial_hidden_state, [initial_cell_state], [sequence_lengths],
W, R, B. Cells take X [batch, input], states [batch, hidden]; sequences take X [batch, time,
input], states [batch, directions, hidden], W/R/B with a leading directions axis, and return
Y [batch, directions, time, hidden] followed by the final states.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import require, require_element_type, same_type
from vinopy.ops.registry import register
from vinopy.ops.unary import compute_dtype

Activation = Callable[[np.ndarray], np.ndarray]
DIRECTIONS = {"forward": 1, "reverse": 1, "bidirectional": 2}


_ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": lambda x: 0.5 * (1.0 + np.tanh(0.5 * x)),
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
}


class RecurrentBase(Node):
    """Attributes, shape checks and the time loop shared by every cell and sequence."""

    gates: ClassVar[int] = 1
    default_activations: ClassVar[list[str]] = []
    is_sequence: ClassVar[bool] = False
    hidden_size: int = attr()
    activations: list[str] = attr(None)
    activations_alpha: list[float] = attr(None)
    activations_beta: list[float] = attr(None)
    clip: float = attr(0.0)

    def __init__(self, *args: object, name: str | None = None, **attrs: object) -> None:
        for key in ("activations", "activations_alpha", "activations_beta"):
            if attrs.get(key) is None:
                attrs[key] = list(self.default_activations) if key == "activations" else []
        super().__init__(*args, name=name, **attrs)

    # --- inference ----------------------------------------------------------
    def infer(self, *inputs: Output) -> list[tuple[Type, PartialShape]]:
        require(self.hidden_size > 0, f"hidden_size must be positive, got {self.hidden_size}")
        require(
            len(self.activations) == len(self.default_activations),
            f"activations must list {len(self.default_activations)} functions, got {self.activations}",
        )
        require(self.clip >= 0, f"clip must not be negative, got {self.clip}")
        self.activation_functions()  # raises on unknown names; sigmoid, tanh and relu take no alpha/beta
        names = [s.strip("?") for s in self.inputs_spec]
        ports = dict(zip(names, inputs))
        floats = [p for n, p in ports.items() if n != "sequence_lengths"]
        et = require_element_type(same_type(*floats, what="X, states, W, R and B"), "real", "X")
        if "sequence_lengths" in ports:
            require_element_type(ports["sequence_lengths"].get_element_type(), "integer", "sequence_lengths")
        dims = _check_shapes({n: p.get_partial_shape() for n, p in ports.items()}, self.shape_spec())
        return self.output_shapes(et, dims)

    def shape_spec(self) -> ShapeSpec:
        """Each input's dimensions as symbols (shared symbols must agree) or fixed sizes."""
        bias = self.bias_gates() * self.hidden_size
        gates = self.gates * self.hidden_size
        if not self.is_sequence:
            spec = {
                "X": ("batch", "input"),
                "initial_hidden_state": ("batch", self.hidden_size),
                "initial_cell_state": ("batch", self.hidden_size),
                "W": (gates, "input"),
                "R": (gates, self.hidden_size),
                "B": (bias,),
            }
        else:
            dirs = DIRECTIONS[self.direction.lower()]
            state = ("batch", dirs, self.hidden_size)
            spec = {
                "X": ("batch", "time", "input"),
                "initial_hidden_state": state,
                "initial_cell_state": state,
                "sequence_lengths": ("batch",),
                "W": (dirs, gates, "input"),
                "R": (dirs, gates, self.hidden_size),
                "B": (dirs, bias),
            }
        return spec

    def bias_gates(self) -> int:
        return self.gates

    def output_shapes(self, et: Type, dims: dict[str, Dimension]) -> list[tuple[Type, PartialShape]]:
        n_states = sum(1 for s in self.inputs_spec if s.endswith("_state"))
        hidden = Dimension(self.hidden_size)
        if not self.is_sequence:
            return [(et, PartialShape([dims["batch"], hidden]))] * n_states
        dirs = Dimension(DIRECTIONS[self.direction.lower()])
        y = PartialShape([dims["batch"], dirs, dims["time"], hidden])
        return [(et, y)] + [(et, PartialShape([dims["batch"], dirs, hidden]))] * n_states

    def activation_functions(self) -> list[Activation]:
        unknown = [a for a in self.activations if a.lower() not in _ACTIVATIONS]
        require(not unknown, f"unsupported activation(s) {unknown}; expected {list(_ACTIVATIONS)}")
        return [_ACTIVATIONS[a.lower()] for a in self.activations]

    # --- evaluation ---------------------------------------------------------
    def step(
        self, x: np.ndarray, states: list[np.ndarray], w: np.ndarray, r: np.ndarray, b: np.ndarray
    ) -> list[np.ndarray]:
        """One time step: new states from the input [batch, input] and the states [batch, hidden]."""
        raise NotImplementedError

    def gate_inputs(self, values: np.ndarray) -> np.ndarray:
        return np.clip(values, -self.clip, self.clip) if self.clip > 0 else values

    def evaluate_cell(
        self, x: np.ndarray, states: list[np.ndarray], w: np.ndarray, r: np.ndarray, b: np.ndarray
    ) -> list[np.ndarray]:
        dt = compute_dtype(x.dtype)
        outs = self.step(
            x.astype(dt), [s.astype(dt) for s in states], w.astype(dt), r.astype(dt), b.astype(dt)
        )
        return [o.astype(x.dtype) for o in outs]

    def evaluate_sequence(
        self,
        x: np.ndarray,
        states: list[np.ndarray],
        lengths: np.ndarray,
        w: np.ndarray,
        r: np.ndarray,
        b: np.ndarray,
    ) -> list[np.ndarray]:
        dt = compute_dtype(x.dtype)
        batch, time = x.shape[:2]
        lengths = np.clip(lengths.astype(np.int64).reshape(batch), 0, time)
        mode = self.direction.lower()
        reverse = [mode == "reverse"] + [True] * (mode == "bidirectional")
        ys, finals = [], []
        for d, backwards in enumerate(reverse):
            xd = _reverse_within_lengths(x, lengths) if backwards else x
            weights = [m[d].astype(dt) for m in (w, r, b)]
            direction_states = [s[:, d].astype(dt) for s in states]
            y, last = self._run_direction(xd.astype(dt), direction_states, lengths, weights)
            ys.append(_reverse_within_lengths(y, lengths) if backwards else y)
            finals.append(last)
        y = np.stack(ys, axis=1).astype(x.dtype)
        return [y] + [np.stack([f[k] for f in finals], axis=1).astype(x.dtype) for k in range(len(states))]

    def _run_direction(
        self, x: np.ndarray, states: list[np.ndarray], lengths: np.ndarray, weights: list[np.ndarray]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Steps over time with ``weights`` = [W, R, B]; a sequence past its length keeps its state
        and outputs zeros."""
        y = np.zeros((x.shape[0], x.shape[1], self.hidden_size), x.dtype)
        for t in range(x.shape[1]):
            active = (t < lengths)[:, None]
            new = self.step(x[:, t], states, *weights)
            states = [np.where(active, n, s) for n, s in zip(new, states)]
            y[:, t] = np.where(active, new[0], 0.0)
        return y, states


def _reverse_within_lengths(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each batch entry's first ``length`` time steps reversed; padding stays in place."""
    t = np.arange(x.shape[1])[None, :]
    index = np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)
    return np.take_along_axis(x, index.reshape(index.shape + (1,) * (x.ndim - 2)), axis=1)


ShapeSpec = dict[str, tuple[str | int, ...]]


def _check_shapes(shapes: dict[str, PartialShape], spec: ShapeSpec) -> dict[str, Dimension]:
    """Match input shapes with their spec; returns the merged size of every symbol."""
    symbols: dict[str, Dimension] = {}
    for name, shape in shapes.items():
        expected = spec[name]
        if shape.rank.is_dynamic:
            continue
        require(len(shape) == len(expected), f"{name} must have rank {len(expected)}, got shape {shape}")
        for axis, (dim, want) in enumerate(zip(shape, expected)):
            if isinstance(want, int):
                require(
                    dim.compatible(Dimension(want)),
                    f"{name} dimension {axis} must be {want}, got {dim} (shape {shape})",
                )
                continue
            merged = symbols.get(want, Dimension()).merge(dim)
            require(
                merged is not None,
                f"{name} dimension {axis} ({dim}) does not match {want} size "
                f"{symbols.get(want)} of the other inputs",
            )
            symbols[want] = merged
    for key in ("batch", "time", "input"):
        symbols.setdefault(key, Dimension())
    return symbols


class CellMixin:
    """Evaluation of a cell: inputs X, states..., W, R, B."""

    def evaluate(self, x: np.ndarray, *rest: np.ndarray) -> list[np.ndarray]:
        *states, w, r, b = rest
        return self.evaluate_cell(x, list(states), w, r, b)


class SequenceMixin:
    """Direction check and evaluation of a sequence: inputs X, states..., sequence_lengths, W, R, B."""

    is_sequence = True

    def infer(self, *inputs: Output) -> list[tuple[Type, PartialShape]]:
        require(
            self.direction.lower() in DIRECTIONS,
            f"direction must be one of {list(DIRECTIONS)}, got {self.direction!r}",
        )
        return super().infer(*inputs)

    def evaluate(self, x: np.ndarray, *rest: np.ndarray) -> list[np.ndarray]:
        *states, lengths, w, r, b = rest
        return self.evaluate_sequence(x, list(states), lengths, w, r, b)


def _linear(x: np.ndarray, h: np.ndarray, w: np.ndarray, r: np.ndarray, b: np.ndarray) -> np.ndarray:
    return x @ w.T + h @ r.T + b


class RNNMath(RecurrentBase):
    default_activations = ["tanh"]

    def step(
        self, x: np.ndarray, states: list[np.ndarray], w: np.ndarray, r: np.ndarray, b: np.ndarray
    ) -> list[np.ndarray]:
        (f,) = self.activation_functions()
        return [f(self.gate_inputs(_linear(x, states[0], w, r, b)))]


class LSTMMath(RecurrentBase):
    gates = 4
    default_activations = ["sigmoid", "tanh", "tanh"]

    def step(
        self, x: np.ndarray, states: list[np.ndarray], w: np.ndarray, r: np.ndarray, b: np.ndarray
    ) -> list[np.ndarray]:
        f, g, h = self.activation_functions()
        hidden, cell = states
        fg, ig, cg, og = np.split(self.gate_inputs(_linear(x, hidden, w, r, b)), 4, axis=-1)
        cell = f(fg) * cell + f(ig) * g(cg)
        return [f(og) * h(cell), cell]


class GRUMath(RecurrentBase):
    gates = 3
    default_activations = ["sigmoid", "tanh"]
    linear_before_reset: bool = attr(False)

    def bias_gates(self) -> int:
        return 4 if self.linear_before_reset else 3

    def step(
        self, x: np.ndarray, states: list[np.ndarray], w: np.ndarray, r: np.ndarray, b: np.ndarray
    ) -> list[np.ndarray]:
        f, g = self.activation_functions()
        (hidden,) = states
        size = self.hidden_size
        xw = x @ w.T
        hr = hidden @ r.T
        z = f(self.gate_inputs(xw[:, :size] + hr[:, :size] + b[:size]))
        reset = f(self.gate_inputs(xw[:, size : 2 * size] + hr[:, size : 2 * size] + b[size : 2 * size]))
        if self.linear_before_reset:
            candidate = (
                xw[:, 2 * size :] + b[2 * size : 3 * size] + reset * (hr[:, 2 * size :] + b[3 * size :])
            )
        else:
            candidate = xw[:, 2 * size :] + (reset * hidden) @ r[2 * size :].T + b[2 * size :]
        h_new = g(self.gate_inputs(candidate))
        return [(1.0 - z) * h_new + z * hidden]


@register
class RNNCell(CellMixin, RNNMath):
    type_name, version = "RNNCell", "opset1"
    factory_name = "rnn_cell"
    inputs_spec = ("X", "initial_hidden_state", "W", "R", "B")


@register
class GRUCell(CellMixin, GRUMath):
    type_name, version = "GRUCell", "opset3"
    factory_name = "gru_cell"
    inputs_spec = ("X", "initial_hidden_state", "W", "R", "B")


@register
class LSTMCell(CellMixin, LSTMMath):
    type_name, version = "LSTMCell", "opset4"
    factory_name = "lstm_cell"
    inputs_spec = ("X", "initial_hidden_state", "initial_cell_state", "W", "R", "B")


def _sequence_factory_args(inputs: tuple[str, ...], *extra: str) -> tuple[str, ...]:
    """OpenVINO's sequence factories put direction right after hidden_size."""
    attrs = ("hidden_size", "direction", "activations", "activations_alpha", "activations_beta", "clip")
    return inputs + attrs + extra


@register
class RNNSequence(SequenceMixin, RNNMath):
    type_name, version = "RNNSequence", "opset5"
    factory_name = "rnn_sequence"
    inputs_spec = ("X", "initial_hidden_state", "sequence_lengths", "W", "R", "B")
    direction: str = attr()
    factory_args = _sequence_factory_args(inputs_spec)


@register
class GRUSequence(SequenceMixin, GRUMath):
    type_name, version = "GRUSequence", "opset5"
    factory_name = "gru_sequence"
    inputs_spec = ("X", "initial_hidden_state", "sequence_lengths", "W", "R", "B")
    direction: str = attr()
    factory_args = _sequence_factory_args(inputs_spec, "linear_before_reset")


@register
class LSTMSequence(SequenceMixin, LSTMMath):
    type_name, version = "LSTMSequence", "opset5"
    factory_name = "lstm_sequence"
    inputs_spec = ("X", "initial_hidden_state", "initial_cell_state", "sequence_lengths", "W", "R", "B")
    direction: str = attr()
    factory_args = _sequence_factory_args(inputs_spec)
