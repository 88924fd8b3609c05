"""The ctypes binding on its own: loading, queries, errors, memories over numpy buffers."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from vinopy.plugins.cpu.dnnl import api, loader
from vinopy.plugins.cpu.dnnl import constants as dc

pytestmark = pytest.mark.usefixtures("cpu_plugin")


def test_version_and_isa() -> None:
    assert api.version().startswith("3.")
    assert api.isa_name(api.cpu_isa()) in {
        k.removeprefix("cpu_isa_") for k in vars(dc) if k.startswith("cpu_isa_")
    }
    assert loader.find_library().name == loader.LIBRARY


def test_failed_call_names_the_function() -> None:
    with pytest.raises(api.DnnlError, match="dnnl_memory_desc_create_with_strides failed: invalid_arguments"):
        api.MemoryDesc.plain([2, -3], dc.f32)


def test_eltwise_runs_on_numpy_buffers_in_place_of_copies() -> None:
    engine = api.Engine.cpu()
    stream = api.Stream.create(engine)
    md = api.MemoryDesc.plain([2, 3], dc.f32)
    src = np.arange(-3, 3, dtype=np.float32).reshape(2, 3)
    dst = np.zeros_like(src)
    pd = api.PrimitiveDesc.create(
        "dnnl_eltwise_forward_primitive_desc_create",
        engine,
        dc.forward_inference,
        dc.eltwise_relu,
        md,
        md,
        0.0,
        0.0,
        api.Attr.create(),
    )
    memories = {
        dc.ARG_SRC: api.Memory.create(md, engine, src),
        dc.ARG_DST: api.Memory.create(md, engine, dst),
    }
    primitive = api.Primitive.create(pd)  # kept alive, as call_with asks
    run = primitive.call_with(stream, memories)
    assert run() == dc.success
    np.testing.assert_array_equal(dst, np.maximum(src, 0))
    src[:] = -src  # the memory reads the array itself: a change shows at the next run
    assert run() == dc.success
    np.testing.assert_array_equal(dst, np.maximum(src, 0))


def test_memory_rejects_a_too_small_buffer() -> None:
    md = api.MemoryDesc.plain([4, 4], dc.f32)
    with pytest.raises(ValueError, match="smaller"):
        api.Memory.create(md, api.Engine.cpu(), np.zeros(3, np.float32))


def test_post_ops_and_attributes() -> None:
    ops = api.PostOps.create()
    ops.eltwise(dc.eltwise_relu)
    ops.sum()
    index = ops.binary(dc.binary_add, api.MemoryDesc.plain([1, 4], dc.f32))
    attr = api.Attr.create(ops, fpmath_mode=dc.fpmath_mode_strict)
    attr.set_scales_mask(dc.ARG_SRC, 0)
    assert index == 2 and api.post_op_arg(index, dc.ARG_SRC_1) == dc.ARG_ATTR_MULTIPLE_POST_OP_BASE * 3 | 2


@pytest.mark.parametrize("policy", [None, "PASSIVE"])
def test_warns_when_openmp_was_loaded_first(policy: str | None) -> None:
    # torch brings its own libgomp, already started with spinning threads: vinopy cannot change that
    script = "import torch, vinopy.plugins.cpu.dnnl.loader as l; l.load()"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy:
        env["OMP_WAIT_POLICY"] = policy
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert ("OMP_WAIT_POLICY=PASSIVE" in run.stderr) == (policy is None)
