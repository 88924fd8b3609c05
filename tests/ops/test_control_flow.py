import numpy as np
import pytest

import vinopy as ov
from tests.utils import assert_close, check_inferred, rand

ops = ov.opset8


def _compile_run(model: ov.Model, inputs: list[np.ndarray]) -> list[np.ndarray]:
    compiled = ov.Core().compile_model(model, "TEMPLATE")
    results = compiled(inputs)
    outputs = [results[i] for i in range(len(model.outputs))]
    for port, value in zip(model.outputs, outputs):
        check_inferred(port, value)
    return outputs


def _if_model(shape=(2, 3)):
    """out = x * y if c else x - y; the else body reads only x and the constant 5."""
    c = ops.parameter([], ov.Type.boolean, name="c")
    x = ops.parameter(list(shape), np.float32, name="x")
    y = ops.parameter(list(shape), np.float32, name="y")
    tx, ty = ops.parameter(list(shape), np.float32), ops.parameter(list(shape), np.float32)
    then_result = ops.result(ops.multiply(tx, ty))
    ex = ops.parameter(list(shape), np.float32)
    else_result = ops.result(ops.subtract(ex, np.float32(5)))
    node = ops.if_op(c)
    node.set_then_body(ov.Model([then_result], [tx, ty], "then"))
    node.set_else_body(ov.Model([else_result], [ex], "else"))
    node.set_input(x.output(0), tx, ex)
    node.set_input(y.output(0), ty, None)
    out = node.set_output(then_result, else_result)
    return ov.Model([out], [c, x, y], "if"), node


@pytest.mark.parametrize("cond", [True, False])
def test_if_runs_the_chosen_body(cond):
    model, _ = _if_model()
    x, y = rand((2, 3)), rand((2, 3))
    (out,) = _compile_run(model, [np.array(cond), x, y])
    assert_close(out, x * y if cond else x - 5)


def test_if_merges_branch_shapes_and_takes_a_known_branch():
    c = ops.parameter([], ov.Type.boolean)
    x = ops.parameter([2, 3], np.float32)
    tp = ops.parameter([2, 3], np.float32)
    then_result = ops.result(tp)
    else_result = ops.result(ops.constant(np.zeros((2, 5), np.float32)))
    for cond, expected in ((c, [2, -1]), (ops.constant(False), [2, 5])):
        node = ops.if_op(cond)
        node.set_then_body(ov.Model([then_result], [tp]))
        node.set_else_body(ov.Model([else_result], []))
        node.set_input(x.output(0), tp, None)
        out = node.set_output(then_result, else_result)
        assert out.get_partial_shape() == ov.PartialShape(expected)


def test_if_body_parameters_follow_the_outer_shapes():
    model, node = _if_model(shape=(2, 3))
    model.reshape({"x": [4, 3], "y": [4, 3]})
    assert node.get_output_partial_shape(0) == ov.PartialShape([4, 3])
    x, y = rand((4, 3)), rand((4, 3))
    assert_close(_compile_run(model, [np.array(True), x, y])[0], x * y)


def test_if_rejects_a_non_boolean_condition():
    with pytest.raises(ValueError, match="boolean"):
        ops.if_op(ops.parameter([], np.float32))


def _counting_loop(trip_count, condition_limit=None):
    """acc = acc + x * i over iterations i; also the concatenation of acc per iteration.
    With condition_limit the body stops once i + 1 >= condition_limit."""
    x = ops.parameter([2], np.float32, name="x")
    acc0 = ops.parameter([2], np.float32, name="acc0")
    i = ops.parameter([1], np.int64, name="i")
    bx, bacc = ops.parameter([2], np.float32), ops.parameter([2], np.float32)
    new_acc = ops.add(bacc, ops.multiply(bx, ops.convert(i, "f32")))
    if condition_limit is None:
        cond = ops.constant(np.array([True]))
    else:
        cond = ops.less(ops.add(i, np.int64(1)), np.int64(condition_limit))
    acc_result, cond_result = ops.result(new_acc), ops.result(cond)
    body = ov.Model([acc_result, cond_result], [i, bx, bacc], "body")
    loop = ops.loop(ops.constant(np.int64(trip_count)), ops.constant(True))
    loop.set_function(body)
    loop.set_special_body_ports([0, 1])
    loop.set_invariant_input(bx, x.output(0))
    loop.set_merged_input(bacc, acc0.output(0), acc_result.output(0))
    last = loop.get_iter_value(acc_result.output(0), -1)
    every = loop.get_concatenated_slices(acc_result.output(0), 0, 1, 1, -1, 0)
    return ov.Model([last, every], [x, acc0], "loop"), loop


def _python_loop(x, acc, iterations):
    history = []
    for i in range(iterations):
        acc = acc + x * np.float32(i)
        history.append(acc)
    return acc, np.concatenate(history)


@pytest.mark.parametrize("trip_count,limit,iterations", [(4, None, 4), (6, 3, 3), (1, None, 1)])
def test_loop_matches_a_python_loop(trip_count, limit, iterations):
    model, loop = _counting_loop(trip_count, limit)
    x, acc = rand((2,)), rand((2,))
    last, every = _compile_run(model, [x, acc])
    expected_last, expected_every = _python_loop(x, acc, iterations)
    assert_close(last, expected_last)
    assert_close(every, expected_every)
    if limit is None:
        assert loop.get_num_iterations() == trip_count
        assert loop.get_output_partial_shape(1) == ov.PartialShape([2 * trip_count])
    else:
        assert loop.get_output_partial_shape(1) == ov.PartialShape([-1])


def test_loop_with_unlimited_trip_count_stops_on_the_condition():
    model, _ = _counting_loop(-1, condition_limit=5)
    x, acc = rand((2,)), rand((2,))
    last, every = _compile_run(model, [x, acc])
    assert_close(last, _python_loop(x, acc, 5)[0])
    assert every.shape == (10,)


def test_loop_relaxes_merged_inputs_that_grow():
    init = ops.parameter([1, 2], np.float32)
    p = ops.parameter([1, 2], np.float32)
    grown = ops.result(ops.concat([p, ops.constant(np.ones((1, 2), np.float32))], 0))
    loop = ops.loop(ops.constant(np.int64(3)), ops.constant(True))
    loop.set_function(ov.Model([grown], [p]))
    loop.set_merged_input(p, init.output(0), grown.output(0))
    out = loop.get_iter_value(grown.output(0))
    shape = out.get_partial_shape()
    assert shape[0].is_dynamic and shape[1] == 2
    x = rand((1, 2))
    (value,) = _compile_run(ov.Model([out], [init]), [x])
    assert_close(value, np.concatenate([x, np.ones((3, 2), np.float32)]))


def test_model_clone_copies_loop_bodies():
    model, loop = _counting_loop(3)
    clone = model.clone()
    cloned_loop = next(n for n in clone.get_ordered_ops() if n.get_type_name() == "Loop")
    assert cloned_loop is not loop
    assert cloned_loop.get_function() is not loop.get_function()
    assert cloned_loop.get_input_descriptions() == loop.get_input_descriptions()
    assert cloned_loop.get_special_body_ports() == [0, 1]
    x, acc = rand((2,)), rand((2,))
    expected = _compile_run(model, [x, acc])
    for got, want in zip(_compile_run(clone, [x, acc]), expected):
        assert_close(got, want)


def test_model_clone_copies_if_bodies():
    model, node = _if_model()
    clone = model.clone()
    cloned = next(n for n in clone.get_ordered_ops() if n.get_type_name() == "If")
    assert cloned.get_then_body() is not node.get_then_body()
    x, y = rand((2, 3)), rand((2, 3))
    assert_close(_compile_run(clone, [np.array(False), x, y])[0], x - 5)


def test_tensor_iterator_slices_and_concatenates():
    """A running sum over the time axis, reversed: start=-1, stride=-1 walks from the end."""
    seq = ops.parameter([2, 4, 3], np.float32)
    state = ops.parameter([2, 3], np.float32)
    step, prev = ops.parameter([2, 1, 3], np.float32), ops.parameter([2, 3], np.float32)
    total = ops.result(ops.add(prev, ops.squeeze(step, np.int64(1))))
    per_step = ops.result(ops.unsqueeze(total.input_value(0), np.int64(1)))
    ti = ov.opset1.tensor_iterator()
    ti.set_body(ov.Model([total, per_step], [step, prev]))
    ti.set_sliced_input(step, seq.output(0), -1, -1, 1, 0, 1)
    ti.set_merged_input(prev, state.output(0), total.output(0))
    last = ti.get_iter_value(total.output(0))
    steps = ti.get_concatenated_slices(per_step.output(0), -1, -1, 1, 0, 1)
    assert steps.get_partial_shape() == ov.PartialShape([2, 4, 3])
    assert ti.get_num_iterations() == 4
    x, s = rand((2, 4, 3)), rand((2, 3))
    got_last, got_steps = _compile_run(ov.Model([last, steps], [seq, state]), [x, s])
    running = s[:, None, :] + np.cumsum(x[:, ::-1, :], axis=1)
    assert_close(got_last, running[:, -1], rtol=1e-5)
    assert_close(got_steps, running[:, ::-1], rtol=1e-5)


def _slicing_loop(trip_count):
    """Per iteration i: out_i = row i of x (sliced along axis 0) + i; outputs all rows stacked."""
    x = ops.parameter([-1, 3], np.float32, name="x")
    i = ops.parameter([], np.int64)
    row = ops.parameter([1, 3], np.float32)
    shifted = ops.result(ops.add(row, ops.convert(i, "f32")))
    loop = ops.loop(trip_count, ops.constant(True))
    loop.set_function(ov.Model([shifted], [i, row]))
    loop.set_special_body_ports([0, -1])
    loop.set_sliced_input(row, x.output(0), 0, 1, 1, -1, 0)
    return loop, x, loop.get_concatenated_slices(shifted.output(0), 0, 1, 1, -1, 0)


def test_loop_with_sliced_input_and_a_runtime_trip_count():
    trips = ops.parameter([], np.int64, name="trips")
    loop, x, stacked = _slicing_loop(trips)
    assert stacked.get_partial_shape()[0].is_dynamic and loop.get_num_iterations() == -1
    data = rand((5, 3))
    for n in (5, 2, 0):
        (out,) = _compile_run(ov.Model([stacked], [x, trips]), [data, np.array(n)])
        assert_close(out, data[:n] + np.arange(n, dtype=np.float32)[:, None])


def test_loop_reports_reading_past_a_sliced_input():
    loop, x, stacked = _slicing_loop(ops.constant(np.int64(4)))
    assert loop.get_num_iterations() == 4
    with pytest.raises(RuntimeError, match="outside its length"):
        _compile_run(ov.Model([stacked], [x]), [rand((3, 3))])


def test_loop_rejects_inputs_before_its_body():
    loop = ops.loop(ops.constant(np.int64(2)), ops.constant(True))
    with pytest.raises(ValueError, match="body"):
        loop.set_invariant_input(ops.parameter([1]), ops.parameter([1]).output(0))
    with pytest.raises(ValueError, match="special_body_ports"):
        loop.set_special_body_ports([0])
