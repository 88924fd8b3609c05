"""AsyncInferQueue: a pool of infer requests fed as they become free."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from vinopy.runtime.compiled_model import CompiledModel
from vinopy.runtime.infer_request import InferRequest


class AsyncInferQueue:
    """``AsyncInferQueue(compiled_model, jobs=0)``: jobs=0 takes OPTIMAL_NUMBER_OF_INFER_REQUESTS."""

    def __init__(self, compiled_model: CompiledModel, jobs: int = 0) -> None:
        if jobs <= 0:
            jobs = int(compiled_model.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self._requests = [compiled_model.create_infer_request() for _ in range(jobs)]
        self._idle: queue.Queue[int] = queue.Queue()
        for i in range(jobs):
            self._idle.put(i)
        self._callback: Callable[[InferRequest, Any], Any] | None = None
        self._userdata: list[Any] = [None] * jobs
        self._lock = threading.Lock()
        for i, request in enumerate(self._requests):
            request.set_callback(self._on_done, i)

    def _on_done(self, index: int) -> None:
        """Runs in the request's thread: the user's callback, then the request becomes idle."""
        try:
            if self._callback is not None:
                self._callback(self._requests[index], self._userdata[index])
        finally:
            self._idle.put(index)

    def set_callback(self, callback: Callable[[InferRequest, Any], Any]) -> None:
        """``callback(request, userdata)`` runs when each job finishes."""
        self._callback = callback

    def start_async(self, inputs: Any = None, userdata: Any = None, share_inputs: bool = False) -> None:
        """Run on the next idle request, waiting for one when all are busy."""
        index = self._idle.get()
        self._userdata[index] = userdata
        try:
            self._requests[index].start_async(inputs, userdata, share_inputs=share_inputs)
        except BaseException:
            self._idle.put(index)
            raise

    def is_ready(self) -> bool:
        """Whether a request is idle, so that start_async would not wait."""
        return not self._idle.empty()

    def get_idle_request_id(self) -> int:
        """The id of an idle request, waiting for one when all are busy."""
        with self._lock:
            index = self._idle.get()
            ids = [index]
            while not self._idle.empty():  # put it back in front: start_async takes this one next
                ids.append(self._idle.get())
            for i in ids:
                self._idle.put(i)
        return index

    def wait_all(self) -> None:
        """Wait for every running job and its callback; errors of a job are raised here."""
        for request in self._requests:
            request.wait()

    def __len__(self) -> int:
        return len(self._requests)

    def __iter__(self) -> Iterator[InferRequest]:
        return iter(self._requests)

    def __getitem__(self, index: int) -> InferRequest:
        return self._requests[index]

    @property
    def userdata(self) -> list[Any]:
        return list(self._userdata)
