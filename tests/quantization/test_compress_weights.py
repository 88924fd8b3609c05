"""compress_weights(): integer weights with a decompression subgraph, float activations."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov
import vinopy.quantization as nncf
from tests.quantization.models import mlp, run, token_batches, types

TEST = token_batches(4, seed=5, hidden=64)


@pytest.fixture(scope="module")
def model() -> ov.Model:
    return mlp(hidden=64)


def _weight_bytes(model: ov.Model) -> float:
    """Bytes of the constants that feed MatMul weights (values, scales, zero points; 4-bit packed)."""
    total = 0.0
    for matmul in (n for n in model.get_ordered_ops() if n.get_type_name() == "MatMul"):
        stack, seen = [matmul.input_value(1).get_node()], set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node.get_type_name() == "Constant" and node.get_element_type() != ov.Type.i64:  # not shapes
                total += node.value.size * node.get_element_type().bitwidth / 8
            stack.extend(v.get_node() for v in node.input_values())
    return total


def _relative_error(model: ov.Model, compressed: ov.Model) -> float:
    reference = run(model, TEST)
    return float(np.linalg.norm(run(compressed, TEST) - reference) / np.linalg.norm(reference))


@pytest.mark.parametrize(
    ("mode", "storage", "zero_point"),
    [
        (nncf.CompressWeightsMode.INT8_ASYM, ov.Type.u8, True),
        (nncf.CompressWeightsMode.INT8_SYM, ov.Type.i8, False),
    ],
)
def test_int8_modes(
    model: ov.Model, mode: nncf.CompressWeightsMode, storage: ov.Type, zero_point: bool
) -> None:
    compressed = nncf.compress_weights(model, mode)
    assert "FakeQuantize" not in types(compressed)
    fc1 = next(n for n in compressed.get_ordered_ops() if n.get_friendly_name() == "fc1")
    multiply = fc1.input_value(1).get_node()
    chain = [multiply.get_type_name(), multiply.input_value(0).get_node().get_type_name()]
    assert chain == ["Multiply", "Subtract" if zero_point else "Convert"]
    values = [n for n in compressed.get_ordered_ops() if n.get_friendly_name() == "fc1/weights/int"][0]
    assert values.get_element_type() == storage
    assert _weight_bytes(compressed) < 0.3 * _weight_bytes(model)  # f32 -> int8: a quarter, plus scales
    assert _relative_error(model, compressed) < 0.01


@pytest.mark.parametrize("mode", [nncf.CompressWeightsMode.INT4_SYM, nncf.CompressWeightsMode.INT4_ASYM])
def test_int4_groups(model: ov.Model, mode: nncf.CompressWeightsMode) -> None:
    compressed = nncf.compress_weights(model, mode, group_size=32, all_layers=True)
    fc1 = next(n for n in compressed.get_ordered_ops() if n.get_friendly_name() == "fc1")
    reshape = fc1.input_value(1).get_node()
    assert reshape.get_type_name() == "Reshape"
    values = [n for n in compressed.get_ordered_ops() if n.get_friendly_name() == "fc1/weights/int"][0]
    assert values.get_element_type().bitwidth == 4
    assert values.get_output_shape(0) == [128, 2, 32]  # [out, groups, group_size] of the [128, 64] weight
    assert _weight_bytes(compressed) < 0.2 * _weight_bytes(model)  # an eighth, plus group scales
    assert _relative_error(model, compressed) < 0.1


def test_int4_ratio_and_backup(model: ov.Model) -> None:
    # by default the last MatMul keeps the int8 backup precision
    default = nncf.compress_weights(model, nncf.CompressWeightsMode.INT4_ASYM, group_size=32)
    bits = {
        n.get_friendly_name(): n.get_element_type().bitwidth
        for n in default.get_ordered_ops()
        if n.get_friendly_name().endswith("/weights/int")
    }
    assert bits == {"fc1/weights/int": 4, "fc2/weights/int": 8}
    half = nncf.compress_weights(
        model, nncf.CompressWeightsMode.INT4_SYM, ratio=0.5, group_size=32, all_layers=True
    )
    widths = sorted(
        n.get_element_type().bitwidth
        for n in half.get_ordered_ops()
        if n.get_friendly_name().endswith("/weights/int")
    )
    assert widths == [4, 8]


def test_ignored_scope_and_errors(model: ov.Model) -> None:
    compressed = nncf.compress_weights(model, ignored_scope=nncf.IgnoredScope(names=["fc2"]))
    fc2 = next(n for n in compressed.get_ordered_ops() if n.get_friendly_name() == "fc2")
    assert fc2.input_value(1).get_node().get_type_name() == "Constant"
    with pytest.raises(nncf.ValidationError, match="ratio and group_size"):
        nncf.compress_weights(model, nncf.CompressWeightsMode.INT8_ASYM, group_size=32)
    with pytest.raises(nncf.ValidationError, match="ratio"):
        nncf.compress_weights(model, nncf.CompressWeightsMode.INT4_SYM, ratio=1.5)
    with pytest.raises(nncf.ValidationError, match="awq"):
        nncf.compress_weights(model, nncf.CompressWeightsMode.INT4_SYM, awq=True)
    with pytest.raises(nncf.ValidationError, match="unknown"):
        nncf.compress_weights(model, ignored_scope=nncf.IgnoredScope(names=["unknown"]))
