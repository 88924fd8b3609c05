"""OpenVINO's frontend API: ``FrontEndManager().load_by_model(path)`` gives a FrontEnd with ``load``
and ``convert``."""

from __future__ import annotations

import os
from typing import Any

from vinopy.graph.model import Model


class InputModel:
    """A model read by a frontend but not yet converted."""

    def __init__(self, frontend: FrontEnd, source: Any, base_dir: str = "") -> None:
        self.frontend = frontend
        self.source = source
        self.base_dir = base_dir


class FrontEnd:
    """The frontend of one format: ``load`` reads a model, ``convert`` translates it into an ov.Model."""

    def __init__(self, name: str) -> None:
        self._name = name

    def get_name(self) -> str:
        return self._name

    def supported(self, model: Any) -> bool:
        return _is_onnx(model)

    def load(self, model: Any) -> InputModel:
        from vinopy.frontend.onnx import load_onnx

        proto, base_dir = load_onnx(model)
        return InputModel(self, proto, base_dir)

    def convert(self, model: InputModel | Any) -> Model:
        from vinopy.frontend.onnx import convert_model_proto

        if not isinstance(model, InputModel):
            model = self.load(model)
        return convert_model_proto(model.source, model.base_dir)

    def __repr__(self) -> str:
        return f"<FrontEnd '{self._name}'>"


_FRONTENDS = ("onnx",)


class FrontEndManager:
    """Finds the frontend for a framework name or a model."""

    def get_available_front_ends(self) -> list[str]:
        return list(_FRONTENDS)

    def load_by_framework(self, framework: str) -> FrontEnd:
        if framework not in _FRONTENDS:
            raise RuntimeError(f"No frontend for framework '{framework}'; available: {list(_FRONTENDS)}")
        return FrontEnd(framework)

    def load_by_model(self, model: Any) -> FrontEnd | None:
        """The frontend that can read ``model`` (a path, bytes or framework object), or None."""
        return FrontEnd("onnx") if _is_onnx(model) else None


def _is_onnx(model: Any) -> bool:
    if isinstance(model, (str, os.PathLike)):
        return os.fspath(model).lower().endswith(".onnx")
    if type(model).__name__ == "ModelProto":
        return True
    if isinstance(model, (bytes, bytearray, memoryview)):
        return not bytes(model[:64]).lstrip().startswith(b"<")
    return False
