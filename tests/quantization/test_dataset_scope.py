"""Dataset and IgnoredScope."""

from __future__ import annotations

import pytest

import vinopy.quantization as nncf
from tests.quantization.models import cnn
from vinopy.quantization.scope import ignored_nodes


class _Loader(list):
    batch_size = 4


def test_dataset_items_transform_and_indices() -> None:
    dataset = nncf.Dataset([{"x": i} for i in range(6)], lambda item: item["x"] * 10)
    assert list(dataset.get_data([4, 1])) == [{"x": 1}, {"x": 4}]
    assert list(dataset.get_inference_data()) == [0, 10, 20, 30, 40, 50]
    assert list(dataset.get_inference_data([5])) == [50]
    assert dataset.get_length() == 6 and dataset.get_batch_size() is None
    assert nncf.Dataset(_Loader([1, 2])).get_batch_size() == 4
    assert nncf.Dataset(iter([1])).get_length() is None
    with pytest.raises(TypeError, match="iterable"):
        nncf.Dataset(5)


def _names(scope: nncf.IgnoredScope) -> set[str]:
    return {n.get_friendly_name() for n in ignored_nodes(cnn(), scope)}


def test_ignored_scope_kinds() -> None:
    assert _names(nncf.IgnoredScope(names=["conv1", "fc"])) == {"conv1", "fc"}
    assert _names(nncf.IgnoredScope(patterns=[r"conv\d"])) == {"conv1", "conv2"}  # whole-name match
    assert _names(nncf.IgnoredScope(types=["MaxPool", "AvgPool"])) == {"maxpool", "avgpool"}
    sub = nncf.Subgraph(inputs=["conv2"], outputs=["residual"])
    assert _names(nncf.IgnoredScope(subgraphs=[sub])) == {"conv2", "conv2/add", "conv2/relu", "residual"}


def test_ignored_scope_validation() -> None:
    with pytest.raises(nncf.ValidationError, match="name 'nope'.*pattern 'x.*'.*type 'Softmax'"):
        _names(nncf.IgnoredScope(names=["nope"], types=["Softmax"], patterns=["x.*"]))
    with pytest.raises(nncf.ValidationError, match="subgraph end 'missing'"):
        _names(nncf.IgnoredScope(subgraphs=[nncf.Subgraph(["conv1"], ["missing"])]))
    assert _names(nncf.IgnoredScope(names=["nope", "fc"], validate=False)) == {"fc"}
