"""Fast bias correction: quantization shifts the mean output of a layer (rounding is not unbiased
per channel); adding the shift back to the layer's bias removes it.

For every quantized layer with a bias, a side branch runs the layer on the quantized version of its
float input with the dequantized weights; the per-channel mean difference between the float and
that branch over the calibration subset is the layer's own shift, free of upstream errors.
"""

from __future__ import annotations

import numpy as np

from vinopy import opset13 as ops
from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output, const_value
from vinopy.quantization.dataset import Dataset
from vinopy.quantization.placement import QuantizationPlan, WeightTarget
from vinopy.quantization.range_estimation import FQParams, make_fake_quantize
from vinopy.quantization.statistics import Tap, channel_reducer, clone_with_map, collect
from vinopy.quantization.weights import IntWeight


def find_bias(target: WeightTarget) -> tuple[Node, int] | None:
    """The Add that adds a per-channel constant bias to the layer's output, and its constant port."""
    out = target.node.output(0)
    readers = list(out.get_target_inputs())
    if len(readers) != 1 or readers[0].get_node().get_type_name() != "Add":
        return None
    add = readers[0].get_node()
    port = 1 - readers[0].get_index()
    bias = const_value(add.input_value(port))
    shape = out.get_partial_shape()
    if bias is None or shape.rank.is_dynamic or bias.ndim > len(shape):
        return None
    channels = shape[target.output_axis]
    axis = target.output_axis % len(shape) - len(shape)  # counted from the end, as broadcasting does
    if not channels.is_static or bias.size != channels.get_length() or -axis > bias.ndim:
        return None
    return (add, port) if bias.shape[axis] == bias.size else None


def bias_shifts(
    model: Model,
    plan: QuantizationPlan,
    activation_params: dict[Output, FQParams],
    weights: dict[Node, IntWeight],
    dataset: Dataset,
    indices: list[int] | None,
    device: str,
    threshold: float | None,
) -> dict[Node, np.ndarray]:
    """Per layer (of ``model``'s nodes), the shift to add to its bias."""
    clone, mapping = clone_with_map(model)
    targets = [t for t in plan.weights if find_bias(t) is not None]
    taps = []
    for target in targets:
        node = mapping[target.node]
        reduce = channel_reducer(target.output_axis, np.mean)
        taps += [
            Tap(node.output(0), reduce),
            Tap(_quantized_branch(node, target, plan, activation_params, weights[target.node]), reduce),
        ]
    if not taps:
        return {}
    probe = Model(
        clone.get_results() + [t.output for t in taps], clone.get_parameters()
    )  # branches reachable
    means = collect(probe, taps, dataset, indices, device, "Fast bias correction")
    shifts = {}
    for k, target in enumerate(targets):
        shift = np.mean(means[2 * k], axis=0) - np.mean(means[2 * k + 1], axis=0)
        add, port = find_bias(target)
        bias = const_value(add.input_value(port))
        if threshold is None or np.abs(shift).max() <= threshold * (np.abs(bias).max() + 1.0):
            shifts[target.node] = shift
    return shifts


def _quantized_branch(
    node: Node,
    target: WeightTarget,
    plan: QuantizationPlan,
    activation_params: dict[Output, FQParams],
    weight: IntWeight,
) -> Output:
    inputs = node.input_values()
    tensor = plan.input_tensor(target)
    if tensor is not None:
        inputs[target.data_port] = make_fake_quantize(inputs[target.data_port], activation_params[tensor])
    inputs[target.port] = ops.constant(
        weight.dequantize(inputs[target.port].get_element_type().to_dtype())
    ).output(0)
    return node.clone_with_new_inputs(inputs).output(0)


def apply_shift(add: Node, port: int, shift: np.ndarray) -> None:
    """Replace the bias constant of ``add`` with bias + shift."""
    bias = const_value(add.input_value(port))
    new = (bias + shift.reshape(bias.shape)).astype(bias.dtype)
    add.input(port).replace_source_output(
        ops.constant(new, name=add.input_value(port).get_node().get_friendly_name()).output(0)
    )
