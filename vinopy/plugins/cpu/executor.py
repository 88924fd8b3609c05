"""CPUExecutable (plans cached by input shapes) and CPUExecutor (one request's buffers and stream)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import numpy as np

from vinopy.graph.interpreter import evaluate_node
from vinopy.graph.model import Model
from vinopy.plugins.cpu import lowerings
from vinopy.plugins.cpu.dnnl import api
from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.dnnl.arenas import on_threads
from vinopy.plugins.cpu.plan import DnnlStep, NumpyStep, Plan, PlanBuilder, aligned_empty
from vinopy.plugins.cpu.runtime_model import executed_graph
from vinopy.runtime.plugin import Executable, Executor, ExecutorResult, ProfilingInfo

Shapes = tuple[tuple[int, ...], ...]


class CPUExecutable(Executable):
    """A model compiled for oneDNN: a plan per set of input shapes (one, when the model is static)."""

    def __init__(self, model: Model, engine: api.Engine, compute_type: int, threads: int) -> None:
        self.model = model
        self.engine = engine
        self.compute_type = compute_type
        self.threads = threads  # per stream: each request runs its primitives on this many
        self._plans: dict[Shapes, Plan] = {}
        self._lock = threading.Lock()
        self.static_shapes: Shapes | None = None  # the input shapes of a static model
        if not model.is_dynamic():
            self.static_shapes = tuple(tuple(p.get_output_shape(0)) for p in model.get_parameters())
            self.plan_for(self.static_shapes)

    def plan_for(self, shapes: Shapes) -> Plan:
        """The plan for these input shapes, built (once) with the per-stream thread count."""
        with self._lock:
            plan = self._plans.get(shapes)
            if plan is None:
                model = self.model
                if model.is_dynamic():
                    model = model.clone()
                    model.reshape({i: list(s) for i, s in enumerate(shapes)})
                # primitives are created for the thread count they run with
                builder = PlanBuilder(model, self.engine, self.compute_type)
                plan = on_threads(self.threads, lambda: builder.build(lowerings.lower))
                self._plans[shapes] = plan
            return plan

    def create_executor(self) -> Executor:
        return CPUExecutor(self)

    def runtime_model(self) -> Model:
        return executed_graph(self.model, self.default_plan())

    def default_plan(self) -> Plan:
        """The plan for the static shapes, or, for a dynamic model, for inputs whose dynamic
        dimensions are 1 (what get_runtime_model and query_backends describe)."""
        unit_shapes = tuple(
            tuple(d.get_length() if d.is_static else 1 for d in p.get_output_partial_shape(0))
            for p in self.model.get_parameters()
        )
        return self.plan_for(self.static_shapes or unit_shapes)


Run = Callable[[], int | None]  # a step: a oneDNN status (0: success), or None from a numpy step


class _Bound:
    """A plan made runnable for one request: buffers, memories and the step functions."""

    def __init__(self, plan: Plan, engine: api.Engine) -> None:
        self.plan = plan
        self.stream = api.Stream.create(engine)
        self.buffers: list[np.ndarray | None] = []  # bytes oneDNN memories point at
        self.arrays: list[np.ndarray | None] = []  # what numpy steps and outputs see
        shared = [aligned_empty(n) for n in plan.layout.sizes]
        for index, slot in enumerate(plan.slots):
            if slot.alias is not None:
                raw = self.buffers[slot.alias][slot.offset :]
            elif slot.const is not None:
                raw = slot.const
            elif index in plan.layout.buffer_of:
                raw = shared[plan.layout.buffer_of[index]][: slot.nbytes]
            else:
                raw = None
            self.buffers.append(raw)
            if slot.view is not None and raw is not None and slot.const is None:
                shape, dtype = slot.view
                count = int(np.prod(shape, dtype=np.int64))
                self.arrays.append(raw[: count * dtype.itemsize].view(dtype).reshape(shape))
            else:
                self.arrays.append(raw)
        self.scratchpad = aligned_empty(plan.scratchpad_bytes)
        # model inputs: (slot, parameter index, the memories re-pointed at each run's arrays)
        self.inputs: list[tuple[int, int, list[api.Memory]]] = [
            (i, s.parameter, []) for i, s in enumerate(plan.slots) if s.parameter is not None
        ]
        self.input_memories = {slot: memories for slot, _, memories in self.inputs}
        self.alive: list[object] = []  # what the steps' C arguments point at (primitives, memories)
        self.runs = [self._bind(step, engine) for step in plan.steps]
        self.result = self._fixed_result()

    def _memory(self, slot: int, md: api.MemoryDesc, engine: api.Engine) -> api.Memory:
        memory = api.Memory.create(md, engine, self.buffers[slot])
        if self.plan.slots[slot].parameter is not None:
            self.input_memories[slot].append(memory)
        return memory

    def _bind(self, step: DnnlStep | NumpyStep, engine: api.Engine) -> Run:
        if isinstance(step, NumpyStep):
            return self._numpy(step)
        args = {arg: self._memory(slot, md, engine) for arg, slot, md in step.args}
        if step.scratchpad is not None:
            args[dc.ARG_SCRATCHPAD] = api.Memory.create(step.scratchpad, engine, self.scratchpad)
        self.alive.append((step.primitive, args))
        return step.primitive.call_with(self.stream, args)

    def _numpy(self, step: NumpyStep) -> Callable[[], None]:
        arrays, node, ins, outs = self.arrays, step.node, step.inputs, step.outputs
        preallocated = [arrays[s] for s in outs]

        def run() -> None:
            values = evaluate_node(node, [arrays[s] for s in ins])
            for s, target, value in zip(outs, preallocated, values):
                if target is None:
                    arrays[s] = value
                else:
                    np.copyto(target, value)

        return run

    def bind_inputs(self, inputs: list[np.ndarray]) -> None:
        """Point the input memories at the arrays, read in place when they are C-contiguous."""
        arrays = self.arrays
        for slot, parameter, memories in self.inputs:
            given = inputs[parameter]
            if given is arrays[slot]:
                continue  # bound by the last run and kept alive since, so still at that address
            array = given
            if type(given) is not np.ndarray or not given.flags.c_contiguous:
                # ascontiguousarray makes scalars 1-d: keep the input's own shape
                array = np.ascontiguousarray(given).reshape(np.shape(given))
            arrays[slot] = array
            if memories:
                address = array.ctypes.data
                for memory in memories:
                    memory.bind(array, address)

    def run_steps(self) -> None:
        for run in self.runs:
            if status := run():  # a oneDNN status other than success
                self.fail(run, status)

    def fail(self, run: Run, status: int) -> None:
        """Raise the error of the oneDNN step ``run``, naming the step."""
        step = self.plan.steps[self.runs.index(run)]
        raise api.DnnlError(f"dnnl_primitive_execute of {step.name} ({step.exec_type})", status)

    def outputs(self) -> list[np.ndarray]:
        arrays = self.arrays
        return [arrays[s] for s in self.plan.outputs]

    def _fixed_result(self) -> ExecutorResult | None:
        """The result of every unprofiled run, made once, when each output is a buffer of the
        request or a constant (not a model input, nor a numpy result made at run time); else None.
        Its readers never change it."""
        roots = [self.plan.root(s) for s in self.plan.outputs]
        if any(self.arrays[s] is None or self.plan.slots[s].parameter is not None for s in roots):
            return None
        return ExecutorResult(self.outputs())


class CPUExecutor(Executor):
    def __init__(self, executable: CPUExecutable) -> None:
        self.executable = executable
        self._bound: dict[int, _Bound] = {}
        self._last: tuple[Shapes, _Bound | None] = ((), None)  # the input shapes of the last run
        # a static model's one plan, bound now: the request has checked that inputs have its shapes
        shapes = executable.static_shapes
        self._static = None if shapes is None else self._bound_for_shapes(shapes)

    def _bound_for(self, inputs: list[np.ndarray]) -> _Bound:
        shapes = tuple([x.shape for x in inputs])
        last_shapes, bound = self._last
        if shapes == last_shapes and bound is not None:
            return bound
        bound = self._bound_for_shapes(shapes)
        self._last = (shapes, bound)
        return bound

    def _bound_for_shapes(self, shapes: Shapes) -> _Bound:
        plan = self.executable.plan_for(shapes)
        bound = self._bound.get(id(plan))
        if bound is None:
            bound = self._bound[id(plan)] = _Bound(plan, self.executable.engine)
        return bound

    def run(self, inputs: list[np.ndarray], profile: bool = False) -> ExecutorResult:
        bound = self._static or self._bound_for(inputs)
        bound.bind_inputs(inputs)
        threads = self.executable.threads
        if profile:
            return ExecutorResult(bound.outputs(), on_threads(threads, lambda: self._profiled(bound)))
        on_threads(threads, bound.run_steps)
        return bound.result or ExecutorResult(bound.outputs())

    def _profiled(self, bound: _Bound) -> list[ProfilingInfo]:
        rows = []
        for step, run in zip(bound.plan.steps, bound.runs):
            start = time.perf_counter()
            if status := run():
                bound.fail(run, status)
            elapsed = timedelta(seconds=time.perf_counter() - start)
            rows.append(ProfilingInfo(step.name, step.type_name, step.exec_type, elapsed, elapsed))
        for name, backend in bound.plan.backends.items():
            if backend.startswith("fused"):
                rows.append(
                    ProfilingInfo(name, "", "undef", timedelta(0), timedelta(0), ProfilingInfo.OPTIMIZED_OUT)
                )
        return rows
