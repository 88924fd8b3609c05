"""CompiledModel: a model compiled for a device, the factory of infer requests."""

from __future__ import annotations

from typing import Any

from vinopy.graph.model import Model
from vinopy.graph.node import Output
from vinopy.runtime.infer_request import InferRequest, OVDict
from vinopy.runtime.plugin import Executable


class CompiledModel:
    def __init__(self, executable: Executable, device: str, config: dict[str, Any], source: Model) -> None:
        self._executable = executable
        self._device = device
        self._config = dict(config)
        self._source = source
        self._runtime_model = executable.model
        self._default_request: InferRequest | None = None

    def _config_value(self, key: str, default: Any) -> Any:
        return self._config.get(key, default)

    # --- ports ----------------------------------------------------------------
    @property
    def inputs(self) -> list[Output]:
        return self._source.inputs

    @property
    def outputs(self) -> list[Output]:
        return self._source.outputs

    def input(self, key: Any = None) -> Output:
        return self._source.input(key)

    def output(self, key: Any = None) -> Output:
        return self._source.output(key)

    # --- running --------------------------------------------------------------
    def create_infer_request(self) -> InferRequest:
        return InferRequest(self)

    def __call__(self, inputs: Any = None, share_inputs: bool = True, share_outputs: bool = False,
                 decode_strings: bool = True) -> OVDict:
        """Infer with a request kept by the compiled model (not thread-safe, as in OpenVINO)."""
        if self._default_request is None:
            self._default_request = self.create_infer_request()
        return self._default_request.infer(inputs, share_inputs=share_inputs, share_outputs=share_outputs)

    def infer_new_request(self, inputs: Any = None) -> OVDict:
        return self.create_infer_request().infer(inputs)

    def get_runtime_model(self) -> Model:
        return self._runtime_model

    def export_model(self) -> bytes:
        return self._executable.export()

    # --- properties -----------------------------------------------------------
    def get_property(self, name: Any) -> Any:
        from vinopy.runtime import properties

        return properties.compiled_model_property(self, properties.key_of(name))

    def set_property(self, properties_: Any, value: Any = None) -> None:
        from vinopy.runtime import properties

        updates = properties.as_dict(properties_, value)
        for key in updates:
            if key not in properties.COMPILED_RW:
                raise RuntimeError(f"Property '{key}' of a compiled model cannot be changed")
        self._config.update(updates)

    def release_memory(self) -> None:
        self._default_request = None

    def __repr__(self) -> str:
        return f"<CompiledModel: device {self._device}, {len(self.inputs)} inputs, {len(self.outputs)} outputs>"
