"""``import vinopy`` is cheap: public names are imported on first use, and the opset modules make
their factories on first use; yet every public name and every op still resolves."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

import vinopy as ov
from vinopy.ops.registry import LATEST_OPSET, OPS, factory_name, get_op_class, load_all

ROOT = pathlib.Path(__file__).resolve().parents[1]

# what a script that only imports vinopy must not pay for
HEAVY_MODULES = [
    "onnx",
    "torch",
    "vinopy.frontend",
    "vinopy.plugins",
    "vinopy.preprocess",
    "vinopy.quantization",
    "vinopy.serialize",
    "vinopy.tools",
    "vinopy.ops.convolution",
]


def fresh_process(code: str) -> object:
    """Run ``code`` in a new interpreter; it prints one JSON value, returned here."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def loaded_after(code: str, modules: list[str]) -> list[str]:
    """Which of ``modules`` (or their submodules) are in ``sys.modules`` after running ``code``."""
    loaded = fresh_process(f"import json, sys\n{code}\nprint(json.dumps(list(sys.modules)))")
    return [m for m in modules if any(k == m or k.startswith(m + ".") for k in loaded)]


def test_import_vinopy_loads_no_heavy_module() -> None:
    assert loaded_after("import vinopy", HEAVY_MODULES) == []


def test_public_name_imports_only_what_it_needs() -> None:
    assert loaded_after("import vinopy; vinopy.Type.f32", HEAVY_MODULES) == []
    assert loaded_after("import vinopy; vinopy.convert_model", ["vinopy.tools"]) == ["vinopy.tools"]


def test_core_loads_the_ir_writer_only_for_caching() -> None:
    serialize = ["vinopy.serialize"]
    assert loaded_after("import vinopy; vinopy.Core()", serialize) == []
    cached = (
        "import tempfile, numpy, vinopy\n"
        "x = vinopy.opset13.parameter([2], numpy.float32)\n"
        "model = vinopy.Model([vinopy.opset13.relu(x)], [x])\n"
        "vinopy.Core().compile_model(model, 'TEMPLATE', {'CACHE_DIR': tempfile.mkdtemp()})"
    )
    assert loaded_after(cached, serialize) == serialize


def test_opset_module_makes_its_ops_on_first_use() -> None:
    ops = ["vinopy.ops.convolution"]
    assert loaded_after("from vinopy import opset13", ops) == []
    assert loaded_after("from vinopy import opset13; opset13.convolution", ops) == ops


def test_serialize_stays_the_function_when_its_subpackage_loads_later() -> None:
    code = (
        "import json, vinopy\n"
        "import vinopy.serialize.reader\n"
        "print(json.dumps([vinopy.serialize.__module__, vinopy.save_model.__module__]))"
    )
    assert fresh_process(code) == ["vinopy.serialize.writer", "vinopy.serialize.writer"]


def test_registry_finds_every_op_without_an_opset_import() -> None:
    load_all()
    expected = sorted(f"{name}-{number}" for name, versions in OPS.items() for number in versions)
    code = (
        "import json\n"
        "from vinopy.ops.registry import OPS, get_op_class\n"
        "get_op_class('Parameter', 'opset1')\n"
        "print(json.dumps(sorted(f'{n}-{v}' for n, vs in OPS.items() for v in vs)))"
    )
    assert fresh_process(code) == expected


def newest_up_to(number: int) -> dict[str, type]:
    """The op class each factory of opset ``number`` must build, straight from the registry."""
    load_all()
    newest = {}
    for versions in OPS.values():
        usable = [v for v in versions if v <= number]
        if usable:
            cls = versions[max(usable)]
            newest[factory_name(cls)] = cls
    return newest


@pytest.mark.parametrize("number", range(1, LATEST_OPSET + 1))
def test_opset_names_match_the_registry(number: int) -> None:
    opset = getattr(ov, f"opset{number}")
    newest = newest_up_to(number)
    assert sorted(opset.__all__) == sorted(newest)
    assert set(newest) <= set(dir(opset))
    for name, cls in newest.items():
        assert getattr(opset, name).__doc__.startswith(f"{cls.type_name}-{cls.version}:")
        assert get_op_class(cls.type_name, number) is cls


def test_star_import_of_an_opset_brings_its_factories() -> None:
    names: dict[str, object] = {}
    exec("from vinopy.opset16 import *", names)
    assert set(newest_up_to(16)) <= set(names)


def test_unknown_names_raise_clear_errors() -> None:
    with pytest.raises(AttributeError, match="module 'vinopy' has no attribute 'NoSuchThing'"):
        _ = ov.NoSuchThing
    with pytest.raises(AttributeError, match=r"'vinopy.opset1' has no attribute 'gelu' .* opset2 and later"):
        _ = ov.opset1.gelu
    assert not hasattr(ov.opset13, "__path__")


def test_every_public_name_is_listed_by_dir() -> None:
    assert set(ov.__all__) <= set(dir(ov))
    assert all(hasattr(ov, name) for name in dir(ov) if not name.startswith("_"))
