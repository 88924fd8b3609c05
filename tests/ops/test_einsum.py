import numpy as np
import openvino.opset15 as real
import pytest

import vinopy as ov
from tests.utils import assert_close, onnx_reference, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError

ops = ov.opset15

CASES = [
    ("ab,bc->ac", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("a...,a->...", [(3, 2, 2), (3,)]),
    ("ab,cd,bd->ac", [(2, 3), (4, 5), (3, 5)]),
    ("abc->cb", [(2, 3, 4)]),
    ("i,i", [(5,), (5,)]),
    ("...", [(2, 3)]),
    ("bAa,aB->AB", [(3, 2, 4), (4, 5)]),
]


@pytest.mark.parametrize("equation,shapes", CASES)
@pytest.mark.parametrize("dynamic", [False, True])
def test_einsum_matches_onnx(equation, shapes, dynamic):
    xs = [rand(s) for s in shapes]
    (out,) = run_op(lambda *ps: ops.einsum(list(ps), equation), xs, dynamic=dynamic)
    assert_close(out, onnx_reference("Einsum", xs, equation=equation)[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "equation,shapes",
    [
        ("abb,bc->ac", [(2, 3, 3), (3, 4)]),
        ("...ii->...i", [(2, 3, 3)]),
        ("a...b,b...->a...", [(2, 3, 4), (4, 3)]),
    ],
)
def test_einsum_diagonals_and_ellipsis_match_openvino(equation, shapes):
    xs = [rand(s) for s in shapes]
    (out,) = run_op(lambda *ps: ops.einsum(list(ps), equation), xs)
    expected = openvino_reference(lambda *ps: real.einsum(list(ps), equation), xs, compile_cpu=True)[0]
    assert_close(out, expected, rtol=1e-4, atol=1e-5)


def test_einsum_shape_inference():
    a = ops.parameter(ov.PartialShape("[?,3,4]"))
    b = ops.parameter(ov.PartialShape("[?,4,?]"))
    assert str(ops.einsum([a, b], "bij,bjk->bik").get_output_partial_shape(0)) == "[?,3,?]"
    c = ops.parameter(ov.PartialShape("[1,?,3,4]"))
    d = ops.parameter(ov.PartialShape("[5,4,2]"))
    assert str(ops.einsum([c, d], "...ij,...jk->...ik").get_output_partial_shape(0)) == "[1,5,3,2]"
    e = ops.parameter(ov.PartialShape.dynamic())
    assert ops.einsum([e, d], "...ij,...jk->...ik").get_output_partial_shape(0).rank.is_dynamic
    assert str(ops.einsum([e, d], "ij,ajk->aik").get_output_partial_shape(0)) == "[5,?,2]"


def test_einsum_errors():
    a, b = ops.parameter([2, 3]), ops.parameter([4, 5])
    with pytest.raises(NodeValidationError, match="different dimensions"):
        ops.einsum([a, b], "ab,bc->ac")
    with pytest.raises(NodeValidationError, match="input subscripts"):
        ops.einsum([a], "ab,bc->ac")
    with pytest.raises(NodeValidationError, match="needs rank 3"):
        ops.einsum([a], "abc->a")
    with pytest.raises(NodeValidationError, match="not in any input"):
        ops.einsum([a], "ab->z")
    with pytest.raises(NodeValidationError, match="only letters"):
        ops.einsum([a], "a1->a")
    with pytest.raises(NodeValidationError, match="numeric"):
        ops.einsum([ops.parameter([2], ov.Type.boolean)], "a->a")


def test_bf16_computes_like_f32() -> None:
    import ml_dtypes

    a, b = (rand(s).astype(ml_dtypes.bfloat16) for s in [(2, 3, 4), (2, 4, 5)])
    (ours,) = run_op(lambda x, y: ops.einsum([x, y], "bij,bjk->bik"), [a, b])
    assert ours.dtype == ml_dtypes.bfloat16
    expected = np.einsum("bij,bjk->bik", a.astype(np.float32), b.astype(np.float32))
    assert_close(ours.astype(np.float32), expected, rtol=1e-2, atol=1e-2)
