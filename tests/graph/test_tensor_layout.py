"""Tensor and Layout behave as OpenVINO's (checked against the installed openvino where cheap)."""

import numpy as np
import openvino
import pytest

import vinopy as ov

A = np.arange(6, dtype=np.float32).reshape(2, 3)


@pytest.mark.parametrize("api", [ov, openvino], ids=["vinopy", "openvino"])
def test_tensor_constructors(api) -> None:
    assert list(api.Tensor(A).shape) == [2, 3]
    assert api.Tensor(api.Type.i32, [2, 2]).data.dtype == np.int32
    assert api.Tensor(np.float32, [1, 2]).element_type == api.Type.f32
    assert api.Tensor([1.0, 2.0]).element_type == api.Type.f64
    assert api.Tensor([1, 2]).element_type == api.Type.i64
    assert api.Tensor(np.array([True])).element_type == api.Type.boolean
    view = api.Tensor(np.zeros(8, np.uint8), api.Shape([2]), api.Type.f32)
    assert list(view.shape) == [2] and view.data.dtype == np.float32


@pytest.mark.parametrize("api", [ov, openvino], ids=["vinopy", "openvino"])
def test_tensor_memory_sharing_and_sizes(api) -> None:
    assert np.shares_memory(api.Tensor(A, shared_memory=True).data, A)
    assert not np.shares_memory(api.Tensor(A).data, A)
    with pytest.raises(RuntimeError):
        api.Tensor(A[:, ::2], shared_memory=True)
    t = api.Tensor(A)
    assert (t.size, t.get_size(), t.byte_size, t.get_byte_size()) == (6, 6, 24, 24)
    assert list(t.strides) == [12, 4] and t.is_continuous()
    assert api.Tensor(A[:, ::2]).is_continuous()  # the strided view is copied into a dense tensor


@pytest.mark.parametrize("api", [ov, openvino], ids=["vinopy", "openvino"])
def test_tensor_shape_and_copies(api) -> None:
    t = api.Tensor(api.Type.f32, [2, 3])
    t.shape = [3, 2]
    assert list(t.get_shape()) == [3, 2]
    src, dst = api.Tensor(A), api.Tensor(api.Type.f32, [2, 3])
    src.copy_to(dst)
    np.testing.assert_array_equal(dst.data, A)
    assert api.Tensor(A).data.sum() == A.sum()


def test_view_larger_than_buffer_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"f32\[4\] needs 16 bytes, the array has 8"):
        ov.Tensor(np.zeros(8, np.uint8), ov.Shape([4]), ov.Type.f32)


@pytest.mark.parametrize("api", [ov, openvino], ids=["vinopy", "openvino"])
def test_layout_parsing_and_indices(api) -> None:
    assert api.Layout("NCHW").to_string() == "[N,C,H,W]"
    assert api.Layout("nchw") == api.Layout("[N,C,H,W]")
    assert api.Layout("N...C").to_string() == "[N,...,C]"
    assert api.Layout("[batch,?,width]").to_string() == "[N,?,W]"
    assert api.Layout("N...C").get_index_by_name("C") == -1
    assert api.Layout("NCHW").get_index_by_name("H") == 2 and api.Layout("NCHW").has_name("W")
    assert api.Layout().empty and not api.Layout("NC").empty
    assert str(api.Layout.scalar()) == "**SCALAR**" and repr(api.Layout("NC")) == "<Layout: [N,C]>"
    with pytest.raises(RuntimeError):
        api.Layout("NCHN")
    with pytest.raises(RuntimeError):
        api.Layout("NCHW").get_index_by_name("D")


@pytest.mark.parametrize("api", [ov, openvino], ids=["vinopy", "openvino"])
def test_layout_helpers(api) -> None:
    helpers = api.layout_helpers
    assert helpers.batch_idx(api.Layout("NCHW")) == 0 and helpers.width_idx(api.Layout("NCHW")) == 3
    assert helpers.channels_idx(api.Layout("N...C")) == -1
    assert helpers.has_depth(api.Layout("NCDHW")) and not helpers.has_depth(api.Layout("NCHW"))
    p = api.opset13.parameter([1, 3, 4, 4], np.float32, name="p")
    p.set_layout(api.Layout("NCHW"))
    model = api.Model(api.opset13.relu(p), [p])
    assert helpers.get_layout(model.input(0)) == api.Layout("NCHW")


def test_layout_empty_can_also_be_called() -> None:
    assert ov.Layout().empty() is True and ov.Layout("C").empty() is False
