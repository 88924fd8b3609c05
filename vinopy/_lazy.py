"""Lazy re-exports (PEP 562): a package names each public object and where it lives, and the module
that defines it is imported on first use, so that ``import vinopy`` does not pay for numpy, the IR
reader, the frontends and the tools before a script needs them."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str, namespace: dict[str, object], exports: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose globals are ``namespace``.

    ``exports`` maps a public name to where it lives, written as entry points are:
    ``"module:attribute"`` for an object, ``"module"`` for a module itself.
    """

    def get_attribute(name: str) -> object:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        value = getattr(module, attribute) if attribute else module
        namespace[name] = value  # later look-ups find it without coming here
        return value

    def list_names() -> list[str]:
        return sorted({*namespace, *exports})

    return get_attribute, list_names
