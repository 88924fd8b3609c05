"""Thread counts under oneDNN's TBB runtime: its primitives parallelize over the TBB task arena they are
created or run in, so a count other than every core means running inside an arena of that concurrency."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from vinopy.plugins.cpu.dnnl import api, loader

T = TypeVar("T")

_local = threading.local()  # .arenas: the calling thread's task arenas, by concurrency


@cache
def core_count() -> int:
    """The cores this process may run on: the concurrency of TBB's default arena, which TBB also
    reads once (read once here too: the system call cost a microsecond on every inference)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@cache
def _tbb() -> Any:
    """tbb4py's API, imported once oneDNN has loaded libtbb.so.12 (so that both use one scheduler);
    None, with a warning, where it cannot be (its wheels are built for one Python version each)."""
    api.library()
    try:
        loader.preload("libirml.so.1", "tbb4py")
        import tbb.api
    except (ImportError, OSError) as e:
        warnings.warn(
            f"tbb4py cannot be loaded ({e}): the CPU device runs every stream on all cores, whatever "
            "INFERENCE_NUM_THREADS says",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    return tbb.api


def on_threads(threads: int, fn: Callable[[], T]) -> T:
    """``fn()``, with the oneDNN primitives it creates or runs parallelized over ``threads`` threads, the
    calling one among them. Below every core that is a TBB task arena of that concurrency, which the
    calling thread keeps for its later calls (a stream's requests run on one thread)."""
    if threads >= core_count() or _tbb() is None:
        return fn()  # TBB's default arena of the calling thread has every core
    arenas = _local.__dict__.setdefault("arenas", {})
    arena = arenas.get(threads)
    if arena is None:
        arena = arenas[threads] = _tbb().task_arena(threads)
    outcome: list[Any] = [None, None]  # the result, or the exception raised

    def body() -> None:
        try:
            outcome[0] = fn()
        except BaseException as error:  # raised again outside: TBB cannot carry a Python exception
            outcome[1] = error

    arena.execute(body)
    if outcome[1] is not None:
        raise outcome[1]
    return outcome[0]
