"""Model caching and compiled-model export: a checksummed blob holding the model's IR, device and config.

Blob layout: MAGIC | sha256(body) | body, where body = u64 header length | JSON header | xml | bin.
The header names the device, the config and the vinopy version; a blob from another version, or
whose checksum does not match, is refused (and, in the cache directory, rebuilt).
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import struct
import tempfile
from collections.abc import Callable
from typing import Any

from vinopy.graph.model import Model
from vinopy.graph.types import Type
from vinopy.serialize import IRError, read_ir, to_bytes

MAGIC = b"VINOPYCM"
FORMAT = 1
_NOT_STORED = ("CACHE_DIR",)  # where the cache lives is not part of what was compiled


class CacheError(RuntimeError):
    """A compiled-model blob that is corrupt, truncated or from another vinopy version."""


def config_text(config: dict[str, Any]) -> dict[str, str]:
    """Config values as text that ``properties.as_dict`` parses back to the same values."""

    def text(value: Any) -> str:
        if isinstance(value, Type):
            return value.get_type_name()
        if isinstance(value, enum.Enum):
            return value.name
        if isinstance(value, (list, tuple)):
            return ",".join(str(v) for v in value)
        return str(value)

    return {k: text(v) for k, v in sorted(config.items()) if k not in _NOT_STORED}


def pack(xml: bytes, weights: bytes, device: str, config: dict[str, Any]) -> bytes:
    """The blob of an IR (xml, bin) compiled for ``device`` with ``config``."""
    from vinopy import __version__

    header = {
        "format": FORMAT,
        "vinopy": __version__,
        "device": device,
        "config": config_text(config),
        "xml": len(xml),
        "bin": len(weights),
    }
    head = json.dumps(header, sort_keys=True).encode()
    body = struct.pack("<Q", len(head)) + head + xml + weights
    return MAGIC + hashlib.sha256(body).digest() + body


def unpack(blob: Any) -> tuple[Model, str, dict[str, str]]:
    """(model, device, config) from a blob; CacheError when it is corrupt or from another version."""
    header, payload = _checked(blob)
    xml = bytes(payload[: header["xml"]])
    weights = payload[header["xml"] : header["xml"] + header["bin"]]
    try:
        model = read_ir(xml, weights)
    except IRError as e:
        raise CacheError(f"compiled-model blob holds an unreadable model: {e}") from e
    return model, header["device"], header["config"]


def _checked(blob: Any) -> tuple[dict[str, Any], memoryview]:
    """The header and the payload (xml, then bin) of a blob whose magic, checksum and version are
    right; CacheError otherwise."""
    from vinopy import __version__

    view = memoryview(blob).cast("B")
    if len(view) < len(MAGIC) + 40 or bytes(view[: len(MAGIC)]) != MAGIC:
        raise CacheError("not a vinopy compiled-model blob (bad magic or too short)")
    digest, body = bytes(view[len(MAGIC) : len(MAGIC) + 32]), view[len(MAGIC) + 32 :]
    if hashlib.sha256(body).digest() != digest:
        raise CacheError("compiled-model blob is corrupt (checksum mismatch)")
    (size,) = struct.unpack_from("<Q", body)
    header = json.loads(bytes(body[8 : 8 + size]))
    if header.get("format") != FORMAT or header.get("vinopy") != __version__:
        raise CacheError(
            f"compiled-model blob is from vinopy {header.get('vinopy')} "
            f"(format {header.get('format')}); this is {__version__}"
        )
    return header, body[8 + size :]


def read_blob(stream: Any) -> bytes:
    """A blob from bytes or a binary stream (``import_model`` accepts both)."""
    if hasattr(stream, "read"):
        return stream.read()
    if isinstance(stream, (bytes, bytearray, memoryview)):
        return bytes(stream)
    raise TypeError(f"import_model expects bytes or a binary stream, got {type(stream).__name__}")


class ModelCache:
    """The CACHE_DIR: one blob per (model content, device, config), named by their hash."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    @staticmethod
    def key(xml: bytes, weights: bytes, device: str, config: dict[str, Any]) -> str:
        from vinopy import __version__

        h = hashlib.sha256()
        for part in (
            xml,
            weights,
            device.encode(),
            json.dumps(config_text(config)).encode(),
            __version__.encode(),
            str(FORMAT).encode(),
        ):
            h.update(struct.pack("<Q", len(part)))
            h.update(part)
        return h.hexdigest()

    def path(self, key: str) -> str:
        return os.path.join(self.directory, f"{key}.blob")

    def load(self, key: str) -> bytes | None:
        try:
            with open(self.path(key), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def holds(self, key: str) -> bool:
        """Whether a valid entry (magic, checksum and version right) is stored under ``key``."""
        blob = self.load(key)
        if blob is None:
            return False
        try:
            _checked(blob)
        except CacheError:
            return False
        return True

    def store(self, key: str, blob: bytes) -> None:
        """Write atomically, so that a concurrent reader never sees half a blob."""
        os.makedirs(self.directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, self.path(key))
        except BaseException:
            os.unlink(tmp)
            raise


def compile_with_cache(
    model: Model, device: str, config: dict[str, Any], compile_fn: Callable[[Model, bool], Any]
) -> Any:
    """Load the compiled model from config['CACHE_DIR'] when a valid entry exists, else compile
    and store it; a corrupt or stale entry is replaced."""
    cache = ModelCache(str(config["CACHE_DIR"]))
    xml, weights = to_bytes(model)
    key = cache.key(xml, weights, device, config)
    if cache.holds(key):
        # the key hashes the model's IR, so the entry's IR is the model in hand: compiling that one
        # gives the same result without reading the IR back from the blob (a second or so for ResNet-50)
        return compile_fn(model, True)
    compiled = compile_fn(model, False)
    cache.store(key, pack(xml, weights, device, config))
    return compiled


def export_compiled(source: Model, device: str, config: dict[str, Any]) -> bytes:
    """``CompiledModel.export_model()``: the blob of the model a compiled model was built from."""
    xml, weights = to_bytes(source)
    return pack(xml, weights, device, config)
