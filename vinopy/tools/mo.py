"""The legacy Model Optimizer API: ``vinopy.tools.mo.convert_model`` and ``vinopy mo`` / ``python -m
vinopy.tools.mo``. Built on ``ov.convert_model``; mean/scale, channel reversal and layouts are baked
into the model with ``PrePostProcessor`` (channels reversed first, then mean subtracted, then scaled).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import vinopy as ov
from vinopy.tools.cli import CliParser, add_bool_option, run_command
from vinopy.tools.convert import convert_model as ovc_convert_model
from vinopy.tools.convert import parse_input, parse_output
from vinopy.tools.ovc import write_ir

PROG = "vinopy mo"
_GROUP_RE = re.compile(r"\s*([^\[\](),]*?)\s*[\[(]([^\[\]()]*)[\])]\s*(?:,|$)")


# --- option values -------------------------------------------------------------------------------
def _groups(text: str, option: str) -> list[tuple[str | None, str]]:
    """``"a[1,2],b[3]"`` / ``"[1,2]"`` / ``"a(nchw)"`` as (name or None, inside) pairs; plain text is
    one group."""
    if not any(c in text for c in "[("):
        return [(None, text)]
    groups, position = [], 0
    for match in _GROUP_RE.finditer(text):
        if match.start() != position:
            break
        groups.append((match.group(1) or None, match.group(2)))
        position = match.end()
    if position != len(text):
        raise ValueError(f"Cannot parse {option} '{text}': expected e.g. 'name[1,2,3]' or '[1,2,3]' entries")
    return groups


def _floats(text: str, option: str) -> list[float]:
    try:
        return [float(v) for v in re.split(r"[,\s]+", text.strip()) if v]
    except ValueError as e:
        raise ValueError(f"Cannot parse {option} values '{text}': {e}") from e


def parse_values(value: Any, option: str) -> list[tuple[str | None, list[float]]]:
    """mean_values / scale_values: a string, a list of numbers, or a dict keyed by input name."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [(name, [float(v) for v in _as_list(values)]) for name, values in value.items()]
    if isinstance(value, str):
        return [(name, _floats(inside, option)) for name, inside in _groups(value, option)]
    values = _as_list(value)
    if values and all(isinstance(v, (list, tuple)) for v in values):
        return [(None, [float(x) for x in v]) for v in values]
    return [(None, [float(v) for v in values])]


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) or hasattr(value, "tolist") else [value]


def parse_layouts(value: Any, option: str) -> list[tuple[str | None, str | None, str | None]]:
    """layout / source_layout / target_layout as (input name, source, target) triples.

    Strings: ``"nchw"``, ``"nchw->nhwc"``, ``"a(nchw),b(nc)"``, ``"a(nchw->nhwc)"``; dicts map names to a
    layout or a (source, target) pair. For ``target_layout`` the single layout is the target."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [(name, *_layout_pair(spec, option)) for name, spec in value.items()]
    if isinstance(value, (list, tuple)):
        return [(None, *_layout_pair(value, option))]
    return [(name, *_layout_pair(inside, option)) for name, inside in _groups(str(value), option)]


def _layout_pair(spec: Any, option: str) -> tuple[str | None, str | None]:
    if isinstance(spec, (list, tuple)):
        source, target = spec
    elif "->" in str(spec):
        source, target = str(spec).split("->")
    else:
        source, target = str(spec), None
    pair = (source, target) if option != "target_layout" else (None, source)
    for layout in pair:
        if layout is not None:
            try:
                ov.Layout(str(layout).strip())
            except (TypeError, ValueError) as e:
                raise ValueError(f"Cannot parse {option} '{layout}': {e}") from e
    return tuple(str(x).strip() if x is not None else None for x in pair)


def parse_input_shapes(input_shape: Any) -> list[ov.PartialShape]:
    """input_shape: ``"[1,3,224,224],[1,10]"``, ``"(1,3,224,224)"``, one shape, or a list of shapes."""
    if input_shape is None:
        return []
    if isinstance(input_shape, str):
        groups = _groups(input_shape, "input_shape")
        return [ov.PartialShape(inside if inside.strip() else "[]") for _, inside in groups]
    items = _as_list(input_shape)
    if isinstance(input_shape, ov.PartialShape) or all(isinstance(d, (int, ov.Dimension)) for d in items):
        return [ov.PartialShape(input_shape)]
    return [ov.PartialShape(s) for s in items]


# --- applying them -------------------------------------------------------------------------------
def _input_specs(input: Any, input_shape: Any) -> Any:
    shapes = parse_input_shapes(input_shape)
    if not shapes:
        return input
    names = [n.strip() for n in input.split(",")] if isinstance(input, str) else list(input or [])
    if names and len(names) != len(shapes):
        raise ValueError(f"input names {names} and input_shape {[str(s) for s in shapes]} differ in count")
    return list(zip(names, shapes)) if names else shapes


def _by_input(model: ov.Model, entries: list[tuple], option: str) -> dict[int, tuple]:
    """Entries keyed by input index: named ones by name, an unnamed one for all inputs, or by position."""
    inputs = model.inputs
    unnamed = [e for e in entries if e[0] is None]
    if unnamed and len(unnamed) != len(entries):
        raise ValueError(f"{option} mixes named and unnamed entries: name all of them or none")
    if unnamed:
        if len(unnamed) == 1:
            return dict.fromkeys(range(len(inputs)), unnamed[0][1:])
        if len(unnamed) != len(inputs):
            raise ValueError(f"{option} has {len(unnamed)} entries for a model with {len(inputs)} inputs")
        return {i: e[1:] for i, e in enumerate(unnamed)}
    result = {}
    for name, *rest in entries:
        try:
            result[inputs.index(model.input(name))] = tuple(rest)
        except (KeyError, RuntimeError) as e:
            names = [p.get_any_name() for p in inputs]
            raise ValueError(
                f"{option} names input '{name}', which the model does not have; inputs: {names}"
            ) from e
    return result


def _guess_layout(shape: ov.PartialShape, channels: int, name: str) -> str:
    """NCHW or NHWC for 4D images (by where the channel count fits), NC for 2D."""
    rank = shape.rank.get_length() if shape.rank.is_static else -1
    if rank == 2:
        return "NC"
    if rank == 4:
        if shape[1].compatible(channels):
            return "NCHW"
        if shape[3].compatible(channels):
            return "NHWC"
    raise ValueError(f"Cannot tell which axis of input '{name}' {shape} holds channels: give its layout")


def _set_batch(model: ov.Model, batch: int, layouts: dict[int, tuple]) -> None:
    shapes = {}
    for i, port in enumerate(model.inputs):
        shape = port.get_partial_shape()
        source = layouts.get(i, (None, None))[0]
        axis = ov.layout_helpers.batch_idx(ov.Layout(source)) if source and "N" in source.upper() else 0
        dims = list(shape)
        dims[axis] = ov.Dimension(batch)
        shapes[i] = ov.PartialShape(dims)
    model.reshape(shapes)


def _preprocess(model: ov.Model, layouts: dict, means: dict, scales: dict, reverse: bool) -> ov.Model:
    ppp = ov.preprocess.PrePostProcessor(model)
    for i, port in enumerate(model.inputs):
        name, shape = port.get_any_name(), port.get_partial_shape()
        source, target = layouts.get(i, (None, None))
        mean, scale = means.get(i, (None,))[0], scales.get(i, (None,))[0]
        per_channel = [v for v in (mean, scale) if v is not None and len(v) > 1]
        if source is None and (per_channel or reverse or target):
            channels = len(per_channel[0]) if per_channel else 3
            try:
                source = _guess_layout(shape, channels, name)
            except ValueError:
                if per_channel or target:
                    raise
                continue  # channel reversal only touches 3-channel images
        info = ppp.input(i)
        if source:
            info.model().set_layout(ov.Layout(source))
        if target:
            info.tensor().set_layout(ov.Layout(target))
        if reverse and _channels(shape, source) == 3:
            info.preprocess().reverse_channels()
        if mean is not None:
            info.preprocess().mean(mean if len(mean) > 1 else mean[0])
        if scale is not None:
            info.preprocess().scale(scale if len(scale) > 1 else scale[0])
    return ppp.build()


def _channels(shape: ov.PartialShape, layout: str | None) -> int | None:
    if not layout or "C" not in layout.upper() or shape.rank.is_dynamic:
        return None
    dim = shape[ov.layout_helpers.channels_idx(ov.Layout(layout))]
    return dim.get_length() if dim.is_static else None


def _compressed(model: ov.Model) -> ov.Model:
    """The model with float32 weights stored as float16 and decompressed on the fly, as IR keeps them."""
    from vinopy.serialize import to_bytes

    xml, weights = to_bytes(model, compress_to_fp16=True)
    return ov.Core().read_model(xml, weights)


def convert_model(
    input_model: Any,
    input_shape: Any = None,
    mean_values: Any = None,
    scale_values: Any = None,
    reverse_input_channels: bool = False,
    layout: Any = None,
    source_layout: Any = None,
    target_layout: Any = None,
    compress_to_fp16: bool = False,
    input: Any = None,
    output: Any = None,
    batch: int | None = None,
    example_input: Any = None,
    extension: Any = None,
    verbose: bool = False,
) -> ov.Model:
    """Model Optimizer's ``convert_model``: ``ov.convert_model`` plus mo's preprocessing options."""
    model = ovc_convert_model(
        input_model,
        input=_input_specs(input, input_shape),
        output=output,
        example_input=example_input,
        extension=extension,
        verbose=verbose,
    )
    entries = parse_layouts(layout, "layout") + parse_layouts(source_layout, "source_layout")
    layouts = _merge_layouts(
        _by_input(model, entries, "layout"),
        _by_input(model, parse_layouts(target_layout, "target_layout"), "target_layout"),
    )
    if batch is not None:
        if int(batch) < 1:
            raise ValueError(f"batch must be a positive integer, got {batch}")
        _set_batch(model, int(batch), layouts)
    means = _by_input(model, parse_values(mean_values, "mean_values"), "mean_values")
    scales = _by_input(model, parse_values(scale_values, "scale_values"), "scale_values")
    if layouts or means or scales or reverse_input_channels:
        model = _preprocess(model, layouts, means, scales, reverse_input_channels)
    return _compressed(model) if compress_to_fp16 else model


def _merge_layouts(sources: dict[int, tuple], targets: dict[int, tuple]) -> dict[int, tuple]:
    merged = {}
    for i in sources.keys() | targets.keys():
        source, target = sources.get(i, (None, None))
        merged[i] = (source, targets.get(i, (None, None))[1] or target)
    return merged


# --- command line --------------------------------------------------------------------------------
def _parser() -> CliParser:
    p = CliParser(prog=PROG, description="Convert a model to OpenVINO IR with Model Optimizer's options.")
    p.add_argument("--input_model", "-m", "-w", required=True, help="ONNX, TFLite or IR model file")
    p.add_argument(
        "--input_shape", help="shapes of the inputs, e.g. '[1,3,224,224]' or '[1,3,224,224],[1,10]'"
    )
    p.add_argument("--input", help="input names (optionally with shapes), comma-separated")
    p.add_argument("--output", help="comma-separated tensor names to keep as outputs")
    p.add_argument("--mean_values", help="per-channel means, e.g. '[123,117,104]' or 'data[123,117,104]'")
    p.add_argument(
        "--scale_values", help="per-channel scales (input / scale), e.g. '[58,57,57]' or 'data[255]'"
    )
    p.add_argument(
        "--reverse_input_channels", action="store_true", help="swap RGB <-> BGR of 3-channel inputs"
    )
    p.add_argument("--layout", help="e.g. 'nchw', 'data(nchw)' or 'data(nchw->nhwc)'")
    p.add_argument("--source_layout", help="the model's input layout, e.g. 'nchw' or 'data(nchw)'")
    p.add_argument("--target_layout", help="the layout the converted model's input takes, e.g. 'nhwc'")
    p.add_argument("--batch", "-b", type=int, help="set the batch dimension of all inputs")
    add_bool_option(
        p, "--compress_to_fp16", default=False, help="store float32 weights as float16 (default False)"
    )
    p.add_argument("--output_dir", "-o", default=".", help="folder for the IR (default: current folder)")
    p.add_argument(
        "--model_name", "-n", help="IR file name without extension (default: the input model's name)"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(PROG, _parser(), argv, _convert)


def _convert(args: argparse.Namespace) -> None:
    model = convert_model(
        args.input_model,
        input_shape=args.input_shape,
        mean_values=args.mean_values,
        scale_values=args.scale_values,
        reverse_input_channels=args.reverse_input_channels,
        layout=args.layout,
        source_layout=args.source_layout,
        target_layout=args.target_layout,
        input=_cli_input(args.input),
        output=parse_output(args.output),
        batch=args.batch,
    )
    name = args.model_name or os.path.splitext(os.path.basename(args.input_model))[0] or "model"
    write_ir(model, os.path.join(args.output_dir, name + ".xml"), args.compress_to_fp16)


def _cli_input(text: str | None) -> Any:
    """--input: names alone stay a string (to pair with --input_shape), shapes make InputSpecs."""
    if text is None or "[" not in text:
        return text
    return [(s.name, s.shape) if s.shape is not None else s.name for s in parse_input(text)]


if __name__ == "__main__":
    sys.exit(main())
