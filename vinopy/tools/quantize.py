"""``vinopy quantize`` / ``python -m vinopy.tools.quantize``: int8 post-training quantization of a
model file with calibration data from a folder, written as OpenVINO IR.

``vinopy quantize -m MODEL --data FOLDER -o OUT.xml [--subset-size 300] [--preset performance|mixed]
[--model-type transformer] [--ignored-scope-names A,B] [--no-fast-bias-correction] [--input-shape S]
[--mean-values V] [--scale-values V] [--reverse-input-channels]``

Calibration files, taken in name order:

- ``.npy``: one array per file, for a model with one input: one sample (with or without the batch
  axis) or a batch of samples, split into the model's batch size;
- ``.npz``: one array per input, keyed by input name (any number of inputs), split the same way;
- ``.png``/``.jpg``/``.jpeg``/``.bmp`` (needs Pillow: ``pip install vinopy[image]``): decoded to RGB,
  resized to the input's height and width, laid out as the input's shape says (NCHW or NHWC), then
  optionally reversed to BGR, minus ``--mean-values``, divided by ``--scale-values`` (as ``mo`` does).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import vinopy as ov
from vinopy import quantization
from vinopy.tools.cli import CliParser, InputError, add_bool_option, run_command
from vinopy.tools.mo import parse_input_shapes, parse_values
from vinopy.tools.ovc import write_ir

PROG = "vinopy quantize"
ARRAY_SUFFIXES = (".npy", ".npz")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


@dataclass(frozen=True)
class Pixels:
    """How decoded images become model input: channel order, then ``(x - mean) / scale``."""

    reverse_channels: bool = False
    mean: np.ndarray | None = None
    scale: np.ndarray | None = None


@dataclass(frozen=True)
class Item:
    """One model input set: ``count`` samples of a file starting at sample ``start``."""

    path: str
    start: int = 0
    count: int = 1


class CalibrationFolder:
    """The calibration items of a folder for a model's inputs: files are checked (shapes, names)
    when the folder is listed, and read one item at a time while quantization runs."""

    def __init__(self, folder: str, model: ov.Model, pixels: Pixels) -> None:
        self.inputs = list(model.inputs)
        self.pixels = pixels
        self.batch_size = _batch_size(self.inputs[0])
        self.items = [item for path in _calibration_files(folder) for item in self._items_of(path)]
        if not self.items:
            raise InputError(
                f"--data: the files in '{folder}' hold fewer samples than one batch of {self.batch_size}"
            )

    def load(self, item: Item) -> dict[str, np.ndarray]:
        """The arrays of ``item``, keyed by input name."""
        suffix = os.path.splitext(item.path)[1].lower()
        if suffix in IMAGE_SUFFIXES:
            return {self.inputs[0].get_any_name(): self._image(item.path)}
        arrays = {
            n: self._batch(a, n)[item.start : item.start + item.count]
            for n, a in self._arrays(item.path).items()
        }
        return {
            n: a.astype(self._input(n).get_element_type().to_dtype(), copy=False) for n, a in arrays.items()
        }

    def _items_of(self, path: str) -> list[Item]:
        if os.path.splitext(path)[1].lower() in IMAGE_SUFFIXES:
            self._check_image_input()
            return [Item(path)]
        arrays = self._arrays(path, memory_map=True)
        samples = {len(self._batch(a, name)) for name, a in arrays.items()}
        if len(samples) != 1:
            raise InputError(f"{path}: the arrays hold different numbers of samples {sorted(samples)}")
        total, batch = samples.pop(), self.batch_size
        return [Item(path, start, batch) for start in range(0, total - batch + 1, batch)]

    def _arrays(self, path: str, memory_map: bool = False) -> dict[str, np.ndarray]:
        """The arrays of a .npy (for the only input) or .npz (by input name) file."""
        mode = "r" if memory_map else None
        try:
            loaded = np.load(path, mmap_mode=mode, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: not a readable .npy/.npz file ({e})") from e
        names = [i.get_any_name() for i in self.inputs]
        if isinstance(loaded, np.ndarray):
            if len(names) != 1:
                raise InputError(
                    f"{path}: a .npy file holds one array but the model has {len(names)} inputs "
                    f"{names}; give .npz files with one array per input name"
                )
            return {names[0]: loaded}
        with loaded:
            missing = [n for n in names if n not in loaded.files]
            if missing:
                raise InputError(f"{path}: no arrays for inputs {missing}; the file has {loaded.files}")
            return {n: loaded[n] for n in names}

    def _batch(self, array: np.ndarray, name: str) -> np.ndarray:
        """``array`` with its samples along the first axis, checked against input ``name``'s shape
        but for that axis; a single sample without the batch axis gets one."""
        shape = self._input(name).get_partial_shape()
        if shape.rank.is_dynamic:
            raise InputError(f"input '{name}' has a dynamic rank: give its shape with --input-shape")
        if array.ndim == len(shape) - 1 and self.batch_size == 1:
            array = array[np.newaxis]
        sample = ov.PartialShape([1, *array.shape[1:]]) if array.ndim else ov.PartialShape([])
        expected = ov.PartialShape([1, *list(shape)[1:]]) if len(shape) else shape
        if array.ndim != len(shape) or not expected.compatible(sample):
            raise InputError(
                f"input '{name}' expects shape {shape}, got an array of shape {list(array.shape)}"
            )
        return array

    def _input(self, name: str) -> ov.Output:
        return next(i for i in self.inputs if i.get_any_name() == name)

    def _check_image_input(self) -> None:
        if len(self.inputs) != 1:
            raise InputError(f"images calibrate models with one input; this model has {len(self.inputs)}")
        _image_layout(self.inputs[0].get_partial_shape())

    def _image(self, path: str) -> np.ndarray:
        shape = self.inputs[0].get_partial_shape()
        channels_first = _image_layout(shape)
        height, width = (shape[2], shape[3]) if channels_first else (shape[1], shape[2])
        pixels = _decode(path, width.get_length(), height.get_length())
        if self.pixels.reverse_channels:
            pixels = pixels[..., ::-1]
        if self.pixels.mean is not None:
            pixels = pixels - self.pixels.mean
        if self.pixels.scale is not None:
            pixels = pixels / self.pixels.scale
        sample = pixels.transpose(2, 0, 1) if channels_first else pixels
        dtype = self.inputs[0].get_element_type().to_dtype()
        return np.repeat(sample[np.newaxis], self.batch_size, axis=0).astype(dtype)


def _batch_size(first_input: ov.Output) -> int:
    """Samples per item: the first input's first dimension when it is static, else 1."""
    shape = first_input.get_partial_shape()
    return shape[0].get_length() if shape.rank.is_static and len(shape) and shape[0].is_static else 1


def _calibration_files(folder: str) -> list[str]:
    if not os.path.isdir(folder):
        raise InputError(f"--data: '{folder}' is not a folder")
    names = sorted(os.listdir(folder))
    if not names:
        raise InputError(f"--data: the folder '{folder}' is empty")
    suffixes = ARRAY_SUFFIXES + IMAGE_SUFFIXES
    files = [os.path.join(folder, n) for n in names if n.lower().endswith(suffixes)]
    if not files:
        raise InputError(f"--data: no calibration files in '{folder}': expected {', '.join(suffixes)} files")
    return files


def _image_layout(shape: ov.PartialShape) -> bool:
    """True for NCHW, False for NHWC: where the 3 (or 1) channels and static height and width are."""
    if shape.rank.is_static and len(shape) == 4:
        dims = [d.get_length() if d.is_static else None for d in shape]
        if dims[1] in (1, 3) and None not in dims[2:]:
            return True
        if dims[3] in (1, 3) and None not in dims[1:3]:
            return False
    raise InputError(
        f"images need an input of shape [N,C,H,W] or [N,H,W,C] with 1 or 3 channels and static "
        f"height and width, got {shape}; set one with --input-shape"
    )


def _decode(path: str, width: int, height: int) -> np.ndarray:
    """The image as float32 RGB of shape (height, width, 3)."""
    try:
        from PIL import Image
    except ImportError as e:
        raise InputError(
            f"{path}: reading images needs Pillow: pip install vinopy[image] (or give .npy files)"
        ) from e
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
    except OSError as e:
        raise InputError(f"{path}: cannot decode the image ({e})") from e
    return np.asarray(rgb, np.float32)


def _channel_values(text: str | None, option: str) -> np.ndarray | None:
    """--mean-values / --scale-values as one value or one per channel."""
    if text is None:
        return None
    entries = parse_values(text, option)
    if len(entries) != 1 or len(entries[0][1]) not in (1, 3):
        raise InputError(f"{option}: expected one value or three (one per channel), got '{text}'")
    return np.asarray(entries[0][1], np.float32)


def _parser() -> CliParser:
    p = CliParser(prog=PROG, description="Quantize a model to int8 with calibration data (NNCF-like PTQ).")
    p.add_argument("-m", "--model", required=True, help="the float model: .onnx, .xml (IR) or .tflite")
    p.add_argument("--data", required=True, help="folder of .npy/.npz files or images")
    p.add_argument("-o", "--output", required=True, help="the quantized IR's .xml path")
    p.add_argument("--subset-size", type=int, default=300, help="calibration samples to use (default 300)")
    p.add_argument("--preset", choices=["performance", "mixed"], help="symmetric or asymmetric activations")
    p.add_argument("--model-type", choices=["transformer"], help="turn on SmoothQuant and transformer rules")
    p.add_argument(
        "--ignored-scope-names", action="append", default=[], help="layers to keep float (comma-separated)"
    )
    p.add_argument(
        "--ignored-scope-types", action="append", default=[], help="op types to keep float (comma-separated)"
    )
    add_bool_option(
        p, "--fast-bias-correction", True, "correct the bias shift quantization causes (default True)"
    )
    p.add_argument(
        "--no-fast-bias-correction",
        dest="fast_bias_correction",
        action="store_false",
        help="the same as --fast-bias-correction False",
    )
    p.add_argument(
        "--input-shape", help="reshape the model first, e.g. '[1,3,224,224]' or '[1,3,224,224],[1,10]'"
    )
    p.add_argument("--mean-values", help="images: per-channel means subtracted, e.g. '[123.7,116.3,103.5]'")
    p.add_argument(
        "--scale-values", help="images: per-channel divisors after the mean, e.g. '[58.4,57.1,57.4]'"
    )
    p.add_argument("--reverse-input-channels", action="store_true", help="images: feed BGR instead of RGB")
    p.add_argument("--device", help="device that runs the model for statistics (default: CPU if available)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(PROG, _parser(), argv, _quantize)


def _quantize(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    model = ov.Core().read_model(args.model)
    if args.input_shape:
        shapes = parse_input_shapes(args.input_shape)
        model.reshape(shapes[0] if len(shapes) == 1 else shapes)
    pixels = Pixels(
        args.reverse_input_channels,
        _channel_values(args.mean_values, "--mean-values"),
        _channel_values(args.scale_values, "--scale-values"),
    )
    if args.subset_size < 1:
        raise ValueError(f"--subset-size must be positive, got {args.subset_size}")
    folder = CalibrationFolder(args.data, model, pixels)
    items = folder.items[: math.ceil(args.subset_size / folder.batch_size)]
    quantized = quantization.quantize(
        model,
        quantization.Dataset(items, folder.load),
        subset_size=len(items) * folder.batch_size,
        preset=quantization.QuantizationPreset(args.preset) if args.preset else None,
        model_type=quantization.ModelType(args.model_type) if args.model_type else None,
        fast_bias_correction=args.fast_bias_correction,
        ignored_scope=_ignored_scope(args),
        advanced_parameters=quantization.AdvancedQuantizationParameters(
            backend_params={"device": args.device}
        ),
    )
    write_ir(quantized, args.output, compress_to_fp16=False)
    fake_quantizes = sum(n.get_type_name() == "FakeQuantize" for n in quantized.get_ordered_ops())
    print(
        f"[ SUCCESS ] {fake_quantizes} FakeQuantize inserted, calibrated on {len(items)} items "
        f"from {args.data} in {time.perf_counter() - start:.1f} s: {os.path.abspath(args.output)}"
    )


def _ignored_scope(args: argparse.Namespace) -> quantization.IgnoredScope | None:
    names = _split(args.ignored_scope_names)
    types = _split(args.ignored_scope_types)
    return quantization.IgnoredScope(names=names, types=types) if names or types else None


def _split(values: list[str]) -> list[str]:
    """Repeated, comma-separated option values as one list."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


if __name__ == "__main__":
    sys.exit(main())
