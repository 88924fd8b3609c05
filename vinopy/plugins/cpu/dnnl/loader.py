"""Find and load libdnnl.so.3 (from the onednn-cpu-gomp wheel) and declare the C signatures we call."""

from __future__ import annotations

import ctypes
import importlib.metadata
import os
import site
import sys
import warnings
from ctypes import POINTER, c_char_p, c_float, c_int, c_int32, c_int64, c_size_t, c_uint, c_void_p
from pathlib import Path

LIBRARY = "libdnnl.so.3"
WHEEL = "onednn-cpu-gomp"

dims_t = c_int64 * 12  # dnnl_dims_t: DNNL_MAX_NDIMS int64 values
status = c_int
handle = c_void_p


class ExecArg(ctypes.Structure):
    """dnnl_exec_arg_t."""

    _fields_ = [("arg", c_int), ("memory", c_void_p)]


class Version(ctypes.Structure):
    """dnnl_version_t."""

    _fields_ = [
        ("major", c_int),
        ("minor", c_int),
        ("patch", c_int),
        ("hash", c_char_p),
        ("cpu_runtime", c_uint),
        ("gpu_runtime", c_uint),
    ]


_MD, _PD, _ATTR, _ENG = handle, handle, handle, handle
_OUT = POINTER(c_void_p)
_DIMS = POINTER(c_int64)

# name: (restype, argtypes)
SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "dnnl_version": (POINTER(Version), []),
    "dnnl_get_effective_cpu_isa": (c_int, []),
    "dnnl_engine_create": (status, [_OUT, c_int, c_size_t]),
    "dnnl_engine_destroy": (status, [_ENG]),
    "dnnl_stream_create": (status, [_OUT, _ENG, c_uint]),
    "dnnl_stream_wait": (status, [handle]),
    "dnnl_stream_destroy": (status, [handle]),
    "dnnl_memory_desc_create_with_tag": (status, [_OUT, c_int, _DIMS, c_int, c_int]),
    "dnnl_memory_desc_create_with_strides": (status, [_OUT, c_int, _DIMS, c_int, _DIMS]),
    "dnnl_memory_desc_query": (status, [_MD, c_int, c_void_p]),
    "dnnl_memory_desc_equal": (c_int, [_MD, _MD]),
    "dnnl_memory_desc_get_size": (c_size_t, [_MD]),
    "dnnl_memory_desc_destroy": (status, [_MD]),
    "dnnl_memory_create": (status, [_OUT, _MD, _ENG, c_void_p]),
    "dnnl_memory_set_data_handle": (status, [handle, c_void_p]),
    "dnnl_memory_destroy": (status, [handle]),
    "dnnl_primitive_attr_create": (status, [_OUT]),
    "dnnl_primitive_attr_destroy": (status, [_ATTR]),
    "dnnl_primitive_attr_set_fpmath_mode": (status, [_ATTR, c_int]),
    "dnnl_primitive_attr_set_scratchpad_mode": (status, [_ATTR, c_int]),
    "dnnl_primitive_attr_set_scales_mask": (status, [_ATTR, c_int, c_int]),
    "dnnl_primitive_attr_set_zero_points_mask": (status, [_ATTR, c_int, c_int]),
    "dnnl_primitive_attr_set_post_ops": (status, [_ATTR, handle]),
    "dnnl_post_ops_create": (status, [_OUT]),
    "dnnl_post_ops_destroy": (status, [handle]),
    "dnnl_post_ops_append_sum": (status, [handle, c_float, c_int32, c_int]),
    "dnnl_post_ops_append_eltwise": (status, [handle, c_int, c_float, c_float]),
    "dnnl_post_ops_append_binary": (status, [handle, c_int, _MD]),
    "dnnl_primitive_desc_query": (status, [_PD, c_int, c_int, c_void_p]),
    "dnnl_primitive_desc_query_md": (_MD, [_PD, c_int, c_int]),
    "dnnl_primitive_desc_destroy": (status, [_PD]),
    "dnnl_primitive_create": (status, [_OUT, _PD]),
    "dnnl_primitive_execute": (status, [handle, handle, c_int, POINTER(ExecArg)]),
    "dnnl_primitive_destroy": (status, [handle]),
    "dnnl_reorder_primitive_desc_create": (status, [_OUT, _MD, _ENG, _MD, _ENG, _ATTR]),
    "dnnl_concat_primitive_desc_create": (status, [_OUT, _ENG, _MD, c_int, c_int, POINTER(c_void_p), _ATTR]),
    "dnnl_binary_primitive_desc_create": (status, [_OUT, _ENG, c_int, _MD, _MD, _MD, _ATTR]),
    "dnnl_convolution_forward_primitive_desc_create": (
        status,
        [_OUT, _ENG, c_int, c_int, _MD, _MD, _MD, _MD, _DIMS, _DIMS, _DIMS, _DIMS, _ATTR],
    ),
    "dnnl_deconvolution_forward_primitive_desc_create": (
        status,
        [_OUT, _ENG, c_int, c_int, _MD, _MD, _MD, _MD, _DIMS, _DIMS, _DIMS, _DIMS, _ATTR],
    ),
    "dnnl_eltwise_forward_primitive_desc_create": (
        status,
        [_OUT, _ENG, c_int, c_int, _MD, _MD, c_float, c_float, _ATTR],
    ),
    "dnnl_softmax_forward_primitive_desc_create": (
        status,
        [_OUT, _ENG, c_int, c_int, _MD, _MD, c_int, _ATTR],
    ),
    "dnnl_pooling_forward_primitive_desc_create": (
        status,
        [_OUT, _ENG, c_int, c_int, _MD, _MD, _DIMS, _DIMS, _DIMS, _DIMS, _DIMS, _ATTR],
    ),
    "dnnl_lrn_forward_primitive_desc_create": (
        status,
        [_OUT, _ENG, c_int, c_int, _MD, _MD, c_int64, c_float, c_float, c_float, _ATTR],
    ),
    "dnnl_layer_normalization_forward_primitive_desc_create": (
        status,
        [_OUT, _ENG, c_int, _MD, _MD, _MD, c_float, c_uint, _ATTR],
    ),
    "dnnl_matmul_primitive_desc_create": (status, [_OUT, _ENG, _MD, _MD, _MD, _MD, _ATTR]),
    "dnnl_resampling_forward_primitive_desc_create": (
        status,
        [_OUT, _ENG, c_int, c_int, POINTER(c_float), _MD, _MD, _ATTR],
    ),
    "dnnl_reduction_primitive_desc_create": (status, [_OUT, _ENG, c_int, _MD, _MD, c_float, c_float, _ATTR]),
}

# libgomp (oneDNN's threading runtime): the thread count is per calling thread
OPENMP_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "omp_set_num_threads": (None, [c_int]),
}


def candidate_paths() -> list[Path]:
    """Where the wheel puts the library: <prefix>/lib, for the venv, the base and the user site."""
    prefixes = [sys.prefix, sys.base_prefix, site.getuserbase()]
    paths = [Path(p) / "lib" / LIBRARY for p in prefixes]
    try:
        files = importlib.metadata.files(WHEEL) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    paths += [Path(str(f.locate())) for f in files if f.name == LIBRARY]
    return list(dict.fromkeys(paths))


def find_library() -> Path:
    for path in candidate_paths():
        if path.is_file():
            return path
    searched = ", ".join(str(p) for p in candidate_paths())
    raise OSError(f"{LIBRARY} not found (install the '{WHEEL}' package); searched {searched}")


def _libgomp_loaded() -> bool:
    """Whether this process already mapped an OpenMP runtime (Linux; False where it cannot tell)."""
    try:
        with open("/proc/self/maps") as maps:
            return any("libgomp" in line for line in maps)
    except OSError:
        return False


def load(path: str | os.PathLike[str] | None = None) -> ctypes.CDLL:
    """Load oneDNN and declare its signatures; OSError says why it cannot be loaded."""
    # libgomp reads its wait policy when it loads: idle threads that sleep instead of spinning keep
    # latency steady when other processes share the cores (a user's own setting wins)
    if "OMP_WAIT_POLICY" not in os.environ and _libgomp_loaded():
        warnings.warn(
            "libgomp was loaded before vinopy's CPU plugin (by importing torch first, for example), so its "
            "idle threads spin and inference can be several times slower when the cores are shared: "
            "import vinopy first, or set OMP_WAIT_POLICY=PASSIVE in the environment",
            RuntimeWarning,
            stacklevel=2,
        )
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    lib = ctypes.CDLL(str(path or find_library()))
    for table in (SIGNATURES, OPENMP_SIGNATURES):
        for name, (restype, argtypes) in table.items():
            try:
                fn = getattr(lib, name)
            except AttributeError as e:
                raise OSError(f"{path or LIBRARY} lacks {name}: not oneDNN 3.x with OpenMP") from e
            fn.restype, fn.argtypes = restype, argtypes
    return lib
