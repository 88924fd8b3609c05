"""InferRequest: inputs keyed every way OpenVINO allows, tensors, sharing, profiling and errors."""

import numpy as np
import pytest

import vinopy as ov
import vinopy.properties as props
from tests.runtime.conftest import expected, two_input_model

RNG = np.random.default_rng(1)
A = RNG.standard_normal((2, 3)).astype(np.float32)
B = RNG.standard_normal((2, 4)).astype(np.float32)


@pytest.fixture
def compiled(core: ov.Core, model: ov.Model) -> ov.CompiledModel:
    return core.compile_model(model, "TEMPLATE")


@pytest.mark.parametrize(
    "make_inputs",
    [
        lambda cm: {"a": A, "b": B},
        lambda cm: {0: A, 1: B},
        lambda cm: {cm.input("a"): A, cm.input(1): B},
        lambda cm: [A, B],
        lambda cm: (ov.Tensor(A), ov.Tensor(B)),
    ],
)
def test_infer_accepts_every_key_kind(compiled: ov.CompiledModel, make_inputs) -> None:
    result = compiled.create_infer_request().infer(make_inputs(compiled))
    np.testing.assert_allclose(result["out"], expected(A, B), rtol=1e-6)
    np.testing.assert_allclose(result[0], result[compiled.output(0)])
    assert isinstance(result, ov.OVDict) and len(result) == 1


def test_compiled_model_call_and_single_array_input(core: ov.Core) -> None:
    x = ov.opset13.parameter([3], np.float32, name="x")
    compiled = core.compile_model(ov.Model(ov.opset13.multiply(x, x), [x]), "TEMPLATE")
    np.testing.assert_array_equal(compiled(np.array([1, 2, 3], np.float32))[0], [1, 4, 9])
    np.testing.assert_array_equal(compiled.infer_new_request({0: [2, 2, 2]})[0], [4, 4, 4])


def test_tensors_get_set_and_results(compiled: ov.CompiledModel) -> None:
    request = compiled.create_infer_request()
    request.get_input_tensor(0).data[:] = A
    request.set_tensor("b", ov.Tensor(B))
    request.infer()
    np.testing.assert_allclose(request.get_output_tensor().data, expected(A, B), rtol=1e-6)
    np.testing.assert_allclose(request.get_tensor("out").data, request.results["out"])
    assert request.get_tensor(compiled.input(1)).shape == ov.Shape([2, 4])
    assert request.latency > 0


def test_share_inputs_and_outputs(compiled: ov.CompiledModel) -> None:
    request = compiled.create_infer_request()
    a = A.copy()
    shared = request.infer({"a": a, "b": B}, share_inputs=True, share_outputs=True)
    assert np.shares_memory(request.get_input_tensor(0).data, a)
    assert np.shares_memory(shared["out"], request.get_output_tensor(0).data)
    copied = request.infer({"a": a, "b": B})
    assert not np.shares_memory(request.get_input_tensor(0).data, a)
    assert not np.shares_memory(copied["out"], request.get_output_tensor(0).data)


def test_output_tensor_given_by_user_is_filled(compiled: ov.CompiledModel) -> None:
    request = compiled.create_infer_request()
    out = ov.Tensor(np.zeros((2, 4), np.float32))
    request.set_output_tensor(0, out)
    request.infer([A, B])
    np.testing.assert_allclose(out.data, expected(A, B), rtol=1e-6)


@pytest.mark.parametrize("device", ["TEMPLATE", "CPU"])
def test_output_tensor_set_after_runs_is_filled(core: ov.Core, model: ov.Model, device: str) -> None:
    """The request wraps a static plan's output arrays once; a tensor set later still gets results."""
    config = {"INFERENCE_PRECISION_HINT": "f32"} if device == "CPU" else {}
    request = core.compile_model(model, device, config).create_infer_request()
    request.infer([A, B])
    wrapped = request.get_output_tensor(0)
    np.testing.assert_allclose(request.infer([-A, B])["out"], expected(-A, B), rtol=1e-6, atol=1e-6)
    if device == "CPU":  # its static plan writes the same memory each run, wrapped once
        assert request.get_output_tensor(0) is wrapped
    out = ov.Tensor(np.zeros((2, 4), np.float32))
    request.set_output_tensor(0, out)
    for a in (A, 2 * A):
        request.infer([a, B])
        np.testing.assert_allclose(out.data, expected(a, B), rtol=1e-6, atol=1e-6)
        assert request.get_output_tensor(0) is out


def test_f64_is_converted_to_f32(compiled: ov.CompiledModel) -> None:
    result = compiled.create_infer_request().infer({"a": A.astype(np.float64), "b": B.astype(np.float64)})
    assert result[0].dtype == np.float32
    np.testing.assert_allclose(result[0], expected(A, B), rtol=1e-6)


@pytest.mark.parametrize(
    ("inputs", "error", "message"),
    [
        ({"a": A}, ValueError, r"input 'b' is not set: expected f32\[2,4\]"),
        ({"a": A, "c": B}, KeyError, r"no input named 'c'.*\['a'\], \['b'\]"),
        ({"a": A[0], "b": B}, ValueError, r"input 'a' has shape \[3\] \(rank 1\); the model expects \[2,3\]"),
        ({"a": A, "b": B[:, :3]}, ValueError, r"input 'b' .*dimension 1 is 3, expected 4"),
        ({"a": A.astype(np.int8) > 0, "b": B}, ValueError, None),  # bool -> f32 is allowed: no error
        (
            {"a": np.array([["x"] * 3] * 2), "b": B},
            TypeError,
            r"input 'a' has element type <U1; the model expects f32",
        ),
        ({"a": ov.Tensor(A.astype(np.int32)), "b": B}, TypeError, r"input 'a' has element type i32"),
        ([A, B, B], ValueError, r"3 inputs given; the model has 2"),
    ],
)
def test_bad_inputs_raise_clear_errors(compiled: ov.CompiledModel, inputs, error, message) -> None:
    request = compiled.create_infer_request()
    if message is None:
        request.infer(inputs)
        return
    with pytest.raises(error, match=message):
        request.infer(inputs)


def test_dynamic_input_accepts_any_size(core: ov.Core) -> None:
    x = ov.opset13.parameter([-1, 2], np.float32, name="x")
    compiled = core.compile_model(ov.Model(ov.opset13.relu(x), [x]), "TEMPLATE")
    for rows in (1, 5):
        assert compiled({"x": np.ones((rows, 2), np.float32)})[0].shape == (rows, 2)
    with pytest.raises(ValueError, match="dimension 1 is 3, expected 2"):
        compiled({"x": np.ones((1, 3), np.float32)})


def test_profiling_info(core: ov.Core) -> None:
    compiled = core.compile_model(two_input_model(), "TEMPLATE", {props.enable_profiling(): True})
    request = compiled.create_infer_request()
    request.infer([A, B])
    rows = request.get_profiling_info()
    by_type = {row.node_type: row for row in rows}
    assert {"Parameter", "MatMul", "Add", "Relu", "Result"} <= set(by_type)
    assert by_type["MatMul"].status == ov.ProfilingInfo.Status.EXECUTED
    assert by_type["Parameter"].status == ov.ProfilingInfo.Status.NOT_RUN
    assert by_type["Relu"].node_name == "out" and by_type["Relu"].exec_type == "ref_f32"
    assert (
        by_type["MatMul"].real_time.total_seconds() > 0
        and by_type["MatMul"].cpu_time >= by_type["Parameter"].cpu_time
    )
    assert request.profiling_info == rows
    silent = core.compile_model(two_input_model(), "TEMPLATE").create_infer_request()
    silent.infer([A, B])
    assert silent.get_profiling_info() == []


def test_async_with_callback_and_wait(compiled: ov.CompiledModel) -> None:
    request = compiled.create_infer_request()
    seen = []
    request.set_callback(
        lambda userdata: seen.append((userdata, request.get_output_tensor().data.sum())), "job"
    )
    request.start_async({"a": A, "b": B})
    request.wait()
    assert seen == [("job", pytest.approx(expected(A, B).sum(), rel=1e-5))]
    request.start_async([A, B], userdata=7)
    assert request.wait_for(10_000)
    assert request.userdata == 7


def test_async_error_is_raised_by_wait_and_bad_input_at_start(compiled: ov.CompiledModel) -> None:
    request = compiled.create_infer_request()
    with pytest.raises(ValueError, match="input 'b' is not set"):
        request.start_async({"a": A})

    def fail(_userdata):
        raise RuntimeError("callback failed")

    request.set_callback(fail)
    request.start_async([A, B])
    with pytest.raises(RuntimeError, match="callback failed"):
        request.wait()
    request.wait()  # the error is reported once


def test_output_that_is_an_input_never_writes_into_the_callers_array():
    param = ov.opset13.parameter([2], ov.Type.f32, name="x")
    compiled = ov.Core().compile_model(ov.Model([param], [param], "identity"), "TEMPLATE")
    first = np.array([1, 2], dtype=np.float32)
    compiled(first)
    compiled(np.array([5, 6], dtype=np.float32))
    np.testing.assert_array_equal(first, [1, 2])


def test_input_names_stay_right_after_a_first_lookup(compiled: ov.CompiledModel) -> None:
    request = compiled.create_infer_request()
    for _ in range(2):  # the second call finds the names already looked up
        np.testing.assert_allclose(request.infer({"b": B, "a": A})["out"], expected(A, B), rtol=1e-6)
    with pytest.raises(KeyError, match="no input named 'c'"):
        request.infer({"a": A, "c": B})
    with pytest.raises(TypeError, match="named by int, str or Output, not bool"):
        request.infer({True: A})
    assert request.infer([A, B])[-1] is not None


def test_unshared_input_memory_keeps_the_ports_element_type(core: ov.Core) -> None:
    flags = ov.opset13.parameter([3], ov.Type.boolean, name="flags")
    compiled = core.compile_model(ov.Model([ov.opset13.logical_not(flags)], [flags]), "TEMPLATE")
    request = compiled.create_infer_request()
    for value in ([True, False, True], [False, False, True]):
        got = request.infer(np.array(value))[0]
        np.testing.assert_array_equal(got, np.logical_not(value))
        assert request.get_input_tensor(0).get_element_type() == ov.Type.boolean
