"""Layout: named dimensions such as ``NCHW``, ``N...C`` or ``[batch,?,width]``."""

from __future__ import annotations

from typing import Any


class Layout:
    """Names for the dimensions of a tensor; ``...`` stands for any number of unnamed ones."""

    def __init__(self, layout: str = "") -> None:
        self._left, self._right, self._has_ellipsis = _parse(layout)

    def empty(self) -> bool:
        return not self._left and not self._right and not self._has_ellipsis

    def has_name(self, name: str) -> bool:
        return name.upper() in self._left or name.upper() in self._right

    def get_index_by_name(self, name: str) -> int:
        name = name.upper()
        if name in self._left:
            return self._left.index(name)
        if name in self._right:
            return self._right.index(name) - len(self._right)
        raise ValueError(f"Layout {self} has no dimension '{name}'")

    def to_string(self) -> str:
        return str(self)

    @property
    def scalar(self) -> bool:
        return self._left == ["**SCALAR**"]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Layout(other)
        return isinstance(other, Layout) and (
            (self._left, self._right, self._has_ellipsis)
            == (other._left, other._right, other._has_ellipsis)
        )

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        parts = list(self._left) + (["..."] if self._has_ellipsis else []) + list(self._right)
        return "[" + ",".join(parts) + "]"

    def __repr__(self) -> str:
        return f"<Layout: {self}>"


def _parse(text: str) -> tuple[list[str], list[str], bool]:
    text = text.strip()
    if not text:
        return [], [], False
    if text.startswith("[") and text.endswith("]"):
        tokens = [t.strip() for t in text[1:-1].split(",")] if text[1:-1].strip() else []
    else:
        tokens, i = [], 0
        while i < len(text):
            if text.startswith("...", i):
                tokens.append("...")
                i += 3
            else:
                tokens.append(text[i])
                i += 1
    tokens = [t.upper() for t in tokens]
    if tokens.count("...") > 1:
        raise ValueError(f"Layout '{text}' has more than one '...'")
    named = [t for t in tokens if t not in ("...", "?")]
    if len(named) != len(set(named)):
        raise ValueError(f"Layout '{text}' repeats a dimension name")
    if "..." in tokens:
        k = tokens.index("...")
        return tokens[:k], tokens[k + 1 :], True
    return tokens, [], False


def _index(layout: Any, name: str) -> int:
    return Layout(layout).get_index_by_name(name) if isinstance(layout, str) else layout.get_index_by_name(name)


def _has(layout: Any, name: str) -> bool:
    return (Layout(layout) if isinstance(layout, str) else layout).has_name(name)


class layout_helpers:  # noqa: N801 - OpenVINO's module-like name
    """``ov.layout_helpers``: indices of the well-known dimensions of a layout."""

    @staticmethod
    def has_batch(layout: Any) -> bool:
        return _has(layout, "N")

    @staticmethod
    def batch_idx(layout: Any) -> int:
        return _index(layout, "N")

    @staticmethod
    def has_channels(layout: Any) -> bool:
        return _has(layout, "C")

    @staticmethod
    def channels_idx(layout: Any) -> int:
        return _index(layout, "C")

    @staticmethod
    def has_depth(layout: Any) -> bool:
        return _has(layout, "D")

    @staticmethod
    def depth_idx(layout: Any) -> int:
        return _index(layout, "D")

    @staticmethod
    def has_height(layout: Any) -> bool:
        return _has(layout, "H")

    @staticmethod
    def height_idx(layout: Any) -> int:
        return _index(layout, "H")

    @staticmethod
    def has_width(layout: Any) -> bool:
        return _has(layout, "W")

    @staticmethod
    def width_idx(layout: Any) -> int:
        return _index(layout, "W")

    @staticmethod
    def get_layout(port: Any) -> Layout:
        return port.get_rt_info().get("layout", Layout()) if hasattr(port, "get_rt_info") else Layout()

    @staticmethod
    def set_layout(port: Any, layout: Any) -> None:
        port.get_rt_info()["layout"] = Layout(layout) if isinstance(layout, str) else layout
