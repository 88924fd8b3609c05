"""CompiledModel.get_runtime_model() on CPU: the executed graph, a node per step with OpenVINO's rt_info,
and its IR as OpenVINO writes one (benchmark_app -exec_graph_path)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import F32, model_of, rand
from vinopy import opset13 as ops
from vinopy.graph import exec_model_info as info
from vinopy.quantization.range_estimation import FQParams, make_fake_quantize
from vinopy.quantization.weights import decompression, quantize_symmetric

pytestmark = pytest.mark.usefixtures("cpu_plugin")


def _conv_block(x: ov.Output) -> ov.Output:
    conv = ops.convolution(x, ops.constant(rand(8, 4, 3, 3, seed=1)), [1, 1], [1, 1], [1, 1], [1, 1])
    conv.set_friendly_name("conv")
    biased = ops.add(conv, ops.constant(rand(1, 8, 1, 1, seed=2)), name="bias")
    return ops.relu(
        ops.max_pool(ops.relu(biased, name="relu"), [2, 2], [1, 1], [0, 0], [0, 0], [2, 2]).output(0)
    )


def _layers(model: ov.Model) -> dict[str, ov.Node]:
    return {op.get_friendly_name(): op for op in model.get_ordered_ops()}


def test_a_fused_step_is_one_node_naming_the_ops_it_runs() -> None:
    compiled = ov.Core().compile_model(
        model_of(_conv_block, [(1, 4, 8, 8)]), "CPU", {**F32, "PERF_COUNT": True}
    )
    request = compiled.create_infer_request()
    request.infer([rand(1, 4, 8, 8)])
    kernels = {
        row.node_name: row.exec_type for row in request.get_profiling_info() if row.exec_type != "undef"
    }

    graph = compiled.get_runtime_model()
    layers = _layers(graph)
    conv = layers["conv"]
    assert conv.get_type_name() == "ExecutionNode"
    rt = conv.get_rt_info()
    assert rt[info.LAYER_TYPE] == "Convolution"
    assert rt[info.ORIGINAL_NAMES].split(",")[:3] == ["conv", "bias", "relu"]
    assert rt[info.IMPL_TYPE] == kernels["conv"]
    assert rt[info.RUNTIME_PRECISION] == "f32" and rt[info.OUTPUT_PRECISIONS] == "f32"
    assert "bias" not in layers and "relu" not in layers  # fused: no node of their own
    assert [op.get_type_name() for op in graph.get_ordered_ops()][0] == "Parameter"
    assert graph.get_parameters()[0].get_rt_info()[info.LAYER_TYPE] == "Input"
    assert graph.get_results()[0].get_rt_info()[info.LAYER_TYPE] == "Output"
    steps = [op for op in graph.get_ordered_ops() if op.get_type_name() == "ExecutionNode"]
    assert len(steps) == len(kernels)  # every step that ran, and nothing else
    orders = [int(op.get_rt_info()[info.EXECUTION_ORDER]) for op in graph.get_ordered_ops()]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    pool = next(op for op in steps if op.get_rt_info()[info.LAYER_TYPE] == "MaxPool")
    assert pool.input_value(0).get_node() is conv  # fed by the step that wrote its input
    result_shape = graph.get_results()[0].get_output_partial_shape(0)
    assert result_shape == compiled.outputs[0].get_partial_shape()


def _quantized_conv(x: ov.Output) -> ov.Output:
    a = make_fake_quantize(x, FQParams(0.0, 2.0, 0.0, 2.0, 256), "fq_in")
    w = np.random.default_rng(3).standard_normal((8, 4, 3, 3)).astype(np.float32)
    weights = decompression(
        quantize_symmetric(w, (1, 2, 3), 8, narrow=True, half_range=True), ov.Type.f32, "w"
    )
    conv = ops.convolution(a, weights, [1, 1], [1, 1], [1, 1], [1, 1])
    conv.set_friendly_name("qconv")
    return ops.relu(conv)


def test_an_int8_layer_says_so_in_its_runtime_precision() -> None:
    graph = ov.Core().compile_model(model_of(_quantized_conv, [(1, 4, 8, 8)]), "CPU", F32).get_runtime_model()
    rt = _layers(graph)["qconv"].get_rt_info()
    assert rt[info.RUNTIME_PRECISION] in ("u8", "i8") and "int8" in rt[info.IMPL_TYPE]


def test_the_executed_graph_is_written_as_openvino_writes_one(tmp_path) -> None:
    compiled = ov.Core().compile_model(model_of(_conv_block, [(1, 4, 8, 8)]), "CPU", F32)
    ov.serialize(compiled.get_runtime_model(), str(tmp_path / "exec.xml"))
    layers = ET.parse(tmp_path / "exec.xml").getroot().find("layers")
    by_name = {layer.get("name"): layer for layer in layers}
    assert [layer.get("type") for layer in layers][0] == "Input" and layers[-1].get("type") == "Output"
    conv = by_name["conv"]
    assert conv.get("type") == "Convolution" and conv.get("version") is None
    data = conv.find("data").attrib
    assert data["originalLayersNames"].startswith("conv,bias,relu") and data["execOrder"] == "1"


def test_template_returns_the_model_it_runs() -> None:
    model = model_of(_conv_block, [(1, 4, 8, 8)])
    graph = ov.Core().compile_model(model, "TEMPLATE").get_runtime_model()
    assert {op.get_type_name() for op in graph.get_ordered_ops()} >= {"Convolution", "Add", "Relu", "MaxPool"}


def _residual(x: ov.Output) -> ov.Output:
    first = ops.convolution(x, ops.constant(rand(4, 4, 1, 1, seed=4)), [1, 1], [0, 0], [0, 0], [1, 1])
    first.set_friendly_name("first")
    second = ops.convolution(first, ops.constant(rand(4, 4, 3, 3, seed=5)), [1, 1], [1, 1], [1, 1], [1, 1])
    second.set_friendly_name("second")
    return ops.relu(ops.add(second, first))


def test_a_residual_summed_into_a_step_is_one_of_its_inputs() -> None:
    graph = ov.Core().compile_model(model_of(_residual, [(1, 4, 8, 8)]), "CPU", F32).get_runtime_model()
    second = _layers(graph)["second"]
    assert second.get_rt_info()[info.ORIGINAL_NAMES].split(",")[0] == "second"
    sources = [v.get_node() for v in second.input_values()]
    assert len(sources) == 2  # its input and the residual it adds (each maybe through a reorder)

    def origin(node: ov.Node) -> str:
        layer = node.get_rt_info()[info.LAYER_TYPE]
        return origin(node.input_value(0).get_node()) if layer == "Reorder" else node.get_friendly_name()

    assert [origin(node) for node in sources] == ["first", "first"]
