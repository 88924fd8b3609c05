"""InferRequest, OVDict and AsyncInferQueue."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from vinopy.graph.node import Output
from vinopy.graph.tensor import Tensor
from vinopy.graph.types import Type
from vinopy.runtime.plugin import ProfilingInfo

if TYPE_CHECKING:
    from vinopy.runtime.compiled_model import CompiledModel


class OVDict(Mapping):
    """Inference results keyed by Output, index or tensor name."""

    def __init__(self, outputs: list[Output], values: list[np.ndarray]) -> None:
        self._outputs = outputs
        self._values = values

    def _index(self, key: Any) -> int:
        if isinstance(key, int):
            if not -len(self._values) <= key < len(self._values):
                raise KeyError(f"output index {key} out of range ({len(self._values)} outputs)")
            return key % len(self._values)
        if isinstance(key, Output):
            for i, out in enumerate(self._outputs):
                if out == key or (out.get_names() and out.get_names() == key.get_names()):
                    return i
            raise KeyError(f"{key!r} is not an output of this model")
        if isinstance(key, str):
            for i, out in enumerate(self._outputs):
                if key in out.get_names():
                    return i
            raise KeyError(f"no output named '{key}'; outputs: {[sorted(o.get_names()) for o in self._outputs]}")
        raise TypeError(f"OVDict keys are Output, int or str, not {type(key).__name__}")

    def __getitem__(self, key: Any) -> np.ndarray:
        return self._values[self._index(key)]

    def __iter__(self) -> Iterator[Output]:
        return iter(self._outputs)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> Any:
        return list(self._outputs)

    def values(self) -> Any:
        return list(self._values)

    def items(self) -> Any:
        return list(zip(self._outputs, self._values))

    def names(self) -> tuple[set[str], ...]:
        return tuple(o.get_names() for o in self._outputs)

    def to_dict(self) -> dict[Output, np.ndarray]:
        return dict(zip(self._outputs, self._values))

    def to_tuple(self) -> tuple[np.ndarray, ...]:
        return tuple(self._values)

    def __repr__(self) -> str:
        return f"<OVDict: {len(self)} outputs>"


class InferRequest:
    """One inference at a time on a compiled model: tensors in, tensors out, sync or async."""

    def __init__(self, compiled: CompiledModel) -> None:
        self._compiled = compiled
        self._executor = compiled._executable.create_executor()
        self._inputs = compiled.inputs
        self._outputs = compiled.outputs
        self._input_tensors: list[Tensor | None] = [None] * len(self._inputs)
        self._output_tensors: list[Tensor | None] = [None] * len(self._outputs)
        self._profiling: list[ProfilingInfo] = []
        self._latency_ms = 0.0
        self._callback: tuple[Callable[..., Any], Any] | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._done.set()
        self.userdata: Any = None

    # --- tensors --------------------------------------------------------------
    def _port_index(self, key: Any, ports: list[Output], what: str) -> int:
        if isinstance(key, int):
            if not 0 <= key < len(ports):
                raise IndexError(f"{what} index {key} out of range: the model has {len(ports)} {what}s")
            return key
        if isinstance(key, Output):
            for i, p in enumerate(ports):
                if p == key or (p.get_names() and p.get_names() == key.get_names()):
                    return i
            raise KeyError(f"{key!r} is not an {what} of this model")
        if isinstance(key, str):
            for i, p in enumerate(ports):
                if key in p.get_names() or p.get_node().get_friendly_name() == key:
                    return i
            known = [sorted(p.get_names()) for p in ports]
            raise KeyError(f"the model has no {what} named '{key}'; {what}s: {known}")
        raise TypeError(f"{what} keys are int, str or Output, not {type(key).__name__}")

    def _find(self, key: Any) -> tuple[str, int]:
        """Whether key names an input or an output, and its index."""
        try:
            return "input", self._port_index(key, self._inputs, "input")
        except (KeyError, IndexError):
            return "output", self._port_index(key, self._outputs, "output")

    def get_tensor(self, key: Any) -> Tensor:
        kind, i = self._find(key)
        return self.get_input_tensor(i) if kind == "input" else self.get_output_tensor(i)

    def set_tensor(self, key: Any, tensor: Tensor) -> None:
        kind, i = self._find(key)
        if kind == "input":
            self.set_input_tensor(i, tensor)
        else:
            self._output_tensors[i] = tensor

    def get_input_tensor(self, index: int = 0) -> Tensor:
        i = self._port_index(index, self._inputs, "input")
        if self._input_tensors[i] is None:
            port = self._inputs[i]
            shape = port.get_partial_shape()
            dims = [d.get_length() if d.is_static else 0 for d in shape] if shape.rank.is_static else [0]
            self._input_tensors[i] = Tensor(port.get_element_type(), dims)
        return self._input_tensors[i]

    def get_output_tensor(self, index: int = 0) -> Tensor:
        i = self._port_index(index, self._outputs, "output")
        if self._output_tensors[i] is None:
            raise RuntimeError(f"output {i} has no value yet: run infer() first")
        return self._output_tensors[i]

    def set_input_tensor(self, index_or_tensor: Any, tensor: Tensor | None = None) -> None:
        if tensor is None:
            index_or_tensor, tensor = 0, index_or_tensor
        i = self._port_index(index_or_tensor, self._inputs, "input")
        self._input_tensors[i] = _as_tensor(tensor, shared=True)

    def set_input_tensors(self, tensors: Any) -> None:
        items = tensors.items() if isinstance(tensors, dict) else enumerate(tensors)
        for key, tensor in items:
            self.set_input_tensor(key, tensor)

    def set_output_tensor(self, index_or_tensor: Any, tensor: Tensor | None = None) -> None:
        if tensor is None:
            index_or_tensor, tensor = 0, index_or_tensor
        self._output_tensors[self._port_index(index_or_tensor, self._outputs, "output")] = tensor

    @property
    def input_tensors(self) -> list[Tensor]:
        return [self.get_input_tensor(i) for i in range(len(self._inputs))]

    @property
    def output_tensors(self) -> list[Tensor]:
        return [self.get_output_tensor(i) for i in range(len(self._outputs))]

    # --- running --------------------------------------------------------------
    def _bind_inputs(self, inputs: Any, share: bool) -> None:
        if inputs is None:
            return
        if isinstance(inputs, dict):
            items = list(inputs.items())
        elif isinstance(inputs, (list, tuple)):
            items = list(enumerate(inputs))
        else:
            items = [(0, inputs)]
        for key, value in items:
            i = self._port_index(key, self._inputs, "input")
            self._input_tensors[i] = _as_tensor(value, shared=share)

    def _validated_inputs(self) -> list[np.ndarray]:
        arrays = []
        for i, port in enumerate(self._inputs):
            tensor = self._input_tensors[i]
            if tensor is None:
                raise ValueError(f"input {_port_name(port, i)} is not set: expected "
                                 f"{port.get_element_type().get_type_name()}{port.get_partial_shape()}")
            arrays.append(_check_input(tensor.data, port, i))
        return arrays

    def infer(self, inputs: Any = None, share_inputs: bool = False, share_outputs: bool = False,
              decode_strings: bool = True) -> OVDict:
        """Run synchronously and return the results."""
        self.wait()
        self._bind_inputs(inputs, share_inputs)
        self._run()
        return self.results if share_outputs else OVDict(self._outputs, [t.data.copy() for t in self._output_tensors])

    def _run(self) -> None:
        arrays = self._validated_inputs()
        profile = bool(self._compiled._config_value("PERF_COUNT", False))
        start = time.perf_counter()
        result = self._executor.run(arrays, profile)
        self._latency_ms = (time.perf_counter() - start) * 1e3
        self._profiling = result.profiling
        for i, value in enumerate(result.outputs):
            given = self._output_tensors[i]
            if given is not None and given.data.shape == value.shape and given.data.dtype == value.dtype \
                    and given.data is not value:
                np.copyto(given.data, value)
            else:
                self._output_tensors[i] = Tensor.from_array(value)

    def start_async(self, inputs: Any = None, userdata: Any = None, share_inputs: bool = False) -> None:
        """Start inference in the background; ``wait()`` or a callback tells when it is done."""
        self.wait()
        self._bind_inputs(inputs, share_inputs)
        self._validated_inputs()  # bad input raises here, in the caller's thread
        self.userdata = userdata
        self._error = None
        self._done.clear()
        self._thread = threading.Thread(target=self._run_async, daemon=True)
        self._thread.start()

    def _run_async(self) -> None:
        try:
            self._run()
        except BaseException as e:  # noqa: BLE001 - re-raised by wait() in the caller's thread
            self._error = e
        finally:
            callback = self._callback
            self._done.set()
            if callback is not None:
                fn, data = callback
                fn(data if data is not None else self.userdata)

    def wait(self) -> None:
        self._done.wait()
        self._raise_error()

    def wait_for(self, timeout: int) -> bool:
        """Wait up to ``timeout`` milliseconds (-1 waits forever); True when done."""
        done = self._done.wait(None if timeout < 0 else timeout / 1000.0)
        if done:
            self._raise_error()
        return done

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def set_callback(self, callback: Callable[[Any], Any], userdata: Any = None) -> None:
        self._callback = (callback, userdata)

    def cancel(self) -> None:
        """Requests cannot be interrupted mid-run; cancel waits for the current one."""
        self._done.wait()

    # --- results and counters ---------------------------------------------------
    @property
    def results(self) -> OVDict:
        return OVDict(self._outputs, [t.data for t in self.output_tensors])

    @property
    def latency(self) -> float:
        """Milliseconds taken by the last inference."""
        return self._latency_ms

    def get_profiling_info(self) -> list[ProfilingInfo]:
        return list(self._profiling)

    @property
    def profiling_info(self) -> list[ProfilingInfo]:
        return self.get_profiling_info()

    def get_compiled_model(self) -> CompiledModel:
        return self._compiled

    @property
    def model_inputs(self) -> list[Output]:
        return list(self._inputs)

    @property
    def model_outputs(self) -> list[Output]:
        return list(self._outputs)

    @property
    def inputs(self) -> list[Output]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[Output]:
        return list(self._outputs)

    def query_state(self) -> list[Any]:
        return []

    def reset_state(self) -> None:
        pass


def _as_tensor(value: Any, shared: bool) -> Tensor:
    if isinstance(value, Tensor):
        return value
    array = np.asarray(value)
    return Tensor.from_array(array if shared else np.array(array, copy=True))


def _port_name(port: Output, index: int) -> str:
    names = sorted(port.get_names())
    return f"'{names[0]}'" if names else f"#{index} ('{port.get_node().get_friendly_name()}')"


# input conversions OpenVINO performs silently: the value is representable in the target type
_SAFE = {
    ("f64", "f32"), ("f16", "f32"), ("f32", "f16"), ("f64", "f16"), ("f32", "bf16"), ("f64", "bf16"),
    ("i32", "i64"), ("i64", "i32"), ("i8", "i32"), ("i16", "i32"), ("u8", "i32"), ("u8", "i64"),
    ("i8", "i64"), ("i16", "i64"), ("u16", "i32"), ("u16", "i64"), ("u32", "i64"), ("i32", "i8"),
}


def _check_input(array: np.ndarray, port: Output, index: int) -> np.ndarray:
    """The input converted to the port's type, or a clear error naming it and what it expects."""
    expected_type = port.get_element_type()
    expected_shape = port.get_partial_shape()
    name = _port_name(port, index)
    if expected_shape.rank.is_static:
        if array.ndim != len(expected_shape):
            raise ValueError(
                f"input {name} has shape {list(array.shape)} (rank {array.ndim}); "
                f"the model expects {expected_shape} (rank {len(expected_shape)})"
            )
        for axis, (have, want) in enumerate(zip(array.shape, expected_shape)):
            if not want.compatible(have):
                raise ValueError(
                    f"input {name} has shape {list(array.shape)}; the model expects {expected_shape} "
                    f"(dimension {axis} is {have}, expected {want})"
                )
    if expected_type.is_dynamic() or expected_type.get_type_name() == "string":
        return array
    try:
        got = Type.resolve(array.dtype)
    except TypeError:
        got = None
    if got == expected_type:
        return array
    if got is not None and (got.get_type_name(), expected_type.get_type_name()) in _SAFE:
        return array.astype(expected_type.to_dtype())
    raise TypeError(
        f"input {name} has element type {array.dtype}; the model expects "
        f"{expected_type.get_type_name()} ({expected_type.to_dtype()})"
    )
