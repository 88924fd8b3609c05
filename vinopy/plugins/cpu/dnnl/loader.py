"""Find and load libdnnl.so.3 (from the onednn-cpu-tbb wheel) and declare the C signatures we call."""

from __future__ import annotations

import ctypes
import importlib.metadata
import os
import site
import sys
from ctypes import POINTER, c_char_p, c_float, c_int, c_int32, c_int64, c_size_t, c_uint, c_void_p
from pathlib import Path

LIBRARY = "libdnnl.so.3"
WHEEL = "onednn-cpu-tbb"
# what that build of oneDNN links (the Intel compiler's runtime and TBB), by the wheel that ships each
DEPENDENCIES = {
    "libintlc.so.5": "intel-cmplr-lib-rt",
    "libimf.so": "intel-cmplr-lib-rt",
    "libtbb.so.12": "tbb",
}
RUNTIME_TBB = 4  # dnnl_version_t.cpu_runtime of a TBB build (DNNL_RUNTIME_TBB)

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


def candidate_paths(name: str = LIBRARY, wheel: str = WHEEL) -> list[Path]:
    """Where a wheel puts a library: <prefix>/lib, for the venv, the base and the user site."""
    prefixes = [sys.prefix, sys.base_prefix, site.getuserbase()]
    paths = [Path(p) / "lib" / name for p in prefixes]
    try:
        files = importlib.metadata.files(wheel) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    paths += [Path(str(f.locate())) for f in files if f.name == name]
    return list(dict.fromkeys(paths))


def find_library(name: str = LIBRARY, wheel: str = WHEEL) -> Path:
    for path in candidate_paths(name, wheel):
        if path.is_file():
            return path
    searched = ", ".join(str(p) for p in candidate_paths(name, wheel))
    raise OSError(f"{name} not found (install the '{wheel}' package); searched {searched}")


def preload(name: str, wheel: str) -> None:
    """Load a shared library for the libraries loaded after it to link with (the wheels put theirs where
    the dynamic linker does not look), unless one of that name is loaded already: openvino, say, brings
    its own libtbb.so.12, and one TBB scheduler per process shares the cores best."""
    try:
        ctypes.CDLL(name, mode=os.RTLD_NOLOAD | ctypes.RTLD_GLOBAL)
    except OSError:
        ctypes.CDLL(str(find_library(name, wheel)), mode=ctypes.RTLD_GLOBAL)


def load(path: str | os.PathLike[str] | None = None) -> ctypes.CDLL:
    """Load oneDNN and declare its signatures; OSError says why it cannot be loaded."""
    for name, wheel in DEPENDENCIES.items():
        preload(name, wheel)
    lib = ctypes.CDLL(str(path or find_library()))
    for name, (restype, argtypes) in SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError as e:
            raise OSError(f"{path or LIBRARY} lacks {name}: not oneDNN 3.x") from e
        fn.restype, fn.argtypes = restype, argtypes
    runtime = lib.dnnl_version().contents.cpu_runtime
    if runtime != RUNTIME_TBB:
        raise OSError(
            f"{path or LIBRARY} was built for CPU threading runtime {runtime}, not TBB ({RUNTIME_TBB}): "
            f"install the '{WHEEL}' package in place of other oneDNN builds"
        )
    return lib
