"""vinopy: a deep-learning inference toolkit with OpenVINO's Python API.

Every public name is imported on its first use (see ``vinopy._lazy``): ``import vinopy`` stays cheap
for a script or a CLI call that needs only part of the package."""

import sys as _sys
import types as _types

from vinopy import runtime as _runtime
from vinopy._lazy import lazy_exports as _lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    **{name: f"vinopy.runtime:{name}" for name in _runtime.__all__},
    "convert_model": "vinopy.tools.convert:convert_model",
    "frontend": "vinopy.frontend",
    "preprocess": "vinopy.preprocess",
    "properties": "vinopy.properties",
    "save_model": "vinopy.serialize:save_model",
    "serialize": "vinopy.serialize:serialize",
}

__all__ = list(_EXPORTS)

__getattr__, __dir__ = _lazy_exports(__name__, globals(), _EXPORTS)


class _Namespace(_types.ModuleType):
    """The ``vinopy`` module. ``vinopy.serialize`` is OpenVINO's ``serialize()`` function, yet the IR
    subpackage has the same name, and importing a subpackage sets it on its parent: keep the function."""

    def __setattr__(self, name: str, value: object) -> None:
        if name == "serialize" and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Namespace
