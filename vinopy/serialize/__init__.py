"""OpenVINO IR v11: read and write models as .xml + .bin."""

from vinopy.serialize.ir_format import IRError
from vinopy.serialize.reader import read_ir
from vinopy.serialize.writer import save_model, serialize, to_bytes, write_ir

__all__ = ["IRError", "read_ir", "save_model", "serialize", "to_bytes", "write_ir"]
