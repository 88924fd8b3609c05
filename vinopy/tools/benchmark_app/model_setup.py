"""Steps 5 and 6 of benchmark_app: reshaping the model and setting input/output precisions and
mean/scale values, through the public opset API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import vinopy as ov
from vinopy.tools.benchmark_app.arguments import BadArguments
from vinopy.tools.benchmark_app.inputs import input_name, parse_shape, per_input

ops = ov.opset13


def reshape(model: ov.Model, shape_text: str, batch: int, layouts: dict[int, ov.Layout]) -> None:
    """Apply -shape (per input) and -b (the N dimension of inputs whose layout has one)."""
    new_shapes: dict[int, ov.PartialShape] = {}
    for i, values in per_input(model, shape_text, "-shape").items():
        new_shapes[i] = parse_shape(values[0], "-shape")
    if batch:
        for i, port in enumerate(model.inputs):
            layout = layouts[i]
            if not ov.layout_helpers.has_batch(layout):
                continue
            shape = ov.PartialShape(new_shapes.get(i, port.get_partial_shape()))
            shape[ov.layout_helpers.batch_idx(layout)] = batch
            new_shapes[i] = shape
        if not new_shapes:
            raise BadArguments("-b was given but no input has a layout with a batch (N) dimension; set -layout")
    if new_shapes:
        try:
            model.reshape({model.inputs[i]: s for i, s in new_shapes.items()})
        except (ValueError, RuntimeError) as e:
            raise BadArguments(f"cannot reshape the model: {e}") from None


def batch_size(model: ov.Model, layouts: dict[int, ov.Layout]) -> int:
    for i, port in enumerate(model.inputs):
        layout = layouts[i]
        if ov.layout_helpers.has_batch(layout):
            dim = port.get_partial_shape()[ov.layout_helpers.batch_idx(layout)]
            return dim.get_length() if dim.is_static else 1
    return 1


def _precision_map(model: ov.Model, args: Any) -> tuple[dict[int, ov.Type], dict[int, ov.Type]]:
    inputs = {i: ov.Type(args.input_precision) for i in range(len(model.inputs))} if args.input_precision else {}
    outputs = {i: ov.Type(args.output_precision) for i in range(len(model.outputs))} \
        if args.output_precision else {}
    for item in filter(None, args.input_output_precision.split(",")):
        name, _, precision = item.rpartition(":")
        try:
            et = ov.Type(precision)
        except TypeError:
            raise BadArguments(f"-iop: unknown precision '{precision}' in '{item}'") from None
        for i, port in enumerate(model.inputs):
            if name in port.get_names() or port.get_node().get_friendly_name() == name:
                inputs[i] = et
                break
        else:
            for i, port in enumerate(model.outputs):
                if name in port.get_names():
                    outputs[i] = et
                    break
            else:
                raise BadArguments(f"-iop: the model has no input or output named '{name}'")
    return inputs, outputs


def configure(model: ov.Model, args: Any, layouts: dict[int, ov.Layout]) -> ov.Model:
    """A model with -ip/-op/-iop precisions and --mean_values/--scale_values built in."""
    input_types, output_types = _precision_map(model, args)
    means = _per_channel(model, args.mean_values, "mean_values")
    scales = _per_channel(model, args.scale_values, "scale_values")
    params = list(model.get_parameters())
    for i, param in enumerate(params):
        if i not in input_types and i not in means and i not in scales:
            continue
        original_type = param.get_element_type()

        def chain(x: Any, i: int = i, original_type: ov.Type = original_type) -> Any:
            if i in means or i in scales:
                x = ops.convert(x, ov.Type.f32) if x.get_element_type() != ov.Type.f32 else x
                if i in means:
                    x = ops.subtract(x, _channel_constant(means[i], layouts[i], x))
                if i in scales:
                    x = ops.divide(x, _channel_constant(scales[i], layouts[i], x))
            if x.get_element_type() != original_type:
                x = ops.convert(x, original_type)
            return x

        params[i] = _replace_parameter(param, input_types.get(i, original_type), chain)
    results = list(model.get_results())
    for i, et in output_types.items():
        results[i] = _convert_result(results[i], et)
    return ov.Model(results, params, model.get_friendly_name())


def _per_channel(model: ov.Model, text: str, what: str) -> dict[int, list[float]]:
    values = {}
    for i, groups in per_input(model, text, f"--{what}").items():
        try:
            values[i] = [float(v) for v in groups[0].split(",")]
        except ValueError:
            raise BadArguments(f"--{what}: expected numbers like [1.0,2.0,3.0], got '[{groups[0]}]'") from None
    return values


def _channel_constant(values: list[float], layout: ov.Layout, x: Any) -> Any:
    shape = x.get_partial_shape()
    if len(values) == 1:
        return ops.constant(np.float32(values[0]))
    if not ov.layout_helpers.has_channels(layout):
        raise BadArguments(f"per-channel values {values} need a layout with a C dimension; set -layout")
    rank = len(shape)
    axis = ov.layout_helpers.channels_idx(layout) % rank
    target = [1] * rank
    target[axis] = len(values)
    if shape[axis].is_static and shape[axis].get_length() != len(values):
        raise BadArguments(f"{len(values)} per-channel values given for {shape[axis]} channels")
    return ops.constant(np.asarray(values, dtype=np.float32).reshape(target))


def _replace_parameter(param: Any, element_type: ov.Type, chain: Callable[[Any], Any]) -> Any:
    new_param = ops.parameter(param.get_partial_shape(), element_type, name=param.get_friendly_name())
    names = param.output(0).get_names()
    consumers = param.output(0).get_target_inputs()
    out = chain(new_param.output(0))
    for target in consumers:
        target.replace_source_output(out.output(0) if hasattr(out, "output") else out)
    param.output(0).set_names(set())
    new_param.output(0).set_names(names)
    if hasattr(param, "get_layout"):
        new_param.set_layout(param.get_layout())
    return new_param


def _convert_result(result: Any, element_type: ov.Type) -> Any:
    source = result.input_value(0)
    if source.get_element_type() == element_type:
        return result
    names = source.get_names()
    converted = ops.convert(source, element_type)
    source.set_names(set())
    converted.output(0).set_names(names)
    return ops.result(converted)


def describe(model: ov.Model, layouts: dict[int, ov.Layout] | None = None) -> list[str]:
    lines = ["Model inputs:"]
    for i, port in enumerate(model.inputs):
        layout = layouts.get(i) if layouts else None
        lines.append(_port_line(port, i, layout))
    lines.append("Model outputs:")
    for i, port in enumerate(model.outputs):
        lines.append(_port_line(port, i, None))
    return lines


def _port_line(port: Any, index: int, layout: ov.Layout | None) -> str:
    node = port.get_node()
    if node.get_type_name() == "Result":
        node = port.get_node().input_value(0).get_node()
    layout_text = "[...]" if layout is None or layout.empty() else str(layout)
    return (f"    {input_name(port, index)} (node: {node.get_friendly_name()}) : "
            f"{port.get_element_type().get_type_name()} / {layout_text} / {port.get_partial_shape()}")
