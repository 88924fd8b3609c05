"""Pass, MatcherPass and PassManager: how graph transformations are written and run."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from vinopy.graph.model import Model
from vinopy.graph.node import Output, as_output
from vinopy.passes.pattern import Match, match


class Pass(ABC):
    """A transformation of a whole model; ``run_on_model`` says whether it changed anything."""

    def get_name(self) -> str:
        return type(self).__name__

    @abstractmethod
    def run_on_model(self, model: Model) -> bool: ...


class MatcherPass(Pass):
    """Calls ``callback(match)`` for every node output that matches ``pattern``; the callback
    rewrites the graph and returns True when it did."""

    def __init__(self, pattern: Any = None, callback: Callable[[Match], bool] | None = None) -> None:
        if pattern is not None:
            self.pattern = as_output(pattern)
        if callback is not None:
            self.callback = callback

    pattern: Output

    def callback(self, m: Match) -> bool:
        raise NotImplementedError(f"{self.get_name()} needs a callback")

    def run_on_model(self, model: Model) -> bool:
        changed = False
        for node in model.get_ordered_ops():
            for output in node.outputs():
                found = match(self.pattern, output)
                if found is not None and self.callback(found):
                    changed = True
                    break  # the node may be gone: go on with the next one
        return changed


class PassManager:
    """Runs its passes in order, again and again until none changes the model (at most
    ``max_iterations`` rounds)."""

    def __init__(self, max_iterations: int = 10) -> None:
        if max_iterations < 1:
            raise ValueError(f"max_iterations must be at least 1, got {max_iterations}")
        self.max_iterations = max_iterations
        self._passes: list[Pass] = []

    def register_pass(self, pass_: Pass) -> Pass:
        if not isinstance(pass_, Pass):
            raise TypeError(f"register_pass takes a Pass, got {type(pass_).__name__}")
        self._passes.append(pass_)
        return pass_

    @property
    def passes(self) -> list[Pass]:
        return list(self._passes)

    def run_passes(self, model: Model) -> bool:
        """Whether any pass changed the model."""
        changed_at_all = False
        for _ in range(self.max_iterations):
            changed = False
            for pass_ in self._passes:
                changed = pass_.run_on_model(model) or changed
            changed_at_all = changed_at_all or changed
            if not changed:
                break
        return changed_at_all


def replace_output(old: Output, new: Output) -> None:
    """Make every reader of ``old`` read ``new``; ``new`` takes over ``old``'s tensor names, and
    consumers re-infer their types (a Result then shows the names under its new input)."""
    names = old.get_names()
    old.set_names(set())
    new.add_names(names)
    targets = list(old.get_target_inputs())
    old.replace(new)
    for target in targets:
        target.get_node().validate_and_infer_types()
