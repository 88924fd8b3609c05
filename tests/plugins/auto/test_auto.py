"""AUTO: picks CPU when it works, else falls back to TEMPLATE and says why."""

import numpy as np
import pytest

import vinopy as ov
import vinopy.properties as props
import vinopy.properties.device as device
from vinopy.runtime.plugin import Plugin

ops = ov.opset13


def small_model() -> ov.Model:
    x = ops.parameter([1, 4], np.float32, name="x")
    return ov.Model(ops.relu(ops.add(x, x)), [x], "small")


class BrokenPlugin(Plugin):
    device_name = "BROKEN"

    def compile(self, model, config):
        raise NotImplementedError("op Relu is not supported")

    def query_model(self, model, config):
        return {}


class MissingPlugin(BrokenPlugin):
    def is_available(self):
        return False, "no hardware"


def test_auto_prefers_cpu_when_it_works() -> None:
    core = ov.Core()
    compiled = core.compile_model(small_model(), "AUTO")
    devices = compiled.get_property(props.execution_devices())
    if "CPU" in core.available_devices:
        assert devices == ["CPU"]
    else:
        assert devices == ["TEMPLATE"]
        assert "CPU skipped" in str(devices)
    np.testing.assert_array_equal(compiled([np.array([[-1, 0, 1, 2]], np.float32)])[0], [[0, 0, 2, 4]])


@pytest.mark.parametrize(
    ("plugin", "reason"),
    [
        ("BrokenPlugin", "BROKEN skipped: op Relu is not supported"),
        ("MissingPlugin", "BROKEN skipped: Device 'BROKEN' is not available: no hardware"),
        ("NoSuchPlugin", "BROKEN skipped: Device 'BROKEN' cannot be loaded"),
    ],
)
def test_auto_falls_back_and_says_why(plugin: str, reason: str) -> None:
    core = ov.Core()
    core.register_plugin(f"tests.plugins.auto.test_auto:{plugin}", "BROKEN")
    compiled = core.compile_model(small_model(), "AUTO:BROKEN,TEMPLATE")
    devices = compiled.get_property("EXECUTION_DEVICES")
    assert devices == ["TEMPLATE"]
    assert reason in str(devices)


def test_auto_passes_settings_to_the_chosen_device() -> None:
    core = ov.Core()
    compiled = core.compile_model(
        small_model(),
        "AUTO",
        {
            device.priorities("TEMPLATE"): None or "TEMPLATE",
            props.enable_profiling(): True,
            "PERFORMANCE_HINT": "THROUGHPUT",
        },
    )
    assert compiled.get_property("PERF_COUNT") is True
    assert compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS") > 1
    per_device = core.compile_model(
        small_model(),
        "AUTO",
        {
            device.priorities(): "TEMPLATE",
            device.properties(): {"TEMPLATE": {props.num_streams(): 3}},
        },
    )
    assert per_device.get_property(props.num_streams()) == 3


def test_auto_with_no_usable_device_names_each_failure() -> None:
    core = ov.Core()
    core.register_plugin("tests.plugins.auto.test_auto:BrokenPlugin", "BROKEN")
    with pytest.raises(RuntimeError, match="AUTO found no device.*BROKEN skipped: op Relu"):
        core.compile_model(small_model(), "AUTO:BROKEN")


def test_auto_device_properties() -> None:
    core = ov.Core()
    assert core.get_property("AUTO", device.full_name()) == "Auto device"
    assert core.get_property("AUTO", "SUPPORTED_PROPERTIES")["MULTI_DEVICE_PRIORITIES"] == "RW"
    assert core.query_model(small_model(), "AUTO:TEMPLATE")
