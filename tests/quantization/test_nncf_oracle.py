"""Informative: the same CNN quantized by NNCF (with OpenVINO) and by us gives the same graph.

Runs only where NNCF is installed (it is not a dependency)."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as vp
import vinopy.quantization as ours
from tests.quantization.models import branches, cnn, images, mlp, small_images, token_batches

nncf = pytest.importorskip("nncf")
openvino = pytest.importorskip("openvino")

CALIBRATION = images(8)


def _summary(model) -> dict[str, list[str]]:
    """Per FakeQuantize and weighted layer: the types of the nodes it reads."""
    wanted = {"FakeQuantize", "Convolution", "MatMul", "MaxPool", "AvgPool", "Add", "Reshape"}
    summary = {}
    for node in model.get_ordered_ops():
        if node.get_type_name() in wanted:
            summary[node.get_friendly_name()] = [
                v.get_node().get_type_name() for v in node.input_values()[:2]
            ]
    return summary


def _fq_ranges(model) -> dict[str, np.ndarray]:
    return {
        n.get_friendly_name(): np.array([n.input_value(i).get_node().get_data().item() for i in range(1, 5)])
        for n in model.get_ordered_ops()
        if n.get_type_name() == "FakeQuantize"
    }


@pytest.fixture(
    scope="module", params=[("cnn", "PERFORMANCE"), ("branches", "PERFORMANCE"), ("cnn", "MIXED")], ids=str
)
def models(request: pytest.FixtureRequest) -> tuple:
    model, preset = request.param
    build, data = {"cnn": (cnn, CALIBRATION), "branches": (branches, small_images(4))}[model]
    theirs = nncf.quantize(
        build(api=openvino), nncf.Dataset(data), subset_size=len(data), preset=nncf.QuantizationPreset[preset]
    )
    mine = ours.quantize(
        build(api=vp), ours.Dataset(data), subset_size=len(data), preset=ours.QuantizationPreset[preset]
    )
    return theirs, mine


def test_same_placement_and_weight_format(models: tuple) -> None:
    theirs, mine = models
    assert _summary(mine) == _summary(theirs)


def test_same_activation_ranges(models: tuple) -> None:
    theirs, mine = _fq_ranges(models[0]), _fq_ranges(models[1])
    assert theirs.keys() == mine.keys()
    for name in theirs:
        np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-3, err_msg=name)


def _weights(model) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per weighted layer: its integer weight and its scale."""
    found = {}
    for node in model.get_ordered_ops():
        if node.get_type_name() in ("Convolution", "MatMul"):
            multiply = node.input_value(1).get_node()
            values = multiply.input_value(0).get_node().input_value(0).get_node()
            found[node.get_friendly_name()] = (
                values.get_data(),
                multiply.input_value(1).get_node().get_data(),
            )
    return found


def test_same_int8_weights(models: tuple) -> None:
    theirs, mine = _weights(models[0]), _weights(models[1])
    assert theirs.keys() == mine.keys()
    for name, (values, scale) in theirs.items():
        assert np.abs(mine[name][0].astype(int) - values).max() <= 1, name  # rounding ties may differ
        np.testing.assert_allclose(mine[name][1], scale, rtol=1e-5, err_msg=name)


def test_same_transformer_placement() -> None:
    """SmoothQuant Multiplies and FakeQuantizes on MatMul inputs only (the ranges of transformer
    activations use other estimators in NNCF and are not compared)."""
    data = token_batches(4, outlier_channels=(3, 17))
    theirs = nncf.quantize(
        mlp(outlier_channels=(3, 17), api=openvino),
        nncf.Dataset(data),
        subset_size=16,
        model_type=nncf.ModelType.TRANSFORMER,
    )
    mine = ours.quantize(
        mlp(outlier_channels=(3, 17), api=vp),
        ours.Dataset(data),
        subset_size=16,
        model_type=ours.ModelType.TRANSFORMER,
    )
    assert _summary(mine) == _summary(theirs)
    assert {n.get_friendly_name() for n in mine.get_ordered_ops() if n.get_type_name() == "Multiply"} == {
        n.get_friendly_name() for n in theirs.get_ordered_ops() if n.get_type_name() == "Multiply"
    }
