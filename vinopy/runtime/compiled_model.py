"""CompiledModel: a model compiled for a device, the factory of infer requests."""

from __future__ import annotations

from typing import Any

from vinopy.graph.model import Model
from vinopy.graph.node import Output
from vinopy.runtime import properties
from vinopy.runtime.infer_request import InferRequest, OVDict
from vinopy.runtime.plugin import Executable
from vinopy.runtime.properties import PropertyTable


class CompiledModel:
    """``core.compile_model(...)``: ports, infer requests and the properties it was compiled with."""

    def __init__(self, executable: Executable, source: Model, *, loaded_from_cache: bool = False) -> None:
        if executable.device_plugin is None:
            raise ValueError("an Executable must know the plugin that compiled it (device_plugin)")
        self._executable = executable
        self._plugin = executable.device_plugin
        self._config = dict(executable.device_config)
        self._source = source
        self._loaded_from_cache = loaded_from_cache
        self._default_request: InferRequest | None = None
        self._table = self._property_table()

    def _property_table(self) -> PropertyTable:
        plugin = self._plugin
        devices = self._executable.execution_devices or [plugin.device_name]
        read_only: dict[str, Any] = {
            "NETWORK_NAME": self._source.get_friendly_name,
            "OPTIMAL_NUMBER_OF_INFER_REQUESTS": lambda: plugin.optimal_number_of_infer_requests(self._config),
            "EXECUTION_DEVICES": devices,
            "LOADED_FROM_CACHE": lambda: self._loaded_from_cache,
        }
        # what the device was compiled with can be read, not changed
        read_only.update({k: self._config[k] for k in plugin.default_config if k in self._config})
        return PropertyTable(f"the model compiled for {plugin.device_name}", read_only, {})

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

    def __call__(
        self,
        inputs: Any = None,
        share_inputs: bool = True,
        share_outputs: bool = False,
        decode_strings: bool = True,
    ) -> OVDict:
        """Infer with a request kept by the compiled model (not thread-safe, as in OpenVINO)."""
        if self._default_request is None:
            self._default_request = self.create_infer_request()
        return self._default_request.infer(inputs, share_inputs=share_inputs, share_outputs=share_outputs)

    def infer_new_request(self, inputs: Any = None) -> OVDict:
        return self.create_infer_request().infer(inputs)

    def get_runtime_model(self) -> Model:
        """The executed graph: on CPU a node per layer that runs, described by its rt_info
        (``vinopy.graph.exec_model_info``), as in OpenVINO."""
        return self._executable.runtime_model()

    def export_model(self) -> bytes:
        """The model's IR with its device and config; ``Core.import_model`` rebuilds it."""
        from vinopy.runtime.cache import export_compiled

        return export_compiled(self._source, self._plugin.device_name, self._config)

    # --- properties -----------------------------------------------------------
    def get_property(self, name: Any) -> Any:
        return self._table.get(properties.key_of(name), self._config)

    def set_property(self, properties_: Any, value: Any = None) -> None:
        """Compiled models keep the settings they were compiled with: every key raises."""
        self._table.accept(properties.as_dict(properties_, value))

    @property
    def profiling_enabled(self) -> bool:
        return bool(self._config.get("PERF_COUNT", False))

    def release_memory(self) -> None:
        self._default_request = None

    def __repr__(self) -> str:
        return f"<CompiledModel: {len(self.inputs)} inputs, {len(self.outputs)} outputs>"
