"""Model caching (CACHE_DIR) and export_model / import_model."""

from __future__ import annotations

import io

import numpy as np
import pytest

import vinopy as ov
from vinopy.runtime.cache import CacheError

o = ov.opset13


def _model(bias: float = 1.0) -> ov.Model:
    x = o.parameter([2, 3], ov.Type.f32, name="x")
    bias_const = o.constant(np.full((2, 3), bias, np.float32), name="bias")
    result = o.result(o.add(x, bias_const, name="add"), name="y")
    return ov.Model([result], [x], "m")  # fixed names: equal models have equal content


def _blobs(path) -> list:
    return sorted(path.glob("*.blob"))


def test_second_compile_loads_from_cache(tmp_path) -> None:
    core = ov.Core()
    core.set_property({"CACHE_DIR": str(tmp_path)})
    first = core.compile_model(_model(), "TEMPLATE")
    assert not first.get_property("LOADED_FROM_CACHE") and len(_blobs(tmp_path)) == 1
    second = core.compile_model(_model(), "TEMPLATE")
    assert second.get_property("LOADED_FROM_CACHE") and len(_blobs(tmp_path)) == 1
    np.testing.assert_allclose(second(np.ones((2, 3), np.float32))[0], np.full((2, 3), 2.0))
    assert second.output(0).get_names() == first.output(0).get_names()


def test_key_depends_on_content_device_and_config(tmp_path) -> None:
    core = ov.Core()
    config = {"CACHE_DIR": str(tmp_path)}
    core.compile_model(_model(), "TEMPLATE", config)
    assert not core.compile_model(_model(2.0), "TEMPLATE", config).get_property("LOADED_FROM_CACHE")
    hinted = {**config, "PERFORMANCE_HINT": "THROUGHPUT"}
    assert not core.compile_model(_model(), "TEMPLATE", hinted).get_property("LOADED_FROM_CACHE")
    assert core.compile_model(_model(), "TEMPLATE", hinted).get_property("LOADED_FROM_CACHE")
    assert len(_blobs(tmp_path)) == 3


@pytest.mark.parametrize(
    "damage", [lambda b: b[:-7], lambda b: b[:60] + bytes([b[60] ^ 1]) + b[61:], lambda b: b""]
)
def test_corrupt_entry_is_rebuilt_not_used(tmp_path, damage) -> None:
    core = ov.Core()
    config = {"CACHE_DIR": str(tmp_path)}
    core.compile_model(_model(), "TEMPLATE", config)
    (blob,) = _blobs(tmp_path)
    good = blob.read_bytes()
    blob.write_bytes(damage(good))
    rebuilt = core.compile_model(_model(), "TEMPLATE", config)
    assert not rebuilt.get_property("LOADED_FROM_CACHE")
    assert blob.read_bytes() == good
    assert core.compile_model(_model(), "TEMPLATE", config).get_property("LOADED_FROM_CACHE")


def test_export_import_round_trip() -> None:
    core = ov.Core()
    compiled = core.compile_model(_model(), "TEMPLATE", {"PERFORMANCE_HINT": "THROUGHPUT"})
    blob = compiled.export_model()
    assert isinstance(blob, bytes)
    for source in (blob, io.BytesIO(blob)):
        imported = core.import_model(source, "TEMPLATE")
        assert str(imported.get_property("PERFORMANCE_HINT")) == str(
            compiled.get_property("PERFORMANCE_HINT")
        )
        np.testing.assert_allclose(imported(np.zeros((2, 3), np.float32))[0], np.ones((2, 3)))
        assert imported.input(0).get_names() == {"x"}


def test_import_of_damaged_blob_is_a_clear_error() -> None:
    blob = ov.Core().compile_model(_model(), "TEMPLATE").export_model()
    with pytest.raises(CacheError, match="checksum"):
        ov.Core().import_model(blob[:-1], "TEMPLATE")
    with pytest.raises(CacheError, match="magic"):
        ov.Core().import_model(b"not a blob at all, just some bytes" * 3, "TEMPLATE")


def test_hit_compiles_the_model_in_hand_without_reading_the_ir_back(tmp_path, monkeypatch) -> None:
    core = ov.Core()
    config = {"CACHE_DIR": str(tmp_path)}
    core.compile_model(_model(), "TEMPLATE", config)

    def no_reading(*args, **kwargs):
        raise AssertionError("a cache hit read the IR back from the blob")

    monkeypatch.setattr("vinopy.runtime.cache.read_ir", no_reading)
    model = _model()
    hit = core.compile_model(model, "TEMPLATE", config)
    assert hit.get_property("LOADED_FROM_CACHE") and hit.get_runtime_model() is model
    np.testing.assert_allclose(hit(np.zeros((2, 3), np.float32))[0], np.ones((2, 3)))
