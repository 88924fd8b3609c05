"""``ov.properties.streams``: the number of parallel execution streams."""

from vinopy.properties._factory import rw
from vinopy.runtime.properties import StreamsNum as Num

num = rw("num", "NUM_STREAMS")

__all__ = ["Num", "num"]
