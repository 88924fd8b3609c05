"""Regenerate constants.py from the oneDNN C headers (dev-time only; needs gcc and onednn-devel).

    python -m vinopy.plugins.cpu.dnnl.gen_constants [INCLUDE_DIR]

The C enums' values are implicit in the headers, so the enumerator names are read here and a small
C program, compiled against the same headers, prints their values.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

HEADERS = ("dnnl_common_types.h", "dnnl_types.h")
_ENUM = re.compile(r"typedef\s+enum\s*(?:\w+\s*)?\{(.*?)\}\s*(\w+)\s*;", re.S)
_ENUMERATOR = re.compile(r"^\s*(dnnl_\w+)\s*(?:=[^,]*)?,?", re.M)
_DEFINE = re.compile(r"^#define\s+(DNNL_(?:ARG_\w+|MAX_NDIMS|RUNTIME_DIM_VAL))\s+\S", re.M)


def _preprocessed(include: Path, header: str) -> str:
    """The header as the compiler sees it: comments and inactive #if branches gone."""
    path = include / "oneapi" / "dnnl" / header
    cmd = ["gcc", "-E", "-P", "-I", str(include), str(path)]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def collect_names(include: Path) -> list[tuple[str, list[str]]]:
    """(group, names) pairs: one per typedef'd enum, then one for the integer macros."""
    groups: list[tuple[str, list[str]]] = []
    macros: list[str] = []
    for header in HEADERS:
        for body, enum_name in _ENUM.findall(_preprocessed(include, header)):
            if enum_name not in {g for g, _ in groups}:  # dnnl_types.h includes the common header
                groups.append((enum_name, _ENUMERATOR.findall(body)))
        macros += _DEFINE.findall((include / "oneapi" / "dnnl" / header).read_text())
    groups.append(("macros", macros))
    return groups


def c_program(groups: list[tuple[str, list[str]]]) -> str:
    lines = ["#include <stdio.h>", "#include <oneapi/dnnl/dnnl.h>", "int main(void) {"]
    for group, names in groups:
        lines.append(f'    printf("\\n# {group}\\n");')
        for name in names:
            py_name = name.removeprefix("dnnl_").removeprefix("DNNL_")
            lines.append(f'    printf("{py_name} = %lld\\n", (long long)({name}));')
    lines += ["    return 0;", "}"]
    return "\n".join(lines) + "\n"


def generate(include: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        source, binary = Path(tmp, "gen.c"), Path(tmp, "gen")
        source.write_text(c_program(collect_names(include)))
        subprocess.run(["gcc", "-I", str(include), str(source), "-o", str(binary)], check=True)
        body = subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout
    header = (
        '"""oneDNN C API constants (enums and DNNL_ARG_* macros). GENERATED: do not edit.\n\n'
        "Regenerate with: python -m vinopy.plugins.cpu.dnnl.gen_constants [INCLUDE_DIR]\n"
        '"""\n\n# ruff: noqa: N816\n'
    )
    return header + body


def main() -> None:
    include = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(sys.prefix) / "include"
    out = Path(__file__).with_name("constants.py")
    out.write_text(generate(include))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
