"""The vinopy command line: the command table, the demo, and one-line errors with exit code 1."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import vinopy as ov
from vinopy.tools import cli
from vinopy.tools.demo import CLASSES, IMAGE_SHAPE, build_classifier


def test_demo_prints_device_top5_and_latency(capsys) -> None:
    assert cli.main(["demo", "-d", "TEMPLATE", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert "device: TEMPLATE -> ['TEMPLATE']" in out
    rows = re.findall(r"class +(\d+) +([0-9.]+)", out)
    assert len(rows) == 5
    probabilities = [float(p) for _, p in rows]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1.0001
    assert re.search(r"median latency over 2 runs: [0-9.]+ ms", out)


def test_demo_model_is_a_classifier_built_with_the_opset_api() -> None:
    model = build_classifier(seed=3)
    types = [op.get_type_name() for op in model.get_ordered_ops()]
    assert types.count("Convolution") == 3 and types.count("MaxPool") == 3
    assert {"ReduceMean", "MatMul", "Softmax"} <= set(types)
    image = np.random.default_rng(0).random(IMAGE_SHAPE, dtype=np.float32)
    result = ov.Core().compile_model(model, "TEMPLATE")({"image": image})["probabilities"]
    assert result.shape == (1, CLASSES) and np.isclose(result.sum(), 1, atol=1e-5)
    again = ov.Core().compile_model(build_classifier(seed=3), "TEMPLATE")({"image": image})["probabilities"]
    np.testing.assert_array_equal(result, again)  # deterministic weights


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "-d", "FOO"], r"vinopy demo: error: Device 'FOO' is not registered; available devices: \["),
        (["demo", "--bogus"], r"vinopy demo: error: unrecognized arguments: --bogus"),
        (["demo", "-n", "0"], r"vinopy demo: error: --runs must be at least 1, got 0"),
        (["nope"], r"vinopy: error: unknown command 'nope'; commands: demo"),
    ],
)
def test_errors_are_one_line_with_exit_code_1(capsys, argv, message) -> None:
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and re.search(message, err)


def test_usage_lists_the_command_table(capsys) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in cli.COMMANDS)
    assert cli.main([]) == 1


def test_console_script_runs_the_demo() -> None:
    script = shutil.which("vinopy", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "vinopy.tools.cli"]
    done = subprocess.run([*command, "demo", "-n", "1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "top-5 classes:" in done.stdout and "device: AUTO -> " in done.stdout
