"""IR v11 writer and reader: round trips, format details, constants, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov
from vinopy.serialize import IRError, read_ir, to_bytes, write_ir

o = ov.opset13


def small_model() -> ov.Model:
    x = o.parameter([1, 3, -1, ov.Dimension(2, 10)], ov.Type.f32, name="x")
    x.output(0).set_names({"x", "in,put"})
    x.set_layout(ov.Layout("NCHW"))
    w = np.arange(3, dtype=np.float32).reshape(1, 3, 1, 1)
    y = o.multiply(o.add(x, o.constant(w)), o.constant(w.copy()), name="mul")
    y.output(0).set_names({"y"})
    y.get_rt_info()["fused_names"] = "a,b"
    model = ov.Model([y], [x], "small")
    model.set_rt_info("val", ["framework", "x"])
    model.set_rt_info("2026.1", "OpenVINO Runtime")
    return model


def test_read_write_read_is_identical() -> None:
    xml, weights = to_bytes(small_model())
    again = read_ir(xml, weights)
    assert to_bytes(again) == (xml, weights)
    param = again.get_parameters()[0]
    assert param.get_partial_shape() == ov.PartialShape("1,3,?,2..10")
    assert again.input(0).get_names() == {"x", "in,put"}
    assert param.get_layout() == ov.Layout("NCHW")
    assert again.output(0).get_names() == {"y"}
    assert again.get_rt_info(["framework", "x"]) == "val"
    assert again.get_rt_info("OpenVINO Runtime") == "2026.1"
    mul = next(n for n in again.get_ops() if n.get_friendly_name() == "mul")
    assert mul.get_rt_info()["fused_names"] == "a,b"


def test_format_matches_openvino_conventions() -> None:
    xml, weights = to_bytes(small_model())
    text = xml.decode()
    assert text.startswith('<?xml version="1.0"?>\n<net name="small" version="11">')
    assert 'shape="1,3,?,2..10"' in text and 'element_type="f32"' in text
    assert 'names="in\\,put,x"' in text and 'precision="FP32"' in text
    assert "<dim>-1</dim>" in text and 'type="Const"' in text and 'shape="1, 3, 1, 1"' in text
    assert '<attribute name="layout" version="0" layout="[N,C,H,W]" />' in text
    assert '<info name="OpenVINO Runtime" value="2026.1" />' in text
    assert len(weights) == 12  # two identical constants stored once


def test_constants_are_memory_mapped(tmp_path) -> None:
    write_ir(small_model(), tmp_path / "m.xml")
    model = ov.Core().read_model(str(tmp_path / "m.xml"))
    const = next(n for n in model.get_ops() if n.get_type_name() == "Constant")
    data = const.get_data()
    assert not data.flags.owndata and not data.flags.writeable
    np.testing.assert_array_equal(data.reshape(-1), [0, 1, 2])


def test_compress_to_fp16_adds_decompression_convert(tmp_path) -> None:
    ov.save_model(small_model(), tmp_path / "m.xml")
    text = (tmp_path / "m.xml").read_text()
    assert 'element_type="f16"' in text and 'destination_type="f32"' in text
    assert '<attribute name="decompression" version="0" />' in text
    assert (tmp_path / "m.bin").stat().st_size == 6
    model = read_ir(tmp_path / "m.xml")
    convert = next(n for n in model.get_ops() if n.get_type_name() == "Convert")
    assert convert.get_rt_info()["decompression"] is True
    assert convert.get_output_element_type(0) == ov.Type.f32


def test_fp16_compression_keeps_out_of_range_and_non_f32_constants() -> None:
    x = o.parameter([2], ov.Type.f32, name="x")
    big = o.add(x, o.constant(np.array([1e6, 1], np.float32)))
    ints = o.add(o.parameter([2], ov.Type.i64, name="i"), o.constant(np.array([1, 2], np.int64)))
    xml, _ = to_bytes(ov.Model([big, ints], name="m"), compress_to_fp16=True)
    assert b"Convert" not in xml


@pytest.mark.parametrize(
    ("values", "et"),
    [
        (np.array([1, -2, 7, -8, 3], np.int8), ov.Type.i4),
        (np.array([1, 2, 15, 0, 9], np.uint8), ov.Type.u4),
        (np.array([[True, False], [False, True]]), ov.Type.boolean),
        (np.array([1.5, -2.25], np.float16), ov.Type.bf16),
        (np.array(["ab", "c,d", ""]), ov.Type.string),
    ],
)
def test_constant_types_round_trip(values: np.ndarray, et: ov.Type) -> None:
    const = o.constant(values, dtype=et) if et.get_type_name() in ("i4", "u4", "bf16") else o.constant(values)
    model = ov.Model([const], [], "c")
    xml, weights = to_bytes(model)
    data = read_ir(xml, weights).get_results()[0].input_value(0).get_node().get_data()
    assert ov.Type.resolve(data.dtype) == et
    np.testing.assert_array_equal(data.astype(values.dtype), values)


def test_weights_as_tensor_and_dynamic_rank() -> None:
    x = o.parameter(ov.PartialShape.dynamic(), ov.Type.boolean, name="x")
    model = ov.Model([o.logical_not(x), o.constant(np.array([4], np.int32))], [x], "d")
    xml, weights = to_bytes(model)
    again = read_ir(xml, ov.Tensor(np.frombuffer(weights, np.uint8).copy()))
    assert again.input(0).get_partial_shape() == ov.PartialShape.dynamic()
    assert to_bytes(again) == (xml, weights)


# --- errors -------------------------------------------------------------------------
def _ir() -> tuple[str, bytes]:
    xml, weights = to_bytes(small_model())
    return xml.decode(), weights


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda x: x[: len(x) // 2], "not well-formed XML"),
        (lambda x: x.replace('type="Add"', 'type="NoSuchOp"'), "NoSuchOp"),
        (lambda x: x.replace('type="Add" version="opset1"', 'type="Add" version="opsetX"'), "opsetX"),
        (lambda x: x.replace('to-layer="2" to-port="0"', 'to-layer="99" to-port="0"'), "does not exist"),
        (
            lambda x: x.replace('from-layer="0" from-port="0"', 'from-layer="0" from-port="7"'),
            "no output port 7",
        ),
        (lambda x: x.replace('auto_broadcast="numpy"', 'auto_broadcast="numpy" bogus="1"', 1), "bogus"),
        (lambda x: x.replace('<net name="small" version="11">', '<net name="small" version="3">'), "version"),
    ],
)
def test_bad_xml_is_a_clear_error(mutate, message: str) -> None:
    xml, weights = _ir()
    with pytest.raises(IRError, match=message):
        read_ir(mutate(xml).encode(), weights)


def test_error_names_the_layer() -> None:
    xml, weights = _ir()
    with pytest.raises(IRError, match=r"layer id=\d+ name='Add_\d+' type=NoSuchOp"):
        read_ir(xml.replace('type="Add"', 'type="NoSuchOp"').encode(), weights)


def test_short_weights_is_a_clear_error() -> None:
    xml, weights = _ir()
    with pytest.raises(IRError, match=r"offset 0 size 12 lies beyond the end of the weights \(5 bytes\)"):
        read_ir(xml.encode(), weights[:5])


def test_missing_input_edge_is_a_clear_error() -> None:
    xml, weights = _ir()
    edges = xml.split("<edges>")[1].split("</edges>")[0]
    first = edges.strip().splitlines()[0]
    with pytest.raises(IRError, match="has no edge"):
        read_ir(xml.replace(first, "").encode(), weights)
