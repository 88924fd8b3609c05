"""InferRequest and OVDict: one inference at a time on a compiled model, sync or async."""

from __future__ import annotations

import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from vinopy.graph.node import Output
from vinopy.graph.tensor import Tensor
from vinopy.runtime.plugin import ProfilingInfo

if TYPE_CHECKING:
    from vinopy.runtime.compiled_model import CompiledModel


def port_index(key: Any, ports: list[Output], what: str) -> int:
    """The index of the port that ``key`` (index, tensor or node name, Output) names."""
    if type(key) is int and 0 <= key < len(ports):  # the common case, before the general checks
        return key
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        if not -len(ports) <= key < len(ports):
            raise IndexError(f"{what} index {key} is out of range: the model has {len(ports)} {what}s")
        return int(key) % len(ports)
    if isinstance(key, Output):
        for i, p in enumerate(ports):
            if p == key or (p.get_names() and p.get_names() == key.get_names()):
                return i
        raise KeyError(f"{key!r} is not an {what} of this model")
    if isinstance(key, str):
        for i, p in enumerate(ports):
            if key in p.get_names():
                return i
        for i, p in enumerate(ports):
            if p.get_node().get_friendly_name() == key:
                return i
        known = [sorted(p.get_names()) for p in ports]
        raise KeyError(f"the model has no {what} named '{key}'; its {what}s are {known}")
    raise TypeError(f"{what}s are named by int, str or Output, not {type(key).__name__}")


class OVDict(Mapping):
    """Inference results keyed by Output, index or tensor name."""

    def __init__(self, outputs: list[Output], values: list[np.ndarray]) -> None:
        self._outputs = outputs
        self._values = values

    def __getitem__(self, key: Any) -> np.ndarray:
        return self._values[port_index(key, self._outputs, "output")]

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
        self._input_bounds = [_shape_bounds(p) for p in self._inputs]  # checked on every inference
        # (dtype, shape) of each static input: an array that matches skips conversion and checks
        self._input_exact = [_exact_form(p) for p in self._inputs]
        self._input_tensors: list[Tensor | None] = [None] * len(self._inputs)
        # the request's own input memory, that unshared arrays are copied into (allocated once)
        self._own_inputs: list[Tensor | None] = [None] * len(self._inputs)
        self._input_names: dict[str, int] = {}  # input names already looked up
        self._profile = compiled.profiling_enabled
        self._output_tensors: list[Tensor | None] = [None] * len(self._outputs)
        self._user_outputs: set[int] = set()  # outputs the user gave a tensor to write into
        self._wrapped_outputs: list[np.ndarray] | None = None  # the executor's list the tensors wrap
        self._profiling: list[ProfilingInfo] = []
        self._latency_ms = 0.0
        self._callback: tuple[Callable[[Any], Any], Any] | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._done.set()
        self._jobs: queue.SimpleQueue[list[np.ndarray] | None] | None = None  # the worker's inbox
        self.userdata: Any = None

    # --- tensors --------------------------------------------------------------
    def _find(self, key: Any) -> tuple[str, int]:
        """Whether key names an input or an output, and its index."""
        try:
            return "input", port_index(key, self._inputs, "input")
        except (KeyError, IndexError):
            return "output", port_index(key, self._outputs, "output")

    def get_tensor(self, key: Any) -> Tensor:
        kind, i = self._find(key)
        return self.get_input_tensor(i) if kind == "input" else self.get_output_tensor(i)

    def set_tensor(self, key: Any, tensor: Tensor) -> None:
        kind, i = self._find(key)
        if kind == "input":
            self.set_input_tensor(i, tensor)
        else:
            self.set_output_tensor(i, tensor)

    def set_tensors(self, tensors: dict[Any, Tensor]) -> None:
        for key, tensor in tensors.items():
            self.set_tensor(key, tensor)

    def get_input_tensor(self, index: int = 0) -> Tensor:
        i = port_index(index, self._inputs, "input")
        if self._input_tensors[i] is None:
            port = self._inputs[i]
            shape = port.get_partial_shape()
            dims = [d.get_length() if d.is_static else 0 for d in shape] if shape.rank.is_static else [0]
            self._input_tensors[i] = Tensor(port.get_element_type(), dims)
        return self._input_tensors[i]

    def get_output_tensor(self, index: int = 0) -> Tensor:
        i = port_index(index, self._outputs, "output")
        if self._output_tensors[i] is None:
            raise RuntimeError(
                f"output {_port_name(self._outputs[i], i)} has no value yet: run infer() first"
            )
        return self._output_tensors[i]

    def set_input_tensor(self, index_or_tensor: Any, tensor: Tensor | None = None) -> None:
        if tensor is None:
            index_or_tensor, tensor = 0, index_or_tensor
        i = port_index(index_or_tensor, self._inputs, "input")
        self._input_tensors[i] = _checked_tensor(tensor, self._inputs[i], i)

    def set_input_tensors(self, tensors: Any) -> None:
        items = tensors.items() if isinstance(tensors, dict) else enumerate(tensors)
        for key, tensor in items:
            self.set_input_tensor(key, tensor)

    def set_output_tensor(self, index_or_tensor: Any, tensor: Tensor | None = None) -> None:
        if tensor is None:
            index_or_tensor, tensor = 0, index_or_tensor
        i = port_index(index_or_tensor, self._outputs, "output")
        self._output_tensors[i] = _checked_tensor(tensor, self._outputs[i], i, "output")
        self._user_outputs.add(i)

    @property
    def input_tensors(self) -> list[Tensor]:
        return [self.get_input_tensor(i) for i in range(len(self._inputs))]

    @property
    def output_tensors(self) -> list[Tensor]:
        return [self.get_output_tensor(i) for i in range(len(self._outputs))]

    # --- running --------------------------------------------------------------
    def _bind_inputs(self, inputs: Any, share: bool) -> None:
        """Inputs as a dict keyed by index, name or Output, a list in input order, or one value."""
        if isinstance(inputs, np.ndarray):  # first: the common call, and cheaper to test than Mapping
            self._bind_input(port_index(0, self._inputs, "input"), inputs, share)
        elif isinstance(inputs, Mapping):
            for key, value in inputs.items():
                self._bind_input(self._input_index(key), value, share)
        elif isinstance(inputs, (list, tuple)):
            if len(inputs) > len(self._inputs):
                raise ValueError(f"{len(inputs)} inputs given; the model has {len(self._inputs)}")
            for i, value in enumerate(inputs):
                self._bind_input(i, value, share)
        elif inputs is not None:
            self._bind_input(port_index(0, self._inputs, "input"), inputs, share)

    def _input_index(self, key: Any) -> int:
        """``port_index`` of an input key; each name is looked up once per request."""
        if type(key) is not str:
            return port_index(key, self._inputs, "input")
        index = self._input_names.get(key)
        if index is None:
            index = self._input_names[key] = port_index(key, self._inputs, "input")
        return index

    def _bind_input(self, i: int, value: Any, share: bool) -> None:
        """The input tensor for a value: an array of the port's exact dtype and shape is taken as it
        is (shared) or copied into the request's own memory; anything else is converted and checked."""
        if isinstance(value, Tensor):
            self._input_tensors[i] = _checked_tensor(value, self._inputs[i], i)
            return
        exact = self._input_exact[i]
        if (
            exact is None
            or type(value) is not np.ndarray
            or value.dtype != exact[0]
            or value.shape != exact[1]
        ):
            self._input_tensors[i] = _array_tensor(value, self._inputs[i], i, share)
        elif share:
            current = self._input_tensors[i]
            if current is None or current.data is not value:  # the same array again: its tensor too
                self._input_tensors[i] = Tensor.from_array(value, self._inputs[i].get_element_type())
        else:
            own = self._own_inputs[i]
            if own is None:
                memory = np.empty_like(value, order="C")
                own = self._own_inputs[i] = Tensor.from_array(memory, self._inputs[i].get_element_type())
            own.data[...] = value  # of the same dtype and shape: cheaper than np.copyto's checks
            self._input_tensors[i] = own

    def _validated_inputs(self) -> list[np.ndarray]:
        arrays = []
        for i, tensor in enumerate(self._input_tensors):
            if tensor is None:
                port = self._inputs[i]
                raise ValueError(f"input {_port_name(port, i)} is not set: expected {_expectation(port)}")
            data = tensor.data
            exact = self._input_exact[i]
            if (exact is None or data.shape != exact[1]) and not _fits(data.shape, self._input_bounds[i]):
                data = _checked_shape(data, self._inputs[i], i)
            arrays.append(data)
        return arrays

    def infer(
        self,
        inputs: Any = None,
        share_inputs: bool = False,
        share_outputs: bool = False,
        decode_strings: bool = True,
    ) -> OVDict:
        """Run synchronously, in the calling thread, and return the results: copies, unless
        ``share_outputs``, whose arrays are the request's output memory that the next inference
        overwrites (as in OpenVINO)."""
        if self._jobs is not None:  # only an asynchronous run can be in flight
            self.wait()
        self._bind_inputs(inputs, share_inputs)
        self._run(self._validated_inputs())
        tensors = self._output_tensors
        values = [t.data for t in tensors] if share_outputs else [t.data.copy() for t in tensors]
        return OVDict(self._outputs, values)

    def _run(self, arrays: list[np.ndarray]) -> None:
        start = time.perf_counter()
        result = self._executor.run(arrays, self._profile)
        self._latency_ms = (time.perf_counter() - start) * 1e3
        self._profiling = result.profiling
        if result.outputs is not self._wrapped_outputs or self._user_outputs:
            self._take_outputs(result.outputs)

    def _take_outputs(self, outputs: list[np.ndarray]) -> None:
        """Wrap the executor's outputs in the output tensors, or copy them into the user's. A static
        plan returns the same list of the same arrays each run: wrapped once, they stay so."""
        self._wrapped_outputs = outputs
        for i, value in enumerate(outputs):
            current = self._output_tensors[i]
            if i in self._user_outputs:
                self._write_user_output(i, value)
            elif current is None or current.data is not value:  # a static plan returns the same arrays
                self._output_tensors[i] = Tensor.from_array(value)

    def _write_user_output(self, i: int, value: np.ndarray) -> None:
        """Keep writing into the tensor the user gave, while the result fits it."""
        given = self._output_tensors[i].data
        if given.shape == value.shape and given.dtype == value.dtype and given is not value:
            np.copyto(given, value)
        else:
            self._output_tensors[i] = Tensor.from_array(value)

    def start_async(self, inputs: Any = None, userdata: Any = None, share_inputs: bool = False) -> None:
        """Start inference in the background; ``wait()`` or the callback tells when it is done."""
        self.wait()
        self._bind_inputs(inputs, share_inputs)
        arrays = self._validated_inputs()  # bad input raises here, in the caller's thread
        self.userdata = userdata
        self._error = None
        self._done.clear()
        if self._jobs is None:  # one worker thread per request, started on first use
            self._jobs = queue.SimpleQueue()
            threading.Thread(target=_worker, args=(weakref.ref(self), self._jobs), daemon=True).start()
        self._jobs.put(arrays)

    def __del__(self) -> None:
        if getattr(self, "_jobs", None) is not None:
            self._jobs.put(None)  # lets the worker thread end

    def _run_async(self, arrays: list[np.ndarray]) -> None:
        try:
            self._run(arrays)
            if self._callback is not None:  # before waiters wake, as in OpenVINO
                fn, data = self._callback
                fn(data if data is not None else self.userdata)
        except BaseException as e:
            self._error = e  # re-raised by wait() in the caller's thread
        finally:
            self._done.set()

    def wait(self) -> None:
        """Block until the running inference (if any) and its callback are done."""
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
        """``callback(userdata)`` runs when each asynchronous inference ends."""
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
        """Per-node rows of the last inference; empty unless compiled with PERF_COUNT
        (``properties.enable_profiling``) True."""
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

    inputs = model_inputs
    outputs = model_outputs

    def query_state(self) -> list[Any]:
        return []

    def reset_state(self) -> None:
        """Stateless models have nothing to reset."""


def _worker(request_ref: weakref.ref, jobs: queue.SimpleQueue) -> None:
    """Runs a request's async jobs; holds the request only weakly so it can be collected."""
    while (arrays := jobs.get()) is not None:
        request = request_ref()
        if request is None:
            return
        request._run_async(arrays)
        del request


def _port_name(port: Output, index: int) -> str:
    names = sorted(port.get_names())
    return f"'{names[0]}'" if names else f"#{index} ('{port.get_node().get_friendly_name()}')"


def _expectation(port: Output) -> str:
    return f"{port.get_element_type().get_type_name()}{port.get_partial_shape()}"


def _checked_tensor(tensor: Any, port: Output, index: int, what: str = "input") -> Tensor:
    """A user's Tensor for a port: its element type must be the port's (OpenVINO does not convert)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what} {_port_name(port, index)} takes a Tensor, got {type(tensor).__name__}")
    expected = port.get_element_type()
    if expected.is_static() and tensor.get_element_type() != expected:
        raise TypeError(
            f"{what} {_port_name(port, index)} has element type "
            f"{tensor.get_element_type().get_type_name()}; the model expects {_expectation(port)}"
        )
    return tensor


def _array_tensor(value: Any, port: Output, index: int, share: bool) -> Tensor:
    """A numpy value as a Tensor of the port's type: shared when no conversion is needed, converted
    when the cast loses no kind (f64 -> f32, i64 -> i32, ints -> floats), an error otherwise."""
    array = np.asarray(value)
    expected = port.get_element_type()
    if expected.is_dynamic() or expected.get_type_name() == "string":
        return Tensor.from_array(array if share else array.copy())
    target = expected.to_dtype()
    if array.dtype == target:
        return Tensor.from_array(array if share else array.copy(), expected)
    if np.can_cast(array.dtype, target, casting="same_kind") or (
        array.dtype.kind in "biu" and target.kind in "fiu" and target != np.bool_
    ):
        return Tensor.from_array(array.astype(target), expected)
    raise TypeError(
        f"input {_port_name(port, index)} has element type {array.dtype}; "
        f"the model expects {_expectation(port)} ({target})"
    )


def _exact_form(port: Output) -> tuple[np.dtype, tuple[int, ...]] | None:
    """The dtype and shape of a static, numeric input; None when arrays need the general checks."""
    et, shape = port.get_element_type(), port.get_partial_shape()
    if et.is_dynamic() or et.get_type_name() == "string" or not shape.is_static:
        return None
    return np.dtype(et.to_dtype()), tuple(d.get_length() for d in shape)


def _shape_bounds(port: Output) -> list[tuple[int, int]] | None:
    """Each dimension's (min, max) of a port's shape (max -1: unbounded); None for a dynamic rank."""
    shape = port.get_partial_shape()
    return None if shape.rank.is_dynamic else [(d.min_length, d.max_length) for d in shape]


def _fits(shape: tuple[int, ...], bounds: list[tuple[int, int]] | None) -> bool:
    if bounds is None:
        return True
    return len(shape) == len(bounds) and all(
        lo <= n and (hi == -1 or n <= hi) for n, (lo, hi) in zip(shape, bounds)
    )


def _checked_shape(array: np.ndarray, port: Output, index: int) -> np.ndarray:
    """The array, when its shape fits the port's; otherwise an error naming the input."""
    expected = port.get_partial_shape()
    if expected.rank.is_dynamic:
        return array
    name = _port_name(port, index)
    if array.ndim != len(expected):
        raise ValueError(
            f"input {name} has shape {list(array.shape)} (rank {array.ndim}); "
            f"the model expects {expected} (rank {len(expected)})"
        )
    for axis, (have, want) in enumerate(zip(array.shape, expected)):
        if not want.compatible(have):
            raise ValueError(
                f"input {name} has shape {list(array.shape)}; the model expects {expected} "
                f"(dimension {axis} is {have}, expected {want})"
            )
    return array
