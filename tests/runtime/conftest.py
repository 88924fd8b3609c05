"""Small models shared by the runtime tests, built with the opset API as OpenVINO users do."""

import numpy as np
import pytest

import vinopy as ov

ops = ov.opset13


def two_input_model() -> ov.Model:
    """out = relu(a @ w + b), with named inputs 'a' [2,3] f32 and 'b' [2,4] f32."""
    a = ops.parameter([2, 3], np.float32, name="a")
    b = ops.parameter([2, 4], np.float32, name="b")
    w = ops.constant(np.arange(12, dtype=np.float32).reshape(3, 4) - 5)
    out = ops.relu(ops.add(ops.matmul(a, w, False, False), b), name="out")
    out.output(0).set_names({"out"})
    return ov.Model([out], [a, b], "two_inputs")


@pytest.fixture
def model() -> ov.Model:
    return two_input_model()


@pytest.fixture
def core() -> ov.Core:
    return ov.Core()


def expected(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    w = np.arange(12, dtype=np.float32).reshape(3, 4) - 5
    return np.maximum(a @ w + b, 0)
