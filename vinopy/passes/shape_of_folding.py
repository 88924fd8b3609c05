"""ShapeOfFolding: ShapeOf of a statically shaped tensor becomes a Constant."""

from __future__ import annotations

from vinopy.passes.base import MatcherPass, replace_output
from vinopy.passes.constant_folding import constant_for
from vinopy.passes.pattern import Match, any_input, has_static_shape, wrap_type


class ShapeOfFolding(MatcherPass):
    def __init__(self) -> None:
        super().__init__(wrap_type("ShapeOf", any_input(has_static_shape)))

    def callback(self, m: Match) -> bool:
        shape_of = m.root.get_node()
        value = shape_of.fold()
        if value is None:
            return False
        replace_output(m.root, constant_for(m.root, value[0]).output(0))
        return True
