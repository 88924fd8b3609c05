"""Informative: the same CNN quantized by NNCF (with OpenVINO) and by us gives the same graph.

Runs only where NNCF is installed (it is not a dependency)."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as vp
import vinopy.quantization as ours
from tests.quantization.models import cnn, images

nncf = pytest.importorskip("nncf")
openvino = pytest.importorskip("openvino")

CALIBRATION = images(8)


def _summary(model) -> dict[str, list[str]]:  # noqa: ANN001 (an OpenVINO or a vinopy model)
    """Per FakeQuantize and weighted layer: the types of the nodes it reads."""
    wanted = {"FakeQuantize", "Convolution", "MatMul", "MaxPool", "AvgPool", "Add", "Reshape"}
    summary = {}
    for node in model.get_ordered_ops():
        if node.get_type_name() in wanted:
            summary[node.get_friendly_name()] = [v.get_node().get_type_name() for v in node.input_values()[:2]]
    return summary


def _fq_ranges(model) -> dict[str, np.ndarray]:  # noqa: ANN001
    return {
        n.get_friendly_name(): np.array([n.input_value(i).get_node().get_data().item() for i in range(1, 5)])
        for n in model.get_ordered_ops()
        if n.get_type_name() == "FakeQuantize"
    }


@pytest.fixture(scope="module")
def models() -> tuple:
    theirs = nncf.quantize(cnn(api=openvino), nncf.Dataset(CALIBRATION), subset_size=len(CALIBRATION))
    mine = ours.quantize(cnn(api=vp), ours.Dataset(CALIBRATION), subset_size=len(CALIBRATION))
    return theirs, mine


def test_same_placement_and_weight_format(models: tuple) -> None:
    theirs, mine = models
    assert _summary(mine) == _summary(theirs)


def test_same_activation_ranges(models: tuple) -> None:
    theirs, mine = _fq_ranges(models[0]), _fq_ranges(models[1])
    assert theirs.keys() == mine.keys()
    for name in theirs:
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-3, err_msg=name)
