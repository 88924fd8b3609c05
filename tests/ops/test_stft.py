"""STFT-15 against OpenVINO's CPU plugin (it has no reference evaluate)."""

from __future__ import annotations

import numpy as np
import openvino.opset15 as real
import pytest

import vinopy as ov
from tests.utils import assert_close, openvino_reference, rand, run_op
from vinopy.graph.node import NodeValidationError


@pytest.mark.parametrize("transpose_frames", [False, True])
@pytest.mark.parametrize(
    ("signal_shape", "window_size", "frame_size", "frame_step"),
    [((2, 48), 16, 16, 4), ((37,), 7, 10, 3), ((1, 20), 4, 5, 5)],
)
def test_stft_matches_openvino(signal_shape, window_size, frame_size, frame_step, transpose_frames) -> None:
    signal, window = rand(signal_shape), rand([window_size], low=0, high=1)
    size, step = np.array(frame_size, np.int64), np.array(frame_step, np.int64)
    for dynamic in (False, True):
        (ours,) = run_op(
            lambda s, w: ov.opset15.stft(s, w, size, step, transpose_frames),
            [signal, window],
            dynamic=dynamic,
        )
    (expected,) = openvino_reference(
        lambda s, w: real.stft(s, w, size, step, transpose_frames), [signal, window], compile_cpu=True
    )
    assert_close(ours, expected, rtol=1e-4, atol=1e-4)


def test_stft_errors() -> None:
    signal, window = ov.opset15.parameter([40], np.float32), ov.opset15.parameter([16], np.float32)
    with pytest.raises(NodeValidationError, match="must not be longer than frame_size"):
        ov.opset15.stft(signal, window, np.array(8), np.array(2), False)
    with pytest.raises(NodeValidationError, match="shorter than frame_size"):
        ov.opset15.stft(ov.opset15.parameter([10], np.float32), window, np.array(16), np.array(2), False)
    with pytest.raises(NodeValidationError, match="frame_step must be positive"):
        ov.opset15.stft(signal, window, np.array(16), np.array(0), False)
