"""Dimension, PartialShape and Shape, with OpenVINO's semantics and string forms."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

_INF = -1  # an unbounded upper limit


class Dimension:
    """A dimension: static (``3``), dynamic (``?``) or a bounded range (``1..8``)."""

    __slots__ = ("min_length", "max_length", "_names")

    def __init__(self, min_length: Any = None, max_length: int | None = None) -> None:
        if isinstance(min_length, Dimension):
            min_length, max_length = min_length.min_length, min_length.max_length
        elif isinstance(min_length, str):
            parsed = Dimension.parse(min_length)
            min_length, max_length = parsed.min_length, parsed.max_length
        if min_length is None or (max_length is None and min_length == -1):
            min_length, max_length = 0, _INF
        elif max_length is None:
            min_length = int(min_length)
            if min_length < 0:
                raise ValueError(f"Dimension must be >= 0 or -1 (dynamic), got {min_length}")
            max_length = min_length
        else:
            min_length, max_length = int(min_length), int(max_length)
            if min_length < 0:
                min_length = 0
            if max_length != _INF and max_length < min_length:
                raise ValueError(f"Dimension range {min_length}..{max_length} is empty")
        self.min_length, self.max_length = min_length, max_length
        self._names: frozenset[str] = frozenset()

    @staticmethod
    def parse(text: str) -> Dimension:
        text = text.strip()
        if text in ("?", "-1", ""):
            return Dimension()
        if ".." in text:
            lo, hi = text.split("..")
            return Dimension(int(lo) if lo else 0, int(hi) if hi else _INF)
        try:
            return Dimension(int(text))
        except ValueError as e:
            raise ValueError(f"Cannot parse dimension {text!r}: expected N, ?, -1 or a..b") from e

    @staticmethod
    def dynamic() -> Dimension:
        return Dimension()

    @property
    def is_dynamic(self) -> bool:
        return self.min_length != self.max_length

    @property
    def is_static(self) -> bool:
        return self.min_length == self.max_length

    def get_length(self) -> int:
        if self.is_dynamic:
            raise RuntimeError(f"Cannot get length of dynamic dimension {self}")
        return self.min_length

    def get_min_length(self) -> int:
        return self.min_length

    def get_max_length(self) -> int:
        return self.max_length

    def get_interval(self) -> tuple[int, int]:
        return self.min_length, self.max_length

    def compatible(self, other: Any) -> bool:
        other = _dim(other)
        lo = max(self.min_length, other.min_length)
        hi = _min_max(self.max_length, other.max_length)
        return hi == _INF or lo <= hi

    def same_scheme(self, other: Any) -> bool:
        other = _dim(other)
        return (self.is_dynamic and other.is_dynamic) or self == other

    def refines(self, other: Any) -> bool:
        """True when self is at least as precise as other and within it."""
        other = _dim(other)
        return other.min_length <= self.min_length and (
            other.max_length == _INF or (self.max_length != _INF and self.max_length <= other.max_length)
        )

    def relaxes(self, other: Any) -> bool:
        return _dim(other).refines(self)

    def merge(self, other: Any) -> Dimension | None:
        """The intersection of two dimensions, or None when they are incompatible."""
        other = _dim(other)
        if not self.compatible(other):
            return None
        d = Dimension(max(self.min_length, other.min_length), _min_max(self.max_length, other.max_length))
        d._names = self._names | other._names
        return d

    def get_symbol(self) -> str | None:
        return next(iter(sorted(self._names)), None)

    def __add__(self, other: Any) -> Dimension:
        other = _dim(other)
        hi = _INF if _INF in (self.max_length, other.max_length) else self.max_length + other.max_length
        return Dimension(self.min_length + other.min_length, hi)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Dimension:
        other = _dim(other)
        if self.is_static and other.is_static:
            return Dimension(max(0, self.min_length - other.min_length))
        lo = max(0, self.min_length - (other.max_length if other.max_length != _INF else self.min_length))
        hi = _INF if self.max_length == _INF else max(0, self.max_length - other.min_length)
        return Dimension(lo, hi)

    def __mul__(self, other: Any) -> Dimension:
        other = _dim(other)
        hi = _INF if _INF in (self.max_length, other.max_length) else self.max_length * other.max_length
        return Dimension(self.min_length * other.min_length, hi)

    __rmul__ = __mul__

    def __and__(self, other: Any) -> Dimension:
        merged = self.merge(other)
        if merged is None:
            raise ValueError(f"Dimensions {self} and {other} are incompatible")
        return merged

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int):
            return self.is_static and self.min_length == other
        if isinstance(other, str):
            other = Dimension.parse(other)
        if not isinstance(other, Dimension):
            return NotImplemented
        return (self.min_length, self.max_length) == (other.min_length, other.max_length)

    def __hash__(self) -> int:
        return hash((self.min_length, self.max_length))

    def __len__(self) -> int:
        return self.get_length()

    def __index__(self) -> int:
        return self.get_length()

    def __int__(self) -> int:
        return self.get_length()

    def __str__(self) -> str:
        if self.is_static:
            return str(self.min_length)
        if self.min_length == 0 and self.max_length == _INF:
            return "?"
        hi = "" if self.max_length == _INF else str(self.max_length)
        lo = "" if self.min_length == 0 else str(self.min_length)
        return f"{lo}..{hi}"

    def __repr__(self) -> str:
        return f"<Dimension: {self}>"

    def to_string(self) -> str:
        return str(self)


def _min_max(a: int, b: int) -> int:
    if a == _INF:
        return b
    if b == _INF:
        return a
    return min(a, b)


def _dim(value: Any) -> Dimension:
    return value if isinstance(value, Dimension) else Dimension(value)


class PartialShape:
    """A shape whose rank and dimensions may be dynamic; ``PartialShape.dynamic()`` has no rank."""

    __slots__ = ("_dims",)

    def __init__(self, dims: Any = None) -> None:
        if isinstance(dims, PartialShape):
            self._dims = None if dims._dims is None else list(dims._dims)
        elif dims is None:
            self._dims = None
        elif isinstance(dims, str):
            self._dims = _parse_shape(dims)
        else:
            self._dims = [_dim(d) for d in dims]

    @staticmethod
    def dynamic(rank: Any = None) -> PartialShape:
        if rank is None or (isinstance(rank, Dimension) and rank.is_dynamic):
            return PartialShape(None)
        return PartialShape([Dimension() for _ in range(int(rank))])

    @property
    def rank(self) -> Dimension:
        return Dimension() if self._dims is None else Dimension(len(self._dims))

    @property
    def is_dynamic(self) -> bool:
        return self._dims is None or any(d.is_dynamic for d in self._dims)

    @property
    def is_static(self) -> bool:
        return not self.is_dynamic

    @property
    def all_non_negative(self) -> bool:
        return True

    def get_shape(self) -> Shape:
        return self.to_shape()

    def to_shape(self) -> Shape:
        if self.is_dynamic:
            raise RuntimeError(f"Shape {self} is dynamic; no static shape")
        return Shape([d.min_length for d in self._dims])

    def get_min_shape(self) -> Shape:
        if self._dims is None:
            return Shape([])
        return Shape([d.min_length for d in self._dims])

    def get_max_shape(self) -> Shape:
        if self._dims is None:
            return Shape([])
        return Shape([d.max_length for d in self._dims])

    def compatible(self, other: Any) -> bool:
        other = as_partial_shape(other)
        if self._dims is None or other._dims is None:
            return True
        return len(self._dims) == len(other._dims) and all(
            a.compatible(b) for a, b in zip(self._dims, other._dims)
        )

    def refines(self, other: Any) -> bool:
        other = as_partial_shape(other)
        if other._dims is None:
            return True
        if self._dims is None or len(self._dims) != len(other._dims):
            return False
        return all(a.refines(b) for a, b in zip(self._dims, other._dims))

    def relaxes(self, other: Any) -> bool:
        return as_partial_shape(other).refines(self)

    def same_scheme(self, other: Any) -> bool:
        other = as_partial_shape(other)
        if self._dims is None or other._dims is None:
            return self._dims is None and other._dims is None
        return len(self._dims) == len(other._dims) and all(
            a.same_scheme(b) for a, b in zip(self._dims, other._dims)
        )

    def merge(self, other: Any) -> PartialShape | None:
        """The most precise shape compatible with both, or None."""
        other = as_partial_shape(other)
        if self._dims is None:
            return PartialShape(other)
        if other._dims is None:
            return PartialShape(self)
        if len(self._dims) != len(other._dims):
            return None
        merged = [a.merge(b) for a, b in zip(self._dims, other._dims)]
        return None if any(m is None for m in merged) else PartialShape(merged)

    def to_string(self) -> str:
        return str(self)

    def __len__(self) -> int:
        if self._dims is None:
            raise RuntimeError("A shape of dynamic rank has no length")
        return len(self._dims)

    def __iter__(self) -> Iterator[Dimension]:
        if self._dims is None:
            raise RuntimeError("Cannot iterate over a shape of dynamic rank")
        return iter(self._dims)

    def __getitem__(self, index: Any) -> Any:
        if self._dims is None:
            raise RuntimeError("Cannot index a shape of dynamic rank")
        if isinstance(index, slice):
            return PartialShape(self._dims[index])
        return self._dims[index]

    def __setitem__(self, index: int, value: Any) -> None:
        self._dims[index] = _dim(value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PartialShape):
            try:
                other = as_partial_shape(other)
            except (TypeError, ValueError):
                return NotImplemented
        return self._dims == other._dims

    def __hash__(self) -> int:
        return hash(None if self._dims is None else tuple(self._dims))

    def __str__(self) -> str:
        if self._dims is None:
            return "[...]"
        return "[" + ",".join(str(d) for d in self._dims) + "]"

    def __repr__(self) -> str:
        return f"<PartialShape: {self}>"


class Shape(list):
    """A static shape: a list of ints."""

    def __init__(self, dims: Iterable[int] = ()) -> None:
        super().__init__(int(d) for d in dims)

    def __str__(self) -> str:
        return "[" + ",".join(str(d) for d in self) + "]"

    def __repr__(self) -> str:
        return f"<Shape: {self}>"

    def to_string(self) -> str:
        return str(self)


def _parse_shape(text: str) -> list[Dimension] | None:
    text = text.strip()
    if text.startswith("[") and text.endswith("]") or text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if text == "...":
        return None
    if not text:
        return []
    return [Dimension.parse(part) for part in text.split(",")]


def as_partial_shape(value: Any) -> PartialShape:
    """A PartialShape from a PartialShape, Shape, list/tuple of dims, or a string like '1,3,?,224'."""
    if isinstance(value, PartialShape):
        return value
    if isinstance(value, (str, list, tuple, Shape)) or hasattr(value, "__iter__"):
        return PartialShape(value if isinstance(value, str) else list(value))
    raise TypeError(f"Cannot interpret {value!r} as a shape")
