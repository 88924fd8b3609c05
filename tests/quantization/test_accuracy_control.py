"""quantize_with_accuracy_control(): reverting layers until the metric drop is within max_drop."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pytest

import vinopy as ov
import vinopy.quantization as nncf
from tests.quantization.models import cnn, images, run, types

CALIBRATION = images(8)
VALIDATION = images(6, seed=3)


@pytest.fixture(scope="module")
def model() -> ov.Model:
    return cnn()


@pytest.fixture(scope="module")
def validate(model: ov.Model):
    reference = run(model, VALIDATION)

    def fidelity(compiled: ov.CompiledModel, items: Iterable[np.ndarray]) -> float:
        """1 - relative error of the logits against the float model's: 1.0 for the float model."""
        out = np.concatenate([compiled(x)[0] for x in items])
        return 1.0 - float(np.linalg.norm(out - reference) / np.linalg.norm(reference))

    return fidelity


def _quantize(model: ov.Model, validate, max_drop: float, **kwargs) -> ov.Model:
    return nncf.quantize_with_accuracy_control(
        model, nncf.Dataset(CALIBRATION), nncf.Dataset(VALIDATION), validate, max_drop=max_drop, **kwargs
    )


def _report(model: ov.Model) -> dict[str, str]:
    return dict(model.get_rt_info(["nncf", "accuracy_control"]))


def test_large_max_drop_reverts_nothing(model: ov.Model, validate) -> None:
    quantized = _quantize(model, validate, max_drop=0.5)
    assert _report(quantized)["reverted_nodes"] == ""
    assert types(quantized).count("FakeQuantize") == 5
    assert 0 < float(_report(quantized)["drop"]) <= 0.5


def test_tiny_max_drop_reverts_worst_layers_first(model: ov.Model, validate, caplog) -> None:
    full = float(_report(_quantize(model, validate, max_drop=0.5))["drop"])
    with caplog.at_level(logging.INFO, logger="vinopy.quantization"):
        quantized = _quantize(model, validate, max_drop=full / 2)
    reverted = _report(quantized)["reverted_nodes"].split(",")
    drop = float(_report(quantized)["drop"])
    assert drop <= full / 2
    assert 1 <= len(reverted) < 5  # ranking finds the costly layers: not everything goes back
    assert "reverted" in caplog.text and reverted[0] in caplog.text
    for name in reverted:  # reverted layers read float weights and float inputs
        node = next(n for n in quantized.get_ordered_ops() if n.get_friendly_name() == name)
        assert all(v.get_node().get_type_name() != "FakeQuantize" for v in node.input_values())
        assert all(v.get_node().get_type_name() != "Multiply" for v in node.input_values()[1:])


def test_zero_max_drop_reverts_until_float(model: ov.Model, validate) -> None:
    quantized = _quantize(model, validate, max_drop=0.0)
    assert float(_report(quantized)["drop"]) == 0.0
    assert "FakeQuantize" not in types(quantized)


def test_max_num_iterations_bounds_reverts(model: ov.Model, validate) -> None:
    params = nncf.AdvancedAccuracyRestorerParameters(max_num_iterations=1)
    quantized = _quantize(model, validate, max_drop=0.0, advanced_accuracy_restorer_parameters=params)
    assert len(_report(quantized)["reverted_nodes"].split(",")) == 1


def test_relative_drop_and_bad_metric(model: ov.Model, validate) -> None:
    quantized = _quantize(model, validate, max_drop=0.5, drop_type=nncf.DropType.RELATIVE)
    assert _report(quantized)["reverted_nodes"] == ""
    with pytest.raises(nncf.ValidationError, match="must return a number"):
        _quantize(model, lambda compiled, items: "high", max_drop=0.1)
    with pytest.raises(nncf.ValidationError, match="max_drop"):
        _quantize(model, validate, max_drop=-1.0)
