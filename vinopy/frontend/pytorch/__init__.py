"""The PyTorch frontend: a ``torch.nn.Module`` is exported to ONNX in memory and read by our ONNX frontend.

Inputs are named after the module's ``forward`` arguments; dimensions that the caller wants dynamic
become ONNX dynamic axes, so the traced graph does not bake their example sizes into shape arithmetic.
"""

from __future__ import annotations

import inspect
import io
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from vinopy.graph.model import Model
from vinopy.graph.shape import PartialShape
from vinopy.graph.types import Type

__all__ = ["TorchInput", "is_torch_dtype", "is_torch_module", "read_torch", "torch_dtype_to_type"]

TorchInput = tuple[str | None, PartialShape | None, Type | None]
"""What the caller says about one input: its name, shape and element type, each optional."""


def is_torch_module(obj: Any) -> bool:
    """True for a ``torch.nn.Module``; never imports torch itself."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def is_torch_dtype(obj: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.dtype)


def torch_dtype_to_type(dtype: Any) -> Type:
    import torch

    return Type.resolve(torch.empty(0, dtype=dtype).numpy().dtype)


def read_torch(
    module: Any, example_input: Any = None, inputs: Sequence[TorchInput] = (), opset: int = 17
) -> Model:
    """Convert a ``torch.nn.Module``; ``example_input`` is a tensor, a tuple/list of them or a dict
    keyed by ``forward`` argument names. Without it, every input in ``inputs`` needs a static shape."""
    import torch

    arg_names = _forward_arg_names(module)
    named = _name_inputs(inputs, arg_names)
    tensors = _example_tensors(example_input, named, arg_names)
    names = arg_names[: len(tensors)]
    tensors = [_cast(t, named.get(n, (None, None))[1]) for n, t in zip(names, tensors)]
    dynamic_axes = {
        name: {axis: f"{name}_{axis}" for axis, dim in enumerate(shape) if dim.is_dynamic}
        for name, (shape, _) in named.items()
        if shape is not None and shape.rank.is_static
    }
    buffer = io.BytesIO()
    was_training, fastpath = module.training, torch.backends.mha.get_fastpath_enabled()
    module.eval()
    # The fused attention fast path is one aten op that the ONNX exporter cannot express.
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Positional(module),
                tuple(tensors),
                buffer,
                dynamo=False,
                input_names=names,
                dynamic_axes={k: v for k, v in dynamic_axes.items() if v},
                opset_version=opset,
            )
    finally:
        module.train(was_training)
        torch.backends.mha.set_fastpath_enabled(fastpath)
    from vinopy.frontend.onnx import read_onnx

    model = read_onnx(buffer.getvalue())
    model.set_friendly_name(type(module).__name__)
    # Bounded ranges (1..8) and static dims that differ from the example are set after export.
    exported = {p.get_any_name() for p in model.inputs}
    shapes = {n: shape for n, (shape, _) in named.items() if shape is not None and n in exported}
    if shapes:
        model.reshape(shapes)
    return model


def _Positional(module: Any) -> Any:
    """``module`` called with exactly the given arguments: the exporter would otherwise turn the
    defaults of the remaining ``forward`` arguments (flags such as ``is_causal``) into graph inputs."""
    import torch

    class Positional(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.module = module

        def forward(self, *args: Any) -> Any:
            return self.module(*args)

    return Positional()


def _forward_arg_names(module: Any) -> list[str]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = inspect.signature(module.forward).parameters.values()
    return [p.name for p in params if p.kind in kinds]


def _name_inputs(
    inputs: Sequence[TorchInput], arg_names: list[str]
) -> dict[str, tuple[PartialShape | None, Type | None]]:
    """Inputs keyed by forward argument name: named ones by name, unnamed ones by position."""
    named: dict[str, tuple[PartialShape | None, Type | None]] = {}
    for position, (name, shape, element_type) in enumerate(inputs):
        if name is None:
            if position >= len(arg_names):
                raise ValueError(
                    f"{len(inputs)} inputs were described but forward() takes {len(arg_names)}: {arg_names}"
                )
            name = arg_names[position]
        elif name not in arg_names:
            raise ValueError(f"forward() has no argument '{name}'; its arguments: {arg_names}")
        named[name] = (shape, element_type)
    return named


def _example_tensors(example_input: Any, named: dict, arg_names: list[str]) -> list[Any]:
    import torch

    if example_input is None:
        return [_zeros(name, *named.get(name, (None, None))) for name in arg_names[: max(len(named), 1)]]
    if isinstance(example_input, dict):
        unknown = [k for k in example_input if k not in arg_names]
        if unknown:
            raise ValueError(f"example_input names {unknown} are not forward() arguments {arg_names}")
        count = max(arg_names.index(k) for k in example_input) + 1
        missing = [n for n in arg_names[:count] if n not in example_input]
        if missing:
            raise ValueError(f"example_input misses forward() arguments {missing} that come before others")
        example_input = [example_input[n] for n in arg_names[:count]]
    elif isinstance(example_input, (torch.Tensor, np.ndarray)):
        example_input = [example_input]
    if not isinstance(example_input, (list, tuple)):
        raise TypeError(
            f"example_input must be a tensor, a tuple/list of tensors or a dict of them, "
            f"got {type(example_input).__name__}"
        )
    if len(example_input) > len(arg_names):
        raise ValueError(f"{len(example_input)} example inputs for forward() arguments {arg_names}")
    return [torch.as_tensor(x) for x in example_input]


def _zeros(name: str, shape: PartialShape | None, element_type: Type | None) -> Any:
    import torch

    if shape is None or shape.is_dynamic:
        raise ValueError(
            f"Converting a torch.nn.Module needs example_input (or a static shape for every input "
            f"in `input`); input '{name}' has shape {shape if shape is not None else 'unknown'}"
        )
    dtype = (element_type or Type.f32).to_dtype()
    return torch.from_numpy(np.zeros([d.get_length() for d in shape], dtype=dtype))


def _cast(tensor: Any, element_type: Type | None) -> Any:
    import torch

    if element_type is None:
        return tensor
    return torch.from_numpy(tensor.detach().numpy().astype(element_type.to_dtype()))
