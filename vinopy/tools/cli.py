"""The ``vinopy`` command: ``vinopy <command> [options]``.

Commands live in ``COMMANDS``: name -> ("module:function", help). The function takes the remaining
arguments and returns the exit code; it is imported only when its command runs. Add a command by
adding a line here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("vinopy.tools.demo:main", "build, compile and run a small image classifier"),
    "benchmark": ("vinopy.tools.benchmark_app.main:main", "measure inference speed (benchmark_app)"),
    "convert": ("vinopy.tools.ovc:main", "convert a model to OpenVINO IR (ovc)"),
    "mo": ("vinopy.tools.mo:main", "convert a model to IR with Model Optimizer's options (mo)"),
    "quantize": ("vinopy.tools.quantize:main", "quantize a model to int8 with calibration data (NNCF PTQ)"),
}


INPUT_ERROR_CODE = 2


class UsageError(Exception):
    """A bad command line: reported as one line, exit code 1."""


class InputError(Exception):
    """Bad input data or files (an empty folder, a wrong shape): one line, exit code 2."""


class CliParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise UsageError instead of exiting with code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message}")


def str_to_bool(text: str) -> bool:
    """``True``/``False`` (any case, or 1/0, yes/no) as given to an option like ``--compress_to_fp16``."""
    value = text.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValueError(f"expected True or False, got '{text}'")


def add_bool_option(parser: CliParser, name: str, default: bool, help: str) -> None:
    """An option that takes True or False, and means True when given without a value."""

    def parse(text: str) -> bool:
        try:
            return str_to_bool(text)
        except ValueError as e:
            raise UsageError(f"{parser.prog}: error: {name}: {e}") from e

    parser.add_argument(
        name, type=parse, nargs="?", const=True, default=default, metavar="True | False", help=help
    )


def run_command(
    prog: str, parser: CliParser, argv: Sequence[str] | None, command: Callable[[argparse.Namespace], None]
) -> int:
    """Parse ``argv`` (``sys.argv[1:]`` when None) and run ``command`` on the result; a bad command
    line or any failure is reported as one line with exit code 1, an :class:`InputError` with 2."""
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except UsageError as e:
        print(str(e).splitlines()[0], file=sys.stderr)
        return 1
    try:
        command(args)
    except InputError as e:
        return fail(prog, str(e), INPUT_ERROR_CODE)
    except Exception as e:  # the command line reports any failure as one line
        return fail(prog, str(e) or type(e).__name__)
    return 0


def fail(prog: str, message: str, code: int = 1) -> int:
    """Print a one-line error and give the exit code ``code``."""
    first_line = str(message).strip().splitlines()[0] if str(message).strip() else "failed"
    print(f"{prog}: error: {first_line}", file=sys.stderr)
    return code


def _command(name: str) -> Callable[[list[str]], int]:
    module, function = COMMANDS[name][0].split(":")
    return getattr(importlib.import_module(module), function)


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [f"  {name:<{width}}  {help_text}" for name, (_, help_text) in COMMANDS.items()]
    return "usage: vinopy <command> [options]\n\ncommands:\n" + "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0 if args else 1
    if args[0] in ("-V", "--version"):
        from vinopy import __version__

        print(f"vinopy {__version__}")
        return 0
    name = args[0]
    if name not in COMMANDS:
        return fail("vinopy", f"unknown command '{name}'; commands: {', '.join(COMMANDS)}")
    try:
        return int(_command(name)(args[1:]) or 0)
    except UsageError as e:
        print(str(e).splitlines()[0], file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
