"""``vinopy quantize``: calibration data from a folder, the quantized IR, and data errors (exit 2)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import vinopy as ov
from vinopy.tools import cli
from vinopy.tools.cli import InputError
from vinopy.tools.quantize import CalibrationFolder, Pixels

SHAPE = [1, 3, 16, 16]


def _conv_model(path: Path, inputs: tuple[str, ...] = ("image",), batch: int = 1) -> Path:
    """conv-relu-conv on each input (summed when there are two), saved as ONNX."""
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.normal(0, 0.3, (4, 8, 3, 3)).astype(np.float32), "w2")
    bias = numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "b1")
    nodes, branches = [], []
    for name in inputs:
        nodes += [
            helper.make_node("Conv", [name, "w1", "b1"], [f"{name}_c1"], pads=[1, 1, 1, 1]),
            helper.make_node("Relu", [f"{name}_c1"], [f"{name}_r1"]),
            helper.make_node("Conv", [f"{name}_r1", "w2"], [f"{name}_c2"], pads=[1, 1, 1, 1]),
        ]
        branches.append(f"{name}_c2")
    if len(branches) == 2:
        nodes.append(helper.make_node("Add", branches, ["sum"]))
    shape = [batch, *SHAPE[1:]]
    graph = helper.make_graph(
        nodes,
        "convs",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in inputs],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)],
        [w1, w2, bias],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def _npy_folder(folder: Path, count: int, shape: list[int] = SHAPE) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i in range(count):
        np.save(folder / f"sample_{i:02d}.npy", rng.normal(0, 1, shape).astype(np.float32))
    return folder


def _quantize(tmp_path: Path, model: Path, data: Path, *extra: str) -> tuple[int, Path]:
    output = tmp_path / "out" / "model_int8.xml"
    code = cli.main(["quantize", "-m", str(model), "--data", str(data), "-o", str(output), *extra])
    return code, output


def _fake_quantizes(model: ov.Model) -> list[ov.Node]:
    return [n for n in model.get_ordered_ops() if n.get_type_name() == "FakeQuantize"]


def test_quantizes_an_onnx_model_with_npy_files(tmp_path, capsys) -> None:
    model = _conv_model(tmp_path / "convs.onnx")
    code, output = _quantize(tmp_path, model, _npy_folder(tmp_path / "data", 6), "--subset-size", "4")
    assert code == 0, capsys.readouterr().err
    quantized = ov.Core().read_model(output)
    fake_quantizes = _fake_quantizes(quantized)
    assert len(fake_quantizes) == 2  # the image and the ReLU output, read by the two convolutions
    assert quantized.get_rt_info(["nncf", "quantization", "subset_size"]) == "4"
    assert f"{len(fake_quantizes)} FakeQuantize inserted, calibrated on 4 items" in capsys.readouterr().out
    image = np.random.default_rng(2).normal(0, 1, SHAPE).astype(np.float32)
    result = ov.Core().compile_model(quantized, "CPU")(image)[0]
    reference = ov.Core().compile_model(ov.Core().read_model(model), "TEMPLATE")(image)[0]
    assert result.shape == reference.shape
    assert np.abs(result - reference).max() < 0.1 * np.abs(reference).max()


def test_options_reach_the_quantizer(tmp_path, capsys) -> None:
    model = _conv_model(tmp_path / "convs.onnx")
    data = _npy_folder(tmp_path / "data", 3)
    options = ["--preset", "mixed", "--no-fast-bias-correction", "--ignored-scope-names", "image_c2"]
    code, output = _quantize(tmp_path, model, data, *options)
    assert code == 0, capsys.readouterr().err
    quantized = ov.Core().read_model(output)
    assert quantized.get_rt_info(["nncf", "quantization", "preset"]) == "mixed"
    assert quantized.get_rt_info(["nncf", "quantization", "fast_bias_correction"]) == "False"
    assert len(_fake_quantizes(quantized)) == 1  # the ignored second convolution reads float


def test_a_batch_file_is_split_into_the_models_batch(tmp_path, capsys) -> None:
    model = _conv_model(tmp_path / "convs.onnx", batch=2)
    data = _npy_folder(tmp_path / "data", 1, [7, *SHAPE[1:]])  # 3 items of 2, one sample left over
    code, output = _quantize(tmp_path, model, data)
    assert code == 0, capsys.readouterr().err
    assert "calibrated on 3 items" in capsys.readouterr().out
    assert ov.Core().read_model(output).get_rt_info(["nncf", "quantization", "subset_size"]) == "6"


def test_npz_files_feed_inputs_by_name(tmp_path, capsys) -> None:
    model = _conv_model(tmp_path / "two.onnx", inputs=("left", "right"))
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(3)
    for i in range(3):
        arrays = {name: rng.normal(0, 1, SHAPE[1:]).astype(np.float32) for name in ("right", "left")}
        np.savez(data / f"{i}.npz", **arrays)
    code, output = _quantize(tmp_path, model, data)
    assert code == 0, capsys.readouterr().err
    names = {fq.get_friendly_name() for fq in _fake_quantizes(ov.Core().read_model(output))}
    assert {f"{tensor}/fq_output_0" for tensor in ("left", "right", "left_r1", "right_r1")} <= names


def test_subprocess_run_writes_the_ir(tmp_path) -> None:
    model = _conv_model(tmp_path / "convs.onnx")
    data = _npy_folder(tmp_path / "data", 2)
    output = tmp_path / "q.xml"
    command = [sys.executable, "-m", "vinopy.tools.cli", "quantize", "-m", str(model), "--data", str(data)]
    done = subprocess.run([*command, "-o", str(output)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "FakeQuantize inserted" in done.stdout and str(output) in done.stdout
    assert _fake_quantizes(ov.Core().read_model(output))


def _data_error(tmp_path: Path, capsys, model: Path, data: Path) -> str:
    code, output = _quantize(tmp_path, model, data)
    captured = capsys.readouterr()
    assert code == cli.INPUT_ERROR_CODE and not output.exists()
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == 1
    return captured.err


def test_data_errors_exit_with_code_2_and_one_line(tmp_path, capsys) -> None:
    model = _conv_model(tmp_path / "convs.onnx")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "is empty" in _data_error(tmp_path, capsys, model, empty)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("no data here")
    assert "no calibration files" in _data_error(tmp_path, capsys, model, other)
    wrong = _npy_folder(tmp_path / "wrong", 1, [1, 3, 8, 8])
    message = _data_error(tmp_path, capsys, model, wrong)
    assert "input 'image' expects shape [1,3,16,16]" in message and "[1, 3, 8, 8]" in message
    assert "is not a folder" in _data_error(tmp_path, capsys, model, tmp_path / "missing")


def test_npz_without_an_input_name_is_a_data_error(tmp_path, capsys) -> None:
    model = _conv_model(tmp_path / "two.onnx", inputs=("left", "right"))
    data = tmp_path / "data"
    data.mkdir()
    np.savez(data / "0.npz", left=np.zeros(SHAPE, np.float32))
    assert "no arrays for inputs ['right']" in _data_error(tmp_path, capsys, model, data)
    npy = _npy_folder(tmp_path / "npy", 1)
    assert "give .npz files" in _data_error(tmp_path, capsys, model, npy)


def test_a_bad_option_is_a_usage_error(tmp_path, capsys) -> None:
    model = _conv_model(tmp_path / "convs.onnx")
    code, _ = _quantize(tmp_path, model, _npy_folder(tmp_path / "data", 1), "--preset", "fast")
    assert code == 1 and "invalid choice: 'fast'" in capsys.readouterr().err


def _image_folder(folder: Path, colors: list[tuple[int, int, int]]) -> Path:
    pil = pytest.importorskip("PIL.Image")
    folder.mkdir()
    for i, color in enumerate(colors):
        pil.new("RGB", (20 + i, 12), color).save(folder / f"{i}.png")
    return folder


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_images_are_resized_laid_out_and_normalized(tmp_path, layout) -> None:
    shape = [1, 3, 8, 6] if layout == "NCHW" else [1, 8, 6, 3]
    param = ov.opset13.parameter(shape, np.float32, name="pixels")
    model = ov.Model([ov.opset13.relu(param)], [param])
    folder = _image_folder(tmp_path / "images", [(10, 20, 30)])
    mean, scale = np.array([1.0, 2.0, 3.0], np.float32), np.array([2.0, 4.0, 2.0], np.float32)
    pixels = Pixels(True, mean, scale)
    loaded = CalibrationFolder(str(folder), model, pixels)
    (item,) = loaded.items
    array = loaded.load(item)["pixels"]
    assert array.shape == tuple(shape) and array.dtype == np.float32
    channels = array[0].reshape(3, -1) if layout == "NCHW" else array[0].reshape(-1, 3).T
    expected = (np.array([30, 20, 10]) - mean) / scale  # reversed to BGR, minus mean, over scale
    np.testing.assert_array_equal(channels, np.repeat(expected[:, None], 8 * 6, axis=1))


def test_images_calibrate_the_cli(tmp_path, capsys) -> None:
    model = _conv_model(tmp_path / "convs.onnx")
    folder = _image_folder(tmp_path / "images", [(200, 10, 10), (10, 200, 10), (10, 10, 200)])
    options = ["--mean-values", "[128,128,128]", "--scale-values", "[64]"]
    code, output = _quantize(tmp_path, model, folder, *options)
    assert code == 0, capsys.readouterr().err
    image_fq = _fake_quantizes(ov.Core().read_model(output))[0]
    high = image_fq.input_value(2).get_node().get_data()
    # symmetric: the largest normalized magnitude, from the darkest channel value
    assert np.isclose(high, (128 - 10) / 64, rtol=1e-3)


def test_images_without_pillow_name_the_extra(tmp_path, monkeypatch) -> None:
    param = ov.opset13.parameter(SHAPE, np.float32, name="pixels")
    model = ov.Model([ov.opset13.relu(param)], [param])
    folder = _image_folder(tmp_path / "images", [(1, 2, 3)])
    loaded = CalibrationFolder(str(folder), model, Pixels())
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(InputError, match=r"pip install vinopy\[image\]"):
        loaded.load(loaded.items[0])
