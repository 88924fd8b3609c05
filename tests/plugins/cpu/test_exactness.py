"""Cases where CPU differed from TEMPLATE: buffer views, scalar inputs, infinities and NaN, tiny results."""

from __future__ import annotations

import numpy as np
import pytest

import vinopy as ov
from tests.plugins.cpu.helpers import backends, check, model_of, rand

ops = ov.opset13

pytestmark = pytest.mark.usefixtures("cpu_plugin")


def test_transpose_of_unit_dims_after_numpy_step() -> None:
    """A transpose that moves only unit dims is the same bytes: the numpy step that writes them must
    keep its own (3, 1, 5) view (an RNN's state read as (1, 3, 5))."""

    def build(x: ov.Output) -> list:
        y = ops.sin(x)
        return [ops.transpose(y, ops.constant(np.array([1, 0, 2], np.int64))), ops.cos(y)]

    model = model_of(build, [(3, 1, 5)])
    check(model, [rand(3, 1, 5)])


def test_scalar_input_to_numpy_step() -> None:
    def build(x: ov.Output, y: ov.Output) -> list:
        return [ops.einsum([x, x], ",->"), ops.add(ops.cos(x), y)]  # "," fits only scalars

    model = model_of(build, [(), (5,)])
    check(model, [np.array(0.5, np.float32), rand(5)])


@pytest.mark.parametrize(("op", "axes"), [("reduce_max", [3]), ("reduce_min", [3]), ("reduce_max", [2, 3])])
def test_reductions_of_infinities(op: str, axes: list[int]) -> None:
    x = rand(2, 3, 4, 4)
    x[0, 0] = -np.inf
    x[1, 1] = np.inf
    model = model_of(lambda a: getattr(ops, op)(a, ops.constant(np.array(axes, np.int64)), True), [x.shape])
    check(model, [x])


def test_softplus_of_very_negative_inputs() -> None:
    x = np.linspace(-20, 5, 101, dtype=np.float32)
    model = model_of(lambda a: ops.softplus(a), [x.shape])
    check(model, [x], rtol=1e-3, atol=1e-7)


def test_clamp_before_convert_keeps_nan() -> None:
    """A saturating cast is Clamp then Convert: NaN must reach the Convert."""
    x = np.array([[np.nan, 1e6, -1e6, 0.5, -np.inf]], np.float32)
    model = model_of(lambda a: ops.convert(ops.clamp(a, -448.0, 448.0, name="clamp"), "f16"), [x.shape])
    check(model, [x])
    assert backends(model)["clamp"] == "numpy"


def test_clamp_alone_stays_on_onednn() -> None:
    model = model_of(lambda a: ops.clamp(a, -0.5, 0.5, name="clamp"), [(4, 7)])
    check(model, [rand(4, 7)])
    assert backends(model)["clamp"] == "oneDNN"
