"""Model: a graph from Parameters to Results."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from vinopy.graph.node import Node, Output, RTMap, as_output
from vinopy.graph.shape import PartialShape, as_partial_shape
from vinopy.graph.types import Type

_model_ids = itertools.count()


class Model:
    """``Model(results, parameters, name)``; results may be Result nodes, other nodes or outputs."""

    def __init__(self, results: Any, parameters: Iterable[Node] | None = None, name: str = "") -> None:
        from vinopy.ops.constant import Parameter, Result

        if isinstance(results, (Node, Output)):
            results = [results]
        self._results: list[Node] = [r if isinstance(r, Result) else Result(as_output(r)) for r in results]
        self._sinks: list[Node] = []
        if parameters is None:
            parameters = [n for n in _topological(self._results) if isinstance(n, Parameter)]
        self._parameters: list[Node] = list(parameters)
        self._friendly_name = name or f"Model{next(_model_ids)}"
        self._rt_info = RTMap()
        self._check_parameters()
        _name_unnamed_tensors(self._parameters + self._results)

    def _check_parameters(self) -> None:
        from vinopy.ops.constant import Parameter

        for p in self._parameters:
            if not isinstance(p, Parameter):
                raise TypeError(f"Model parameters must be Parameter nodes, got {p!r}")
        known = {id(p) for p in self._parameters}
        missing = [n for n in _topological(self._results) if isinstance(n, Parameter) and id(n) not in known]
        if missing:
            names = ", ".join(p.get_friendly_name() for p in missing)
            raise ValueError(f"Model uses Parameter(s) not in its parameter list: {names}")

    # --- names ----------------------------------------------------------------
    def get_friendly_name(self) -> str:
        return self._friendly_name

    def set_friendly_name(self, name: str) -> None:
        self._friendly_name = name

    friendly_name = property(get_friendly_name, set_friendly_name)

    def get_name(self) -> str:
        return self._friendly_name

    name = property(get_name)

    # --- inputs and outputs -------------------------------------------------
    def get_parameters(self) -> list[Node]:
        return list(self._parameters)

    def get_results(self) -> list[Node]:
        return list(self._results)

    def get_sinks(self) -> list[Node]:
        return list(self._sinks)

    @property
    def parameters(self) -> list[Node]:
        return self.get_parameters()

    @property
    def results(self) -> list[Node]:
        return self.get_results()

    @property
    def inputs(self) -> list[Output]:
        return [p.output(0) for p in self._parameters]

    @property
    def outputs(self) -> list[Output]:
        return [r.output(0) for r in self._results]

    def input(self, key: Any = None) -> Output:
        return _select(self.inputs, key, "input")

    def output(self, key: Any = None) -> Output:
        return _select(self.outputs, key, "output")

    def get_output_size(self) -> int:
        return len(self._results)

    def get_result(self) -> Node:
        """The Result of a single-output model."""
        if len(self._results) != 1:
            raise RuntimeError(f"Model has {len(self._results)} results; use get_results()")
        return self._results[0]

    def replace_parameter(self, index: int, parameter: Node) -> None:
        """Put ``parameter`` in place of parameter ``index``: its readers read the new one."""
        old = self._parameters[index]
        old.output(0).replace(parameter.output(0))
        self._parameters[index] = parameter

    def get_output_op(self, index: int) -> Node:
        return self._results[index]

    def get_output_element_type(self, index: int) -> Type:
        return self._results[index].get_output_element_type(0)

    def get_output_partial_shape(self, index: int) -> PartialShape:
        return self._results[index].get_output_partial_shape(0)

    def get_output_shape(self, index: int) -> Any:
        return self._results[index].get_output_shape(0)

    def get_parameter_index(self, parameter: Node) -> int:
        return next((i for i, p in enumerate(self._parameters) if p is parameter), -1)

    def get_result_index(self, value: Any) -> int:
        for i, r in enumerate(self._results):
            if r is value or (isinstance(value, Output) and r.output(0) == value):
                return i
        return -1

    def add_parameters(self, parameters: list[Node]) -> None:
        self._parameters.extend(parameters)

    def add_results(self, results: list[Node]) -> None:
        from vinopy.ops.constant import Result

        self._results.extend(r if isinstance(r, Result) else Result(as_output(r)) for r in results)

    def add_outputs(self, outputs: Any) -> list[Output]:
        """Add Results for the given outputs (Output objects, tensor names or (node name, port))."""
        from vinopy.ops.constant import Result

        if not isinstance(outputs, list):
            outputs = [outputs]
        added = []
        for item in outputs:
            out = self._find_output(item)
            result = Result(out)
            self._results.append(result)
            added.append(result.output(0))
        return added

    def _find_output(self, item: Any) -> Output:
        if isinstance(item, Output):
            return item
        if isinstance(item, tuple):
            node_name, port = item
            for n in self.get_ops():
                if n.get_friendly_name() == node_name:
                    return n.output(port)
            raise KeyError(f"Model has no node named '{node_name}'")
        for n in self.get_ops():
            for out in n.outputs():
                if item in out.get_names():
                    return out
        raise KeyError(f"Model has no tensor named '{item}'")

    def remove_result(self, result: Node) -> None:
        self._results = [r for r in self._results if r is not result]

    def remove_parameter(self, parameter: Node) -> None:
        self._parameters = [p for p in self._parameters if p is not parameter]

    # --- traversal ------------------------------------------------------------
    def get_ordered_ops(self) -> list[Node]:
        """All nodes, each after the nodes it reads."""
        return _topological(self._results + self._sinks, self._parameters)

    def get_ops(self) -> list[Node]:
        return self.get_ordered_ops()

    # --- shapes ---------------------------------------------------------------
    def is_dynamic(self) -> bool:
        return any(
            n.get_output_partial_shape(i).is_dynamic
            for n in self.get_ordered_ops()
            for i in range(n.get_output_size())
        )

    def validate_nodes_and_infer_types(self) -> None:
        for node in self.get_ordered_ops():
            node.validate_and_infer_types()

    def reshape(self, shapes: Any, variables_shapes: Any = None) -> None:
        """Set new input shapes and re-infer: one shape for a single-input model, or a dict
        keyed by input index, tensor name or Output, with PartialShape/list/str values."""
        if not isinstance(shapes, dict):
            if len(self._parameters) != 1:
                raise ValueError(
                    f"reshape with one shape needs a model with one input; this one has "
                    f"{len(self._parameters)}: pass a dict keyed by input name or index"
                )
            shapes = {0: shapes}
        old = {p: p.get_partial_shape() for p in self._parameters}
        try:
            for key, shape in shapes.items():
                param = self.input(key).get_node()
                param.set_partial_shape(as_partial_shape(shape))
            self.validate_nodes_and_infer_types()
        except Exception:
            for p, s in old.items():
                p.set_partial_shape(s)
            self.validate_nodes_and_infer_types()
            raise

    # --- rt_info --------------------------------------------------------------
    def get_rt_info(self, path: Any = None) -> Any:
        if path is None:
            return self._rt_info
        node: Any = self._rt_info
        for key in [path] if isinstance(path, str) else path:
            node = node[key]
        return node

    def set_rt_info(self, value: Any, path: Any) -> None:
        keys = [path] if isinstance(path, str) else list(path)
        node = self._rt_info
        for key in keys[:-1]:
            node = node.setdefault(key, RTMap())
        node[keys[-1]] = value

    def has_rt_info(self, path: Any) -> bool:
        try:
            self.get_rt_info(path)
            return True
        except (KeyError, TypeError):
            return False

    @property
    def rt_info(self) -> RTMap:
        return self._rt_info

    # --- copies ---------------------------------------------------------------
    def clone(self) -> Model:
        """A deep copy: new nodes with the same types, attributes, names and rt_info."""
        mapping: dict[int, Node] = {}
        for node in self.get_ordered_ops():
            new_inputs = [mapping[id(o.node)].output(o.index) for o in node.input_values()]
            mapping[id(node)] = node.clone_with_new_inputs(new_inputs)
        clone = Model(
            [mapping[id(r)] for r in self._results],
            [mapping[id(p)] for p in self._parameters],
            self._friendly_name,
        )
        clone._sinks = [mapping[id(s)] for s in self._sinks]
        clone._rt_info = _deep_copy_rt(self._rt_info)
        return clone

    def __copy__(self) -> Model:
        return self.clone()

    def __deepcopy__(self, memo: dict) -> Model:
        return self.clone()

    def __repr__(self) -> str:
        ins = ", ".join(_port_repr(o) for o in self.inputs)
        outs = ", ".join(_port_repr(o) for o in self.outputs)
        return f"<Model: '{self._friendly_name}'\ninputs[\n{ins}\n]\noutputs[\n{outs}\n]>"


def _name_unnamed_tensors(nodes: list[Node]) -> None:
    """As OpenVINO does: model inputs and outputs without tensor names take their node's name."""
    for node in nodes:
        port = node.output(0)
        if not port.get_names():
            port.add_names({node.get_friendly_name()})


def _port_repr(out: Output) -> str:
    names = ", ".join(sorted(out.get_names()))
    type_name = out.get_element_type().get_type_name()
    return f"<ConstOutput: names[{names}] shape{out.get_partial_shape()} type: {type_name}>"


def _deep_copy_rt(rt: RTMap) -> RTMap:
    return RTMap({k: _deep_copy_rt(v) if isinstance(v, RTMap) else v for k, v in rt.items()})


def _select(ports: list[Output], key: Any, what: str) -> Output:
    if key is None:
        if len(ports) != 1:
            raise RuntimeError(f"Model has {len(ports)} {what}s; name one by index or tensor name")
        return ports[0]
    if isinstance(key, int):
        if not -len(ports) <= key < len(ports):
            raise IndexError(f"Model has {len(ports)} {what}s, asked for {what} {key}")
        return ports[key]
    if isinstance(key, Output):
        for p in ports:
            if p == key:
                return p
        raise KeyError(f"{key!r} is not an {what} of the model")
    for p in ports:
        if key in p.get_names():
            return p
    for p in ports:  # OpenVINO also accepts the friendly name of the Parameter / Result's producer
        if p.get_node().get_friendly_name() == key:
            return p
    known = [sorted(p.get_names()) or p.get_node().get_friendly_name() for p in ports]
    raise KeyError(f"Model has no {what} named '{key}'; {what}s: {known}")


def _topological(roots: list[Node], extra: Iterable[Node] = ()) -> list[Node]:
    """Nodes reachable from roots (and extra), each after its inputs; iterative DFS."""
    order: list[Node] = []
    seen: set[int] = set()
    for root in list(extra) + list(roots):
        if id(root) in seen:
            continue
        stack: list[tuple[Node, int]] = [(root, 0)]
        seen.add(id(root))
        while stack:
            node, i = stack[-1]
            deps = node._inputs + [Output(d, 0) for d in getattr(node, "control_deps", ())]
            if i < len(deps):
                stack[-1] = (node, i + 1)
                src = deps[i].node
                if id(src) not in seen:
                    seen.add(id(src))
                    stack.append((src, 0))
            else:
                stack.pop()
                order.append(node)
    return order
