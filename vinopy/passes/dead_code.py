"""DeadCodeElimination: forget nodes that no Result or sink reads."""

from __future__ import annotations

from vinopy.graph.model import Model
from vinopy.passes.base import Pass


class DeadCodeElimination(Pass):
    """A model reaches its nodes from its Results and sinks, so dead nodes are already invisible to
    it; this pass also unhooks them from the live outputs they read (so ``get_target_inputs`` only
    lists live readers) and, with ``remove_unused_parameters``, drops Parameters nothing reads."""

    def __init__(self, remove_unused_parameters: bool = False) -> None:
        self.remove_unused_parameters = remove_unused_parameters

    def run_on_model(self, model: Model) -> bool:
        live = {id(n) for n in model.get_ordered_ops()}
        changed = False
        for node in model.get_ordered_ops():
            for output in node.outputs():
                port = output._port
                kept = [t for t in port.targets if id(t.get_node()) in live]
                if len(kept) != len(port.targets):
                    port.targets[:] = kept
                    changed = True
        if self.remove_unused_parameters:
            for parameter in model.get_parameters():
                if not parameter.output(0).get_target_inputs():
                    model.remove_parameter(parameter)
                    changed = True
        return changed
