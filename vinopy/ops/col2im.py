"""Col2Im (opset15): sums sliding-window columns back into an image, the inverse layout of im2col."""

from __future__ import annotations

import numpy as np

from vinopy.graph.node import Node, Output, attr, const_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import check_window_attrs, divide_dim, require, require_int_input, window_count
from vinopy.ops.registry import register


@register
class Col2Im(Node):
    """Col2Im-15: ``data`` (N, C * kh * kw, L) or unbatched (C * kh * kw, L), one column per window
    position in row-major order, is added up into (N, C, H, W) with H, W = ``output_size``."""

    type_name, version = "Col2Im", "opset15"
    factory_name = "col2im"
    inputs_spec = ("data", "output_size", "kernel_size")
    strides: list[int] = attr([1, 1])
    dilations: list[int] = attr([1, 1])
    pads_begin: list[int] = attr([0, 0])
    pads_end: list[int] = attr([0, 0])

    def infer(self, data: Output, output_size: Output, kernel_size: Output) -> tuple[Type, PartialShape]:
        check_window_attrs(
            2,
            strides=self.strides,
            dilations=self.dilations,
            pads_begin=self.pads_begin,
            pads_end=self.pads_end,
        )
        require(min(self.pads_begin + self.pads_end) >= 0, "pads must not be negative")
        require_int_input(output_size, "output_size", (1,))
        require_int_input(kernel_size, "kernel_size", (1,))
        shape = data.get_partial_shape()
        require(shape.rank.is_dynamic or len(shape) in (2, 3), f"data must have rank 2 or 3, got {shape}")
        size, kernel = _pair(output_size, "output_size"), _pair(kernel_size, "kernel_size")
        spatial = [Dimension(v) if v is not None else Dimension() for v in size or [None, None]]
        if shape.rank.is_dynamic:
            return data.get_element_type(), PartialShape.dynamic()
        batch, columns, blocks = ([], *shape) if len(shape) == 2 else ([shape[0]], shape[1], shape[2])
        channels = Dimension()
        if kernel is not None:
            require(min(kernel) > 0, f"kernel_size must be positive, got {kernel}")
            channels = divide_dim(columns, kernel[0] * kernel[1])
            if columns.is_static:
                require(
                    columns.get_length() % (kernel[0] * kernel[1]) == 0,
                    f"data's dimension {columns} must be a multiple of the kernel size {kernel}",
                )
        if size is not None and kernel is not None and blocks.is_static:
            expected = self._block_count(size, kernel)
            require(
                blocks.get_length() == expected,
                f"data has {blocks} columns per image, the windows of output_size {size} give {expected}",
            )
        return data.get_element_type(), PartialShape(batch + [channels] + spatial)

    def evaluate(self, data: np.ndarray, output_size: np.ndarray, kernel_size: np.ndarray) -> np.ndarray:
        size = [int(v) for v in output_size]
        kernel = [int(v) for v in kernel_size]
        batched = data.reshape((-1, *data.shape[-2:]))
        counts = [
            window_count(
                size[d], kernel[d], self.strides[d], self.dilations[d], (self.pads_begin[d], self.pads_end[d])
            )
            for d in range(2)
        ]
        channels = batched.shape[1] // (kernel[0] * kernel[1])
        columns = batched.reshape(batched.shape[0], channels, kernel[0], kernel[1], counts[0], counts[1])
        padded = [size[d] + self.pads_begin[d] + self.pads_end[d] for d in range(2)]
        image = np.zeros((batched.shape[0], channels, padded[0], padded[1]), data.dtype)
        for i in range(kernel[0]):
            top = i * self.dilations[0]
            rows = slice(top, top + (counts[0] - 1) * self.strides[0] + 1, self.strides[0])
            for j in range(kernel[1]):
                left = j * self.dilations[1]
                cols = slice(left, left + (counts[1] - 1) * self.strides[1] + 1, self.strides[1])
                image[:, :, rows, cols] += columns[:, :, i, j]
        (top, left), (bottom, right) = self.pads_begin, [p + e for p, e in zip(self.pads_begin, size)]
        out = image[:, :, top:bottom, left:right]
        return out if data.ndim == 3 else out[0]

    def _block_count(self, size: list[int], kernel: list[int]) -> int:
        pads = list(zip(self.pads_begin, self.pads_end))
        per_axis = [
            window_count(size[d], kernel[d], self.strides[d], self.dilations[d], pads[d]) for d in range(2)
        ]
        return per_axis[0] * per_axis[1]


def _pair(value: Output, what: str) -> list[int] | None:
    """A 2-element size input's value when known before run time."""
    known = const_value(value)
    if known is None:
        shape = value.get_partial_shape()
        require(shape.rank.is_dynamic or shape[0].compatible(2), f"{what} must have 2 elements, got {shape}")
        return None
    values = [int(v) for v in np.asarray(known).reshape(-1)]
    require(len(values) == 2, f"{what} must have 2 elements, got {values}")
    return values
