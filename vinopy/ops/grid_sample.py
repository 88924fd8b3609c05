"""GridSample (opset9): samples an NCHW image at the normalized (x, y) points of a grid."""

from __future__ import annotations

from typing import Any

import numpy as np

from vinopy.graph.node import Node, Output, attr
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import require, require_element_type
from vinopy.ops.registry import register

_MODES = ("bilinear", "bicubic", "nearest")
_PADDING_MODES = ("zeros", "border", "reflection")
_CUBIC_A = -0.75  # Keys' cubic convolution coefficient, as PyTorch and OpenVINO use


@register
class GridSample(Node):
    """GridSample-9: ``out[n, c, h, w]`` interpolates ``data[n, c]`` at ``grid[n, h, w] = (x, y)``,
    with x and y in [-1, 1] spanning the image (pixel centers of the border pixels when
    ``align_corners``, their outer edges otherwise)."""

    type_name, version = "GridSample", "opset9"
    inputs_spec = ("data", "grid")
    align_corners: bool = attr(False)
    mode: str = attr("bilinear")
    padding_mode: str = attr("zeros")

    @classmethod
    def factory(
        cls, data: Any, grid: Any, attributes: dict[str, Any] | None = None, name: str | None = None
    ) -> GridSample:
        return cls(data, grid, **(attributes or {}), name=name)

    def infer(self, data: Output, grid: Output) -> tuple[Type, PartialShape]:
        require(self.mode in _MODES, f"mode must be one of {_MODES}, got '{self.mode}'")
        require(
            self.padding_mode in _PADDING_MODES,
            f"padding_mode must be one of {_PADDING_MODES}, got '{self.padding_mode}'",
        )
        et = require_element_type(data.get_element_type(), "numeric", "data")
        require_element_type(grid.get_element_type(), "real", "grid")
        data_shape, grid_shape = data.get_partial_shape(), grid.get_partial_shape()
        dims = [Dimension() for _ in range(4)]
        if data_shape.rank.is_static:
            require(len(data_shape) == 4, f"data must have rank 4 (N, C, H, W), got {data_shape}")
            dims[:2] = data_shape[0], data_shape[1]
        if grid_shape.rank.is_static:
            require(len(grid_shape) == 4, f"grid must have rank 4 (N, H, W, 2), got {grid_shape}")
            require(grid_shape[3].compatible(2), f"grid's last dimension must be 2, got {grid_shape[3]}")
            batch = dims[0].merge(grid_shape[0])
            require(batch is not None, f"batch sizes of data and grid differ: {dims[0]} vs {grid_shape[0]}")
            dims[0], dims[2], dims[3] = batch, grid_shape[1], grid_shape[2]
        return et, PartialShape(dims)

    def evaluate(self, data: np.ndarray, grid: np.ndarray) -> np.ndarray:
        height, width = data.shape[2:]
        g = grid.astype(np.float64)
        x = self._unnormalize(g[..., 0], width)
        y = self._unnormalize(g[..., 1], height)
        batch = np.arange(data.shape[0]).reshape(-1, 1, 1)
        image = np.moveaxis(data, 1, -1).astype(np.float64)  # N, H, W, C: gathers give (N, h, w, C)

        def pixels(iy: np.ndarray, ix: np.ndarray) -> np.ndarray:
            """The pixels at integer positions, out-of-range ones by the padding mode."""
            if self.padding_mode == "zeros":
                inside = (iy >= 0) & (iy < height) & (ix >= 0) & (ix < width)
                values = image[batch, np.clip(iy, 0, height - 1), np.clip(ix, 0, width - 1)]
                return np.where(inside[..., None], values, 0.0)
            if self.padding_mode == "reflection":
                iy = np.trunc(self._reflect(iy.astype(np.float64), height)).astype(np.int64)
                ix = np.trunc(self._reflect(ix.astype(np.float64), width)).astype(np.int64)
            return image[batch, np.clip(iy, 0, height - 1), np.clip(ix, 0, width - 1)]

        if self.mode == "nearest":
            x, y = np.rint(x), np.rint(y)  # half to even, as PyTorch
        x, y = self._pad_coordinate(x, width), self._pad_coordinate(y, height)
        if self.mode == "nearest":
            out = pixels(y.astype(np.int64), x.astype(np.int64))
        else:
            x0, y0 = np.floor(x), np.floor(y)
            wx, wy = self._weights(x - x0), self._weights(y - y0)
            first = -1 if self.mode == "bicubic" else 0
            ix0, iy0 = x0.astype(np.int64) + first, y0.astype(np.int64) + first
            out = 0.0
            for j, wj in enumerate(wy):
                for i, wi in enumerate(wx):
                    out = out + (wj * wi)[..., None] * pixels(iy0 + j, ix0 + i)
        return np.moveaxis(np.asarray(out), -1, 1).astype(data.dtype)

    def _unnormalize(self, coord: np.ndarray, size: int) -> np.ndarray:
        if self.align_corners:
            return (coord + 1) / 2 * (size - 1)
        return ((coord + 1) * size - 1) / 2

    def _bounds(self, size: int) -> tuple[float, float]:
        return (0.0, size - 1.0) if self.align_corners else (-0.5, size - 0.5)

    def _reflect(self, coord: np.ndarray, size: int) -> np.ndarray:
        """Coordinates mirrored at the bounds until they fall inside them."""
        low, high = self._bounds(size)
        span = high - low
        if span <= 0:
            return np.full_like(coord, low)
        below, above = low - coord, coord - high
        distance = np.where(coord < low, below, above)
        n = np.trunc(distance / span)
        rest = distance - n * span
        even = n % 2 == 0
        from_below = np.where(even, low + rest, high - rest)
        from_above = np.where(even, high - rest, low + rest)
        return np.where(coord < low, from_below, np.where(coord > high, from_above, coord))

    def _pad_coordinate(self, coord: np.ndarray, size: int) -> np.ndarray:
        """A sampling position outside the image moved inside it (border, reflection) or kept (zeros).
        Bicubic border sampling keeps the position and clamps only its taps, as OpenVINO (and PyTorch)
        do; ONNX moves the position too, which its frontend does on the grid."""
        if self.padding_mode == "border" and self.mode != "bicubic":
            low, high = self._bounds(size)
            return np.where((coord < low) | (coord > high), np.clip(coord, 0, size - 1), coord)
        if self.padding_mode == "reflection":
            return self._reflect(coord, size)
        return coord

    def _weights(self, t: np.ndarray) -> list[np.ndarray]:
        """Interpolation weights of the taps at floor(c) (- 1 for bicubic) onwards, for c - floor(c) = t."""
        if self.mode == "bilinear":
            return [1 - t, t]
        a = _CUBIC_A

        def near(d: np.ndarray) -> np.ndarray:  # |d| <= 1
            return ((a + 2) * d - (a + 3)) * d * d + 1

        def far(d: np.ndarray) -> np.ndarray:  # 1 < |d| < 2
            return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

        return [far(t + 1), near(t), near(1 - t), far(2 - t)]
