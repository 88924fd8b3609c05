"""Small float models built with the opset API, and synthetic data for them."""

from __future__ import annotations

from types import ModuleType

import numpy as np

import vinopy as ov

BATCH = 4
CLASSES = 10
OUTLIER = 40.0


def _conv(ops: ModuleType, x: ov.Output, weights: np.ndarray, bias: np.ndarray, name: str) -> ov.Node:
    conv = ops.convolution(
        x, ops.constant(weights, name=f"{name}/weights"), [1, 1], [1, 1], [1, 1], [1, 1], name=name
    )
    biased = ops.add(conv, ops.constant(bias.reshape(1, -1, 1, 1), name=f"{name}/bias"), name=f"{name}/add")
    return ops.relu(biased, name=f"{name}/relu")


def cnn(seed: int = 0, api: ModuleType = ov) -> ov.Model:
    """conv-bias-relu, maxpool, conv-bias-relu, residual Add, avgpool, flatten, FC with bias.
    ``api`` is vinopy, or openvino itself to build the same model for NNCF."""
    rng = np.random.default_rng(seed)
    ops = api.opset13
    x = ops.parameter([BATCH, 3, 16, 16], np.float32, name="image")
    c1 = _conv(
        ops,
        x,
        rng.normal(0, np.sqrt(2 / 27), (8, 3, 3, 3)).astype(np.float32),
        rng.normal(0, 0.1, 8).astype(np.float32),
        "conv1",
    )
    pool = api.opset1.max_pool(c1, [2, 2], [0, 0], [0, 0], [2, 2], name="maxpool")
    c2 = _conv(
        ops,
        pool.output(0),
        rng.normal(0, np.sqrt(2 / 72), (8, 8, 3, 3)).astype(np.float32),
        rng.normal(0, 0.1, 8).astype(np.float32),
        "conv2",
    )
    residual = ops.add(c2, pool.output(0), name="residual")
    avg = api.opset1.avg_pool(residual, [2, 2], [0, 0], [0, 0], [2, 2], True, name="avgpool")
    flat = ops.reshape(avg, ops.constant(np.array([BATCH, -1], np.int64)), False, name="flatten")
    fc = ops.matmul(
        flat,
        ops.constant(rng.normal(0, np.sqrt(1 / 128), (128, CLASSES)).astype(np.float32), name="fc/weights"),
        False,
        False,
        name="fc",
    )
    logits = ops.add(
        fc, ops.constant(rng.normal(0, 0.1, CLASSES).astype(np.float32), name="fc/bias"), name="logits"
    )
    return api.Model([logits], [x], "cnn")


def branches(seed: int = 0, api: ModuleType = ov) -> ov.Model:
    """Two conv-relu branches of different ranges joined by Add and by Concat, each read by a conv."""
    rng = np.random.default_rng(seed)
    ops = api.opset13
    x = ops.parameter([BATCH, 3, 8, 8], np.float32, name="x")
    a = _conv(ops, x, rng.normal(0, 1.0, (8, 3, 3, 3)).astype(np.float32), np.zeros(8, np.float32), "a")
    b = _conv(ops, x, rng.normal(0, 0.2, (8, 3, 3, 3)).astype(np.float32), np.zeros(8, np.float32), "b")
    added = ops.add(a, b, name="add")
    joined = ops.concat([a, b], 1, name="concat")
    after_add = _conv(
        ops, added, rng.normal(0, 0.3, (4, 8, 3, 3)).astype(np.float32), np.zeros(4, np.float32), "c"
    )
    after_concat = _conv(
        ops, joined, rng.normal(0, 0.3, (4, 16, 3, 3)).astype(np.float32), np.zeros(4, np.float32), "d"
    )
    return api.Model([after_add, after_concat], [x], "branches")


def small_images(count: int, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 1, (BATCH, 3, 8, 8)).astype(np.float32) for _ in range(count)]


def mlp(
    seed: int = 0,
    tokens: int = 8,
    hidden: int = 32,
    outlier_channels: tuple[int, ...] = (),
    api: ModuleType = ov,
) -> ov.Model:
    """Two MatMul+bias layers with Gelu between them and a residual Add: a transformer's FFN.
    The weights of ``outlier_channels`` are small, as in LLMs whose activations have outliers there."""
    rng = np.random.default_rng(seed)
    ops = api.opset13
    x = ops.parameter([BATCH, tokens, hidden], np.float32, name="tokens")
    w1 = rng.normal(0, np.sqrt(1 / hidden), (hidden * 2, hidden)).astype(np.float32)
    w1[:, list(outlier_channels)] /= OUTLIER
    fc1 = ops.matmul(x, ops.constant(w1, name="fc1/weights"), False, True, name="fc1")
    h = ops.gelu(
        ops.add(fc1, ops.constant(rng.normal(0, 0.1, hidden * 2).astype(np.float32)), name="fc1/add"),
        "erf",
        name="gelu",
    )
    w2 = rng.normal(0, np.sqrt(1 / (2 * hidden)), (hidden * 2, hidden)).astype(np.float32)
    fc2 = ops.matmul(h, ops.constant(w2, name="fc2/weights"), False, False, name="fc2")
    out = ops.add(
        ops.add(fc2, ops.constant(rng.normal(0, 0.1, hidden).astype(np.float32)), name="fc2/add"),
        x,
        name="residual",
    )
    return api.Model([out], [x], "mlp")


def images(count: int, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 1, (BATCH, 3, 16, 16)).astype(np.float32) for _ in range(count)]


def token_batches(
    count: int, seed: int = 1, tokens: int = 8, hidden: int = 32, outlier_channels: tuple[int, ...] = ()
) -> list[np.ndarray]:
    """Activations with a few channels far larger than the rest, as transformers have."""
    rng = np.random.default_rng(seed)
    scale = np.ones(hidden, np.float32)
    scale[list(outlier_channels)] = OUTLIER
    return [(rng.normal(0, 1, (BATCH, tokens, hidden)) * scale).astype(np.float32) for _ in range(count)]


def run(model: ov.Model, batches: list[np.ndarray]) -> np.ndarray:
    compiled = ov.Core().compile_model(model, "TEMPLATE")
    return np.concatenate([compiled(b)[0] for b in batches])


def types(model: ov.Model) -> list[str]:
    return [n.get_type_name() for n in model.get_ordered_ops()]
