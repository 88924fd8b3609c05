"""Imports run one way (ARCHITECTURE.md): a package never imports a package above it."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "vinopy"

# lower numbers sit lower; a module may import its own layer and the layers below it
LAYERS = {
    "graph": 0,
    "ops": 1,
    "opset": 1,
    "passes": 2,
    "serialize": 2,
    "frontend": 2,
    "runtime": 3,
    "properties": 3,
    "plugins": 4,
    "preprocess": 5,
    "quantization": 5,
    "tools": 6,
}

# deliberate exceptions, each with its reason
ALLOWED = {
    # a Model is made of Parameters and Results, and constant-like values become Constants: these
    # three ops are the graph's own ends, imported lazily so that ops can build on graph
    ("graph/model.py", "vinopy.ops.constant"),
    ("graph/node.py", "vinopy.ops.constant"),
    # the ONNX backend-test adapter (issue: `vinopy.frontend.onnx.backend`) runs models on devices
    ("frontend/onnx/backend.py", "vinopy.runtime.compiled_model"),
    ("frontend/onnx/backend.py", "vinopy.runtime.core"),
}


def _layer(dotted: str) -> int | None:
    parts = dotted.split(".")
    if parts[0] != "vinopy" or len(parts) < 2:
        return None
    name = "opset" if parts[1].startswith("opset") else parts[1]
    return LAYERS.get(name)


def _imports(path: pathlib.Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


MODULES = sorted(p for p in ROOT.rglob("*.py") if p.parent != ROOT)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_upward_imports(path):
    relative = path.relative_to(ROOT)
    own = _layer("vinopy." + ".".join(relative.with_suffix("").parts))
    upward = [
        f"line {line}: {module}"
        for line, module in _imports(path)
        if own is not None
        and (target := _layer(module)) is not None
        and target > own
        and (str(relative), module) not in ALLOWED
    ]
    assert not upward, f"{path.relative_to(ROOT)} imports layers above it: {upward}"
