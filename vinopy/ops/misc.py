"""Bucketize (opset3), RandomUniform (opset8), Unique (opset10), SearchSorted (opset15)."""

from __future__ import annotations

import numpy as np

from vinopy.graph.node import Node, Output, attr, const_value, shape_value
from vinopy.graph.shape import Dimension, PartialShape
from vinopy.graph.types import Type
from vinopy.ops.common import dims_product, normalize_axis, require, require_element_type, same_type
from vinopy.ops.registry import register


def _index_type(et: Type, what: str) -> Type:
    require(et in (Type.i32, Type.i64), f"{what} must be i32 or i64, got {et}")
    return et


@register
class Bucketize(Node):
    """Bucketize-3: the index of the bucket of each element, buckets given by sorted boundaries."""

    type_name, version = "Bucketize", "opset3"
    inputs_spec = ("data", "buckets")
    output_type: Type = attr(Type.i64)
    with_right_bound: bool = attr(True)

    def infer(self, data: Output, buckets: Output) -> tuple[Type, PartialShape]:
        require_element_type(data.get_element_type(), "numeric", "Bucketize data")
        require_element_type(buckets.get_element_type(), "numeric", "Bucketize buckets")
        shape = buckets.get_partial_shape()
        require(shape.rank.is_dynamic or len(shape) == 1, f"buckets must be 1-D, got shape {shape}")
        return _index_type(self.output_type, "output_type"), data.get_partial_shape()

    def evaluate(self, data: np.ndarray, buckets: np.ndarray) -> np.ndarray:
        # with a right bound, x falls in bucket i when buckets[i-1] < x <= buckets[i]
        side = "left" if self.with_right_bound else "right"
        return np.searchsorted(buckets, data, side=side).astype(self.output_type.to_dtype())


@register
class SearchSorted(Node):
    """SearchSorted-15: insertion indices of values into the innermost axis of a sorted sequence."""

    type_name, version = "SearchSorted", "opset15"
    inputs_spec = ("sorted_sequence", "values")
    right_mode: bool = attr(False)
    output_type: Type = attr(Type.i64)

    def infer(self, sequence: Output, values: Output) -> tuple[Type, PartialShape]:
        same_type(sequence, values, what="sorted_sequence and values")
        seq, vals = sequence.get_partial_shape(), values.get_partial_shape()
        if seq.rank.is_static and vals.rank.is_static:
            require(len(seq) >= 1, "sorted_sequence must have rank >= 1")
            if len(seq) > 1:
                require(
                    len(seq) == len(vals)
                    and PartialShape(list(seq)[:-1]).compatible(PartialShape(list(vals)[:-1])),
                    f"sorted_sequence {seq} and values {vals} must match in all but the last axis",
                )
        return _index_type(self.output_type, "output_type"), vals

    def evaluate(self, sequence: np.ndarray, values: np.ndarray) -> np.ndarray:
        side = "right" if self.right_mode else "left"
        dtype = self.output_type.to_dtype()
        if sequence.ndim == 1:
            return np.searchsorted(sequence, values, side=side).astype(dtype)
        rows = sequence.reshape(-1, sequence.shape[-1])
        queries = values.reshape(len(rows), -1)
        found = [np.searchsorted(row, query, side=side) for row, query in zip(rows, queries)]
        return np.stack(found).reshape(values.shape).astype(dtype)


@register
class Unique(Node):
    """Unique-10: the unique elements (or slices along ``axis``), the index of each one's first
    occurrence, the index of each input element's unique value, and the counts."""

    type_name, version = "Unique", "opset10"
    inputs_spec = ("data", "axis?")
    sorted: bool = attr(True)
    index_element_type: Type = attr(Type.i64)
    count_element_type: Type = attr(Type.i64)

    def infer(self, data: Output, axis: Output | None = None) -> list[tuple[Type, PartialShape]]:
        index_type = _index_type(self.index_element_type, "index_element_type")
        count_type = _index_type(self.count_element_type, "count_element_type")
        shape = data.get_partial_shape()
        et = data.get_element_type()
        axis_value = None if axis is None else const_value(axis)
        if shape.rank.is_dynamic or (axis is not None and axis_value is None):
            rank = shape.rank if axis is not None else Dimension(1)
            unique_shape = PartialShape.dynamic(rank) if rank.is_static else PartialShape.dynamic()
            return [
                (et, unique_shape),
                (index_type, [Dimension()]),
                (index_type, [Dimension()]),
                (count_type, [Dimension()]),
            ]
        if axis is None:
            total = dims_product(list(shape))
            found = _at_most(total)
            return [(et, [found]), (index_type, [found]), (index_type, [total]), (count_type, [found])]
        require(np.size(axis_value) == 1, f"Unique axis must be a scalar, got {np.shape(axis_value)}")
        a = normalize_axis(int(np.asarray(axis_value).reshape(-1)[0]), len(shape), "Unique axis")
        dims = list(shape)
        found = _at_most(dims[a])
        dims[a] = found
        return [(et, dims), (index_type, [found]), (index_type, [shape[a]]), (count_type, [found])]

    def evaluate(self, data: np.ndarray, axis: np.ndarray | None = None) -> list[np.ndarray]:
        if axis is None:
            a, items = None, data.reshape(-1)
        else:
            a = normalize_axis(int(np.asarray(axis).reshape(-1)[0]), data.ndim)
            items = np.moveaxis(data, a, 0).reshape(data.shape[a], -1)
        _, first, inverse, counts = np.unique(
            items, return_index=True, return_inverse=True, return_counts=True, axis=None if a is None else 0
        )
        inverse = inverse.reshape(-1)
        if not self.sorted:  # renumber the unique values in the order they first appear
            order = np.argsort(first, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            first, counts, inverse = first[order], counts[order], rank[inverse]
        taken = np.take(data.reshape(-1) if a is None else data, first, axis=a)
        index_dtype, count_dtype = self.index_element_type.to_dtype(), self.count_element_type.to_dtype()
        return [taken, first.astype(index_dtype), inverse.astype(index_dtype), counts.astype(count_dtype)]


def _at_most(dim: Dimension) -> Dimension:
    """A count of distinct items among ``dim`` items: 1..dim (0 when there are none)."""
    if dim.is_static and dim.get_length() == 0:
        return Dimension(0)
    return Dimension(min(1, dim.min_length), dim.max_length)


# --- RandomUniform: OpenVINO's Philox4x32-10 stream, aligned with TensorFlow ---------------

_PHILOX_M = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
_PHILOX_W = (0x9E3779B9, 0xBB67AE85)
_MASK32 = np.uint64(0xFFFFFFFF)


def _philox(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox4x32 with 10 rounds: counters [n, 4] uint32 -> random words [n, 4] uint32."""
    c = [counters[:, i].astype(np.uint64) for i in range(4)]
    k0, k1 = key
    for _ in range(10):
        p0, p1 = _PHILOX_M[0] * c[0], _PHILOX_M[1] * c[2]
        c = [
            (p1 >> np.uint64(32)) ^ c[1] ^ np.uint64(k0),
            p1 & _MASK32,
            (p0 >> np.uint64(32)) ^ c[3] ^ np.uint64(k1),
            p0 & _MASK32,
        ]
        k0, k1 = (k0 + _PHILOX_W[0]) & 0xFFFFFFFF, (k1 + _PHILOX_W[1]) & 0xFFFFFFFF
    return np.stack(c, axis=1).astype(np.uint32)


def _random_words(count: int, global_seed: int, op_seed: int) -> np.ndarray:
    """``count`` 32-bit words: block i uses counter (i as 64 bits, op_seed as 64 bits), key global_seed."""
    blocks = (count + 3) // 4
    index = np.arange(blocks, dtype=np.uint64)
    counters = np.stack(
        [
            index & _MASK32,
            index >> np.uint64(32),
            np.full(blocks, op_seed & 0xFFFFFFFF, np.uint64),
            np.full(blocks, (op_seed >> 32) & 0xFFFFFFFF, np.uint64),
        ],
        axis=1,
    ).astype(np.uint32)
    key = (global_seed & 0xFFFFFFFF, (global_seed >> 32) & 0xFFFFFFFF)
    return _philox(counters, key).reshape(-1)[:count]


def _uniform_floats(words: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Floats in [0, 1) from the mantissa bits of the words (two words per f64)."""
    if dtype == np.float64:
        pairs = words.reshape(-1, 2).astype(np.uint64)
        bits = ((pairs[:, 0] << np.uint64(32)) | pairs[:, 1]) & np.uint64((1 << 52) - 1)
        return (bits | np.uint64(0x3FF0000000000000)).view(np.float64) - 1.0
    if dtype == np.float16:
        bits = (words & np.uint32(0x3FF)).astype(np.uint16) | np.uint16(0x3C00)
        return bits.view(np.float16) - np.float16(1.0)
    bits = (words & np.uint32(0x7FFFFF)) | np.uint32(0x3F800000)
    return bits.view(np.float32) - np.float32(1.0)


@register
class RandomUniform(Node):
    """RandomUniform-8: uniform random numbers in [min_val, max_val) of a given shape; the same
    seeds give the same numbers as OpenVINO (both seeds 0: a fresh stream each run)."""

    type_name, version = "RandomUniform", "opset8"
    inputs_spec = ("output_shape", "min_val", "max_val")
    output_type: Type = attr()
    global_seed: int = attr(0)
    op_seed: int = attr(0)
    alignment: str = attr("tensorflow")
    foldable = False

    def infer(self, shape: Output, low: Output, high: Output) -> tuple[Type, PartialShape]:
        require(
            self.output_type in (Type.f16, Type.f32, Type.f64, Type.i32, Type.i64),
            f"output_type must be f16, f32, f64, i32 or i64, got {self.output_type}",
        )
        require(
            self.alignment == "tensorflow",
            f"alignment must be 'tensorflow' (the only stream implemented), got '{self.alignment}'",
        )
        require(self.global_seed >= 0 and self.op_seed >= 0, "global_seed and op_seed must be >= 0")
        require_element_type(shape.get_element_type(), "integer", "RandomUniform output_shape")
        for out, what in ((low, "min_val"), (high, "max_val")):
            require(
                out.get_element_type().compatible(self.output_type),
                f"{what} must have the output_type {self.output_type}, got {out.get_element_type()}",
            )
        dims = shape_value(shape)
        if dims is not None:
            return self.output_type, PartialShape(dims)
        vector = shape.get_partial_shape()
        known_rank = vector.rank.is_static and len(vector) == 1 and vector[0].is_static
        return self.output_type, PartialShape.dynamic(vector[0] if known_rank else None)

    def evaluate(self, shape: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        dims = [int(v) for v in np.asarray(shape).reshape(-1)]
        count = int(np.prod(dims))
        dtype = self.output_type.to_dtype()
        low, high = np.asarray(low, dtype).reshape(()), np.asarray(high, dtype).reshape(())
        if self.global_seed == 0 and self.op_seed == 0:
            seeds = np.random.default_rng().integers(1, 2**31, size=2)
            global_seed, op_seed = int(seeds[0]), int(seeds[1])
        else:
            global_seed, op_seed = self.global_seed, self.op_seed
        wide = dtype in (np.float64, np.int64)
        words = _random_words(count * (2 if wide else 1), global_seed, op_seed)
        if np.issubdtype(dtype, np.integer):
            out = _uniform_integers(words, int(low), int(high), wide)
        else:
            out = low + (high - low) * _uniform_floats(words, dtype)
        return out.astype(dtype).reshape(dims)


def _uniform_integers(words: np.ndarray, low: int, high: int, wide: bool) -> np.ndarray:
    """Integers in [low, high): one word per i32, two (low word first) per i64, modulo the span."""
    if high <= low:
        raise ValueError(f"max_val ({high}) must be greater than min_val ({low})")
    values = words.astype(np.uint64)
    if wide:
        pairs = values.reshape(-1, 2)
        values = (pairs[:, 1] << np.uint64(32)) | pairs[:, 0]
    return (values % np.uint64(high - low)).astype(np.int64) + low


# --- DFT, IDFT (opset7), RDFT, IRDFT (opset9): complex tensors carry a last axis of 2 ---------------


class FFTBase(Node):
    """Shared inference of the Fourier transforms: ``axes`` and ``signal_size`` (-1: keep)."""

    inputs_spec = ("data", "axes", "signal_size?")
    complex_input = True  # the data's last axis holds (real, imaginary)

    def _axes(self, data_rank: int, axes: np.ndarray) -> list[int]:
        rank = data_rank - 1 if self.complex_input else data_rank
        normalized = [normalize_axis(int(a), rank, f"{self.type_name} axes") for a in axes.reshape(-1)]
        require(
            len(set(normalized)) == len(normalized), f"{self.type_name} axes must be unique, got {normalized}"
        )
        return normalized

    def infer(
        self, data: Output, axes: Output, signal_size: Output | None = None
    ) -> tuple[Type, PartialShape]:
        et = require_element_type(data.get_element_type(), "real", f"{self.type_name} data")
        shape, axes_value = data.get_partial_shape(), const_value(axes)
        if shape.rank.is_dynamic:
            return et, PartialShape.dynamic()
        if self.complex_input:
            require(
                len(shape) >= 2 and shape[-1].compatible(2),
                f"{self.type_name} data must be complex, [..., 2], got {shape}",
            )
        dims = list(shape)
        if axes_value is None:
            return et, PartialShape.dynamic(len(self._output_dims(dims, [], None)))
        picked = self._axes(len(dims), axes_value)
        sizes = None if signal_size is None else shape_value(signal_size)
        if signal_size is not None and sizes is None:
            sizes = [Dimension() for _ in picked]
        if sizes is not None:
            require(len(sizes) == len(picked), f"signal_size must have one value per axis ({len(picked)})")
        return et, PartialShape(self._output_dims(dims, picked, sizes))

    def _output_dims(
        self, dims: list[Dimension], axes: list[int], sizes: list[Dimension] | None
    ) -> list[Dimension]:
        """Input dimensions with the signal sizes applied (a size of -1 keeps the input's)."""
        out = list(dims)
        for axis, size in zip(axes, sizes or []):
            if not (size.is_static and size.get_length() == -1):
                out[axis] = size
        return out

    def _signal(
        self, data_rank: int, axes: np.ndarray, signal_size: np.ndarray | None, shape: tuple[int, ...]
    ) -> tuple[list[int], list[int]]:
        picked = self._axes(data_rank, axes)
        sizes = (
            [shape[a] for a in picked] if signal_size is None else [int(s) for s in signal_size.reshape(-1)]
        )
        return picked, [shape[a] if s == -1 else s for a, s in zip(picked, sizes)]


def _to_complex(data: np.ndarray) -> np.ndarray:
    return data[..., 0].astype(np.float64) + 1j * data[..., 1]


def _from_complex(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return np.stack([values.real, values.imag], axis=-1).astype(dtype)


@register
class DFT(FFTBase):
    """DFT-7: the unnormalized discrete Fourier transform of complex data over ``axes``."""

    type_name, version = "DFT", "opset7"

    def evaluate(
        self, data: np.ndarray, axes: np.ndarray, signal_size: np.ndarray | None = None
    ) -> np.ndarray:
        picked, sizes = self._signal(data.ndim, axes, signal_size, data.shape[:-1])
        return _from_complex(np.fft.fftn(_to_complex(data), sizes, picked), data.dtype)


@register
class IDFT(FFTBase):
    """IDFT-7: the inverse transform, scaled by 1 / (product of the signal sizes)."""

    type_name, version = "IDFT", "opset7"

    def evaluate(
        self, data: np.ndarray, axes: np.ndarray, signal_size: np.ndarray | None = None
    ) -> np.ndarray:
        picked, sizes = self._signal(data.ndim, axes, signal_size, data.shape[:-1])
        return _from_complex(np.fft.ifftn(_to_complex(data), sizes, picked), data.dtype)


@register
class RDFT(FFTBase):
    """RDFT-9: the transform of real data; the last axis keeps its n // 2 + 1 non-redundant terms."""

    type_name, version = "RDFT", "opset9"
    complex_input = False

    def _output_dims(
        self, dims: list[Dimension], axes: list[int], sizes: list[Dimension] | None
    ) -> list[Dimension]:
        out = super()._output_dims(dims, axes, sizes)
        if axes:
            last = out[axes[-1]]
            out[axes[-1]] = Dimension(last.get_length() // 2 + 1) if last.is_static else Dimension()
        return out + [Dimension(2)]

    def evaluate(
        self, data: np.ndarray, axes: np.ndarray, signal_size: np.ndarray | None = None
    ) -> np.ndarray:
        picked, sizes = self._signal(data.ndim, axes, signal_size, data.shape)
        return _from_complex(np.fft.rfftn(data.astype(np.float64), sizes, picked), data.dtype)


@register
class IRDFT(FFTBase):
    """IRDFT-9: the real inverse of RDFT; the last axis grows to 2 * (n - 1) unless signal_size says."""

    type_name, version = "IRDFT", "opset9"

    def _output_dims(
        self, dims: list[Dimension], axes: list[int], sizes: list[Dimension] | None
    ) -> list[Dimension]:
        out = super()._output_dims(dims[:-1], axes, sizes)
        if axes and (sizes is None or (sizes[-1].is_static and sizes[-1].get_length() == -1)):
            last = dims[axes[-1]]
            out[axes[-1]] = Dimension(2 * (last.get_length() - 1)) if last.is_static else Dimension()
        return out

    def evaluate(
        self, data: np.ndarray, axes: np.ndarray, signal_size: np.ndarray | None = None
    ) -> np.ndarray:
        picked = self._axes(data.ndim, axes)
        shape = list(data.shape[:-1])
        shape[picked[-1]] = 2 * (shape[picked[-1]] - 1)
        picked, sizes = self._signal(data.ndim, axes, signal_size, tuple(shape))
        return np.fft.irfftn(_to_complex(data), sizes, picked).astype(data.dtype)
