"""Input shapes, layouts and data for benchmark_app: parsing its strings and filling tensors."""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

import vinopy as ov
from vinopy.tools.benchmark_app.arguments import UsageError

_GROUP = re.compile(r"\s*([^\[\],]*?)\s*((?:\[[^\]]*\])+)\s*(?:,|$)")
_IMAGE_SUFFIXES = (".bmp", ".jpeg", ".jpg", ".jpe", ".png", ".pbm", ".pgm", ".ppm", ".tif", ".tiff", ".webp")
ID_HINTS = ("ids", "token", "mask", "position", "segment", "label", "index")


def parse_groups(text: str, what: str) -> dict[str, list[str]]:
    """'a[1,2][3,4],b[5]' -> {'a': ['1,2', '3,4'], 'b': ['5']}; an unnamed group has the key ''."""
    groups: dict[str, list[str]] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _GROUP.match(text, pos)
        if not match or match.end() == pos:
            raise UsageError(f"cannot parse {what} '{text}': expected name[...] groups separated by commas")
        groups[match.group(1)] = re.findall(r"\[([^\]]*)\]", match.group(2))
        pos = match.end()
    return groups


def _port_for(model: Any, name: str) -> Any:
    """The model input that a name in a flag refers to (tensor name or node name)."""
    for port in model.inputs:
        if name in port.get_names() or port.get_node().get_friendly_name() == name:
            return port
    known = [
        port.get_any_name() if port.get_names() else port.get_node().get_friendly_name()
        for port in model.inputs
    ]
    raise UsageError(f"model has no input '{name}'; inputs: {known}")


def per_input(model: Any, text: str, what: str) -> dict[int, list[str]]:
    """Groups of a flag keyed by input index; an unnamed group applies to every input."""
    if not text:
        return {}
    groups = parse_groups(text, what)
    result: dict[int, list[str]] = {}
    for name, values in groups.items():
        if name == "":
            for i in range(len(model.inputs)):
                result[i] = values
        else:
            port = _port_for(model, name)
            result[model.inputs.index(port)] = values
    return result


def parse_shape(text: str, what: str) -> ov.PartialShape:
    try:
        return ov.PartialShape(text)
    except ValueError as e:
        raise UsageError(f"malformed {what} '[{text}]': {e}") from None


def input_name(port: Any, index: int) -> str:
    return port.get_any_name() if port.get_names() else port.get_node().get_friendly_name() or f"input{index}"


def layouts(model: Any, text: str) -> dict[int, ov.Layout]:
    found = {i: ov.Layout(values[0]) for i, values in per_input(model, text, "-layout").items()}
    for i, port in enumerate(model.inputs):
        if i not in found:
            layout = port.get_node().get_layout() if hasattr(port.get_node(), "get_layout") else ov.Layout()
            found[i] = layout if not layout.empty() else _guess_layout(port.get_partial_shape())
    return found


def _guess_layout(shape: ov.PartialShape) -> ov.Layout:
    """NCHW for 4-D inputs with 1, 3 or 4 channels in dimension 1; otherwise no layout."""
    if shape.rank.is_static and len(shape) == 4 and shape[1].is_static and shape[1].get_length() in (1, 3, 4):
        return ov.Layout("NCHW")
    if shape.rank.is_static and len(shape) == 4 and shape[3].is_static and shape[3].get_length() in (1, 3, 4):
        return ov.Layout("NHWC")
    return ov.Layout()


def data_shapes(model: Any, text: str) -> list[list[list[int]]]:
    """For each input, the list of static shapes to feed (several for -data_shape groups)."""
    given = per_input(model, text, "-data_shape")
    result = []
    for i, port in enumerate(model.inputs):
        shape = port.get_partial_shape()
        if i in given:
            shapes = [parse_shape(s, "-data_shape") for s in given[i]]
            for s in shapes:
                if s.is_dynamic or not shape.compatible(s):
                    raise UsageError(
                        f"-data_shape {s} of input '{input_name(port, i)}' is not a static "
                        f"shape compatible with the model's {shape}"
                    )
            result.append([list(s.to_shape()) for s in shapes])
        elif shape.is_dynamic:
            raise UsageError(
                f"input '{input_name(port, i)}' has dynamic shape {shape}: "
                "give -data_shape or -shape with static dimensions"
            )
        else:
            result.append([list(shape.to_shape())])
    return result


def random_tensor(port: Any, shape: list[int], rng: np.random.Generator, name: str) -> np.ndarray:
    """Random data that respects the element type: image-like u8, small ids for id-like integer inputs."""
    et = port.get_element_type()
    dtype = et.to_dtype()
    if et == ov.Type.boolean:
        return rng.random(shape) > 0.5
    if dtype.kind in "iu":
        high = 2 if any(h in name.lower() for h in ("mask",)) else 100
        if any(h in name.lower() for h in ID_HINTS) or dtype.kind == "i":
            return rng.integers(0, high, size=shape).astype(dtype)
        return rng.integers(0, min(256, np.iinfo(dtype).max), size=shape).astype(dtype)
    if len(shape) == 4 and (shape[1] in (1, 3, 4) or shape[3] in (1, 3, 4)):
        return rng.uniform(0, 255, size=shape).astype(dtype)
    return rng.uniform(-1, 1, size=shape).astype(dtype)


def files_per_input(model: Any, paths: list[str]) -> dict[int, list[str]]:
    """-i values: 'name:file1,file2' mappings or plain files/folders for every input."""
    mapping: dict[int, list[str]] = {}
    for item in paths:
        name, sep, rest = item.partition(":")
        if sep and not os.path.exists(item):
            index = model.inputs.index(_port_for(model, name))
            targets = [index]
            files = rest.split(",")
        else:
            targets = list(range(len(model.inputs)))
            files = item.split(",")
        expanded = []
        for f in files:
            if os.path.isdir(f):
                expanded += sorted(
                    os.path.join(f, n)
                    for n in os.listdir(f)
                    if n.lower().endswith(_IMAGE_SUFFIXES + (".npy", ".bin"))
                )
            elif os.path.isfile(f):
                expanded.append(f)
            else:
                raise UsageError(f"input file '{f}' does not exist")
        for t in targets:
            mapping.setdefault(t, []).extend(expanded)
    return mapping


def load_file(path: str, port: Any, shape: list[int], layout: ov.Layout) -> np.ndarray:
    """A tensor from a .npy, raw .bin or image file, checked against the input's shape and type."""
    dtype = port.get_element_type().to_dtype()
    lower = path.lower()
    if lower.endswith(".npy"):
        data = np.load(path)
        if list(data.shape) != shape:
            if data.size != int(np.prod(shape)):
                raise UsageError(f"'{path}' holds shape {list(data.shape)}; the input needs {shape}")
            data = data.reshape(shape)
        return data.astype(dtype, copy=False)
    if lower.endswith(".bin"):
        data = np.fromfile(path, dtype=dtype)
        if data.size != int(np.prod(shape)):
            raise UsageError(
                f"'{path}' holds {data.size} {dtype} values; the input {shape} needs {int(np.prod(shape))}"
            )
        return data.reshape(shape)
    if lower.endswith(_IMAGE_SUFFIXES):
        return _load_image(path, shape, layout).astype(dtype)
    raise UsageError(f"unsupported input file '{path}': expected .npy, .bin or an image")


def _load_image(path: str, shape: list[int], layout: ov.Layout) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:
        raise UsageError("reading images needs Pillow: pip install Pillow") from None
    if len(shape) != 4:
        raise UsageError(f"image '{path}' cannot fill an input of shape {shape}")
    nhwc = layout == ov.Layout("NHWC")
    height, width, channels = (shape[1], shape[2], shape[3]) if nhwc else (shape[2], shape[3], shape[1])
    with Image.open(path) as image:
        image = image.convert("L" if channels == 1 else "RGB").resize((width, height))
        pixels = np.asarray(image, dtype=np.float32).reshape(height, width, -1)
    pixels = pixels[..., ::-1]  # BGR, as OpenVINO's benchmark_app reads images with OpenCV
    batch = np.repeat(pixels[None], shape[0], axis=0)
    return batch if nhwc else batch.transpose(0, 3, 1, 2)
