"""The op registry: every op class by type name and opset version, and the opset views built from it."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Callable
from typing import Any

from vinopy.graph.node import Node

OPS: dict[str, dict[int, type[Node]]] = {}
LATEST_OPSET = 16


def opset_number(version: str) -> int:
    match = re.fullmatch(r"opset(\d+)", version)
    if not match:
        raise ValueError(f"Op version must look like 'opsetN', got {version!r}")
    return int(match.group(1))


def register(cls: type[Node]) -> type[Node]:
    """Class decorator: make an op known by its type name and version."""
    if not cls.type_name or not cls.version:
        raise TypeError(f"{cls.__name__} must set type_name and version")
    OPS.setdefault(cls.type_name, {})[opset_number(cls.version)] = cls
    return cls


_all_loaded = False


def load_all() -> None:
    """Import every module of vinopy.ops so that their ops are registered (once: callers ask per layer)."""
    global _all_loaded
    if _all_loaded:
        return
    import vinopy.ops as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"vinopy.ops.{info.name}")
    _all_loaded = True


def get_op_class(type_name: str, version: str | int) -> type[Node]:
    """The op class for an IR layer's type and version (the newest at or below that opset)."""
    load_all()
    number = version if isinstance(version, int) else opset_number(version)
    versions = OPS.get(type_name)
    if not versions:
        raise KeyError(f"Unknown op type '{type_name}'")
    exact = versions.get(number)
    if exact is not None:
        return exact
    older = [v for v in versions if v <= number]
    if not older:
        raise KeyError(f"Op '{type_name}' does not exist in opset{number} (first in opset{min(versions)})")
    return versions[max(older)]


def factory_name(cls: type[Node]) -> str:
    """OpenVINO's factory-function name for an op: MatMul -> matmul, ReduceSum -> reduce_sum."""
    explicit = getattr(cls, "factory_name", None)
    if explicit:
        return explicit
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.type_name)
    return name.lower()


def create(cls: type[Node], *args: Any, name: str | None = None, **kwargs: Any) -> Node:
    """Build an op from OpenVINO-style factory arguments: inputs, then attributes, in the op's order."""
    order = list(getattr(cls, "factory_args", None) or _default_order(cls))
    inputs = [s.strip("*?") for s in cls.inputs_spec]
    values: dict[str, Any] = {}
    if len(args) > len(order):
        raise TypeError(f"{factory_name(cls)}() takes at most {len(order)} positional arguments")
    for key, value in zip(order, args):
        values[key] = value
    for key, value in kwargs.items():
        if key not in inputs and key not in cls.attrs:
            raise TypeError(f"{factory_name(cls)}() got an unexpected argument '{key}'")
        if key in values:
            raise TypeError(f"{factory_name(cls)}() got two values for '{key}'")
        values[key] = value
    attrs = {k: v for k, v in values.items() if k in cls.attrs and v is not None}
    if cls.inputs_spec and cls.inputs_spec[0].startswith("*"):
        node_inputs = list(values.get(inputs[0], []))
    else:
        node_inputs = [values.get(k) for k in inputs]
        while node_inputs and node_inputs[-1] is None:
            node_inputs.pop()
        if any(v is None for v in node_inputs):
            missing = [k for k, v in zip(inputs, node_inputs) if v is None]
            raise TypeError(f"{factory_name(cls)}() is missing input(s) {missing}")
    return cls(*node_inputs, name=name, **attrs)


def _default_order(cls: type[Node]) -> list[str]:
    return [s.strip("*?") for s in cls.inputs_spec] + list(cls.attrs)


@functools.cache
def opset_factories(number: int) -> dict[str, Callable[..., Node]]:
    """Opset ``number``'s factory functions: the newest version of each op up to it (cached: read only)."""
    load_all()
    factories: dict[str, Callable[..., Node]] = {}
    for versions in OPS.values():
        usable = [v for v in versions if v <= number]
        if usable:
            cls = versions[max(usable)]
            factories[factory_name(cls)] = _factory(cls)
    return factories


def opset_namespace(
    number: int, namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the module ``vinopy.opset<number>`` (PEP 562): its factories,
    and the op modules behind them, are made on the first look-up of one of its names."""
    module = f"vinopy.opset{number}"

    def fill() -> dict[str, Callable[..., Node]]:
        factories = opset_factories(number)
        namespace.update(factories)
        namespace["__all__"] = sorted(factories)
        return factories

    def get_attribute(name: str) -> Any:
        # tools probe modules for dunders (__path__, __wrapped__): these need no ops
        if name.startswith("__") and name != "__all__":
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        fill()
        if name in namespace:
            return namespace[name]
        raise AttributeError(f"module {module!r} has no attribute {name!r}{_first_opset_hint(name)}")

    def list_names() -> list[str]:
        return sorted({*namespace, *fill()})

    return get_attribute, list_names


def _first_opset_hint(name: str) -> str:
    """For an op that exists in a later opset only: which one to use instead."""
    later = [
        number for versions in OPS.values() for number, cls in versions.items() if factory_name(cls) == name
    ]
    return f" (the op is in opset{min(later)} and later)" if later else ""


@functools.cache
def _factory(cls: type[Node]) -> Callable[..., Node]:
    """One factory per op class, shared by every opset that has it (as OpenVINO's opset modules share)."""
    custom = getattr(cls, "factory", None)
    make = custom if custom is not None else (lambda *a, **k: create(cls, *a, **k))

    def factory(*args: Any, **kwargs: Any) -> Node:
        return make(*args, **kwargs)

    factory.__name__ = factory_name(cls)
    factory.__qualname__ = factory.__name__
    factory.__doc__ = f"{cls.type_name}-{cls.version}: {(cls.__doc__ or '').strip()}"
    return factory
