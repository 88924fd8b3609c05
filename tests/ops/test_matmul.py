import numpy as np
import pytest

import vinopy as ov
from tests.utils import assert_close, rand, run_op

ops = ov.opset13


@pytest.mark.parametrize(
    "a_shape,b_shape,ta,tb",
    [
        ((2, 3), (3, 4), False, False),
        ((5, 2, 3), (4, 3), False, True),
        ((3,), (3, 4), False, False),
        ((2, 1, 4, 3), (5, 3, 2), False, False),
        ((3, 2), (3,), True, False),
    ],
)
@pytest.mark.parametrize("dynamic", [False, True])
def test_matmul_matches_numpy(a_shape, b_shape, ta, tb, dynamic):
    a, b = rand(a_shape), rand(b_shape)
    (out,) = run_op(lambda x, y: ops.matmul(x, y, ta, tb), [a, b], dynamic=dynamic)
    ea = np.swapaxes(a, -1, -2) if ta and a.ndim > 1 else a
    eb = np.swapaxes(b, -1, -2) if tb and b.ndim > 1 else b
    assert_close(out, np.matmul(ea, eb), rtol=1e-5)


def test_matmul_rejects_mismatched_inner_dimension():
    with pytest.raises(ValueError, match="inner dimensions"):
        ops.matmul(ops.parameter([2, 3]), ops.parameter([4, 5]), False, False)
