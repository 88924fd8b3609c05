"""Steps 5 and 6 of benchmark_app: reshaping the model and setting input/output precisions and
mean/scale values, through the public opset API."""

from __future__ import annotations

from typing import Any

import vinopy as ov
from vinopy.tools.benchmark_app.arguments import UsageError
from vinopy.tools.benchmark_app.inputs import input_name, parse_shape, per_input


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
            raise UsageError("-b was given but no input has a layout with a batch (N) dimension; set -layout")
    if new_shapes:
        try:
            model.reshape({model.inputs[i]: s for i, s in new_shapes.items()})
        except (ValueError, RuntimeError) as e:
            raise UsageError(f"cannot reshape the model: {e}") from None


def batch_size(model: ov.Model, layouts: dict[int, ov.Layout]) -> int:
    for i, port in enumerate(model.inputs):
        layout = layouts[i]
        if ov.layout_helpers.has_batch(layout):
            dim = port.get_partial_shape()[ov.layout_helpers.batch_idx(layout)]
            return dim.get_length() if dim.is_static else 1
    return 1


def _precision_map(model: ov.Model, args: Any) -> tuple[dict[int, ov.Type], dict[int, ov.Type]]:
    inputs = (
        {i: ov.Type(args.input_precision) for i in range(len(model.inputs))} if args.input_precision else {}
    )
    outputs = (
        {i: ov.Type(args.output_precision) for i in range(len(model.outputs))}
        if args.output_precision
        else {}
    )
    for item in filter(None, args.input_output_precision.split(",")):
        name, _, precision = item.rpartition(":")
        try:
            et = ov.Type(precision)
        except TypeError:
            raise UsageError(f"-iop: unknown precision '{precision}' in '{item}'") from None
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
                raise UsageError(f"-iop: the model has no input or output named '{name}'")
    return inputs, outputs


def configure(model: ov.Model, args: Any, layouts: dict[int, ov.Layout]) -> ov.Model:
    """A model with -ip/-op/-iop precisions and --mean_values/--scale_values built in by PrePostProcessor."""
    input_types, output_types = _precision_map(model, args)
    means = _per_channel(model, args.mean_values, "mean_values")
    scales = _per_channel(model, args.scale_values, "scale_values")
    if not (input_types or output_types or means or scales):
        return model
    ppp = ov.preprocess.PrePostProcessor(model)
    for i in range(len(model.inputs)):
        info = ppp.input(i)
        if i in input_types:
            info.tensor().set_element_type(input_types[i])
        if not layouts[i].empty():
            info.model().set_layout(layouts[i])
        if i in means or i in scales:
            info.preprocess().convert_element_type(ov.Type.f32)
            if i in means:
                info.preprocess().mean(means[i])
            if i in scales:
                info.preprocess().scale(scales[i])
    for i, et in output_types.items():
        ppp.output(i).tensor().set_element_type(et)
    try:
        return ppp.build()
    except (ValueError, NotImplementedError) as e:
        raise UsageError(str(e)) from None


def _per_channel(model: ov.Model, text: str, what: str) -> dict[int, list[float]]:
    values = {}
    for i, groups in per_input(model, text, f"--{what}").items():
        try:
            values[i] = [float(v) for v in groups[0].split(",")]
        except ValueError:
            raise UsageError(f"--{what}: expected numbers like [1.0,2.0,3.0], got [{groups[0]}]") from None
    return values


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
    return (
        f"    {input_name(port, index)} (node: {node.get_friendly_name()}) : "
        f"{port.get_element_type().get_type_name()} / {layout_text} / {port.get_partial_shape()}"
    )
