"""`vinopy convert` / `python -m vinopy.tools.ovc`: IR written where ovc writes it, read back by vinopy
and by real OpenVINO with the same outputs."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
import pytest

import vinopy as ov
from tests.tools.test_convert import image_model, run
from vinopy.tools import cli, ovc

X = np.random.default_rng(11).standard_normal((1, 3, 4, 4)).astype(np.float32)


@pytest.fixture
def onnx_file(tmp_path) -> str:
    path = tmp_path / "net.onnx"
    onnx.save(image_model(), str(path))
    return str(path)


def _precisions(xml: str) -> set[str]:
    text = open(xml).read()
    return {p for p in ("f16", "f32") if f'element_type="{p}"' in text}


def test_default_output_is_cwd_name_xml_compressed(onnx_file, tmp_path, monkeypatch, capsys) -> None:
    out_dir = tmp_path / "work"
    out_dir.mkdir()
    monkeypatch.chdir(out_dir)
    assert cli.main(["convert", onnx_file]) == 0
    assert "[ SUCCESS ] XML file" in capsys.readouterr().out
    xml = out_dir / "net.xml"
    assert xml.exists() and (out_dir / "net.bin").exists()
    assert "f16" in _precisions(str(xml))
    expected = run(ov.convert_model(onnx_file), X)[0]
    np.testing.assert_allclose(run(ov.Core().read_model(xml), X)[0], expected, rtol=2e-3, atol=2e-3)


def test_output_model_options_and_real_openvino(onnx_file, tmp_path) -> None:
    target = tmp_path / "out" / "renamed"
    argv = [
        onnx_file,
        "--output_model",
        str(target),
        "--compress_to_fp16=False",
        "--input",
        "x[2,3,4,4]",
        "--output",
        "pool",
    ]
    assert ovc.main(argv) == 0
    xml = str(target) + ".xml"
    assert _precisions(xml) == {"f32"}
    model = ov.Core().read_model(xml)
    assert model.input(0).get_partial_shape() == ov.PartialShape([2, 3, 4, 4])
    assert [o.get_any_name() for o in model.outputs] == ["pool"]
    x2 = np.concatenate([X, X])
    ours = run(model, x2)[0]
    expected = run(ov.convert_model(onnx_file, input=[2, 3, 4, 4], output="pool"), x2)[0]
    np.testing.assert_allclose(ours, expected, rtol=1e-6)
    openvino = pytest.importorskip("openvino")
    theirs = openvino.Core().compile_model(xml, "CPU")([x2])[0]
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-5)


def test_output_model_as_folder(onnx_file, tmp_path) -> None:
    folder = tmp_path / "ir" / ""
    assert ovc.main([onnx_file, "--output_model", str(folder) + os.sep, "--compress_to_fp16"]) == 0
    assert (tmp_path / "ir" / "net.xml").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: INPUT_MODEL"),
        (["missing.onnx"], "does not exist"),
        (["{model}", "--compress_to_fp16=maybe"], "expected True or False"),
        (["{model}", "--input", "x[1,3"], "Unbalanced brackets"),
        (["{model}", "--output", "nope"], "`output` names 'nope'"),
        (["{model}", "--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_1(
    onnx_file, argv, message, capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert ovc.main([a.replace("{model}", onnx_file) for a in argv]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_python_dash_m(onnx_file, tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vinopy.tools.ovc", onnx_file, "--output_model", str(tmp_path / "m.xml")],
        capture_output=True,
        text=True,
        cwd=os.getcwd(),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m.xml").exists()
