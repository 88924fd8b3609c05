"""Node, Output and Input: the typed graph that every op, pass and plugin works on."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from vinopy.graph.shape import Dimension, PartialShape, Shape, as_partial_shape
from vinopy.graph.types import Type

_REQUIRED = object()
_ids = itertools.count()

# A node remembers that it cannot fold (an input is only known at run time) until the graph next
# changes. Folding asks every node upstream, so without this a pass over a deep graph is quadratic.
# Only changes to nodes that have consumers count: building a new node cannot change another's answer.
_edits = itertools.count(1)
_graph_version = 0


def _graph_changed(node: Node) -> None:
    global _graph_version
    node._fold_cache = None
    node._no_fold_at = -1
    if any(port.targets for port in node._outputs):
        _graph_version = next(_edits)


class NodeValidationError(ValueError):
    """A node was built with inputs or attributes that its op does not accept."""


@dataclass
class Attr:
    """A typed op attribute; declared as ``name: type = attr(default)`` on an Op class."""

    default: Any = _REQUIRED
    name: str = ""
    kind: str = ""  # the annotation text: bool, int, float, str, list[int], Type, PartialShape ...
    ir_name: str = ""  # the name in OpenVINO IR's <data> when it differs from the Python name

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    @property
    def xml_name(self) -> str:
        return self.ir_name or self.name


def attr(default: Any = _REQUIRED, ir_name: str = "") -> Any:
    return Attr(default, ir_name=ir_name)


class RTMap(dict):
    """Runtime info: a dict of strings to values, with OpenVINO's path-based access on models."""


@dataclass
class _Port:
    """What a node knows about one of its outputs."""

    element_type: Type
    partial_shape: PartialShape
    names: set[str] = field(default_factory=set)
    targets: list[Input] = field(default_factory=list)
    rt_info: RTMap = field(default_factory=RTMap)


class Output:
    """An output port of a node: ``node.output(i)``."""

    __slots__ = ("node", "index")

    def __init__(self, node: Node, index: int) -> None:
        self.node, self.index = node, index

    @property
    def _port(self) -> _Port:
        return self.node._outputs[self.index]

    def get_node(self) -> Node:
        return self.node

    def get_index(self) -> int:
        return self.index

    def get_element_type(self) -> Type:
        return self._port.element_type

    def get_partial_shape(self) -> PartialShape:
        return self._port.partial_shape

    def get_shape(self) -> Shape:
        return self._port.partial_shape.to_shape()

    def get_names(self) -> set[str]:
        return set(self._port.names)

    def get_any_name(self) -> str:
        names = self._port.names
        if not names:
            raise RuntimeError(f"Output {self.index} of {self.node.get_friendly_name()} has no tensor names")
        return min(names)

    def set_names(self, names: set[str]) -> None:
        self._port.names.clear()  # in place: a Result shares its input's set of names
        self._port.names.update(names)

    def add_names(self, names: set[str]) -> None:
        self._port.names |= set(names)

    def get_tensor(self) -> Output:
        return self  # descriptor methods (names, shape, type) live on the Output itself

    def get_rt_info(self) -> RTMap:
        return self._port.rt_info

    def get_target_inputs(self) -> set[Input]:
        return set(self._port.targets)

    def replace(self, replacement: Output) -> None:
        """Make every consumer of this output read ``replacement`` instead."""
        replacement = as_output(replacement)
        for target in list(self._port.targets):
            target.replace_source_output(replacement)

    element_type = property(get_element_type)
    partial_shape = property(get_partial_shape)
    shape = property(get_shape)
    names = property(get_names)
    any_name = property(get_any_name)
    rt_info = property(get_rt_info)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Output) and other.node is self.node and other.index == self.index

    def __hash__(self) -> int:
        return hash((id(self.node), self.index))

    def __repr__(self) -> str:
        names = ", ".join(sorted(self._port.names))
        return (
            f"<Output: names[{names}] shape{self.get_partial_shape()} "
            f"type: {self.get_element_type().get_type_name()}>"
        )


class Input:
    """An input port of a node: ``node.input(i)``."""

    __slots__ = ("node", "index")

    def __init__(self, node: Node, index: int) -> None:
        self.node, self.index = node, index

    def get_node(self) -> Node:
        return self.node

    def get_index(self) -> int:
        return self.index

    def get_source_output(self) -> Output:
        return self.node._inputs[self.index]

    def get_element_type(self) -> Type:
        return self.get_source_output().get_element_type()

    def get_partial_shape(self) -> PartialShape:
        return self.get_source_output().get_partial_shape()

    def get_shape(self) -> Shape:
        return self.get_source_output().get_shape()

    def get_rt_info(self) -> RTMap:
        return self.node._input_rt.setdefault(self.index, RTMap())

    def replace_source_output(self, new_source: Output) -> None:
        new_source = as_output(new_source)
        old = self.node._inputs[self.index]
        old._port.targets[:] = [t for t in old._port.targets if t != self]
        self.node._inputs[self.index] = new_source
        new_source._port.targets.append(self)
        _graph_changed(self.node)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Input) and other.node is self.node and other.index == self.index

    def __hash__(self) -> int:
        return hash((id(self.node), self.index, "in"))

    def __repr__(self) -> str:
        return f"<Input: {self.node.get_type_name()} '{self.node.get_friendly_name()}' port {self.index}>"


class Node:
    """Base of every op. Subclasses declare inputs, typed attributes, ``infer`` and ``evaluate``.

    ``inputs`` names the input ports: ``"x"`` is required, ``"x?"`` optional, ``"*xs"`` variadic.
    """

    type_name: ClassVar[str] = ""
    version: ClassVar[str] = ""
    inputs_spec: ClassVar[tuple[str, ...]] = ()
    attrs: ClassVar[dict[str, Attr]] = {}
    foldable: ClassVar[bool] = True  # False for ops whose value is not a function of their inputs

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = {k: v for k, v in vars(cls).items() if isinstance(v, Attr)}
        annotations = vars(cls).get("__annotations__", {})
        merged = dict(getattr(cls, "attrs", {}))
        for name, a in declared.items():
            merged[name] = Attr(a.default, name, str(annotations.get(name, "")), a.ir_name)
            delattr(cls, name)
        cls.attrs = merged

    def __init__(self, *args: Any, name: str | None = None, **attrs: Any) -> None:
        self._id = next(_ids)
        self._friendly_name = name
        self._rt_info = RTMap()
        self._input_rt: dict[int, RTMap] = {}
        self._outputs: list[_Port] = []
        self._fold_cache: Any = None
        self._no_fold_at = -1  # the graph version at which fold() last found an unknown input
        self._inputs: list[Output] = []
        self._set_attributes(attrs)
        for value in self._bind_inputs(args):
            self.add_input(value)
        self.validate_and_infer_types()

    # --- construction -------------------------------------------------------
    def _bind_inputs(self, args: tuple[Any, ...]) -> list[Any]:
        spec = self.inputs_spec
        if spec and spec[0].startswith("*"):
            values = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
            return values
        required = [s for s in spec if not s.endswith("?")]
        if len(args) < len(required) or len(args) > len(spec):
            names = ", ".join(spec)
            raise NodeValidationError(
                f"{self.type_name}: expected inputs ({names}), got {len(args)} input(s)"
            )
        return list(args)

    def _set_attributes(self, values: dict[str, Any]) -> None:
        unknown = set(values) - set(self.attrs)
        if unknown:
            raise NodeValidationError(
                f"{self.type_name}: unknown attribute(s) {sorted(unknown)}; known: {sorted(self.attrs)}"
            )
        for name, a in self.attrs.items():
            if name in values:
                value = values[name]
            elif a.required:
                raise NodeValidationError(f"{self.type_name}: attribute '{name}' is required")
            else:
                value = a.default
                value = list(value) if isinstance(value, list) else value
            setattr(self, name, _coerce_attr(a.kind, value))

    def validate_and_infer_types(self) -> None:
        """Run the op's type and shape inference and set the output ports."""
        _graph_changed(self)
        try:
            result = self.infer(*self._inputs)
        except NodeValidationError as e:
            raise NodeValidationError(f"{self._describe()}: {e}") from None
        except (ValueError, TypeError, IndexError) as e:
            raise NodeValidationError(f"{self._describe()}: {e}") from e
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], Type):
            result = [result]
        for i, (et, ps) in enumerate(result):
            ps = as_partial_shape(ps)
            if i < len(self._outputs):
                self._outputs[i].element_type, self._outputs[i].partial_shape = et, ps
            else:
                self._outputs.append(_Port(et, ps))
        del self._outputs[len(result) :]

    def _describe(self) -> str:
        ins = ", ".join(
            f"{o.get_element_type().get_type_name()}{o.get_partial_shape()}" for o in self._inputs
        )
        return f"{self.type_name} '{self.get_friendly_name()}' with inputs ({ins})"

    def infer(self, *inputs: Output) -> Any:
        """Output (Type, PartialShape) pairs from the inputs; raise NodeValidationError on bad input."""
        raise NotImplementedError(f"{self.type_name} has no type inference")

    def evaluate(self, *inputs: np.ndarray) -> Any:
        """The numpy reference kernel: input arrays to an output array or a list of them."""
        raise NotImplementedError(f"{self.type_name} has no reference implementation")

    # --- constant values for shape inference and folding --------------------
    def fold(self) -> list[np.ndarray] | None:
        """The output values when they are known before run time, else None."""
        if not self.foldable:
            return None
        if self._fold_cache is None:
            if self._no_fold_at == _graph_version:
                return None
            version = _graph_version
            values = [const_value(o) for o in self._inputs]
            if any(v is None for v in values):
                self._no_fold_at = version
                return None
            out = self.evaluate(*values)
            self._fold_cache = list(out) if isinstance(out, (list, tuple)) else [out]
        return self._fold_cache

    def fold_dims(self, index: int) -> list[Dimension] | None:
        """The value of a 0-D or 1-D integer output as dimensions (one for a scalar), when partly
        known (see ShapeOf)."""
        value = self.fold()
        if value is None or value[index].ndim > 1 or value[index].dtype.kind not in "iu":
            return None
        return [Dimension(int(v)) if v >= 0 else Dimension() for v in value[index].reshape(-1)]

    # --- OpenVINO's Node API -----------------------------------------------
    def get_type_name(self) -> str:
        return self.type_name

    def get_type_info(self) -> Any:
        return _TypeInfo(self.type_name, self.version)

    def get_name(self) -> str:
        return f"{self.type_name}_{self._id}"

    def get_friendly_name(self) -> str:
        return self._friendly_name or self.get_name()

    def set_friendly_name(self, name: str) -> None:
        self._friendly_name = name

    friendly_name = property(get_friendly_name, set_friendly_name)
    name = property(get_friendly_name, set_friendly_name)

    def get_input_size(self) -> int:
        return len(self._inputs)

    def get_output_size(self) -> int:
        return len(self._outputs)

    def input(self, index: int) -> Input:
        return Input(self, index)

    def inputs(self) -> list[Input]:
        return [Input(self, i) for i in range(len(self._inputs))]

    def input_value(self, index: int) -> Output:
        return self._inputs[index]

    def input_values(self) -> list[Output]:
        return list(self._inputs)

    def output(self, index: int) -> Output:
        if not 0 <= index < len(self._outputs):
            raise IndexError(f"{self.type_name} has {len(self._outputs)} output(s), asked for {index}")
        return Output(self, index)

    def outputs(self) -> list[Output]:
        return [Output(self, i) for i in range(len(self._outputs))]

    def get_output_element_type(self, index: int) -> Type:
        return self._outputs[index].element_type

    def get_output_partial_shape(self, index: int) -> PartialShape:
        return self._outputs[index].partial_shape

    def get_output_shape(self, index: int) -> Shape:
        return self._outputs[index].partial_shape.to_shape()

    def get_element_type(self) -> Type:
        return self._outputs[0].element_type

    def get_input_element_type(self, index: int) -> Type:
        return self._inputs[index].get_element_type()

    def get_input_partial_shape(self, index: int) -> PartialShape:
        return self._inputs[index].get_partial_shape()

    def get_input_shape(self, index: int) -> Shape:
        return self._inputs[index].get_shape()

    def get_attributes(self) -> dict[str, Any]:
        return {name: _export_attr(getattr(self, name)) for name in self.attrs}

    def get_rt_info(self) -> RTMap:
        return self._rt_info

    @property
    def rt_info(self) -> RTMap:
        return self._rt_info

    def add_input(self, value: Any) -> int:
        """Connect one more input (ops with a variable number of inputs, e.g. bodies); returns its index.
        Call ``validate_and_infer_types`` once all inputs are connected."""
        out = as_output(value)
        index = len(self._inputs)
        self._inputs.append(out)
        out._port.targets.append(Input(self, index))
        _graph_changed(self)
        return index

    def set_argument(self, index: int, value: Output) -> None:
        Input(self, index).replace_source_output(value)

    def clone_with_new_inputs(self, inputs: list[Output]) -> Node:
        """A copy of this node reading ``inputs``; attributes, names and rt_info are kept."""
        clone = type(self)(*inputs, **{n: getattr(self, n) for n in self.attrs})
        self._copy_meta_to(clone)
        return clone

    def _copy_meta_to(self, clone: Node) -> None:
        clone._friendly_name = self._friendly_name or self.get_name()
        clone._rt_info = RTMap(self._rt_info)
        for src, dst in zip(self._outputs, clone._outputs):
            dst.names.clear()
            dst.names.update(src.names)
            dst.rt_info = RTMap(src.rt_info)

    def __repr__(self) -> str:
        outs = ", ".join(f"{p.element_type.get_type_name()}{p.partial_shape}" for p in self._outputs)
        return f"<{self.type_name}: '{self.get_friendly_name()}' ({outs})>"


@dataclass(frozen=True)
class _TypeInfo:
    name: str
    version_id: str

    def get_version(self) -> str:
        return self.version_id


def _coerce_attr(kind: str, value: Any) -> Any:
    """Normalize an attribute value to its declared type (lists of ints stay python ints)."""
    if value is None or not kind:
        return value
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "Type":
        return Type.resolve(value)
    if kind == "PartialShape":
        return as_partial_shape(value)
    if kind == "list[int]":
        return [int(v) for v in np.asarray(value).reshape(-1)]
    if kind == "list[float]":
        return [float(v) for v in np.asarray(value, dtype=np.float64).reshape(-1)]
    if kind == "list[str]":
        return [str(v) for v in value]
    return value


def _export_attr(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def as_output(value: Any) -> Output:
    """An Output from an Output, a single-output Node, or a constant-like value."""
    if isinstance(value, Output):
        return value
    if isinstance(value, Node):
        if value.get_output_size() != 1:
            raise ValueError(
                f"{value.get_type_name()} '{value.get_friendly_name()}' has "
                f"{value.get_output_size()} outputs; pass node.output(i)"
            )
        return Output(value, 0)
    from vinopy.ops.constant import Constant  # ops build on graph; this is the one way back

    return Output(Constant(value), 0)


def const_value(output: Output) -> np.ndarray | None:
    """The value of an output when it is known without running the model."""
    values = output.node.fold()
    return None if values is None else values[output.index]


def shape_value(output: Output) -> list[Dimension] | None:
    """A 0-D or 1-D shape-like integer output as dimensions (dynamic where unknown), when its length
    is known. Dynamic dimensions that are the same object stand for the same run-time value."""
    return output.node.fold_dims(output.index)
