"""Where FakeQuantize goes: the rule set, in one place, and the plan it gives for a model.

The rules follow what OpenVINO's CPU plugin runs in int8 (NNCF's CPU hardware configuration):

1. Weighted ops (``WEIGHT_CHANNEL_AXES``): Convolution, GroupConvolution, ConvolutionBackpropData,
   GroupConvolutionBackpropData, MatMul. A constant float weight is quantized symmetrically per
   output channel; the activation input gets a per-tensor FakeQuantize. A MatMul of two
   activations (attention) gets one on each input.
2. Element-wise and pooling ops (``ACTIVATION_OPS``), when every input is an activation: Add (the
   residual connection), Multiply, AvgPool, AdaptiveAvgPool. Each input keeps its own range: NNCF
   does not unify the scales of Add inputs (checked against NNCF 3.4), the CPU rescales them. An
   Add or Multiply with a constant input is a bias or a scale, which the CPU fuses into the
   preceding layer: it is left alone; so is a Multiply of a tensor by a function of itself (GELU,
   Swish, Mish as exporters decompose them: one activation, which the CPU fuses into the preceding
   layer, as OpenVINO does after fusing the pattern into one op). These rules are off for
   ``ModelType.TRANSFORMER``, where only MatMuls are quantized.
3. Quantization-agnostic ops (``AGNOSTIC_OPS``: MaxPool, Reshape, Transpose, Squeeze, Unsqueeze,
   Concat) commute with a per-tensor FakeQuantize. When every consumer of their output wants it
   quantized, the FakeQuantize moves up to their inputs (MaxPool then runs in int8); the inputs of
   a Concat share one range.
4. One FakeQuantize per tensor, read only by the inputs that asked for it; model outputs stay float
   unless ``quantize_outputs``. Ignored nodes ask for nothing and pass nothing up.
5. For ``ModelType.TRANSFORMER``, the attention output (NNCF's ignored pattern
   "multihead_attention_output") is ignored: a MatMul reading a Softmax, directly or through a
   Reshape, and the head split (``ATTENTION_VALUE_OPS``) that gives its other input. One per-tensor
   scale would round most attention probabilities, which are small, to zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vinopy.graph.model import Model
from vinopy.graph.node import Input, Node, Output, const_value

# type -> the weight axes that index output channels (port 1 holds the weight)
WEIGHT_CHANNEL_AXES: dict[str, tuple[int, ...]] = {
    "Convolution": (0,),
    "GroupConvolution": (0, 1),
    "ConvolutionBackpropData": (1,),
    "GroupConvolutionBackpropData": (0, 2),
    "MatMul": (),  # depends on which input is constant and the transpose flags: see _matmul_weight
}
# type -> whether its inputs share one range
ACTIVATION_OPS: dict[str, bool] = {
    "Add": False,
    "Multiply": False,
    "AvgPool": False,
    "AdaptiveAvgPool": False,
}
# type -> (its data inputs, whether they share one range)
AGNOSTIC_OPS: dict[str, tuple[tuple[int, ...] | None, bool]] = {
    "MaxPool": ((0,), False),
    "Reshape": ((0,), False),
    "Transpose": ((0,), False),
    "Squeeze": ((0,), False),
    "Unsqueeze": ((0,), False),
    "Concat": (None, True),  # None: every input
}
# how far up a Multiply input is followed to find that it is a function of the other input (rule 2)
ACTIVATION_FUNCTION_DEPTH = 6
# the ops that may give an attention-output MatMul its values (rule 5)
ATTENTION_VALUE_OPS = {"ReadValue", "Reshape", "Transpose", "Split", "Gather", "Squeeze", "Concat"}


@dataclass(frozen=True)
class WeightTarget:
    """A weighted op with a constant weight: ``keep_axes`` of the weight are per output channel;
    ``output_axis`` is the channel axis of the op's output (for bias correction)."""

    node: Node
    port: int
    data_port: int
    keep_axes: tuple[int, ...]
    output_axis: int

    def reduce_axes(self, rank: int) -> tuple[int, ...]:
        keep = {a % rank for a in self.keep_axes}
        return tuple(a for a in range(rank) if a not in keep)


@dataclass
class QuantizationPlan:
    """``activations``: tensor -> the inputs that read its FakeQuantize. ``groups``: tensors sharing
    a range. ``moved``: tensor -> the tensor its FakeQuantize moved up to. ``candidates``: every
    tensor any plan of this model may quantize (their statistics are collected once)."""

    activations: dict[Output, list[Input]] = field(default_factory=dict)
    groups: list[list[Output]] = field(default_factory=list)
    weights: list[WeightTarget] = field(default_factory=list)
    moved: dict[Output, Output] = field(default_factory=dict)
    candidates: set[Output] = field(default_factory=set)
    quantized_nodes: list[Node] = field(default_factory=list)
    first_layers: set[Node] = field(default_factory=set)

    def input_tensor(self, target: WeightTarget) -> Output | None:
        """The tensor whose FakeQuantize range applies at the target's data input, if quantized."""
        tensor = target.node.input_value(target.data_port)
        while tensor in self.moved:
            tensor = self.moved[tensor]
        return tensor if tensor in self.activations else None


def build_plan(
    model: Model, ignored: set[Node], transformer: bool, quantize_outputs: bool
) -> QuantizationPlan:
    """Apply the rules to ``model``, leaving ``ignored`` nodes in float."""
    ops = model.get_ordered_ops()
    if transformer:
        ignored = ignored | attention_outputs(ops)
    plan = QuantizationPlan()
    groups = _UnionFind()
    for node in ops:
        if node in ignored:
            continue
        ports, unified = _activation_ports(node, transformer, plan)
        for port in ports:
            plan.activations.setdefault(node.input_value(port), []).append(node.input(port))
        if unified:
            groups.union([node.input_value(p) for p in ports])
        if ports or (plan.weights and plan.weights[-1].node is node):
            plan.quantized_nodes.append(node)
    if quantize_outputs:
        for result in model.get_results():
            if _is_activation(result.input_value(0)):
                plan.activations.setdefault(result.input_value(0), []).append(result.input(0))
    plan.candidates = set(plan.activations)
    _propagate(ops, ignored, plan, groups)
    plan.groups = groups.groups(list(plan.activations))
    plan.first_layers = _first_layers(ops, {t.node for t in plan.weights})
    return plan


def attention_outputs(ops: list[Node]) -> set[Node]:
    """The nodes of rule 5's pattern: each MatMul of attention probabilities with values, its
    Softmax (and the Reshape between them) and the op that gives the values."""
    found: set[Node] = set()
    for node in ops:
        if node.get_type_name() != "MatMul":
            continue
        for port in (0, 1):
            chain = [node.input_value(port).get_node()]
            if chain[-1].get_type_name() == "Reshape":
                chain.append(chain[-1].input_value(0).get_node())
            values = node.input_value(1 - port).get_node()
            if chain[-1].get_type_name() == "Softmax" and values.get_type_name() in ATTENTION_VALUE_OPS:
                found.update([node, values, *chain])
    return found


def _is_activation(out: Output) -> bool:
    return out.get_element_type().is_real() and const_value(out) is None


def _is_float_constant(out: Output) -> bool:
    return out.get_element_type().is_real() and const_value(out) is not None


def _activation_ports(node: Node, transformer: bool, plan: QuantizationPlan) -> tuple[list[int], bool]:
    """The inputs of ``node`` to quantize as activations (and whether they share a range); a
    constant weight goes to ``plan.weights``."""
    type_name = node.get_type_name()
    if type_name in WEIGHT_CHANNEL_AXES:
        target = weight_target(node)
        if target is not None:
            plan.weights.append(target)
            data = [target.data_port]
        else:
            data = [0, 1] if type_name == "MatMul" else [0]
        return [p for p in data if _is_activation(node.input_value(p))], False
    if type_name in ACTIVATION_OPS and not transformer and not _is_activation_function(node):
        values = node.input_values()
        if values and all(_is_activation(v) for v in values):
            return list(range(len(values))), ACTIVATION_OPS[type_name]
    return [], False


def _is_activation_function(node: Node) -> bool:
    """A Multiply ``x * f(x)`` where f is a chain of ops with one activation input each."""
    if node.get_type_name() != "Multiply":
        return False
    a, b = node.input_values()
    return _derives_from(a, b) or _derives_from(b, a)


def _derives_from(value: Output, source: Output) -> bool:
    for _ in range(ACTIVATION_FUNCTION_DEPTH):
        inputs = [v for v in value.get_node().input_values() if _is_activation(v)]
        if len(inputs) != 1:
            return False
        value = inputs[0]
        if value == source:
            return True
    return False


def weight_target(node: Node) -> WeightTarget | None:
    """The constant float weight of a weighted op, if it has one."""
    if node.get_type_name() not in WEIGHT_CHANNEL_AXES:
        return None
    if node.get_type_name() == "MatMul":
        return _matmul_weight(node)
    if not _is_float_constant(node.input_value(1)):
        return None
    return WeightTarget(node, 1, 0, WEIGHT_CHANNEL_AXES[node.get_type_name()], 1)


def _matmul_weight(node: Node) -> WeightTarget | None:
    """``C = A @ B``: a constant B keeps its N axis (-1, or -2 transposed), a constant A its M axis."""
    for port, transposed in ((1, node.transpose_b), (0, node.transpose_a)):
        if _is_float_constant(node.input_value(port)) and _is_activation(node.input_value(1 - port)):
            rank = node.get_input_partial_shape(port).rank.get_length()
            out_of_b = -2 if transposed else -1
            keep = () if rank < 2 else ((out_of_b,) if port == 1 else (-1 if transposed else -2,))
            return WeightTarget(node, port, 1 - port, keep, -1 if port == 1 else -2)
    return None


def _consumers(ops: list[Node]) -> dict[Output, list[Input]]:
    """Every output's readers among ``ops`` (dangling nodes outside the model are not counted)."""
    readers: dict[Output, list[Input]] = {}
    for node in ops:
        for i, value in enumerate(node.input_values()):
            readers.setdefault(value, []).append(node.input(i))
    return readers


def _propagate(ops: list[Node], ignored: set[Node], plan: QuantizationPlan, groups: _UnionFind) -> None:
    """Move FakeQuantizes up through agnostic ops, outputs first so that chains move all the way."""
    readers = _consumers(ops)
    for node in reversed(ops):
        if node in ignored or node.get_type_name() not in AGNOSTIC_OPS or node.get_output_size() != 1:
            continue
        tensor = node.output(0)
        asked = plan.activations.get(tensor, [])
        if not asked or set(asked) != set(readers.get(tensor, [])):
            continue
        ports, unified = AGNOSTIC_OPS[node.get_type_name()]
        ports = ports if ports is not None else tuple(range(node.get_input_size()))
        sources = [node.input_value(p) for p in ports]
        if not all(_is_activation(s) for s in sources):
            continue
        del plan.activations[tensor]
        for port, source in zip(ports, sources):
            plan.activations.setdefault(source, []).append(node.input(port))
            plan.candidates.add(source)
        plan.moved[tensor] = sources[0]
        groups.union([tensor, sources[0]])
        if unified:
            groups.union(sources)


def _first_layers(ops: list[Node], weighted: set[Node]) -> set[Node]:
    """Weighted nodes with no weighted node upstream."""
    after_weighted: set[Node] = set()
    first = set()
    for node in ops:
        upstream = [v.get_node() for v in node.input_values()]
        if any(n in weighted or n in after_weighted for n in upstream):
            after_weighted.add(node)
        elif node in weighted:
            first.add(node)
    return first


class _UnionFind:
    """Tensors that must share one quantization range."""

    def __init__(self) -> None:
        self._parent: dict[Output, Output] = {}

    def find(self, item: Output) -> Output:
        root = item
        while self._parent.get(root, root) != root:
            root = self._parent[root]
        return root

    def union(self, items: list[Output]) -> None:
        roots = [self.find(i) for i in items]
        for root in roots[1:]:
            if root != roots[0]:
                self._parent[root] = roots[0]

    def groups(self, items: list[Output]) -> list[list[Output]]:
        by_root: dict[Output, list[Output]] = {}
        for item in items:
            by_root.setdefault(self.find(item), []).append(item)
        return list(by_root.values())
