"""Core: devices, versions, reading and compiling models, query_model, plugins."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import vinopy as ov
from tests.runtime.conftest import expected, two_input_model
from vinopy.runtime.plugin import Plugin


def test_available_devices_and_versions(core: ov.Core) -> None:
    assert "TEMPLATE" in core.available_devices and "AUTO" not in core.available_devices
    assert core.get_available_devices() == core.available_devices
    version = core.get_versions("TEMPLATE")["TEMPLATE"]
    assert version.build_number == ov.__version__ and "template" in version.description
    assert isinstance(version.major, int)


def test_compile_model_default_device_is_auto(core: ov.Core) -> None:
    compiled = core.compile_model(two_input_model())
    assert compiled.get_property("EXECUTION_DEVICES")[0] in core.available_devices
    a, b = np.ones((2, 3), np.float32), np.zeros((2, 4), np.float32)
    np.testing.assert_allclose(compiled([a, b])["out"], expected(a, b), rtol=1e-6)
    top_level = ov.compile_model(two_input_model(), "TEMPLATE")
    np.testing.assert_allclose(top_level([a, b])[0], expected(a, b), rtol=1e-6)


def test_compiled_model_ports_and_runtime_model(core: ov.Core) -> None:
    model = two_input_model()
    compiled = core.compile_model(model, "TEMPLATE")
    assert [p.get_any_name() for p in compiled.inputs] == ["a", "b"]
    assert compiled.input("b").get_partial_shape() == ov.PartialShape([2, 4])
    assert compiled.output().get_names() == {"out"} and compiled.output(0) == compiled.outputs[0]
    assert isinstance(compiled.get_runtime_model(), ov.Model)
    with pytest.raises(RuntimeError, match="Model has 2 inputs"):
        compiled.input()


def _onnx_add() -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "g", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("source", ["path", "bytes", "proto"])
def test_read_and_compile_onnx(core: ov.Core, tmp_path, source) -> None:
    proto = _onnx_add()
    path = tmp_path / "add.onnx"
    onnx.save(proto, path)
    given = {"path": str(path), "bytes": proto.SerializeToString(), "proto": proto}[source]
    model = core.read_model(given)
    np.testing.assert_array_equal(core.compile_model(model, "TEMPLATE")({"x": [1.0, 2.0]})["y"], [2, 4])
    if source == "path":  # compile_model reads paths itself
        np.testing.assert_array_equal(core.compile_model(str(path), "TEMPLATE")([[1.0, 2.0]])[0], [2, 4])


def test_unknown_device_lists_available_ones(core: ov.Core) -> None:
    with pytest.raises(
        RuntimeError, match=r"Device 'FOO' is not registered; available devices: \[.*'TEMPLATE'"
    ):
        core.compile_model(two_input_model(), "FOO")
    with pytest.raises(RuntimeError, match="Device 'FOO' is not registered"):
        core.get_property("FOO", "FULL_DEVICE_NAME")


def test_query_model_maps_every_op_to_the_device(core: ov.Core) -> None:
    model = two_input_model()
    supported = core.query_model(model, "TEMPLATE")
    assert set(supported.values()) == {"TEMPLATE"}
    assert {op.get_friendly_name() for op in model.get_ops()} == set(supported)


class EchoPlugin(Plugin):
    """A third-party device: runs nothing itself, borrows TEMPLATE's executable."""

    device_name = "ECHO"

    def compile(self, model, config):
        from vinopy.plugins.template.plugin import TemplateExecutable

        return TemplateExecutable(model)

    def query_model(self, model, config):
        return {}


def test_register_plugin(core: ov.Core) -> None:
    core.register_plugin("tests.runtime.test_core:EchoPlugin", "ECHO", {"PERF_COUNT": True})
    assert "ECHO" in core.available_devices
    assert core.get_property("ECHO", "PERF_COUNT") is True
    compiled = core.compile_model(two_input_model(), "ECHO")
    assert compiled.get_property("EXECUTION_DEVICES") == ["ECHO"]
    with pytest.raises(RuntimeError, match="'ECHO' is already registered"):
        core.register_plugin("tests.runtime.test_core:EchoPlugin", "ECHO")
    core.unload_plugin("ECHO")
    core.register_plugin("tests.runtime.no_such_module", "NOPE")
    assert "NOPE" not in core.available_devices
    with pytest.raises(RuntimeError, match="Device 'NOPE' cannot be loaded: No module named"):
        core.compile_model(two_input_model(), "NOPE")


def test_top_level_and_legacy_namespaces() -> None:
    import vinopy.properties
    import vinopy.runtime

    # OpenVINO's top level holds the runtime names too (ConstOutput, Version), with its own properties
    assert ov.ConstOutput is ov.Output and ov.Version is vinopy.runtime.Version
    assert ov.properties is vinopy.properties and vinopy.runtime.properties is not vinopy.properties
    assert set(vinopy.runtime.__all__) <= set(ov.__all__)
    assert all(hasattr(ov, name) for name in ov.__all__)
    assert all(hasattr(vinopy.runtime, name) for name in vinopy.runtime.__all__)
