"""The ctypes binding on its own: loading, queries, errors, memories over numpy buffers."""

from __future__ import annotations

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


def test_the_library_is_the_tbb_build() -> None:
    assert api.library().dnnl_version().contents.cpu_runtime == loader.RUNTIME_TBB


@pytest.mark.parametrize("first", ["openvino", "vinopy"])
def test_one_tbb_runtime_beside_openvino_whichever_loads_first(first: str) -> None:
    # openvino ships its own libtbb.so.12: two TBB schedulers in a process would compete for the cores
    script = f"""
import numpy as np
import {first}
import openvino, vinopy as ov
ops = ov.opset13
x = ops.parameter([1, 8], np.float32)
compiled = ov.Core().compile_model(ov.Model([ops.relu(x)], [x]), "CPU", {{"INFERENCE_NUM_THREADS": 1}})
assert (compiled(np.full((1, 8), -1, np.float32))[0] == 0).all()
ox = openvino.opset13.parameter([1, 8], np.float32)
theirs = openvino.Core().compile_model(openvino.Model([openvino.opset13.relu(ox)], [ox]), "CPU")
assert (theirs(np.ones((1, 8), np.float32))[0] == 1).all()
print(len({{line.split()[-1] for line in open("/proc/self/maps") if "libtbb.so" in line}}))
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "1"
