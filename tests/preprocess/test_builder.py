"""PrePostProcessor against real OpenVINO's: the same model and steps give the same outputs."""

import numpy as np
import openvino as real
import pytest

import vinopy as ov
from tests.utils import assert_close


def _models(shape):
    """The same conv-free model in both toolkits: y = x * 2 (keeps the check about preprocessing)."""
    ours_p = ov.opset13.parameter(shape, ov.Type.f32, name="x")
    ours = ov.Model([ov.opset13.multiply(ours_p, np.float32(2))], [ours_p], "m")
    ref_p = real.opset13.parameter(shape, real.Type.f32, name="x")
    ref = real.Model([real.opset13.multiply(ref_p, np.float32(2))], [ref_p], "m")
    return ours, ref


def _apply(module, model, configure):
    ppp = module.preprocess.PrePostProcessor(model)
    configure(module, ppp)
    return ppp.build()


def _run_both(shape, configure, data):
    ours, ref = _models(shape)
    ours = _apply(ov, ours, configure)
    ref = _apply(real, ref, configure)
    got = ov.Core().compile_model(ours, "TEMPLATE")(data)[0]
    expected = real.Core().compile_model(ref, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(data)[0]
    ours_type, ref_type = ours.inputs[0].get_element_type(), ref.inputs[0].get_element_type()
    assert ours_type.get_type_name() == ref_type.get_type_name()
    assert str(ours.inputs[0].get_partial_shape()) == str(ref.inputs[0].get_partial_shape())
    return got, expected


def test_u8_nhwc_bgr_to_f32_nchw_rgb_with_mean_scale():
    def configure(m, ppp):
        ppp.input().tensor().set_element_type(m.Type.u8).set_layout(m.Layout("NHWC")).set_color_format(
            m.preprocess.ColorFormat.BGR
        )
        ppp.input().model().set_layout(m.Layout("NCHW"))
        steps = ppp.input().preprocess().convert_element_type(m.Type.f32)
        steps.convert_color(m.preprocess.ColorFormat.RGB).mean([1.0, 2.0, 3.0]).scale([2.0, 4.0, 8.0])

    data = np.random.default_rng(0).integers(0, 255, size=(1, 4, 5, 3)).astype(np.uint8)
    got, expected = _run_both([1, 3, 4, 5], configure, data)
    assert_close(got, expected, rtol=1e-5)


def test_resize_from_dynamic_spatial_shape():
    def configure(m, ppp):
        ppp.input().tensor().set_spatial_dynamic_shape().set_layout(m.Layout("NCHW"))
        ppp.input().model().set_layout(m.Layout("NCHW"))
        ppp.input().preprocess().resize(m.preprocess.ResizeAlgorithm.RESIZE_LINEAR)

    data = np.random.default_rng(1).random((1, 3, 8, 10)).astype(np.float32)
    got, expected = _run_both([1, 3, 4, 5], configure, data)
    assert got.shape == (1, 3, 4, 5)
    assert_close(got, expected, rtol=1e-4, atol=1e-5)


def test_output_postprocess_type_and_layout():
    def configure(m, ppp):
        ppp.output().model().set_layout(m.Layout("NCHW"))
        ppp.output().tensor().set_layout(m.Layout("NHWC")).set_element_type(m.Type.f16)

    data = np.random.default_rng(2).random((1, 3, 2, 2)).astype(np.float32)
    got, expected = _run_both([1, 3, 2, 2], configure, data)
    assert got.dtype == np.float16 and got.shape == (1, 2, 2, 3)
    assert_close(got.astype(np.float32), expected.astype(np.float32), rtol=1e-3)


def test_custom_step_and_names_are_kept():
    model, _ = _models([2, 3])
    model.inputs[0].get_tensor().set_names({"input_tensor"})
    ppp = ov.preprocess.PrePostProcessor(model)
    ppp.input("input_tensor").preprocess().custom(lambda out: ov.opset13.relu(out))
    built = ppp.build()
    assert built.inputs[0].get_names() == {"input_tensor"}
    data = np.array([[-1, 2, -3], [4, -5, 6]], dtype=np.float32)
    assert_close(ov.Core().compile_model(built, "TEMPLATE")(data)[0], np.maximum(data, 0) * 2)


def test_mean_on_integer_tensor_is_a_clear_error():
    model, _ = _models([1, 3, 2, 2])
    ppp = ov.preprocess.PrePostProcessor(model)
    ppp.input().tensor().set_element_type(ov.Type.u8)
    ppp.input().preprocess().mean(1.0)
    with pytest.raises(ValueError, match="floating-point"):
        ppp.build()


def test_per_channel_mean_needs_channel_layout():
    model, _ = _models([1, 3, 2, 2])
    ppp = ov.preprocess.PrePostProcessor(model)
    ppp.input().preprocess().mean([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="'C'"):
        ppp.build()


def test_build_changes_the_model_in_place():
    model, _ = _models([1, 3, 2, 2])
    ppp = ov.preprocess.PrePostProcessor(model)
    ppp.input().tensor().set_element_type(ov.Type.u8)
    assert ppp.build() is model
    assert model.inputs[0].get_element_type() == ov.Type.u8
    data = np.full((1, 3, 2, 2), 3, dtype=np.uint8)
    assert_close(ov.Core().compile_model(model, "TEMPLATE")(data)[0], np.full((1, 3, 2, 2), 6, np.float32))
