"""``ov.convert_model``: read a model from a file or a framework object, then apply ovc's options.

``input`` describes model inputs the way ovc does: names, shapes, element types, (name, shape, type)
tuples, dicts, or ovc's command-line string (``"a[1,3,?,224],b[1..8]"``). A name that is not a model
input cuts the graph there: a new Parameter replaces that tensor. ``output`` keeps only the named
tensors as model outputs.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

import vinopy as ov

__all__ = ["InputSpec", "convert_model", "parse_input", "parse_output"]

# A string is a shape (not a tensor name) when it is made of dimensions and has brackets, a comma,
# '?' or a range: "[1,3,224,224]", "1,3,?,224", "1..8".
_DIM = r"\s*(?:\?|-1|\d+|\d*\.\.\d*)\s*"
_SHAPE_RE = re.compile(rf"^\s*(?:\[(?:{_DIM}(?:,{_DIM})*)?\]|{_DIM}(?:,{_DIM})*)\s*$")
_ONE_INPUT_RE = re.compile(r"^\s*([^\[\]]*?)\s*(\[[^\[\]]*\])?\s*$")


@dataclass(frozen=True)
class InputSpec:
    """One entry of ``input``: any of name, shape and element type."""

    name: str | None = None
    shape: ov.PartialShape | None = None
    type: ov.Type | None = None


# --- parsing `input` and `output` ----------------------------------------------------------------
def parse_input(value: Any) -> list[InputSpec]:
    """ovc's ``input`` argument as a list of InputSpec."""
    if value is None:
        return []
    if isinstance(value, str):
        return [InputSpec(shape=_to_shape(value))] if _is_shape_string(value) else parse_input_string(value)
    if isinstance(value, dict):
        return [_named(name, spec) for name, spec in value.items()]
    if isinstance(value, (list, tuple)):
        if not value:
            return []
        if _is_shape(value) or _is_single(value):
            return [_single(value)]
        return [_single(item) for item in value]
    return [_single(value)]


def parse_input_string(text: str) -> list[InputSpec]:
    """ovc's command-line form: comma-separated ``name``, ``name[shape]`` or ``[shape]`` entries."""
    specs = []
    for entry in _split_top_level(text):
        match = _ONE_INPUT_RE.match(entry)
        if match is None or not (match.group(1) or match.group(2)):
            raise ValueError(
                f"Cannot parse input '{entry}' in '{text}': expected name, name[shape] or [shape], "
                f"e.g. 'x[1,3,224,224],y[1,?]'"
            )
        name, shape = match.group(1) or None, match.group(2)
        specs.append(InputSpec(name, _to_shape(shape) if shape else None))
    return specs


def parse_output(value: Any) -> list[str]:
    """ovc's ``output``: a tensor name, a comma-separated string of them, or a list of names."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [item.strip() if isinstance(item, str) else item for item in items]
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad:
        raise ValueError(f"`output` takes tensor names, got {bad!r}")
    return names


def _split_top_level(text: str) -> list[str]:
    entries, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth < 0 or depth > 1:
            raise ValueError(f"Unbalanced brackets in input '{text}'")
        if char == "," and depth == 0:
            entries.append(text[start:i])
            start = i + 1
    if depth:
        raise ValueError(f"Unbalanced brackets in input '{text}'")
    return [*entries, text[start:]]


def _is_shape_string(value: str) -> bool:
    return bool(_SHAPE_RE.match(value)) and any(c in value for c in "[,?.")


def _to_shape(value: Any) -> ov.PartialShape:
    if isinstance(value, str) and not _SHAPE_RE.match(value):
        raise ValueError(
            f"Cannot parse shape '{value}': expected dims like '1,3,224,224', '[1,?,..8]' or '1..8'"
        )
    try:
        return ov.PartialShape(value) if isinstance(value, str) else ov.PartialShape(list(value))
    except (TypeError, ValueError) as e:
        raise ValueError(f"Cannot use {value!r} as a shape: {e}") from e


def _is_type(value: Any) -> bool:
    from vinopy.frontend.pytorch import is_torch_dtype

    if isinstance(value, (ov.Type, np.dtype)) or is_torch_dtype(value):
        return True
    return isinstance(value, type) and (value in (bool, int, float) or issubclass(value, np.generic))


def _to_type(value: Any) -> ov.Type:
    from vinopy.frontend.pytorch import is_torch_dtype, torch_dtype_to_type

    return torch_dtype_to_type(value) if is_torch_dtype(value) else ov.Type.resolve(value)


def _is_shape(value: Any) -> bool:
    if isinstance(value, (ov.PartialShape, ov.Shape)):
        return True
    if isinstance(value, str):
        return _is_shape_string(value)
    if isinstance(value, (list, tuple)):
        return all(isinstance(d, (int, np.integer, ov.Dimension)) and not isinstance(d, bool) for d in value)
    return False


def _kind(value: Any) -> str:
    if _is_shape(value):
        return "shape"
    if isinstance(value, str):
        return "name"
    if _is_type(value):
        return "type"
    raise ValueError(
        f"Cannot use {value!r} in `input`: expected a name, a shape (list of ints/Dimensions, "
        f"PartialShape or '1,3,?,224') or an element type"
    )


def _is_single(value: list | tuple) -> bool:
    """True for one input's (name, shape, type) group: each kind at most once."""
    try:
        kinds = [_kind(v) for v in value if v is not None]
    except ValueError:
        return False
    return len(kinds) == len(set(kinds))


def _single(value: Any) -> InputSpec:
    if isinstance(value, InputSpec):
        return value
    if not isinstance(value, (list, tuple)) or _is_shape(value):
        value = [value]
    found: dict[str, Any] = {}
    for item in value:
        if item is None:
            continue
        kind = _kind(item)
        if kind in found:
            raise ValueError(f"More than one {kind} given for one input: {value!r}")
        found[kind] = item
    return InputSpec(
        found.get("name"),
        _to_shape(found["shape"]) if "shape" in found else None,
        _to_type(found["type"]) if "type" in found else None,
    )


def _named(name: Any, value: Any) -> InputSpec:
    if not isinstance(name, str):
        raise ValueError(f"`input` dict keys must be tensor names, got {name!r}")
    spec = _single(value)
    if spec.name is not None and spec.name != name:
        raise ValueError(f"`input` entry '{name}' names another input '{spec.name}'")
    return InputSpec(name, spec.shape, spec.type)


# --- reading ---------------------------------------------------------------------------------------
def _read(input_model: Any, example_input: Any, specs: list[InputSpec]) -> tuple[ov.Model, list[InputSpec]]:
    """The model, and the input specs still to apply to it."""
    from vinopy.frontend import read_model
    from vinopy.frontend.pytorch import is_torch_module, read_torch

    if is_torch_module(input_model):
        model = read_torch(input_model, example_input, [(s.name, s.shape, s.type) for s in specs])
        return model, []  # read_torch has applied the specs
    if example_input is not None:
        raise ValueError("example_input is only used when converting a torch.nn.Module")
    if isinstance(input_model, (str, os.PathLike, bytes, bytearray, memoryview, ov.Model)) or (
        type(input_model).__name__ == "ModelProto"
    ):
        model = read_model(input_model)
        return (model.clone() if isinstance(input_model, ov.Model) else model), specs
    if isinstance(input_model, (list, tuple)) and len(input_model) == 2:
        return read_model(*input_model), specs  # (xml, bin)
    raise TypeError(
        f"Cannot convert {type(input_model).__name__}: expected a path or bytes of an ONNX, IR (.xml) or "
        f"TFLite model, an onnx.ModelProto, an ov.Model or a torch.nn.Module"
    )


# --- inputs and outputs ----------------------------------------------------------------------------
def _tensors(model: ov.Model) -> dict[str, ov.Output]:
    """Every tensor by name, then by its node's friendly name (as OpenVINO also accepts)."""
    by_name: dict[str, ov.Output] = {}
    by_node: dict[str, ov.Output] = {}
    for node in model.get_ordered_ops():
        if node.get_type_name() == "Result":
            continue
        for out in node.outputs():
            for name in out.get_names():
                by_name.setdefault(name, out)
        if node.get_output_size() == 1:
            by_node.setdefault(node.get_friendly_name(), node.output(0))
    return {**by_node, **by_name}


def _lookup(tensors: dict[str, ov.Output], name: str, option: str) -> ov.Output:
    if name in tensors:
        return tensors[name]
    known = sorted(tensors)
    shown = ", ".join(known[:30]) + (f", ... ({len(known) - 30} more)" if len(known) > 30 else "")
    raise ValueError(f"`{option}` names '{name}', which is not a tensor of the model; tensors: {shown}")


def _set_input(param: ov.Node, spec: InputSpec) -> None:
    if spec.shape is not None:
        param.set_partial_shape(spec.shape)
    if spec.type is not None:
        param.set_element_type(spec.type)


def _cut_at(out: ov.Output, spec: InputSpec) -> ov.Node:
    """A new Parameter that replaces tensor ``out`` for all its readers and takes over its names."""
    param = ov.opset1.parameter(
        spec.shape if spec.shape is not None else out.get_partial_shape(),
        spec.type or out.get_element_type(),
        name=spec.name,
    )
    names = out.get_names() or {spec.name}
    out.replace(param.output(0))
    out.set_names(set())
    param.output(0).set_names(names)
    return param


def _apply_inputs(model: ov.Model, specs: list[InputSpec]) -> ov.Model:
    named = [s for s in specs if s.name is not None]
    if not named:
        params = model.get_parameters()
        if len(specs) != len(params):
            names = [p.output(0).get_any_name() for p in params]
            raise ValueError(
                f"`input` describes {len(specs)} unnamed inputs but the model has {len(params)}: {names}; "
                f"name the inputs to set only some of them"
            )
        for param, spec in zip(params, specs):
            _set_input(param, spec)
        model.validate_nodes_and_infer_types()
        return model
    if len(named) != len(specs):
        raise ValueError("`input` mixes named and unnamed inputs: name all of them or none")
    tensors = _tensors(model)
    listed = []
    for spec in specs:
        out = _lookup(tensors, spec.name, "input")
        if out.get_node().get_type_name() == "Parameter":
            _set_input(out.get_node(), spec)
            listed.append(out.get_node())
        else:
            listed.append(_cut_at(out, spec))
    return _rebuild(model, list(model.get_results()), listed)


def _apply_outputs(model: ov.Model, names: list[str]) -> ov.Model:
    tensors = _tensors(model)
    results: list[Any] = []
    for name in names:
        out = _lookup(tensors, name, "output")
        existing = [r for r in model.get_results() if r.input_value(0) == out]
        results.append(existing[0] if existing else out)
    return _rebuild(model, results, [])


def _rebuild(model: ov.Model, results: list[Any], listed: list[ov.Node]) -> ov.Model:
    """A model over ``results`` whose inputs are ``listed`` then the old inputs still in use."""
    reachable = {id(p) for p in ov.Model(results).get_parameters()}
    ids = {id(p) for p in listed}
    rest = [p for p in model.get_parameters() if id(p) in reachable and id(p) not in ids]
    new = ov.Model(results, listed + rest, model.get_friendly_name())
    for key, value in model.get_rt_info().items():
        new.set_rt_info(value, key)
    new.validate_nodes_and_infer_types()
    return new


# --- the entry point -------------------------------------------------------------------------------
def convert_model(
    input_model: Any,
    *,
    input: Any = None,
    output: Any = None,
    example_input: Any = None,
    extension: Any = None,
    verbose: bool = False,
    share_weights: bool = True,
) -> ov.Model:
    """Convert a model into an ``ov.Model``.

    ``input_model``: a path (or bytes) of an ONNX, IR or TFLite model, an ``onnx.ModelProto``, an
    ``ov.Model`` or a ``torch.nn.Module`` (with ``example_input``, or static shapes in ``input``).
    ``input``: input names, shapes ([1,3,224,224], "1,3,?,224", "1..8", PartialShape), types,
    (name, shape, type) tuples or a dict keyed by name; naming an inner tensor cuts the graph there.
    ``output``: tensor names to keep as outputs (a list or a comma-separated string).
    ``share_weights`` is accepted for compatibility: the frontends always hold their own copy.
    """
    if extension:
        raise ValueError("extensions are not supported: vinopy cannot load OpenVINO extension libraries")
    specs = parse_input(input)
    outputs = parse_output(output)
    model, specs = _read(input_model, example_input, specs)
    if outputs:
        model = _apply_outputs(model, outputs)
    if specs:
        model = _apply_inputs(model, specs)
    if verbose:
        print(_summary(model), file=sys.stderr)
    return model


def _summary(model: ov.Model) -> str:
    def ports(items: list[ov.Output]) -> str:
        return "\n".join(
            f"  {o.get_any_name()}: {o.get_element_type().get_type_name()} {o.get_partial_shape()}"
            for o in items
        )

    title = f"Model '{model.get_friendly_name()}' ({len(model.get_ordered_ops())} ops)"
    return f"{title}\ninputs:\n{ports(model.inputs)}\noutputs:\n{ports(model.outputs)}"
