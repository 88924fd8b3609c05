"""The runtime: Core, CompiledModel, InferRequest; also the legacy ``openvino.runtime`` namespace
(``from vinopy.runtime import Core, Model, Tensor, opset13`` as OpenVINO 2023 code writes it).

``__all__`` is also the top-level ``vinopy`` namespace's list, less its own ``properties`` (the
legacy ``openvino.runtime.properties``), which must not replace ``vinopy.properties`` there.
Each name is imported on its first use (see ``vinopy._lazy``)."""

from vinopy._lazy import lazy_exports as _lazy_exports

# vinopy/opset1.py ... opset16.py, up to vinopy.ops.registry.LATEST_OPSET (not imported here: it needs numpy)
_OPSETS = {f"opset{number}": f"vinopy.opset{number}" for number in range(1, 17)}

_EXPORTS = {
    "AsyncInferQueue": "vinopy.runtime.async_queue:AsyncInferQueue",
    "CompiledModel": "vinopy.runtime.compiled_model:CompiledModel",
    "ConstOutput": "vinopy.graph.node:Output",
    "Core": "vinopy.runtime.core:Core",
    "Dimension": "vinopy.graph.shape:Dimension",
    "InferRequest": "vinopy.runtime.infer_request:InferRequest",
    "Input": "vinopy.graph.node:Input",
    "Layout": "vinopy.graph.layout:Layout",
    "Model": "vinopy.graph.model:Model",
    "Node": "vinopy.graph.node:Node",
    "OVDict": "vinopy.runtime.infer_request:OVDict",
    "Output": "vinopy.graph.node:Output",
    "PartialShape": "vinopy.graph.shape:PartialShape",
    "ProfilingInfo": "vinopy.runtime.plugin:ProfilingInfo",
    "Shape": "vinopy.graph.shape:Shape",
    "Tensor": "vinopy.graph.tensor:Tensor",
    "Type": "vinopy.graph.types:Type",
    "Version": "vinopy.runtime.core:Version",
    "compile_model": "vinopy.runtime.core:compile_model",
    "layout_helpers": "vinopy.graph.layout:layout_helpers",
    **_OPSETS,
}

__all__ = list(_EXPORTS)

# ``properties`` is the legacy namespace's own submodule, kept out of ``__all__`` (see above)
__getattr__, __dir__ = _lazy_exports(
    __name__, globals(), {**_EXPORTS, "properties": "vinopy.runtime.properties"}
)
