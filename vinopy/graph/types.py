"""Element types: OpenVINO's ``ov.Type`` with its names and numpy mapping."""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np


class Type:
    """An element type, e.g. ``Type.f32``; compares equal by name."""

    _by_name: dict[str, Type] = {}
    _by_dtype: dict[np.dtype, Type] = {}  # numeric dtypes already resolved (Tensors resolve per call)

    def __new__(cls, name_or_dtype: Any = "dynamic") -> Type:
        return cls.resolve(name_or_dtype)

    def __init__(self, name_or_dtype: Any = "dynamic") -> None:
        pass  # the predefined instances are set up by _define

    def __getnewargs__(self) -> tuple:  # pickling keeps the singletons
        return (self._name,)

    @classmethod
    def _define(cls, name: str, dtype: Any, bits: int, long_name: str, kind: str) -> Type:
        t = super().__new__(cls)
        t._name, t.bitwidth, t._long, t._kind = name, bits, long_name, kind
        t._dtype = np.dtype(dtype) if dtype is not None else None
        cls._by_name[name] = t
        return t

    @classmethod
    def resolve(cls, value: Any) -> Type:
        """A Type from a Type, a name ('f32', 'float32'), a numpy dtype or a python type."""
        if isinstance(value, Type):
            return value
        if isinstance(value, str):
            if value in cls._by_name:
                return cls._by_name[value]
            for t in cls._by_name.values():
                if t._long == value:
                    return t
        if value is bool:
            return cls._by_name["boolean"]
        if value is int:
            return cls._by_name["i64"]
        if value is float:
            return cls._by_name["f32"]
        if value is str:
            return cls._by_name["string"]
        try:
            dt = np.dtype(value)
        except TypeError as e:
            raise TypeError(f"Cannot interpret {value!r} as an element type") from e
        found = cls._by_dtype.get(dt)
        if found is not None:
            return found
        if dt.kind in "US" or dt == np.object_:
            return cls._by_name["string"]
        for t in cls._by_name.values():
            if t._dtype is not None and t._dtype == dt and t._name not in ("u1",):
                cls._by_dtype[dt] = t
                return t
        raise TypeError(f"numpy dtype {dt} has no vinopy element type")

    # OpenVINO API
    def get_type_name(self) -> str:
        return self._name

    @property
    def type_name(self) -> str:
        return self._name

    def to_dtype(self) -> np.dtype:
        if self._dtype is None:
            raise TypeError(f"Type {self._name} has no numpy dtype")
        return self._dtype

    def to_string(self) -> str:
        return self._name

    def get_size(self) -> int:
        return max(1, self.bitwidth // 8)

    @property
    def size(self) -> int:
        return self.get_size()

    def get_bitwidth(self) -> int:
        return self.bitwidth

    @property
    def is_real_type(self) -> bool:
        return self._kind == "real"

    def is_real(self) -> bool:
        return self._kind == "real"

    def is_integral(self) -> bool:
        return self._kind in ("int", "uint", "bool")

    def is_integral_number(self) -> bool:
        return self._kind in ("int", "uint")

    def is_signed(self) -> bool:
        return self._kind in ("real", "int")

    def is_dynamic(self) -> bool:
        return self._kind == "dynamic"

    def is_static(self) -> bool:
        return self._kind != "dynamic"

    def compatible(self, other: Type) -> bool:
        return self.is_dynamic() or other.is_dynamic() or self == other

    def merge(self, other: Type) -> Type | None:
        if self.is_dynamic():
            return other
        if other.is_dynamic() or other == self:
            return self
        return None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Type):
            return self._name == other._name
        try:
            return self._name == Type.resolve(other)._name
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f"<Type: '{self._long}'>"

    __str__ = __repr__


_TYPES = [
    ("dynamic", None, 0, "dynamic", "dynamic"),
    ("boolean", np.bool_, 8, "char", "bool"),
    ("bf16", ml_dtypes.bfloat16, 16, "bfloat16", "real"),
    ("f16", np.float16, 16, "float16", "real"),
    ("f32", np.float32, 32, "float32", "real"),
    ("f64", np.float64, 64, "double64", "real"),
    ("i4", ml_dtypes.int4, 4, "int4_t", "int"),
    ("i8", np.int8, 8, "int8_t", "int"),
    ("i16", np.int16, 16, "int16_t", "int"),
    ("i32", np.int32, 32, "int32_t", "int"),
    ("i64", np.int64, 64, "int64_t", "int"),
    ("u1", np.uint8, 1, "uint1_t", "uint"),
    ("u4", ml_dtypes.uint4, 4, "uint4_t", "uint"),
    ("u8", np.uint8, 8, "uint8_t", "uint"),
    ("u16", np.uint16, 16, "uint16_t", "uint"),
    ("u32", np.uint32, 32, "uint32_t", "uint"),
    ("u64", np.uint64, 64, "uint64_t", "uint"),
    ("string", np.str_, 8 * 8, "string", "string"),
]
for _args in _TYPES:
    setattr(Type, _args[0], Type._define(*_args))
Type.undefined = Type.dynamic
Type.u2 = Type._define("u2", ml_dtypes.uint2, 2, "uint2_t", "uint")
Type.f8e4m3 = Type._define("f8e4m3", ml_dtypes.float8_e4m3fn, 8, "f8e4m3", "real")
Type.f8e5m2 = Type._define("f8e5m2", ml_dtypes.float8_e5m2, 8, "f8e5m2", "real")
Type.f4e2m1 = Type._define("f4e2m1", ml_dtypes.float4_e2m1fn, 4, "f4e2m1", "real")
Type.f8e8m0 = Type._define("f8e8m0", ml_dtypes.float8_e8m0fnu, 8, "f8e8m0", "real")
# vinopy-only types, with no OpenVINO twin: ONNX's INT2 and the FNUZ float8 variants (no negative
# zero, NaN is 0x80, no infinities). They exist so that ONNX models using them convert and run on the
# reference plugin; the IR writer spells them in capitals (I2, F8E4M3FNUZ, F8E5M2FNUZ), which OpenVINO
# cannot read.
Type.i2 = Type._define("i2", ml_dtypes.int2, 2, "int2_t", "int")
Type.f8e4m3fnuz = Type._define("f8e4m3fnuz", ml_dtypes.float8_e4m3fnuz, 8, "f8e4m3fnuz", "real")
Type.f8e5m2fnuz = Type._define("f8e5m2fnuz", ml_dtypes.float8_e5m2fnuz, 8, "f8e5m2fnuz", "real")
