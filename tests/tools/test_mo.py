"""vinopy.tools.mo: Model Optimizer's options checked against the same arithmetic in numpy."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import vinopy as ov
from tests.tools.test_convert import run
from vinopy.tools import cli, mo
from vinopy.tools.mo import parse_input_shapes, parse_layouts, parse_values

RNG = np.random.default_rng(5)
W = np.random.default_rng(0).standard_normal((4, 3, 1, 1)).astype(np.float32)


def conv_model(batch: int | str = 1) -> onnx.ModelProto:
    """A 1x1 conv over data[batch,3,5,5]: outputs depend on each input channel differently."""
    graph = helper.make_graph(
        [helper.make_node("Conv", ["data", "w"], ["out"])],
        "conv",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [batch, 3, 5, 5])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(W, "w")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def conv_ref(x_nchw: np.ndarray) -> np.ndarray:
    return np.einsum("nchw,oc->nohw", x_nchw, W[:, :, 0, 0])


MEAN = np.array([0.5, -1.0, 2.0], np.float32)
SCALE = np.array([2.0, 4.0, 0.5], np.float32)


def _c(values: np.ndarray) -> np.ndarray:
    return values.reshape(1, 3, 1, 1)


def test_parsers() -> None:
    assert parse_values("[1,2,3]", "m") == [(None, [1.0, 2.0, 3.0])]
    assert parse_values("data[1,2,3],info[4]", "m") == [("data", [1.0, 2.0, 3.0]), ("info", [4.0])]
    assert parse_values({"data": 255}, "m") == [("data", [255.0])]
    assert parse_values("255", "m") == [(None, [255.0])]
    assert parse_layouts("data(nchw->nhwc)", "layout") == [("data", "nchw", "nhwc")]
    assert parse_layouts({"data": "nchw"}, "layout") == [("data", "nchw", None)]
    assert parse_layouts("nhwc", "target_layout") == [(None, None, "nhwc")]
    assert parse_input_shapes("[1,3,224,224],[1,?]") == [
        ov.PartialShape([1, 3, 224, 224]),
        ov.PartialShape("1,?"),
    ]
    assert parse_input_shapes([1, 3]) == [ov.PartialShape([1, 3])]
    with pytest.raises(ValueError, match="Cannot parse mean_values"):
        parse_values("[1,x]", "mean_values")
    with pytest.raises(ValueError, match="Cannot parse mean_values"):
        parse_values("a[1],junk", "mean_values")


@pytest.mark.parametrize("reverse", [False, True])
def test_mean_scale_reverse_channels(reverse: bool) -> None:
    model = mo.convert_model(
        conv_model(), mean_values=MEAN.tolist(), scale_values="[2,4,0.5]", reverse_input_channels=reverse
    )
    x = RNG.standard_normal((1, 3, 5, 5)).astype(np.float32)
    seen = x[:, ::-1] if reverse else x  # channels reversed first, then mean, then scale
    np.testing.assert_allclose(
        run(model, x)[0], conv_ref((seen - _c(MEAN)) / _c(SCALE)), rtol=1e-5, atol=1e-5
    )


def test_scalar_scale_by_name() -> None:
    model = mo.convert_model(conv_model(), scale_values={"data": 255})
    x = RNG.uniform(0, 255, (1, 3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(run(model, x)[0], conv_ref(x / 255), rtol=1e-5, atol=1e-5)


def test_layout_conversion_and_batch() -> None:
    model = mo.convert_model(conv_model(), layout="data(nchw->nhwc)", batch=2, mean_values="data[0.5,-1,2]")
    assert model.input(0).get_partial_shape() == ov.PartialShape([2, 5, 5, 3])
    x = RNG.standard_normal((2, 5, 5, 3)).astype(np.float32)
    expected = conv_ref(x.transpose(0, 3, 1, 2) - _c(MEAN))
    np.testing.assert_allclose(run(model, x)[0], expected, rtol=1e-5, atol=1e-5)


def test_source_target_layouts_and_input_shape() -> None:
    model = mo.convert_model(
        conv_model("n"), input="data", input_shape="[3,3,5,5]", source_layout="nchw", target_layout="nhwc"
    )
    assert model.input(0).get_partial_shape() == ov.PartialShape([3, 5, 5, 3])
    x = RNG.standard_normal((3, 5, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(run(model, x)[0], conv_ref(x.transpose(0, 3, 1, 2)), rtol=1e-5, atol=1e-5)


def test_compress_to_fp16_keeps_results_close() -> None:
    model = mo.convert_model(conv_model(), compress_to_fp16=True)
    assert any(
        n.get_type_name() == "Constant" and n.get_element_type() == ov.Type.f16 for n in model.get_ops()
    )
    x = RNG.standard_normal((1, 3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(run(model, x)[0], conv_ref(x), rtol=1e-2, atol=1e-2)


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"mean_values names input 'image'.*inputs: \['data'\]"):
        mo.convert_model(conv_model(), mean_values={"image": [1, 2, 3]})
    with pytest.raises(ValueError, match="differ in count"):
        mo.convert_model(conv_model(), input="a,b", input_shape="[1,3,5,5]")
    with pytest.raises(ValueError, match="batch must be a positive integer"):
        mo.convert_model(conv_model(), batch=0)


def test_cli_writes_ir_that_real_openvino_reads(tmp_path, capsys) -> None:
    path = tmp_path / "conv.onnx"
    onnx.save(conv_model(), str(path))
    argv = [
        "mo",
        "--input_model",
        str(path),
        "--mean_values",
        "[0.5,-1,2]",
        "--scale_values",
        "[2,4,0.5]",
        "--reverse_input_channels",
        "--layout",
        "nchw->nhwc",
        "--batch",
        "2",
        "--output_dir",
        str(tmp_path / "ir"),
        "--model_name",
        "prepped",
    ]
    assert cli.main(argv) == 0
    xml = tmp_path / "ir" / "prepped.xml"
    x = RNG.standard_normal((2, 5, 5, 3)).astype(np.float32)
    expected = conv_ref((x.transpose(0, 3, 1, 2)[:, ::-1] - _c(MEAN)) / _c(SCALE))
    np.testing.assert_allclose(run(ov.Core().read_model(xml), x)[0], expected, rtol=1e-5, atol=1e-5)
    openvino = pytest.importorskip("openvino")
    theirs = openvino.Core().compile_model(str(xml), "CPU")([x])[0]
    np.testing.assert_allclose(theirs, expected, rtol=1e-4, atol=1e-4)


def test_cli_bad_arguments(tmp_path, capsys) -> None:
    assert mo.main(["--mean_values", "[1]"]) == 1
    assert "required: --input_model" in capsys.readouterr().err
    result = subprocess.run(
        [sys.executable, "-m", "vinopy.tools.mo", "--input_model", str(tmp_path / "no.onnx")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "does not exist" in result.stderr
