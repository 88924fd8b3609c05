"""Buffers shared between slots whose values are never alive at the same time.

A slot is alive from the first step that touches it (reads or writes) to the last; model outputs
stay alive to the end. Slots are placed, in the order they come alive, into the best-fitting buffer
freed before that step (growing the largest free one when none fits), so a request holds about the
peak of live values rather than the sum of all of them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass
class Layout:
    buffer_of: dict[int, int]  # slot -> shared buffer (slots that own bytes; alias slots use their root's)
    sizes: list[int]  # bytes of each shared buffer


def share_buffers(nbytes: dict[int, int], touches: Sequence[Iterable[int]], outputs: Iterable[int]) -> Layout:
    """``nbytes``: the slots to place; ``touches[i]``: the slots step i reads or writes."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for index, slots in enumerate(touches):
        for slot in slots:
            first.setdefault(slot, index)
            last[slot] = index
    end = len(touches)
    for slot in (*outputs, *(s for s in nbytes if s not in first)):
        first.setdefault(slot, 0)  # untouched slots (outputs no step writes) live throughout
        last[slot] = end
    layout = Layout({}, [])
    alive: list[tuple[int, int]] = []  # (last step, buffer)
    free: list[int] = []
    for slot in sorted(nbytes, key=lambda s: (first[s], -nbytes[s])):
        while alive and alive[0][0] < first[slot]:
            free.append(heapq.heappop(alive)[1])
        buffer = _pick(free, layout.sizes, nbytes[slot])
        heapq.heappush(alive, (last[slot], buffer))
        layout.buffer_of[slot] = buffer
    return layout


def _pick(free: list[int], sizes: list[int], need: int) -> int:
    """The smallest free buffer that fits, else the largest free one grown, else a new one."""
    fitting = [b for b in free if sizes[b] >= need]
    if fitting:
        buffer = min(fitting, key=sizes.__getitem__)
    elif free:
        buffer = max(free, key=sizes.__getitem__)
        sizes[buffer] = need
    else:
        sizes.append(need)
        return len(sizes) - 1
    free.remove(buffer)
    return buffer
