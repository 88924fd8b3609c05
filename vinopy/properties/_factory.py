"""The callables of ``ov.properties``: the key without an argument, a (key, value) pair with one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Property:
    """``prop()`` is the key; ``prop(value)`` the pair that ``set_property``/``compile_model`` take."""

    def __init__(
        self, name: str, key: str, read_only: bool = False, combine: Callable[..., Any] | None = None
    ) -> None:
        self.__name__ = name
        self.key = key
        self.read_only = read_only
        self._combine = combine

    def __call__(self, *values: Any) -> Any:
        if not values:
            return self.key
        if self.read_only:
            raise TypeError(f"{self.__name__}() is read-only: call it with no value to get '{self.key}'")
        if self._combine is not None:
            return self.key, self._combine(*values)
        if len(values) != 1:
            raise TypeError(f"{self.__name__}() takes one value, got {len(values)}")
        return self.key, values[0]

    def __repr__(self) -> str:
        access = "RO" if self.read_only else "RW"
        return f"<Property {self.__name__}: '{self.key}' ({access})>"


def rw(name: str, key: str, combine: Callable[..., Any] | None = None) -> Property:
    return Property(name, key, combine=combine)


def ro(name: str, key: str) -> Property:
    return Property(name, key, read_only=True)
