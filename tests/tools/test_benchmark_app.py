import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from vinopy.tools.benchmark_app import main


@pytest.fixture(scope="module")
def mlp_path(tmp_path_factory):
    rng = np.random.default_rng(0)
    w = helper.make_tensor("w", TensorProto.FLOAT, [16, 8], rng.random(128).astype(np.float32))
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["y"], name="fc"),
            helper.make_node("Relu", ["y"], ["z"], name="relu"),
        ],
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 8])],
        [w],
    )
    path = tmp_path_factory.mktemp("models") / "mlp.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return str(path)


def _run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_sync_run_prints_openvino_style_report(mlp_path, capsys):
    code, out, _ = _run(
        capsys, "-m", mlp_path, "-d", "TEMPLATE", "-niter", "7", "-api", "sync", "-shape", "[2,16]"
    )
    assert code == 0
    for step in range(1, 12):
        assert f"[Step {step}/11]" in out
    assert "Count:            7 iterations" in out
    for label in ("Median:", "Average:", "Min:", "Max:", "Throughput:"):
        assert label in out
    assert "x (node: x) : f32 / [...] / [2,16]" in out


def test_async_iterations_are_aligned_to_requests(mlp_path, capsys):
    code, out, _ = _run(
        capsys, "-m", mlp_path, "-d", "TEMPLATE", "-niter", "5", "-nireq", "2", "-data_shape", "[3,16]"
    )
    assert code == 0
    assert "asynchronously, 2 inference requests" in out
    assert "Count:            6 iterations" in out


def test_reports_and_counters(mlp_path, tmp_path, capsys):
    folder = tmp_path / "report"
    code, out, _ = _run(
        capsys,
        "-m",
        mlp_path,
        "-d",
        "TEMPLATE",
        "-niter",
        "4",
        "-api",
        "sync",
        "-shape",
        "[1,16]",
        "-pc",
        "-report_type",
        "average_counters",
        "-report_folder",
        str(folder),
    )
    assert code == 0
    assert "layerType: MatMul" in out and "Total time:" in out
    rows = list(csv.reader(open(folder / "benchmark_average_counters_report.csv"), delimiter=";"))
    assert rows[0][:2] == ["layerName", "execStatus"]
    assert any(r and r[2] == "MatMul" for r in rows[1:])
    text = (folder / "benchmark_report.csv").read_text()
    assert "total number of iterations;4" in text


def test_json_stats_and_dump_config(mlp_path, tmp_path, capsys):
    folder = tmp_path / "json"
    config = tmp_path / "config.json"
    code, _, _ = _run(
        capsys,
        "-m",
        mlp_path,
        "-d",
        "TEMPLATE",
        "-niter",
        "2",
        "-api",
        "sync",
        "-shape",
        "[1,16]",
        "-report_type",
        "no_counters",
        "-report_folder",
        str(folder),
        "-json_stats",
        "-dump_config",
        str(config),
    )
    assert code == 0
    stats = json.loads((folder / "benchmark_report.json").read_text())
    assert stats["Execution results"]["total number of iterations"] == 2
    assert "TEMPLATE" in json.loads(config.read_text())


def test_input_files_and_precision(mlp_path, tmp_path, capsys):
    data = tmp_path / "x.npy"
    np.save(data, np.ones((1, 16), dtype=np.float32))
    code, out, _ = _run(
        capsys,
        "-m",
        mlp_path,
        "-d",
        "TEMPLATE",
        "-niter",
        "1",
        "-api",
        "sync",
        "-shape",
        "[1,16]",
        "-i",
        f"x:{data}",
        "-ip",
        "f16",
    )
    assert code == 0
    assert "x (node: x) : f16" in out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["-m", "missing.onnx", "-d", "TEMPLATE"], "does not exist"),
        (["-d", "TEMPLATE"], "required"),
        (["-m", "MODEL", "-d", "NOPE", "-niter", "1"], "NOPE"),
        (["-m", "MODEL", "-d", "TEMPLATE", "-shape", "[1,x]", "-niter", "1"], "-shape"),
        (["-m", "MODEL", "-d", "TEMPLATE", "-niter", "1"], "dynamic shape"),
        (["-m", "MODEL", "-d", "TEMPLATE", "-niter", "1", "-shape", "[1,16]", "-i", "nope.npy"], "nope.npy"),
    ],
)
def test_bad_arguments_end_with_one_line_and_exit_code_1(mlp_path, capsys, argv, message):
    argv = [mlp_path if a == "MODEL" else a for a in argv]
    code, _, err = _run(capsys, *argv)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("[ ERROR ]") and message in lines[0]


def test_dumped_config_loads_back(mlp_path, tmp_path, capsys):
    config = tmp_path / "config.json"
    common = ["-m", mlp_path, "-d", "TEMPLATE", "-niter", "1", "-api", "sync", "-shape", "[1,16]"]
    assert _run(capsys, *common, "-hint", "throughput", "-dump_config", str(config))[0] == 0
    dumped = json.loads(config.read_text())["TEMPLATE"]
    assert dumped["PERFORMANCE_HINT"] == "THROUGHPUT"
    code, out, _ = _run(capsys, *common, "-hint", "none", "-load_config", str(config))
    assert code == 0
    assert "PERFORMANCE_HINT: THROUGHPUT" in out or "PERFORMANCE_HINT: PerformanceMode.THROUGHPUT" in out


def _report_labels(text):
    """The labels of the statistics lines after the last step, which scripts parse."""
    tail = text.split("[Step 11/11]")[-1]
    labels = []
    for line in tail.splitlines():
        body = line.removeprefix("[ INFO ]").strip()
        if ":" in body and not body.startswith("Execution Devices"):
            labels.append(body.split(":")[0].strip())
    return labels


def test_report_labels_match_openvinos_benchmark_app(mlp_path, capsys):
    argv = ["-m", mlp_path, "-d", "CPU", "-niter", "4", "-api", "sync", "-shape", "[1,16]"]
    reference = subprocess.run(
        [sys.executable, "-c", "from openvino.tools.benchmark.main import main; main()", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert reference.returncode == 0, reference.stderr
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    expected = _report_labels(reference.stdout)
    assert {"Count", "Duration", "Median", "Average", "Min", "Max", "Throughput"} <= set(expected)
    assert _report_labels(out) == expected
    assert sum(line.startswith("[Step") for line in out.splitlines()) == 11


def test_exec_graph_path_writes_the_executed_graph(mlp_path, tmp_path, capsys):
    """On CPU, the layers that ran (MatMul with its Relu fused), not the model read."""
    path = tmp_path / "exec.xml"
    argv = ("-m", mlp_path, "-d", "CPU", "-niter", "2", "-api", "sync", "-shape", "[1,16]")
    code, _, _ = _run(capsys, *argv, "-exec_graph_path", str(path))
    assert code == 0
    layers = {layer.get("name"): layer for layer in ET.parse(path).getroot().find("layers")}
    assert layers["fc"].get("type") == "MatMul" and "relu" not in layers
    assert layers["fc"].find("data").get("originalLayersNames") == "fc,relu"
