"""Typed wrappers over the oneDNN C API: every status is checked and raised as DnnlError naming the call."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Sequence
from ctypes import byref, c_char_p, c_int32, c_int64, c_void_p
from functools import cache, partial
from typing import Any

import numpy as np

from vinopy.plugins.cpu.dnnl import constants as dc
from vinopy.plugins.cpu.dnnl import loader

_STATUS_NAMES = (
    "success",
    "out_of_memory",
    "invalid_arguments",
    "unimplemented",
    "last_impl_reached",
    "runtime_error",
    "not_required",
)
_STATUS = {getattr(dc, name): name for name in _STATUS_NAMES}

_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_load_error: str = ""


class DnnlError(RuntimeError):
    """A oneDNN call failed; ``status`` is its dnnl_status_t."""

    def __init__(self, call: str, status: int) -> None:
        super().__init__(f"oneDNN {call} failed: {_STATUS.get(status, status)}")
        self.call, self.status = call, status


@cache
def _untyped_execute() -> Callable[..., int]:
    """dnnl_primitive_execute without argument types: ctypes then passes the ctypes objects it is
    given as they are, converting nothing (0.6 us less per step than the typed function)."""
    execute = library()["dnnl_primitive_execute"]  # a function object of its own, not the typed one
    execute.restype = ctypes.c_int
    return execute


def library(path: str | None = None) -> ctypes.CDLL:
    """The loaded library (loaded once); OSError when it cannot be loaded."""
    global _lib, _load_error
    with _lock:
        if _lib is None and not _load_error:
            try:
                _lib = loader.load(path)
            except OSError as e:
                _load_error = str(e)
        if _lib is None:
            raise OSError(_load_error)
        return _lib


def call(name: str, *args: Any) -> None:
    """Call a status-returning function and raise DnnlError unless it succeeded."""
    status = getattr(_lib or library(), name)(*args)
    if status != dc.success:
        raise DnnlError(name, status)


def _dims(values: Sequence[int]) -> loader.dims_t:
    return loader.dims_t(*[int(v) for v in values])


class _Owned:
    """A C handle destroyed with ``destroy_fn`` when the wrapper is collected."""

    destroy_fn = ""

    def __init__(self, handle: c_void_p) -> None:
        self.handle = handle

    def __del__(self) -> None:
        if self.handle and self.destroy_fn and _lib is not None:
            getattr(_lib, self.destroy_fn)(self.handle)
            self.handle = c_void_p()

    @classmethod
    def _create(cls, fn: str, *args: Any) -> Any:
        out = c_void_p()
        call(fn, byref(out), *args)
        return cls(out)


def version() -> str:
    v = library().dnnl_version().contents
    return f"{v.major}.{v.minor}.{v.patch}"


def cpu_isa() -> int:
    """dnnl_get_effective_cpu_isa(): a cpu_isa_* value of constants."""
    return int(library().dnnl_get_effective_cpu_isa())


def isa_name(isa: int) -> str:
    names = {v: k.removeprefix("cpu_isa_") for k, v in vars(dc).items() if k.startswith("cpu_isa_")}
    return names.get(isa, str(isa))


def has_isa(isa: int, required: int) -> bool:
    """ISA values are bit sets: a newer ISA contains every bit of the ones it extends."""
    return isa & required == required


class Engine(_Owned):
    destroy_fn = "dnnl_engine_destroy"

    @classmethod
    def cpu(cls) -> Engine:
        return cls._create("dnnl_engine_create", dc.cpu, 0)


class Stream(_Owned):
    destroy_fn = "dnnl_stream_destroy"

    def __init__(self, handle: c_void_p, engine: Engine | None = None) -> None:
        super().__init__(handle)
        self.engine = engine  # the engine outlives its streams

    @classmethod
    def create(cls, engine: Engine) -> Stream:
        out = c_void_p()
        call("dnnl_stream_create", byref(out), engine.handle, dc.stream_default_flags)
        return cls(out, engine)

    def wait(self) -> None:
        call("dnnl_stream_wait", self.handle)


class MemoryDesc(_Owned):
    """A memory descriptor; ``owner`` keeps alive the primitive desc a queried one belongs to."""

    destroy_fn = "dnnl_memory_desc_destroy"

    def __init__(self, handle: c_void_p, owner: Any = None) -> None:
        super().__init__(handle)
        self.owner = owner
        if owner is not None:
            self.destroy_fn = ""  # owned by the primitive desc

    @classmethod
    def plain(cls, dims: Sequence[int], dtype: int, strides: Sequence[int] | None = None) -> MemoryDesc:
        """Dense row-major dims, or explicit strides (in elements)."""
        dims = [int(d) for d in dims] or [1]
        if strides is None:
            strides = row_major(dims)
        return cls._create(
            "dnnl_memory_desc_create_with_strides", len(dims), _dims(dims), dtype, _dims(strides)
        )

    @classmethod
    def any(cls, dims: Sequence[int], dtype: int) -> MemoryDesc:
        """format_kind any: the primitive picks its best layout."""
        return cls.with_tag(dims, dtype, dc.format_tag_any)

    @classmethod
    def with_tag(cls, dims: Sequence[int], dtype: int, tag: int) -> MemoryDesc:
        dims = [int(d) for d in dims] or [1]
        return cls._create("dnnl_memory_desc_create_with_tag", len(dims), _dims(dims), dtype, tag)

    def size(self) -> int:
        return int(library().dnnl_memory_desc_get_size(self.handle))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MemoryDesc) and bool(
            library().dnnl_memory_desc_equal(self.handle, other.handle)
        )

    __hash__ = None  # type: ignore[assignment]

    def _query_int(self, what: int) -> int:
        value = c_int64()
        call("dnnl_memory_desc_query", self.handle, what, byref(value))
        return value.value

    @property
    def data_type(self) -> int:
        return self._query_int(dc.query_data_type) & 0xFFFFFFFF

    def strides(self) -> list[int]:
        """The strides (in elements) of a plain descriptor, one per dim."""
        return self._query_dims(dc.query_strides)

    def dims(self) -> list[int]:
        return self._query_dims(dc.query_dims)

    @property
    def format_kind(self) -> int:
        return self._query_int32(dc.query_format_kind)

    @property
    def inner_blocks(self) -> int:
        """How many dims are blocked inside (nChw8c: 1); 0 for a plain layout."""
        return self._query_int32(dc.query_inner_nblks_s32)

    def _query_int32(self, what: int) -> int:
        value = c_int32()
        call("dnnl_memory_desc_query", self.handle, what, byref(value))
        return value.value

    def _query_dims(self, what: int) -> list[int]:
        values = ctypes.POINTER(loader.dims_t)()
        call("dnnl_memory_desc_query", self.handle, what, byref(values))
        return list(values.contents[: self._query_int32(dc.query_ndims_s32)])


def row_major(dims: Sequence[int]) -> list[int]:
    strides, step = [], 1
    for d in reversed(dims):
        strides.append(step)
        step *= max(int(d), 1)
    return strides[::-1]


class Memory(_Owned):
    """A memory object over a caller-owned buffer (a numpy array kept alive here), never copied."""

    destroy_fn = "dnnl_memory_destroy"

    def __init__(self, handle: c_void_p, desc: MemoryDesc, buffer: np.ndarray | None) -> None:
        super().__init__(handle)
        self.desc, self.buffer = desc, buffer

    @classmethod
    def create(cls, desc: MemoryDesc, engine: Engine, buffer: np.ndarray | None) -> Memory:
        if buffer is not None and buffer.nbytes < desc.size():
            raise ValueError(f"buffer of {buffer.nbytes} bytes is smaller than the {desc.size()} needed")
        out = c_void_p()
        pointer = c_void_p(buffer.ctypes.data if buffer is not None else None)
        call("dnnl_memory_create", byref(out), desc.handle, engine.handle, pointer)
        return cls(out, desc, buffer)

    def bind(self, buffer: np.ndarray, address: int | None = None) -> None:
        """Point at another buffer (model inputs change per inference); ``address``: the buffer's, when
        the caller has it already (``ndarray.ctypes.data`` costs microseconds)."""
        pointer = buffer.ctypes.data if address is None else address
        call("dnnl_memory_set_data_handle", self.handle, pointer)
        self.buffer = buffer


class PostOps(_Owned):
    destroy_fn = "dnnl_post_ops_destroy"

    @classmethod
    def create(cls) -> PostOps:
        ops = cls._create("dnnl_post_ops_create")
        ops.count = 0
        ops.binary_descs = []
        return ops

    def eltwise(self, alg: int, alpha: float = 0.0, beta: float = 0.0) -> None:
        call("dnnl_post_ops_append_eltwise", self.handle, alg, alpha, beta)
        self.count += 1

    def sum(self, scale: float = 1.0, zero_point: int = 0, data_type: int = dc.data_type_undef) -> None:
        """dst = scale * (dst - zero_point) + result, dst read as ``data_type`` (undef: its own)."""
        call("dnnl_post_ops_append_sum", self.handle, scale, zero_point, data_type)
        self.count += 1

    def binary(self, alg: int, src1: MemoryDesc) -> int:
        """Append a binary op; returns its index (the execute argument is post_op_arg(index, SRC_1))."""
        call("dnnl_post_ops_append_binary", self.handle, alg, src1.handle)
        self.binary_descs.append(src1)
        self.count += 1
        return self.count - 1


def post_op_arg(index: int, arg: int) -> int:
    """DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | arg."""
    return dc.ARG_ATTR_MULTIPLE_POST_OP_BASE * (index + 1) | arg


class Attr(_Owned):
    """Primitive attributes; always with a user scratchpad so primitives can run concurrently."""

    destroy_fn = "dnnl_primitive_attr_destroy"

    @classmethod
    def create(cls, post_ops: PostOps | None = None, fpmath_mode: int | None = None) -> Attr:
        attr = cls._create("dnnl_primitive_attr_create")
        call("dnnl_primitive_attr_set_scratchpad_mode", attr.handle, dc.scratchpad_mode_user)
        if fpmath_mode is not None:
            call("dnnl_primitive_attr_set_fpmath_mode", attr.handle, fpmath_mode)
        if post_ops is not None:
            call("dnnl_primitive_attr_set_post_ops", attr.handle, post_ops.handle)
        attr.post_ops = post_ops
        return attr

    def set_scales_mask(self, arg: int, mask: int) -> None:
        """Scales of ``arg`` given at execution (ARG_ATTR_SCALES | arg): one (mask 0) or per the dims
        whose bits are set."""
        call("dnnl_primitive_attr_set_scales_mask", self.handle, arg, mask)

    def set_zero_points_mask(self, arg: int, mask: int) -> None:
        call("dnnl_primitive_attr_set_zero_points_mask", self.handle, arg, mask)


class PrimitiveDesc(_Owned):
    destroy_fn = "dnnl_primitive_desc_destroy"

    @classmethod
    def create(cls, fn: str, engine: Engine, *args: Any) -> PrimitiveDesc:
        """``dnnl_<fn>_primitive_desc_create(&pd, engine, *args)``; MemoryDesc/Attr become handles."""
        out = c_void_p()
        call(fn, byref(out), engine.handle, *[_c_arg(a) for a in args])
        return cls(out)

    @classmethod
    def reorder(
        cls, src: MemoryDesc, dst: MemoryDesc, engine: Engine, attr: Attr | None = None
    ) -> PrimitiveDesc:
        out = c_void_p()
        attr = attr or Attr.create()
        call(
            "dnnl_reorder_primitive_desc_create",
            byref(out),
            src.handle,
            engine.handle,
            dst.handle,
            engine.handle,
            attr.handle,
        )
        return cls(out)

    def md(self, what: int, index: int = 0) -> MemoryDesc:
        handle = library().dnnl_primitive_desc_query_md(self.handle, what, index)
        return MemoryDesc(c_void_p(handle), owner=self)

    def impl_info(self) -> str:
        text = c_char_p()
        call("dnnl_primitive_desc_query", self.handle, dc.query_impl_info_str, 0, byref(text))
        return (text.value or b"").decode()


def _c_arg(value: Any) -> Any:
    if isinstance(value, (MemoryDesc, Attr)):
        return value.handle
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return _dims(value)
    return value


class Primitive(_Owned):
    destroy_fn = "dnnl_primitive_destroy"

    def __init__(self, handle: c_void_p, desc: PrimitiveDesc) -> None:
        super().__init__(handle)
        self.desc = desc

    @classmethod
    def create(cls, desc: PrimitiveDesc) -> Primitive:
        out = c_void_p()
        call("dnnl_primitive_create", byref(out), desc.handle)
        return cls(out, desc)

    def call_with(self, stream: Stream, args: dict[int, Memory]) -> Callable[[], int]:
        """A no-argument function that executes with these memories and returns oneDNN's status: one
        C-level call over ctypes arguments made once (built once, called per run). The caller keeps
        the primitive, the stream and the memories alive."""
        c_args = (loader.ExecArg * len(args))(*[loader.ExecArg(k, m.handle) for k, m in args.items()])
        handles = c_void_p(self.handle.value), c_void_p(stream.handle.value)
        return partial(_untyped_execute(), *handles, ctypes.c_int(len(args)), c_args)

    def execute(self, stream: Stream, args: dict[int, Memory]) -> None:
        """Execute once with these memories; raises DnnlError on failure."""
        status = self.call_with(stream, args)()
        if status != dc.success:
            raise DnnlError(f"dnnl_primitive_execute({self.desc.impl_info()})", status)
