"""ConstantFolding: subgraphs whose values are known before run time become Constants."""

from __future__ import annotations

import numpy as np

from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output
from vinopy.ops.constant import Constant
from vinopy.passes.base import Pass, replace_output

_NEVER_FOLDED = ("Parameter", "Constant", "Result")


def constant_for(output: Output, value: np.ndarray) -> Constant:
    """A Constant holding ``value`` as ``output``'s element type, named as the node it replaces
    when that node was named by the user (automatic names would only mislead: Add_3 = Constant)."""
    node = output.get_node()
    et = output.get_element_type()
    if et.is_static() and et.get_type_name() != "string":
        value = np.asarray(value).astype(et.to_dtype(), copy=False)
    name = None
    if node.get_friendly_name() != node.get_name():
        name = node.get_friendly_name()
        name = name if node.get_output_size() == 1 else f"{name}.{output.index}"
    const = Constant(np.asarray(value), name=name)
    const.get_rt_info().update(node.get_rt_info())
    return const


class ConstantFolding(Pass):
    """Uses each node's ``fold`` (its ``evaluate`` on known inputs); the Constants keep the
    friendly name and tensor names of what they replace, so model outputs keep their names."""

    def run_on_model(self, model: Model) -> bool:
        changed = False
        for node in model.get_ordered_ops():
            if node.get_type_name() in _NEVER_FOLDED:
                continue
            values = node.fold()
            if values is None:
                continue
            self._replace(node, values)
            changed = True
        return changed

    @staticmethod
    def _replace(node: Node, values: list[np.ndarray]) -> None:
        for output, value in zip(node.outputs(), values):
            replace_output(output, constant_for(output, value).output(0))
