"""``vinopy convert`` / ``python -m vinopy.tools.ovc``: OpenVINO's ovc command line.

``vinopy convert INPUT_MODEL [--output_model PATH] [--input INPUT] [--output OUTPUT]
[--compress_to_fp16 [True|False]] [--verbose]`` writes ``<name>.xml``/``.bin``: by default into the
current folder, named after the input model, with weights compressed to FP16.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import vinopy as ov
from vinopy.tools.cli import CliParser, add_bool_option, run_command
from vinopy.tools.convert import convert_model

PROG = "vinopy convert"


def _parser() -> CliParser:
    parser = CliParser(prog=PROG, description="Convert a model to OpenVINO IR (.xml + .bin).")
    parser.add_argument(
        "input_model", metavar="INPUT_MODEL", help="ONNX (.onnx), TFLite (.tflite) or IR (.xml) model"
    )
    parser.add_argument(
        "--output_model",
        help="output .xml path, or a folder (existing or ending in a separator) to write <model>.xml into",
    )
    add_bool_option(
        parser, "--compress_to_fp16", default=True, help="store float32 weights as float16 (default True)"
    )
    parser.add_argument("--input", help="inputs with optional shapes, e.g. 'x[1,3,224,224],y[1,?]'")
    parser.add_argument("--output", help="comma-separated tensor names to keep as outputs")
    parser.add_argument("--extension", help="not supported: vinopy cannot load extension libraries")
    parser.add_argument(
        "--verbose", action="store_true", help="print the converted model's inputs and outputs"
    )
    return parser


def output_xml_path(input_model: str, output_model: str | None) -> str:
    """Where ovc writes the IR: ``--output_model`` as a file or folder, else ``./<input name>.xml``."""
    folder = os.getcwd()
    if output_model:
        if not (os.path.isdir(output_model) or output_model.endswith(("/", os.sep))):
            return output_model if output_model.endswith(".xml") else output_model + ".xml"
        folder = output_model
    name = os.path.splitext(os.path.basename(os.path.normpath(input_model)))[0]
    return os.path.join(folder, (name or "model") + ".xml")


def write_ir(model: ov.Model, xml_path: str, compress_to_fp16: bool) -> None:
    folder = os.path.dirname(xml_path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    ov.save_model(model, xml_path, compress_to_fp16=compress_to_fp16)
    print(f"[ SUCCESS ] XML file: {os.path.abspath(xml_path)}")
    print(f"[ SUCCESS ] BIN file: {os.path.abspath(os.path.splitext(xml_path)[0] + '.bin')}")


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(PROG, _parser(), argv, _convert)


def _convert(args: argparse.Namespace) -> None:
    model = convert_model(
        args.input_model,
        input=args.input,
        output=args.output,
        extension=args.extension,
        verbose=args.verbose,
    )
    write_ir(model, output_xml_path(args.input_model, args.output_model), args.compress_to_fp16)


if __name__ == "__main__":
    sys.exit(main())
