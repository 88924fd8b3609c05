"""ov.properties: keys and pairs, value types, scopes, read-only and unknown keys."""

import pytest

import vinopy as ov
import vinopy.properties as props
import vinopy.properties.device as device
import vinopy.properties.hint as hints
import vinopy.properties.log as log
import vinopy.properties.streams as streams
from tests.runtime.conftest import two_input_model


@pytest.mark.parametrize(
    ("prop", "key"),
    [
        (props.enable_profiling, "PERF_COUNT"),
        (props.cache_dir, "CACHE_DIR"),
        (props.num_streams, "NUM_STREAMS"),
        (props.inference_num_threads, "INFERENCE_NUM_THREADS"),
        (props.compilation_num_threads, "COMPILATION_NUM_THREADS"),
        (props.affinity, "AFFINITY"),
        (props.available_devices, "AVAILABLE_DEVICES"),
        (props.supported_properties, "SUPPORTED_PROPERTIES"),
        (props.optimal_number_of_infer_requests, "OPTIMAL_NUMBER_OF_INFER_REQUESTS"),
        (props.execution_devices, "EXECUTION_DEVICES"),
        (props.model_name, "NETWORK_NAME"),
        (props.loaded_from_cache, "LOADED_FROM_CACHE"),
        (props.enable_mmap, "ENABLE_MMAP"),
        (hints.performance_mode, "PERFORMANCE_HINT"),
        (hints.inference_precision, "INFERENCE_PRECISION_HINT"),
        (hints.execution_mode, "EXECUTION_MODE_HINT"),
        (hints.num_requests, "PERFORMANCE_HINT_NUM_REQUESTS"),
        (hints.enable_cpu_pinning, "ENABLE_CPU_PINNING"),
        (hints.enable_hyper_threading, "ENABLE_HYPER_THREADING"),
        (hints.model_priority, "MODEL_PRIORITY"),
        (streams.num, "NUM_STREAMS"),
        (device.full_name, "FULL_DEVICE_NAME"),
        (device.architecture, "DEVICE_ARCHITECTURE"),
        (device.type, "DEVICE_TYPE"),
        (device.capabilities, "OPTIMIZATION_CAPABILITIES"),
        (device.priorities, "MULTI_DEVICE_PRIORITIES"),
        (device.id, "DEVICE_ID"),
        (device.properties, "DEVICE_PROPERTIES"),
        (log.level, "LOG_LEVEL"),
    ],
)
def test_keys_match_openvino(prop, key) -> None:
    assert prop() == key


def test_pairs_and_read_only_functions() -> None:
    assert props.enable_profiling(True) == ("PERF_COUNT", True)
    assert hints.performance_mode(hints.PerformanceMode.THROUGHPUT) == (
        "PERFORMANCE_HINT",
        hints.PerformanceMode.THROUGHPUT,
    )
    assert device.priorities("CPU", "TEMPLATE") == ("MULTI_DEVICE_PRIORITIES", "CPU,TEMPLATE")
    assert device.properties({"TEMPLATE": {props.enable_profiling(): True}}) == (
        "DEVICE_PROPERTIES",
        {"TEMPLATE": {"PERF_COUNT": True}},
    )
    with pytest.raises(TypeError, match="read-only"):
        props.available_devices(["CPU"])


def test_enums_as_openvino_shows_them() -> None:
    mode = hints.PerformanceMode.THROUGHPUT
    assert (str(mode), mode.name, int(mode)) == ("PerformanceMode.THROUGHPUT", "THROUGHPUT", 2)
    assert [m.name for m in hints.PerformanceMode] == ["LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT"]
    assert hints.Priority.DEFAULT is hints.Priority.MEDIUM
    assert streams.Num.AUTO.to_integer() == -1 and streams.Num.NUMA.to_integer() == -2
    assert streams.Num(3).to_integer() == 3
    assert int(log.Level.DEBUG) == 3 and device.Capability.FP32 == "FP32"
    assert [t.name for t in device.Type] == ["INTEGRATED", "DISCRETE"]


def test_device_properties_have_openvino_value_types(core: ov.Core) -> None:
    assert core.get_property("TEMPLATE", hints.performance_mode()) == hints.PerformanceMode.LATENCY
    assert core.get_property("TEMPLATE", hints.inference_precision()) == ov.Type.f32
    assert core.get_property("TEMPLATE", props.enable_profiling()) is False
    assert core.get_property("TEMPLATE", props.num_streams()) == 1
    assert core.get_property("TEMPLATE", log.level()) == log.Level.NO
    assert isinstance(core.get_property("TEMPLATE", device.full_name()), str)
    assert core.get_property("TEMPLATE", device.type()) == device.Type.INTEGRATED
    assert "FP32" in core.get_property("TEMPLATE", device.capabilities())
    supported = core.get_property("TEMPLATE", props.supported_properties())
    assert supported["FULL_DEVICE_NAME"] == "RO" and supported["PERF_COUNT"] == "RW"
    assert supported["SUPPORTED_PROPERTIES"] == "RO"


def test_set_property_parses_strings_and_pairs(core: ov.Core) -> None:
    core.set_property("TEMPLATE", {"PERFORMANCE_HINT": "THROUGHPUT", "PERF_COUNT": "YES"})
    assert core.get_property("TEMPLATE", "PERFORMANCE_HINT") is hints.PerformanceMode.THROUGHPUT
    assert core.get_property("TEMPLATE", "PERF_COUNT") is True
    core.set_property("TEMPLATE", hints.inference_precision("f32"))
    assert core.get_property("TEMPLATE", "INFERENCE_PRECISION_HINT") == ov.Type.f32
    core.set_property("TEMPLATE", {log.level(): "LOG_DEBUG", streams.num(): streams.Num(3)})
    assert core.get_property("TEMPLATE", log.level()) is log.Level.DEBUG
    assert core.get_property("TEMPLATE", streams.num()) == 3


def test_core_wide_properties(core: ov.Core, tmp_path) -> None:
    assert core.get_property(props.cache_dir()) == ""
    assert core.get_property(props.enable_mmap()) is True
    core.set_property({props.enable_profiling(): True, props.enable_mmap(): False})
    assert core.get_property("TEMPLATE", props.enable_profiling()) is True  # every device gets it
    assert core.get_property(props.enable_mmap()) is False
    with pytest.raises(RuntimeError, match="'PERF_COUNT' is not supported by the core"):
        core.get_property("PERF_COUNT")


def test_device_properties_per_device(core: ov.Core) -> None:
    core.set_property(device.properties({"TEMPLATE": {props.enable_profiling(): True}}))
    assert core.get_property("TEMPLATE", "PERF_COUNT") is True


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda c: c.set_property("TEMPLATE", {"FULL_DEVICE_NAME": "x"}),
            "'FULL_DEVICE_NAME' of device TEMPLATE is read-only",
        ),
        (lambda c: c.set_property("TEMPLATE", {"FOO": 1}), "'FOO' is not supported by device TEMPLATE"),
        (lambda c: c.get_property("TEMPLATE", "FOO"), "'FOO' is not supported by device TEMPLATE"),
        (lambda c: c.set_property({"FOO": 1}), "'FOO' is not supported by the core or any device"),
        (
            lambda c: c.compile_model(two_input_model(), "TEMPLATE", {"FOO": 1}),
            "'FOO' is not supported by device TEMPLATE",
        ),
        (
            lambda c: c.set_property("TEMPLATE", {"PERFORMANCE_HINT": "FAST"}),
            "Bad value for property 'PERFORMANCE_HINT'",
        ),
        (lambda c: c.set_property("TEMPLATE", {"NUM_STREAMS": -5}), "Bad value for property 'NUM_STREAMS'"),
    ],
)
def test_bad_properties_raise_naming_them(core: ov.Core, call, message) -> None:
    with pytest.raises((RuntimeError, ValueError), match=message):
        call(core)


def test_compiled_model_properties(core: ov.Core) -> None:
    compiled = core.compile_model(two_input_model(), "TEMPLATE", {props.enable_profiling(): True})
    assert compiled.get_property(props.model_name()) == "two_inputs"
    assert compiled.get_property(props.enable_profiling()) is True
    assert compiled.get_property(props.execution_devices()) == ["TEMPLATE"]
    assert compiled.get_property(props.loaded_from_cache()) is False
    assert compiled.get_property(props.optimal_number_of_infer_requests()) == 1
    supported = compiled.get_property(props.supported_properties())
    assert supported["NETWORK_NAME"] == "RO" and supported["PERF_COUNT"] == "RO"
    with pytest.raises(RuntimeError, match="'PERF_COUNT' of the model compiled for TEMPLATE is read-only"):
        compiled.set_property({props.enable_profiling(): False})
    with pytest.raises(RuntimeError, match="'FOO' is not supported"):
        compiled.get_property("FOO")


def test_throughput_hint_gives_several_requests(core: ov.Core) -> None:
    compiled = core.compile_model(
        two_input_model(), "TEMPLATE", {hints.performance_mode(): hints.PerformanceMode.THROUGHPUT}
    )
    streams_used = compiled.get_property(props.num_streams())
    assert streams_used >= 2
    assert compiled.get_property(props.optimal_number_of_infer_requests()) == streams_used
    capped = core.compile_model(
        two_input_model(), "TEMPLATE", {hints.performance_mode(): "THROUGHPUT", hints.num_requests(): 1}
    )
    assert capped.get_property(props.optimal_number_of_infer_requests()) == 1
    explicit = core.compile_model(two_input_model(), "TEMPLATE", {props.num_streams(): streams.Num(3)})
    assert explicit.get_property(props.optimal_number_of_infer_requests()) == 3


def test_legacy_runtime_namespace() -> None:
    import vinopy.runtime
    from vinopy.runtime import Core, Model, PartialShape, Tensor, Type, opset13, properties

    assert opset13 is ov.opset13 and vinopy.runtime.opset8 is ov.opset8
    assert (Core, Model, Tensor, Type, PartialShape) == (
        ov.Core,
        ov.Model,
        ov.Tensor,
        ov.Type,
        ov.PartialShape,
    )
    assert properties.hint.performance_mode() == "PERFORMANCE_HINT"
    assert properties.enable_profiling(True) == ("PERF_COUNT", True)
