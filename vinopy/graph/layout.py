"""Layout: named dimensions such as ``NCHW``, ``N...C`` or ``[batch,?,width]``."""

from __future__ import annotations

from typing import Any

_SCALAR = "**SCALAR**"
# full names that OpenVINO spells as their letter
_WELL_KNOWN = {"BATCH": "N", "CHANNELS": "C", "DEPTH": "D", "HEIGHT": "H", "WIDTH": "W"}


class _Flag:
    """A truth value that also works when called: OpenVINO's ``Layout.empty`` is a property,
    while code written against older bindings calls ``layout.empty()``."""

    def __init__(self, value: bool) -> None:
        self._value = value

    def __bool__(self) -> bool:
        return self._value

    def __call__(self) -> bool:
        return self._value

    def __eq__(self, other: object) -> bool:
        return bool(other) == self._value if isinstance(other, (bool, _Flag)) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return repr(self._value)


class Layout:
    """Names for the dimensions of a tensor; ``...`` stands for any number of unnamed ones."""

    def __init__(self, layout: str = "") -> None:
        self._left, self._right, self._has_ellipsis = _parse(layout)

    @staticmethod
    def scalar() -> Layout:
        """The layout of a scalar: ``**SCALAR**``."""
        return Layout(_SCALAR)

    @property
    def empty(self) -> _Flag:
        return _Flag(not self._left and not self._right and not self._has_ellipsis)

    def has_name(self, name: str) -> bool:
        name = _canonical(name)
        return name in self._left or name in self._right

    def get_index_by_name(self, name: str) -> int:
        """The index of a named dimension; negative when it is counted from the end (``N...C``)."""
        key = _canonical(name)
        if key in self._left:
            return self._left.index(key)
        if key in self._right:
            return self._right.index(key) - len(self._right)
        raise RuntimeError(f"Layout {self} has no dimension '{name}'")

    def to_string(self) -> str:
        return str(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Layout(other)
        return isinstance(other, Layout) and (
            (self._left, self._right, self._has_ellipsis) == (other._left, other._right, other._has_ellipsis)
        )

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        if self._left == [_SCALAR]:
            return _SCALAR
        parts = list(self._left) + (["..."] if self._has_ellipsis else []) + list(self._right)
        return "[" + ",".join(parts) + "]"

    def __repr__(self) -> str:
        return f"<Layout: {self}>"


def _canonical(name: str) -> str:
    upper = name.strip().upper()
    return _WELL_KNOWN.get(upper, upper)


def _tokens(text: str) -> list[str]:
    """``[a,b,...]`` splits at commas; ``NCHW`` and ``N...C`` are one letter per dimension."""
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [t.strip() for t in inner.split(",")] if inner else []
    tokens, i = [], 0
    while i < len(text):
        if text.startswith("...", i):
            tokens.append("...")
            i += 3
        elif text[i] == ".":
            raise RuntimeError(f"Layout '{text}' has a '.' that is not part of '...'")
        else:
            tokens.append(text[i])
            i += 1
    return tokens


def _parse(text: str) -> tuple[list[str], list[str], bool]:
    text = text.strip()
    if not text:
        return [], [], False
    if text == _SCALAR:
        return [_SCALAR], [], False
    tokens = [t if t in ("...", "?") else _canonical(t) for t in _tokens(text)]
    if tokens.count("...") > 1:
        raise RuntimeError(f"Layout '{text}' has more than one '...'")
    named = [t for t in tokens if t not in ("...", "?")]
    repeated = sorted({t for t in named if named.count(t) > 1})
    if repeated:
        raise RuntimeError(f"Layout '{text}' names dimension {repeated[0]} more than once")
    if "..." in tokens:
        k = tokens.index("...")
        return tokens[:k], tokens[k + 1 :], True
    return tokens, [], False


def _as_layout(layout: Any) -> Layout:
    return Layout(layout) if isinstance(layout, str) else layout


class layout_helpers:  # noqa: N801 - OpenVINO's module-like name
    """``ov.layout_helpers``: indices of the well-known dimensions of a layout."""

    @staticmethod
    def has_batch(layout: Any) -> bool:
        return _as_layout(layout).has_name("N")

    @staticmethod
    def batch_idx(layout: Any) -> int:
        return _as_layout(layout).get_index_by_name("N")

    @staticmethod
    def has_channels(layout: Any) -> bool:
        return _as_layout(layout).has_name("C")

    @staticmethod
    def channels_idx(layout: Any) -> int:
        return _as_layout(layout).get_index_by_name("C")

    @staticmethod
    def has_depth(layout: Any) -> bool:
        return _as_layout(layout).has_name("D")

    @staticmethod
    def depth_idx(layout: Any) -> int:
        return _as_layout(layout).get_index_by_name("D")

    @staticmethod
    def has_height(layout: Any) -> bool:
        return _as_layout(layout).has_name("H")

    @staticmethod
    def height_idx(layout: Any) -> int:
        return _as_layout(layout).get_index_by_name("H")

    @staticmethod
    def has_width(layout: Any) -> bool:
        return _as_layout(layout).has_name("W")

    @staticmethod
    def width_idx(layout: Any) -> int:
        return _as_layout(layout).get_index_by_name("W")

    @staticmethod
    def get_layout(port: Any) -> Layout:
        """The layout set on a model input or output (empty when none was set)."""
        return port.get_rt_info().get("layout", Layout())

    @staticmethod
    def set_layout(port: Any, layout: Any) -> None:
        port.get_rt_info()["layout"] = _as_layout(layout)
