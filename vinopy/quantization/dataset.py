"""Dataset: calibration or validation data, with a function that turns an item into model input."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any


class Dataset:
    """Wraps any re-iterable ``data_source``; ``transform_func(item)`` gives what the model reads
    (an array, a list of arrays in input order, or a dict keyed by input name).

    Quantization walks the data more than once (statistics, then bias correction), so a one-shot
    generator is not enough: pass a list, a sequence or a data loader."""

    def __init__(
        self, data_source: Iterable[Any], transform_func: Callable[[Any], Any] | None = None
    ) -> None:
        if not isinstance(data_source, Iterable):
            raise TypeError(f"Dataset needs an iterable data source, got {type(data_source).__name__}")
        self._data_source = data_source
        self._transform_func = transform_func

    def get_data(self, indices: list[int] | None = None) -> Iterable[Any]:
        """The raw items, all of them or those at ``indices`` (in increasing order)."""
        return self._items(indices)

    def get_inference_data(self, indices: list[int] | None = None) -> Iterable[Any]:
        """The items after ``transform_func``: ready for the model."""
        items = self._items(indices)
        if self._transform_func is None:
            return items
        return map(self._transform_func, items)

    def get_length(self) -> int | None:
        """The number of items, when the data source knows it."""
        return len(self._data_source) if hasattr(self._data_source, "__len__") else None

    def get_batch_size(self) -> int | None:
        """The batch size of a data loader (an object with ``batch_size``), else None."""
        size = getattr(self._data_source, "batch_size", None)
        return int(size) if size is not None else None

    def _items(self, indices: list[int] | None) -> Iterator[Any]:
        if indices is None:
            yield from self._data_source
            return
        wanted = sorted(set(indices))
        if not wanted:
            return
        position = 0
        for i, item in enumerate(self._data_source):
            if i == wanted[position]:
                yield item
                position += 1
                if position == len(wanted):
                    return
