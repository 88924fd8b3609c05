"""STFT (opset15): the short-time Fourier transform of a real signal, one-sided."""

from __future__ import annotations

import numpy as np

from vinopy.graph.node import Node, Output, attr, const_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import require, require_element_type, require_int_input, require_rank, require_scalar
from vinopy.ops.registry import register


@register
class STFT(Node):
    """STFT-15: frames of ``frame_size`` samples every ``frame_step`` along the last axis of
    ``signal`` ([batch,] length), each multiplied by ``window`` (zero-padded on both sides to
    frame_size when shorter) and transformed by a real FFT. Output ([batch,] frames, bins, 2) with
    bins = frame_size // 2 + 1, or ([batch,] bins, frames, 2) with ``transpose_frames``."""

    type_name, version = "STFT", "opset15"
    inputs_spec = ("data", "window", "frame_size", "frame_step")
    transpose_frames: bool = attr()

    def infer(
        self, data: Output, window: Output, frame_size: Output, frame_step: Output
    ) -> tuple[Type, PartialShape]:
        et = require_element_type(data.get_element_type(), "real", "data")
        require_element_type(window.get_element_type(), "real", "window")
        require_rank(data, (1, 2), "data")
        require_rank(window, (1,), "window")
        for port, what in ((frame_size, "frame_size"), (frame_step, "frame_step")):
            require_int_input(port, what)
            require_scalar(port, what)
        size, step = _scalar(frame_size), _scalar(frame_step)
        require(size is None or size > 0, f"frame_size must be positive, got {size}")
        require(step is None or step > 0, f"frame_step must be positive, got {step}")
        window_dims = window.get_partial_shape()
        if size is not None and window_dims.rank.is_static and window_dims[0].is_static:
            length = window_dims[0].get_length()
            require(length <= size, f"window ({length}) must not be longer than frame_size ({size})")
        shape = data.get_partial_shape()
        if shape.rank.is_dynamic:
            return et, PartialShape.dynamic()
        *batch, signal = list(shape)
        frames, bins = Dimension(), Dimension() if size is None else Dimension(size // 2 + 1)
        if size is not None and step is not None and signal.is_static:
            require(signal.get_length() >= size, f"the signal ({signal}) is shorter than frame_size ({size})")
            frames = Dimension((signal.get_length() - size) // step + 1)
        middle = [bins, frames] if self.transpose_frames else [frames, bins]
        return et, PartialShape([*batch, *middle, Dimension(2)])

    def evaluate(
        self, data: np.ndarray, window: np.ndarray, frame_size: np.ndarray, frame_step: np.ndarray
    ) -> np.ndarray:
        size, step = int(np.reshape(frame_size, -1)[0]), int(np.reshape(frame_step, -1)[0])
        left = (size - window.shape[0]) // 2
        padded = np.zeros(size, np.float64)
        padded[left : left + window.shape[0]] = window
        count = (data.shape[-1] - size) // step + 1
        starts = np.arange(count) * step
        frames = data.astype(np.float64)[..., starts[:, None] + np.arange(size)] * padded
        spectrum = np.fft.rfft(frames, axis=-1)  # ([batch,] frames, bins)
        out = np.stack([spectrum.real, spectrum.imag], axis=-1)
        if self.transpose_frames:
            out = np.swapaxes(out, -3, -2)
        return out.astype(data.dtype)


def _scalar(port: Output) -> int | None:
    value = const_value(port)
    return None if value is None else int(np.reshape(value, -1)[0])
