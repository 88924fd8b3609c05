"""Fast bias correction: quantization shifts the mean output of a layer (rounding is not unbiased
per channel); adding the shift back to the layer's bias removes it.

For every quantized layer with a bias, a side branch runs the layer on the quantized version of its
float input with the dequantized weights; the per-channel mean difference between the float and
that branch over the calibration subset is the layer's own shift, free of upstream errors. For a
layer whose mean output is linear in its input's per-channel mean (MatMul, 1x1 convolution with unit
strides) the same shift comes from the means of its float and quantized input alone, and the layer
is not run twice. Means are taken in the graph, so only per-channel values leave the device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vinopy import opset1
from vinopy import opset13 as ops
from vinopy.graph.model import Model
from vinopy.graph.node import Node, Output, const_value
from vinopy.ops.common import window_pads
from vinopy.quantization.dataset import Dataset
from vinopy.quantization.placement import QuantizationPlan, WeightTarget
from vinopy.quantization.range_estimation import FQParams, make_fake_quantize
from vinopy.quantization.statistics import Tap, channel_mean, clone_with_map, collect
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
    probes = [_probe(t, mapping, plan, activation_params, weights[t.node]) for t in targets]
    taps = [tap for probe in probes for tap in probe.taps]
    if not taps:
        return {}
    outputs = clone.get_results() + [t.output for t in taps]
    stats = collect(
        Model(outputs, clone.get_parameters()), taps, dataset, indices, device, "Fast bias correction"
    )
    shifts, position = {}, 0
    for target, probe in zip(targets, probes):
        means = [np.mean(batches, axis=0) for batches in stats[position : position + len(probe.taps)]]
        position += len(probe.taps)
        shift = probe.shift(means)
        add, port = find_bias(target)
        bias = const_value(add.input_value(port))
        if threshold is None or np.abs(shift).max() <= threshold * (np.abs(bias).max() + 1.0):
            shifts[target.node] = shift
    return shifts


@dataclass(frozen=True)
class _Probe:
    """What to observe for one layer, and its shift from the taps' means over the items."""

    taps: list[Tap]
    shift: Callable[[list[np.ndarray]], np.ndarray]


def _probe(
    target: WeightTarget,
    mapping: dict[Node, Node],
    plan: QuantizationPlan,
    activation_params: dict[Output, FQParams],
    weight: IntWeight,
) -> _Probe:
    node = mapping[target.node]
    quantized = _quantized_input(node, target, plan, activation_params)
    statistic = _input_statistic(target, node)
    if statistic is not None:
        # the layer's mean output is its weights contracted with a statistic of its input: only
        # that statistic of the float and of the quantized input is needed, not a second layer run
        floats, ints = _weight_tensors(target, node, weight)
        taps = [statistic(node.input_value(target.data_port)), statistic(quantized)]
        return _Probe(taps, lambda s: _contract(floats, s[0]) - _contract(ints, s[1]))
    # the difference is taken after the bias Add, where the bias cancels: a layer output read by
    # anything else would keep the CPU plugin from fusing the bias into the layer
    biased = mapping[find_bias(target)[0]]
    branch = _quantized_branch(node, target, quantized, weight)
    error = ops.subtract(
        biased.output(0),
        _with_bias(biased, node, branch),
        name=f"{biased.get_friendly_name()}/quantization_error",
    )
    return _Probe([_channel_mean_tap(error.output(0), target.output_axis)], lambda means: means[0])


def _input_statistic(target: WeightTarget, node: Node) -> Callable[[Output], Tap] | None:
    """For a layer whose per-channel output mean is linear in a statistic of its input, the tap of
    that statistic; else None. A MatMul: the input's channel means. A convolution with unit strides:
    per input channel and kernel tap, the mean of the (zero-padded) input under that tap over all
    output positions, which is an average pool whose window is the output's size."""
    kind = target.node.get_type_name()
    if kind == "MatMul":
        plain = (
            target.port == 1
            and not node.transpose_a
            and node.get_input_partial_shape(1).rank.get_length() == 2
        )
        return (lambda x: _channel_mean_tap(x, -1)) if plain else None
    data, out = node.get_input_partial_shape(0), node.get_output_partial_shape(0)
    if kind != "Convolution" or any(s != 1 for s in node.strides) or not (data.is_static and out.is_static):
        return None
    kernel = node.get_input_partial_shape(1).to_shape()[2:]
    pads = [
        window_pads(size, k, 1, d, node.auto_pad, begin, end)
        for size, k, d, begin, end in zip(
            data.to_shape()[2:], kernel, node.dilations, node.pads_begin, node.pads_end
        )
    ]
    window = out.to_shape()[2:]

    def tap(x: Output) -> Tap:
        begins, ends = [p[0] for p in pads], [p[1] for p in pads]
        pool = opset1.avg_pool(x, node.dilations, begins, ends, window, False)
        return Tap(pool.output(0), _mean_over_batch)

    return tap


def _weight_tensors(target: WeightTarget, node: Node, weight: IntWeight) -> tuple[np.ndarray, np.ndarray]:
    """The float and the dequantized weights, output channels first (a MatMul's as (N, K))."""
    floats = const_value(node.input_value(target.port)).astype(np.float64)
    ints = weight.dequantize(np.float64).reshape(floats.shape)
    if target.node.get_type_name() == "MatMul" and not node.transpose_b:
        return floats.T, ints.T
    return floats, ints


def _contract(weights: np.ndarray, statistic: np.ndarray) -> np.ndarray:
    """Per output channel: the weights times the input statistic, summed over the statistic's axes."""
    return np.tensordot(weights, statistic, axes=statistic.ndim)


def _mean_over_batch(x: np.ndarray) -> np.ndarray:
    return x.mean(axis=0, dtype=np.float64)


def _quantized_input(
    node: Node, target: WeightTarget, plan: QuantizationPlan, activation_params: dict[Output, FQParams]
) -> Output:
    """The layer's data input through the FakeQuantize the quantized model gives it (if any)."""
    data = node.input_value(target.data_port)
    tensor = plan.input_tensor(target)
    return data if tensor is None else make_fake_quantize(data, activation_params[tensor])


def _quantized_branch(node: Node, target: WeightTarget, quantized: Output, weight: IntWeight) -> Output:
    inputs = node.input_values()
    inputs[target.data_port] = quantized
    inputs[target.port] = ops.constant(
        weight.dequantize(inputs[target.port].get_element_type().to_dtype())
    ).output(0)
    branch = node.clone_with_new_inputs(inputs)
    # a name of its own: the CPU plugin's plan skips a node whose friendly name it has seen
    branch.set_friendly_name(f"{node.get_friendly_name()}/quantized_branch")
    return branch.output(0)


def _channel_mean_tap(tensor: Output, channel_axis: int) -> Tap:
    """The per-channel mean of ``tensor``: over the axes but the first and the channel axis in the
    graph (the device reduces the tensor in its own layout, and only a few values come back), then
    over the first axis when the tap is reduced."""
    rank = tensor.get_partial_shape().rank.get_length()
    channel_axis %= rank
    axes = [a for a in range(1, rank) if a != channel_axis]
    if not axes:
        return Tap(tensor, channel_mean(channel_axis))
    kept = sorted({0, channel_axis})
    mean = ops.reduce_mean(tensor, ops.constant(np.array(axes, np.int64)), False)
    return Tap(mean.output(0), channel_mean(kept.index(channel_axis)))


def _with_bias(biased: Node, layer: Node, branch: Output) -> Output:
    """A copy of the bias Add ``biased`` that adds the bias to ``branch`` instead of ``layer``."""
    inputs = [branch if v.get_node() is layer else v for v in biased.input_values()]
    copy = biased.clone_with_new_inputs(inputs)
    copy.set_friendly_name(f"{biased.get_friendly_name()}/quantized_branch")
    return copy.output(0)


def apply_shift(add: Node, port: int, shift: np.ndarray) -> None:
    """Replace the bias constant of ``add`` with bias + shift."""
    bias = const_value(add.input_value(port))
    new = (bias + shift.reshape(bias.shape)).astype(bias.dtype)
    add.input(port).replace_source_output(
        ops.constant(new, name=add.input_value(port).get_node().get_friendly_name()).output(0)
    )
