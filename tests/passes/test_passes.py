"""Passes: golden text dumps of small graphs before and after, the matcher and the manager."""

import textwrap

import numpy as np
import pytest

import vinopy as ov
from vinopy.passes import (
    ConstantFolding,
    DeadCodeElimination,
    MatcherPass,
    Pass,
    PassManager,
    ShapeOfFolding,
    any_input,
    consumers_count,
    dump,
    match,
    replace_output,
    wrap_type,
)

ops = ov.opset13


def golden(text: str) -> str:
    return textwrap.dedent(text).strip()


def run(model: ov.Model, *passes: Pass) -> bool:
    manager = PassManager()
    for p in passes:
        manager.register_pass(p)
    return manager.run_passes(model)


def folding_model() -> ov.Model:
    x = ops.parameter([2, 3], np.float32, name="x")
    scale = ops.add(
        ops.constant(np.ones(3, np.float32)), ops.constant(np.full(3, 2, np.float32)), name="scale"
    )
    shape = ops.shape_of(x, name="shape")
    out = ops.reshape(ops.multiply(x, scale, name="mul"), shape, False, name="out")
    return ov.Model([out], [x], "folding")


def test_dump_lists_nodes_inputs_attributes_and_types() -> None:
    assert dump(folding_model()) == golden("""
        x = Parameter() -> f32[2,3]
        Constant_0 = Constant() value=[1.0,1.0,1.0] -> f32[3]
        Constant_1 = Constant() value=[2.0,2.0,2.0] -> f32[3]
        scale = Add(Constant_0, Constant_1) -> f32[3]
        mul = Multiply(x, scale) -> f32[2,3]
        shape = ShapeOf(x) -> i64[2]
        out = Reshape(mul, shape) special_zero=False -> f32[2,3]
        Result_0 = Result(out) -> f32[2,3]
    """)


def test_constant_folding_replaces_known_subgraphs() -> None:
    model = folding_model()
    assert run(model, ConstantFolding())
    assert dump(model) == golden("""
        x = Parameter() -> f32[2,3]
        scale = Constant() value=[3.0,3.0,3.0] -> f32[3]
        mul = Multiply(x, scale) -> f32[2,3]
        shape = Constant() value=[2,3] -> i64[2]
        out = Reshape(mul, shape) special_zero=False -> f32[2,3]
        Result_0 = Result(out) -> f32[2,3]
    """)
    assert not run(model, ConstantFolding())  # nothing left to fold


def test_constant_folding_keeps_names_of_model_outputs() -> None:
    x = ops.parameter([2], np.float32, name="x")
    folded = ops.multiply(ops.constant(np.array([1, 2], np.float32)), np.float32(3), name="folded")
    folded.output(0).set_names({"tripled"})
    model = ov.Model([ops.add(x, folded, name="sum"), folded], [x])
    before = ov.Core().compile_model(model, "TEMPLATE")([np.ones(2, np.float32)])
    assert run(model, ConstantFolding())
    assert model.output(1).get_names() == {"tripled"}
    assert model.output(1).get_node().input_value(0).get_node().get_type_name() == "Constant"
    assert model.output(1).get_node().input_value(0).get_node().get_friendly_name() == "folded"
    after = ov.Core().compile_model(model, "TEMPLATE")([np.ones(2, np.float32)])
    np.testing.assert_array_equal(after["tripled"], before["tripled"])
    np.testing.assert_array_equal(after[0], [4, 7])


def test_constant_folding_leaves_dynamic_shapes_and_parameters() -> None:
    x = ops.parameter([-1, 3], np.float32, name="x")
    out = ops.reshape(x, ops.shape_of(x, name="shape"), False, name="out")
    model = ov.Model([out], [x])
    before = dump(model)
    assert not run(model, ConstantFolding(), ShapeOfFolding())
    assert dump(model) == before


def test_constant_folding_asks_each_node_once_in_a_deep_graph(monkeypatch) -> None:
    import vinopy.graph.node as node_module

    x = ops.parameter([1, 4], np.float32, name="x")
    h = x
    for _ in range(300):
        h = ops.relu(h)
    model = ov.Model([h], [x])
    calls = []
    original = node_module.const_value
    monkeypatch.setattr(node_module, "const_value", lambda out: calls.append(out) or original(out))
    assert not run(model, ConstantFolding())
    assert len(calls) < 3 * 300  # each node remembers it cannot fold: not a walk up the chain per node


def test_fold_sees_an_input_that_became_constant() -> None:
    x = ops.parameter([3], np.float32, name="x")
    total = ops.add(ops.relu(x), ops.constant(np.ones(3, np.float32)))
    ov.Model([total], [x])
    assert ov.graph.const_value(total.output(0)) is None
    x.output(0).replace(ops.constant(np.array([-1.0, 2.0, 3.0], np.float32)).output(0))
    np.testing.assert_array_equal(ov.graph.const_value(total.output(0)), [1.0, 3.0, 4.0])


def test_shape_of_folding_uses_the_matcher() -> None:
    x = ops.parameter([4, 5], np.float32, name="x")
    y = ops.parameter([-1, 5], np.float32, name="y")
    model = ov.Model([ops.shape_of(x, name="sx"), ops.shape_of(y, name="sy")], [x, y])
    assert run(model, ShapeOfFolding())
    assert dump(model) == golden("""
        x = Parameter() -> f32[4,5]
        y = Parameter() -> f32[?,5]
        sx = Constant() value=[4,5] -> i64[2]
        Result_0 = Result(sx) -> i64[2]
        sy = ShapeOf(y) -> i64[2]
        Result_1 = Result(sy) -> i64[2]
    """)


def test_dead_code_elimination_unhooks_dead_readers_and_unused_parameters() -> None:
    x = ops.parameter([2], np.float32, name="x")
    unused = ops.parameter([2], np.float32, name="unused")
    ops.relu(x, name="dead")  # nothing reads it
    model = ov.Model([ops.negative(x, name="neg")], [x, unused])
    assert len(x.output(0).get_target_inputs()) == 2
    assert run(model, DeadCodeElimination())
    assert [i.get_node().get_friendly_name() for i in x.output(0).get_target_inputs()] == ["neg"]
    assert len(model.get_parameters()) == 2  # parameters stay unless asked
    assert run(model, DeadCodeElimination(remove_unused_parameters=True))
    assert dump(model) == golden("""
        x = Parameter() -> f32[2]
        neg = Negative(x) -> f32[2]
        Result_0 = Result(neg) -> f32[2]
    """)


def test_pattern_matcher_binds_wildcards_and_types() -> None:
    x = ops.parameter([2, 3], np.float32, name="x")
    w = ops.constant(np.ones((3, 3), np.float32), name="w")
    mm = ops.matmul(x, w, False, False, name="mm")
    act = ops.relu(ops.add(mm, ops.constant(np.zeros(3, np.float32)), name="bias"), name="act")

    data = any_input()
    weights = wrap_type("Constant")
    pattern = ops.relu(ops.add(ops.matmul(data, weights, False, False), any_input()))
    found = match(pattern, act.output(0))
    assert found is not None and found[data] == x.output(0) and found[weights] == w.output(0)
    assert found.root == act.output(0)
    assert match(pattern, mm.output(0)) is None
    assert match(wrap_type(["Sigmoid", "Relu"], any_input()), act.output(0)) is not None
    assert match(wrap_type("Relu", any_input(consumers_count(2))), act.output(0)) is None


def test_pattern_node_used_twice_must_be_the_same_output() -> None:
    x = ops.parameter([2], np.float32, name="x")
    y = ops.parameter([2], np.float32, name="y")
    same = any_input()
    pattern = ops.multiply(same, same)
    assert match(pattern, ops.multiply(x, x).output(0)) is not None
    assert match(pattern, ops.multiply(x, y).output(0)) is None


def test_pattern_constants_compare_values() -> None:
    x = ops.parameter([2], np.float32, name="x")
    pattern = ops.multiply(any_input(), 1.0)
    assert match(pattern, ops.multiply(x, np.ones(2, np.float32)).output(0)) is not None
    assert match(pattern, ops.multiply(x, np.full(2, 2, np.float32)).output(0)) is None


class RemoveMultiplyByOne(MatcherPass):
    """x * 1 -> x: a MatcherPass written as users write them."""

    def __init__(self) -> None:
        self.data = any_input()
        super().__init__(ops.multiply(self.data, 1.0))

    def callback(self, m) -> bool:
        replace_output(m.root, m[self.data])
        return True


def test_matcher_pass_rewrites_until_nothing_changes() -> None:
    x = ops.parameter([2], np.float32, name="x")
    one = np.float32(1)
    chain = ops.multiply(ops.multiply(ops.relu(x, name="r"), one), one)
    model = ov.Model([chain], [x])
    assert run(model, RemoveMultiplyByOne(), DeadCodeElimination())
    assert dump(model) == golden("""
        x = Parameter() -> f32[2]
        r = Relu(x) -> f32[2]
        Result_0 = Result(r) -> f32[2]
    """)
    np.testing.assert_array_equal(ov.Core().compile_model(model, "TEMPLATE")([[-1.0, 2.0]])[0], [0, 2])


class CountingPass(Pass):
    def __init__(self, changes: int) -> None:
        self.changes, self.calls = changes, 0

    def run_on_model(self, model) -> bool:
        self.calls += 1
        return self.calls <= self.changes


def test_pass_manager_repeats_until_stable_with_a_cap() -> None:
    model = folding_model()
    settles = CountingPass(changes=2)
    assert run(model, settles) and settles.calls == 3
    manager = PassManager(max_iterations=4)
    never_settles = manager.register_pass(CountingPass(changes=100))
    assert manager.run_passes(model) and never_settles.calls == 4
    with pytest.raises(TypeError, match="register_pass takes a Pass"):
        manager.register_pass(ConstantFolding)
