"""If (opset8), Loop (opset5) and TensorIterator (opset1): ops whose bodies are Models.

The connection between the op and its bodies is kept as plain index data, as OpenVINO's
MultiSubGraphOp keeps it and as the IR writes it (``port_map`` and ``back_edges``):

* input descriptions, one list per body; ``input_index`` is the op input, ``body_parameter_index``
  the position in ``body.get_parameters()``:
  - ``InvariantInputDescription(input_index, body_parameter_index)``: the same value every iteration;
  - ``SliceInputDescription(..., start, stride, part_size, end, axis)``: iteration i reads the i-th
    slice of the input along ``axis`` (negative start/end count from the end, -1 is the end);
  - ``MergedInputDescription(..., body_value_index)``: the first iteration reads the input, later
    ones the body Result ``body_value_index`` of the iteration before (an IR back edge);
* output descriptions, one list per body; ``body_value_index`` is the position in
  ``body.get_results()``, ``output_index`` the op output:
  - ``BodyOutputDescription(body_value_index, output_index, iteration)``: the value of one
    iteration (-1: the last);
  - ``ConcatOutputDescription(..., start, stride, part_size, end, axis)``: all iterations'
    values concatenated along ``axis`` (reversed when stride < 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vinopy.graph.interpreter import Interpreter
from vinopy.graph.model import Model
from vinopy.graph.node import Node, NodeValidationError, Output, as_output, attr, const_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import normalize_axis, require, require_element_type
from vinopy.ops.registry import register


@dataclass(frozen=True)
class InvariantInputDescription:
    input_index: int
    body_parameter_index: int


@dataclass(frozen=True)
class SliceInputDescription:
    input_index: int
    body_parameter_index: int
    start: int
    stride: int
    part_size: int
    end: int
    axis: int


@dataclass(frozen=True)
class MergedInputDescription:
    input_index: int
    body_parameter_index: int
    body_value_index: int


@dataclass(frozen=True)
class BodyOutputDescription:
    body_value_index: int
    output_index: int
    iteration: int = -1


@dataclass(frozen=True)
class ConcatOutputDescription:
    body_value_index: int
    output_index: int
    start: int
    stride: int
    part_size: int
    end: int
    axis: int


InputDescription = InvariantInputDescription | SliceInputDescription | MergedInputDescription
OutputDescription = BodyOutputDescription | ConcatOutputDescription


def _union(a: PartialShape, b: PartialShape) -> PartialShape:
    """The narrowest shape that admits both: dimensions that differ become dynamic."""
    if a.rank.is_dynamic or b.rank.is_dynamic or len(a) != len(b):
        return PartialShape.dynamic()
    return PartialShape([x if x == y else Dimension() for x, y in zip(a, b)])


def _set_parameter(param: Node, et: Type, shape: PartialShape) -> bool:
    """Give a body Parameter the outer type and shape; True when something changed."""
    if param.get_element_type() == et and param.get_partial_shape() == shape:
        return False
    param.element_type, param.shape = et, shape
    param.validate_and_infer_types()
    return True


def _slice_positions(desc: SliceInputDescription | ConcatOutputDescription, length: int) -> tuple[int, int]:
    """The first slice's start index along the axis and the signed step between slices."""
    start = desc.start + length + 1 if desc.start < 0 else desc.start
    if desc.stride < 0:
        start -= desc.part_size
    return start, desc.stride


def _slice_count(desc: SliceInputDescription, length: int) -> int:
    start = desc.start + length + 1 if desc.start < 0 else desc.start
    end = desc.end + length + 1 if desc.end < 0 else desc.end
    return abs(end - start) // abs(desc.stride)


def _take_slice(value: np.ndarray, desc: SliceInputDescription, iteration: int) -> np.ndarray:
    axis = normalize_axis(desc.axis, value.ndim, "sliced input axis")
    first, step = _slice_positions(desc, value.shape[axis])
    begin = first + iteration * step
    if begin < 0 or begin + desc.part_size > value.shape[axis]:
        raise RuntimeError(
            f"iteration {iteration} reads slice [{begin}, {begin + desc.part_size}) of axis {axis}, "
            f"outside its length {value.shape[axis]}"
        )
    return np.take(value, np.arange(begin, begin + desc.part_size), axis=axis)


def _as_bool(value: np.ndarray) -> bool:
    return bool(np.asarray(value).reshape(-1)[0])


class MultiSubGraphOp(Node):
    """Base of ops with bodies: the input/output descriptions, body evaluation and cloning."""

    inputs_spec = ("*inputs",)
    body_names: tuple[str, ...] = ()

    def __init__(self, *args: Any, name: str | None = None, **attrs: Any) -> None:
        self._input_descs: list[list[InputDescription]] = [[] for _ in self.body_names]
        self._output_descs: list[list[OutputDescription]] = [[] for _ in self.body_names]
        self._interpreters: dict[int, Interpreter] = {}
        super().__init__(*args, name=name, **attrs)

    # --- bodies and descriptions (OpenVINO's MultiSubGraphOp API) ---------------
    def get_function(self, index: int = 0) -> Model:
        return getattr(self, self.body_names[index])

    def set_function(self, *args: Any) -> None:
        """``set_function(body)`` for single-body ops, ``set_function(index, body)`` otherwise."""
        index, body = (0, args[0]) if len(args) == 1 else args
        if not isinstance(body, Model):
            raise TypeError(f"{self.type_name} body must be a Model, got {type(body).__name__}")
        setattr(self, self.body_names[index], body)
        self._interpreters.pop(index, None)

    def get_input_descriptions(self, index: int = 0) -> list[InputDescription]:
        return list(self._input_descs[index])

    def get_output_descriptions(self, index: int = 0) -> list[OutputDescription]:
        return list(self._output_descs[index])

    def set_input_descriptions(self, *args: Any) -> None:
        index, descs = (0, args[0]) if len(args) == 1 else args
        self._input_descs[index] = list(descs)

    def set_output_descriptions(self, *args: Any) -> None:
        index, descs = (0, args[0]) if len(args) == 1 else args
        self._output_descs[index] = list(descs)

    # --- helpers for the building API -------------------------------------------
    def _parameter_index(self, body: int, param: Node) -> int:
        model = self.get_function(body)
        require(model is not None, f"{self.type_name} needs its {self.body_names[body]} before its inputs")
        index = model.get_parameter_index(param)
        if index < 0:
            raise NodeValidationError(
                f"{self.type_name}: {param.get_friendly_name()} is not a Parameter of its "
                f"{self.body_names[body]}"
            )
        return index

    def _result_index(self, body: int, value: Any) -> int:
        """The body Result holding ``value`` (a Result or an output in the body), added if needed."""
        model = self.get_function(body)
        index = model.get_result_index(value)
        if index >= 0:
            return index
        out = as_output(value)
        for i, result in enumerate(model.get_results()):
            if result.input_value(0) == out:
                return i
        model.add_results([out])
        self._interpreters.pop(body, None)
        return len(model.get_results()) - 1

    def _output_count(self) -> int:
        return 1 + max((d.output_index for descs in self._output_descs for d in descs), default=-1)

    # --- inference and evaluation -----------------------------------------------
    def _bind_body(self, body: int, inputs: list[Output]) -> None:
        """Give the body's Parameters the outer inputs' types and shapes and re-infer the body."""
        params = self.get_function(body).get_parameters()
        changed = False
        for desc in self._input_descs[body]:
            outer = inputs[desc.input_index]
            shape = outer.get_partial_shape()
            if isinstance(desc, SliceInputDescription) and shape.rank.is_static:
                dims = list(shape)
                dims[normalize_axis(desc.axis, len(dims), "sliced input axis")] = Dimension(desc.part_size)
                shape = PartialShape(dims)
            changed |= _set_parameter(params[desc.body_parameter_index], outer.get_element_type(), shape)
        if changed:
            self.get_function(body).validate_nodes_and_infer_types()
            self._interpreters.pop(body, None)  # it keeps the body's output types

    def _run_body(self, body: int, values: list[np.ndarray | None]) -> list[np.ndarray]:
        missing = [i for i, v in enumerate(values) if v is None]
        if missing:
            raise RuntimeError(
                f"{self.type_name}: {self.body_names[body]} Parameter(s) {missing} have no input"
            )
        if body not in self._interpreters:
            self._interpreters[body] = Interpreter(self.get_function(body))
        return self._interpreters[body].run(values)

    def _body_parameter_values(self, body: int, inputs: tuple[np.ndarray, ...]) -> list[np.ndarray | None]:
        values: list[np.ndarray | None] = [None] * len(self.get_function(body).get_parameters())
        for desc in self._input_descs[body]:
            values[desc.body_parameter_index] = inputs[desc.input_index]
        return values

    def clone_with_new_inputs(self, inputs: list[Output]) -> Node:
        """A copy reading ``inputs``, with deep copies of the bodies."""
        bodies = {name: getattr(self, name).clone() for name in self.body_names if getattr(self, name)}
        others = {n: getattr(self, n) for n in self.attrs if n not in self.body_names}
        clone = type(self)(**bodies, **others)
        clone._input_descs = [list(d) for d in self._input_descs]
        clone._output_descs = [list(d) for d in self._output_descs]
        for value in inputs:
            clone.add_input(value)
        clone.validate_and_infer_types()
        self._copy_meta_to(clone)
        return clone


@register
class If(MultiSubGraphOp):
    """If-8: runs then_body when ``cond`` is true, else_body otherwise.

    ``if_op(cond)``, then ``set_then_body``/``set_else_body``, ``set_input(outer, then_param,
    else_param)`` per input and ``set_output(then_result, else_result)`` per output.
    """

    type_name, version = "If", "opset8"
    factory_name = "if_op"
    then_body: Model = attr(None)
    else_body: Model = attr(None)
    body_names = ("then_body", "else_body")
    THEN, ELSE = 0, 1

    @classmethod
    def factory(cls, condition: Any = None, name: str | None = None) -> If:
        return cls(*([] if condition is None else [condition]), name=name)

    def get_then_body(self) -> Model:
        return self.then_body

    def get_else_body(self) -> Model:
        return self.else_body

    def set_then_body(self, body: Model) -> None:
        self.set_function(self.THEN, body)

    def set_else_body(self, body: Model) -> None:
        self.set_function(self.ELSE, body)

    def set_input(self, value: Output, then_parameter: Node | None, else_parameter: Node | None) -> None:
        require(bool(self._inputs), "If needs its condition input before other inputs")
        index = self.add_input(value)
        for body, param in ((self.THEN, then_parameter), (self.ELSE, else_parameter)):
            if param is not None:
                self._input_descs[body].append(
                    InvariantInputDescription(index, self._parameter_index(body, param))
                )
        self.validate_and_infer_types()

    def set_output(self, then_result: Node, else_result: Node) -> Output:
        index = self._output_count()
        for body, result in ((self.THEN, then_result), (self.ELSE, else_result)):
            self._output_descs[body].append(BodyOutputDescription(self._result_index(body, result), index))
        self.validate_and_infer_types()
        return self.output(index)

    def infer(self, *inputs: Output) -> list[tuple[Type, PartialShape]]:
        if not inputs:
            return []
        cond = inputs[0]
        require_element_type(cond.get_element_type(), "boolean", "If condition")
        shape = cond.get_partial_shape()
        require(
            shape.rank.is_dynamic or shape.is_dynamic or int(np.prod(list(map(int, shape)))) == 1,
            f"If condition must hold one value, got shape {shape}",
        )
        count = self._output_count()
        if count == 0:
            return []
        require(
            self.then_body is not None and self.else_body is not None, "If needs both bodies before outputs"
        )
        for body in (self.THEN, self.ELSE):
            self._bind_body(body, list(inputs))
        known = const_value(cond)
        branches = [self.THEN, self.ELSE] if known is None else [self.THEN if _as_bool(known) else self.ELSE]
        return [self._merged_output(i, branches) for i in range(count)]

    def _merged_output(self, index: int, branches: list[int]) -> tuple[Type, PartialShape]:
        et, shape = None, None
        for body in branches:
            desc = next((d for d in self._output_descs[body] if d.output_index == index), None)
            require(desc is not None, f"If output {index} has no Result in its {self.body_names[body]}")
            result = self.get_function(body).get_results()[desc.body_value_index]
            t, s = result.get_output_element_type(0), result.get_output_partial_shape(0)
            if et is None:
                et, shape = t, s
                continue
            merged = et.merge(t)
            require(merged is not None, f"If output {index}: then and else types differ ({et}, {t})")
            et, shape = merged, _union(shape, s)
        return et, shape

    def evaluate(self, cond: np.ndarray, *inputs: np.ndarray) -> list[np.ndarray]:
        body = self.THEN if _as_bool(cond) else self.ELSE
        values = self._run_body(body, self._body_parameter_values(body, (cond, *inputs)))
        outputs: list[Any] = [None] * self._output_count()
        for desc in self._output_descs[body]:
            outputs[desc.output_index] = values[desc.body_value_index]
        return outputs


class SubGraphOp(MultiSubGraphOp):
    """Base of the iterating ops (Loop, TensorIterator): one body, sliced and merged inputs,
    per-iteration and concatenated outputs."""

    body: Model = attr(None)
    body_names = ("body",)
    fixed_inputs = 0  # inputs before the described ones (Loop: trip_count, execution_condition)

    def set_invariant_input(self, body_parameter: Node, value: Output) -> None:
        self._add_input(value, lambda i, p: InvariantInputDescription(i, p), body_parameter)

    def set_sliced_input(
        self, parameter: Node, value: Output, start: int, stride: int, part_size: int, end: int, axis: int
    ) -> None:
        self._add_input(
            value, lambda i, p: SliceInputDescription(i, p, start, stride, part_size, end, axis), parameter
        )

    def set_merged_input(self, body_parameter: Node, initial_value: Output, successive_value: Output) -> None:
        result = self._result_index(0, successive_value)
        self._add_input(initial_value, lambda i, p: MergedInputDescription(i, p, result), body_parameter)

    def get_iter_value(self, body_value: Output, iteration: int = -1) -> Output:
        return self._add_output(
            BodyOutputDescription(self._result_index(0, body_value), self._output_count(), iteration)
        )

    def get_concatenated_slices(
        self, value: Output, start: int, stride: int, part_size: int, end: int, axis: int
    ) -> Output:
        desc = ConcatOutputDescription(
            self._result_index(0, value), self._output_count(), start, stride, part_size, end, axis
        )
        return self._add_output(desc)

    def _add_input(self, value: Output, make: Any, param: Node) -> None:
        require(
            len(self._inputs) >= self.fixed_inputs,
            f"{self.type_name} needs its first {self.fixed_inputs} inputs before body inputs",
        )
        index = self.add_input(value)
        self._input_descs[0].append(make(index, self._parameter_index(0, param)))
        self.validate_and_infer_types()

    def _add_output(self, desc: OutputDescription) -> Output:
        self._output_descs[0].append(desc)
        self.validate_and_infer_types()
        return self.output(desc.output_index)

    # --- inference ------------------------------------------------------------
    def _infer_body(self, inputs: list[Output]) -> None:
        """Bind the body to the inputs; merged Parameters whose Result differs become dynamic there."""
        self._bind_body(0, inputs)
        params, results = self.body.get_parameters(), self.body.get_results()
        for _ in range(2):  # one relaxation reaches a fixed point; the second pass confirms it
            changed = False
            for desc in self._input_descs[0]:
                if isinstance(desc, MergedInputDescription):
                    param, result = params[desc.body_parameter_index], results[desc.body_value_index]
                    shape = _union(param.get_partial_shape(), result.get_output_partial_shape(0))
                    changed |= _set_parameter(param, param.get_element_type(), shape)
            if not changed:
                return
            self.body.validate_nodes_and_infer_types()

    def _infer_outputs(self, iterations: int | None) -> list[tuple[Type, PartialShape]]:
        outputs: list[Any] = [None] * self._output_count()
        results = self.body.get_results()
        for desc in self._output_descs[0]:
            result = results[desc.body_value_index]
            et, shape = result.get_output_element_type(0), result.get_output_partial_shape(0)
            if isinstance(desc, ConcatOutputDescription) and shape.rank.is_static:
                dims = list(shape)
                axis = normalize_axis(desc.axis, len(dims), "concatenated output axis")
                dims[axis] = dims[axis] * iterations if iterations is not None else Dimension()
                shape = PartialShape(dims)
            outputs[desc.output_index] = (et, shape)
        missing = [i for i, o in enumerate(outputs) if o is None]
        require(not missing, f"{self.type_name} outputs {missing} have no description")
        return outputs

    # --- evaluation -----------------------------------------------------------
    def _iterate(
        self,
        inputs: tuple[np.ndarray, ...],
        trip_count: int | None,
        condition: bool,
        current_iteration: int = -1,
        condition_output: int = -1,
    ) -> list[np.ndarray]:
        """Run the body while the condition holds, up to trip_count iterations (None: no limit)."""
        values = self._body_parameter_values(0, inputs)
        merged = [d for d in self._input_descs[0] if isinstance(d, MergedInputDescription)]
        sliced = [d for d in self._input_descs[0] if isinstance(d, SliceInputDescription)]
        per_iteration: list[list[np.ndarray]] = []
        iteration = 0
        while condition and (trip_count is None or iteration < trip_count):
            for desc in sliced:
                values[desc.body_parameter_index] = _take_slice(inputs[desc.input_index], desc, iteration)
            if current_iteration >= 0:
                param = self.body.get_parameters()[current_iteration]
                rank = param.get_partial_shape().rank
                index = np.array(iteration, param.get_element_type().to_dtype())
                values[current_iteration] = index.reshape([1] * (rank.get_length() if rank.is_static else 0))
            outs = self._run_body(0, values)
            per_iteration.append(outs)
            for desc in merged:
                values[desc.body_parameter_index] = outs[desc.body_value_index]
            if condition_output >= 0:
                condition = _as_bool(outs[condition_output])
            iteration += 1
        return self._collect_outputs(per_iteration, inputs)

    def _collect_outputs(
        self, per_iteration: list[list[np.ndarray]], inputs: tuple[np.ndarray, ...]
    ) -> list[Any]:
        outputs: list[Any] = [None] * self._output_count()
        for desc in self._output_descs[0]:
            if isinstance(desc, ConcatOutputDescription):
                outputs[desc.output_index] = self._concatenate(per_iteration, desc)
            elif per_iteration:
                outputs[desc.output_index] = per_iteration[desc.iteration][desc.body_value_index]
            else:
                outputs[desc.output_index] = self._initial_value(desc.body_value_index, inputs)
        return outputs

    def _concatenate(
        self, per_iteration: list[list[np.ndarray]], desc: ConcatOutputDescription
    ) -> np.ndarray:
        parts = [outs[desc.body_value_index] for outs in per_iteration]
        if desc.stride < 0:
            parts.reverse()
        if parts:
            return np.concatenate(parts, axis=desc.axis)
        shape = self.body.get_results()[desc.body_value_index].get_output_partial_shape(0)
        if shape.is_dynamic:
            raise RuntimeError(
                f"{self.type_name} ran no iteration, so output {desc.output_index} has no shape"
            )
        dims = list(shape.to_shape())
        dims[desc.axis] = 0
        return np.zeros(
            dims, self.body.get_results()[desc.body_value_index].get_output_element_type(0).to_dtype()
        )

    def _initial_value(self, result: int, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        """With no iteration, a Result fed back to a merged input keeps that input's value."""
        for desc in self._input_descs[0]:
            if isinstance(desc, MergedInputDescription) and desc.body_value_index == result:
                return inputs[desc.input_index]
        raise RuntimeError(f"{self.type_name} ran no iteration, so body Result {result} has no value")


@register
class Loop(SubGraphOp):
    """Loop-5: runs the body while ``trip_count`` (-1: unlimited) and the condition allow.

    ``loop(trip_count, execution_condition)``, then ``set_function(body)``,
    ``set_special_body_ports([current_iteration_parameter, condition_result])`` (-1 where unused),
    body inputs with ``set_invariant_input``/``set_sliced_input``/``set_merged_input`` and outputs
    with ``get_iter_value``/``get_concatenated_slices``.
    """

    type_name, version = "Loop", "opset5"
    special_body_ports: list[int] = attr([-1, -1])
    fixed_inputs = 2

    @classmethod
    def factory(
        cls, trip_count: Any = None, execution_condition: Any = None, name: str | None = None
    ) -> Loop:
        args = [] if trip_count is None else [trip_count, execution_condition]
        return cls(*args, name=name)

    def get_special_body_ports(self) -> list[int]:
        return list(self.special_body_ports)

    def set_special_body_ports(self, special_body_ports: list[int]) -> None:
        require(
            len(special_body_ports) == 2,
            f"special_body_ports must be [current_iteration_input_idx, body_condition_output_idx], "
            f"got {special_body_ports}",
        )
        self.special_body_ports = [int(p) for p in special_body_ports]
        self.validate_and_infer_types()

    def get_num_iterations(self) -> int:
        iterations = self._known_iterations(self._inputs)
        return -1 if iterations is None else iterations

    def _known_iterations(self, inputs: list[Output]) -> int | None:
        trip, cond = const_value(inputs[0]), const_value(inputs[1])
        if cond is not None and not _as_bool(cond):
            return 0
        if trip is None or cond is None or int(np.asarray(trip).reshape(-1)[0]) < 0:
            return None
        body_cond = self.special_body_ports[1]
        if body_cond >= 0:
            value = const_value(self.body.get_results()[body_cond].input_value(0))
            if value is None or not _as_bool(value):
                return None
        return int(np.asarray(trip).reshape(-1)[0])

    def infer(self, *inputs: Output) -> list[tuple[Type, PartialShape]]:
        if not inputs:
            return []
        require(len(inputs) >= 2, "Loop needs trip_count and execution_condition inputs")
        require_element_type(inputs[0].get_element_type(), "integer", "Loop trip_count")
        require_element_type(inputs[1].get_element_type(), "boolean", "Loop execution_condition")
        if self.body is None:
            require(not self._output_descs[0] and len(inputs) == 2, "Loop needs its body before body inputs")
            return []
        self._check_special_ports()
        self._infer_body(list(inputs))
        return self._infer_outputs(self._known_iterations(list(inputs)))

    def _check_special_ports(self) -> None:
        current, condition = self.special_body_ports
        require(
            current < len(self.body.get_parameters()),
            f"Loop current iteration port {current} is not a body Parameter",
        )
        require(
            condition < len(self.body.get_results()), f"Loop condition port {condition} is not a body Result"
        )
        if condition >= 0:
            et = self.body.get_results()[condition].get_output_element_type(0)
            require_element_type(et, "boolean", "Loop body condition")

    def evaluate(
        self, trip_count: np.ndarray, condition: np.ndarray, *inputs: np.ndarray
    ) -> list[np.ndarray]:
        trip = int(np.asarray(trip_count).reshape(-1)[0])
        current, condition_output = self.special_body_ports
        return self._iterate(
            (trip_count, condition, *inputs),
            None if trip < 0 else trip,
            _as_bool(condition),
            current,
            condition_output,
        )


@register
class TensorIterator(SubGraphOp):
    """TensorIterator-1: runs the body once per slice of its sliced inputs.

    ``tensor_iterator()``, then ``set_body(body)`` and the same input/output methods as Loop.
    """

    type_name, version = "TensorIterator", "opset1"

    @classmethod
    def factory(cls, name: str | None = None) -> TensorIterator:
        return cls(name=name)

    def set_body(self, body: Model) -> None:
        self.set_function(body)

    def get_body(self) -> Model:
        return self.body

    def get_num_iterations(self) -> int:
        iterations = self._iterations([i.get_partial_shape() for i in self._inputs])
        return -1 if iterations is None else iterations

    def _iterations(self, shapes: list[PartialShape]) -> int | None:
        """The iteration count that the sliced inputs' lengths give (None when unknown)."""
        counts = set()
        for desc in self._input_descs[0]:
            shape = shapes[desc.input_index]
            if isinstance(desc, SliceInputDescription):
                if shape.rank.is_dynamic:
                    return None
                dim = shape[normalize_axis(desc.axis, len(shape), "sliced input axis")]
                if dim.is_dynamic:
                    return None
                counts.add(_slice_count(desc, dim.get_length()))
        require(
            len(counts) <= 1, f"TensorIterator sliced inputs give different iteration counts {sorted(counts)}"
        )
        return counts.pop() if counts else 1

    def infer(self, *inputs: Output) -> list[tuple[Type, PartialShape]]:
        if self.body is None:
            require(not inputs and not self._output_descs[0], "TensorIterator needs its body before inputs")
            return []
        self._infer_body(list(inputs))
        return self._infer_outputs(self._iterations([i.get_partial_shape() for i in inputs]))

    def evaluate(self, *inputs: np.ndarray) -> list[np.ndarray]:
        iterations = self._iterations([PartialShape(list(np.shape(x))) for x in inputs])
        return self._iterate(inputs, iterations, True)
