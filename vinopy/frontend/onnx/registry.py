"""The translator registry: one function per ONNX (domain, op_type), found by the node's opset."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vinopy.frontend.onnx.context import NodeContext

TranslatorFn = Callable[["NodeContext"], Any]

# ONNX spells the default domain two ways
_DOMAIN_ALIASES = {"ai.onnx": ""}


@dataclass(frozen=True)
class Translator:
    """How to translate one ONNX op; ``changed`` lists the opset versions where its semantics changed
    (the function branches on ``ctx.opset`` at those versions)."""

    op_type: str
    domain: str
    fn: TranslatorFn
    changed: tuple[int, ...] = ()


TRANSLATORS: dict[tuple[str, str], Translator] = {}


def normalize_domain(domain: str) -> str:
    return _DOMAIN_ALIASES.get(domain, domain)


def onnx_op(
    *op_types: str, domain: str = "", changed: tuple[int, ...] = ()
) -> Callable[[TranslatorFn], TranslatorFn]:
    """Decorator: register a translator for one or more op types of a domain."""

    def decorate(fn: TranslatorFn) -> TranslatorFn:
        for op_type in op_types:
            key = (normalize_domain(domain), op_type)
            if key in TRANSLATORS:
                raise ValueError(f"Translator for {domain or 'ai.onnx'}::{op_type} is registered twice")
            TRANSLATORS[key] = Translator(op_type, key[0], fn, changed)
        return fn

    return decorate


@functools.cache  # once: listing the package's modules costs milliseconds, and every node asks
def load_translators() -> None:
    """Import every translator module so that its ops are registered."""
    import vinopy.frontend.onnx.translators as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{info.name}")


def find_translator(domain: str, op_type: str) -> Translator | None:
    load_translators()
    return TRANSLATORS.get((normalize_domain(domain), op_type))
