import numpy as np
import openvino.opset15 as real_ops
import pytest

import vinopy as ov
from tests.utils import assert_close, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError

ops = ov.opset13


def numpy_attention(q, k, v, mask=None, scale=None, causal=False):
    """The textbook formula, written independently of the op's kernel."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = np.einsum("...le,...se->...ls", q.astype(np.float64), k.astype(np.float64)) * scale
    if causal:
        length, source = scores.shape[-2:]
        mask = np.arange(source)[None, :] <= np.arange(length)[:, None]
    if mask is not None and mask.dtype == np.bool_:
        scores = scores + np.where(mask, 0.0, -1e30)
    elif mask is not None:
        scores = scores + mask
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return np.einsum("...ls,...sd->...ld", weights, v.astype(np.float64)).astype(q.dtype)


SHAPES = [
    ((2, 4, 8), (2, 5, 8), (2, 5, 6)),
    ((2, 3, 4, 8), (2, 1, 6, 8), (2, 1, 6, 8)),
    ((1, 4, 8), (2, 4, 8), (2, 4, 3)),
]


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("dynamic", [False, True])
def test_sdpa_matches_formula_and_openvino(shapes, causal, dynamic):
    q, k, v = (rand(s) for s in shapes)
    (out,) = run_op(
        lambda *p: ops.scaled_dot_product_attention(*p, causal=causal), [q, k, v], dynamic=dynamic
    )
    assert_close(out, numpy_attention(q, k, v, causal=causal), rtol=1e-5, atol=1e-6)
    real = openvino_reference(
        lambda *p: real_ops.scaled_dot_product_attention(*p, causal=causal), [q, k, v], compile_cpu=True
    )[0]
    assert_close(out, real, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "mask_shape,mask_type",
    [((4, 5), np.bool_), ((2, 4, 5), np.float32), ((1, 5), np.float32), ((2, 1, 5), np.bool_)],
)
def test_sdpa_masks_and_scale(mask_shape, mask_type):
    q, k, v = rand((2, 4, 8)), rand((2, 5, 8)), rand((2, 5, 6))
    mask = rand(mask_shape, mask_type)
    if mask_type == np.bool_:
        mask[..., 0] = True  # keep every row attending somewhere
    scale = np.array(0.3, np.float32)
    (out,) = run_op(lambda *p: ops.scaled_dot_product_attention(*p), [q, k, v, mask, scale], dynamic=True)
    assert_close(out, numpy_attention(q, k, v, mask, 0.3), rtol=1e-5, atol=1e-6)
    real = openvino_reference(
        real_ops.scaled_dot_product_attention, [q, k, v, mask, scale], compile_cpu=True
    )[0]
    assert_close(out, real, rtol=1e-4, atol=1e-5)


def test_causal_ignores_mask():
    q, k, v = rand((1, 3, 4)), rand((1, 3, 4)), rand((1, 3, 4))
    mask = np.zeros((3, 3), np.bool_)
    mask[:, 0] = True
    (out,) = run_op(lambda *p: ops.scaled_dot_product_attention(*p, causal=True), [q, k, v, mask])
    assert_close(out, numpy_attention(q, k, v, causal=True), rtol=1e-5, atol=1e-6)


def test_inferred_shape_and_errors():
    node = ops.scaled_dot_product_attention(
        ops.parameter([-1, -1, 8]), ops.parameter([-1, -1, 8]), ops.parameter([-1, -1, 6])
    )
    assert node.get_output_partial_shape(0) == ov.PartialShape([-1, -1, 6])
    p = ops.parameter
    with pytest.raises(NodeValidationError, match="rank of at least 3"):
        ops.scaled_dot_product_attention(p([4, 8]), p([5, 8]), p([5, 6]))
    with pytest.raises(NodeValidationError, match="same last dimension"):
        ops.scaled_dot_product_attention(p([2, 4, 8]), p([2, 5, 7]), p([2, 5, 6]))
    with pytest.raises(NodeValidationError, match="same sequence length"):
        ops.scaled_dot_product_attention(p([2, 4, 8]), p([2, 5, 8]), p([2, 6, 6]))
    with pytest.raises(NodeValidationError, match="cannot be broadcast"):
        ops.scaled_dot_product_attention(p([2, 4, 8]), p([2, 5, 8]), p([2, 5, 6]), p([3, 4, 5]))
    with pytest.raises(NodeValidationError, match="must broadcast to the scores"):
        ops.scaled_dot_product_attention(p([2, 4, 8]), p([2, 5, 8]), p([2, 5, 6]), p([1, 2, 4, 5]))
    with pytest.raises(NodeValidationError, match="boolean or f32"):
        ops.scaled_dot_product_attention(p([2, 4, 8]), p([2, 5, 8]), p([2, 5, 6]), p([4, 5], np.int32))
    with pytest.raises(NodeValidationError, match="scale must be a scalar"):
        ops.scaled_dot_product_attention(p([2, 4, 8]), p([2, 5, 8]), p([2, 5, 6]), p([4, 5]), p([2]))
