"""The documentation's examples run: every ```python block in docs/*.md executes on its own.

A block preceded by a ``<!-- no-test -->`` line is skipped (kept for examples that need files or
torch); docs/developing.md holds skeletons for contributors and is not run. Each block runs in a
fresh namespace inside an empty temporary folder. docs/ops.md must be the output of docs/gen_ops.py.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
SKIP_MARK = "<!-- no-test -->"
# contributor pages whose code blocks are skeletons, not runnable examples
NOT_EXAMPLES = {"developing.md"}
_FENCE = re.compile(r"^```(\w*)\s*$")


def code_blocks(text: str) -> list[tuple[int, str, str, bool]]:
    """(first line number, language, code, skipped) of each fenced block of a markdown text."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        previous = next((line.strip() for line in reversed(lines[:i]) if line.strip()), "")
        start = i + 1
        i = start
        while i < len(lines) and lines[i].rstrip() != "```":
            i += 1
        code = "\n".join(lines[start:i]) + "\n"
        blocks.append((start + 1, opening.group(1), code, previous == SKIP_MARK))
        i += 1
    return blocks


def _pages() -> list[Path]:
    return [p for p in sorted(DOCS.glob("*.md")) if p.name not in NOT_EXAMPLES]


def _examples() -> list:
    params = []
    for page in _pages():
        for line, language, code, skipped in code_blocks(page.read_text()):
            if language != "python":
                continue
            marks = [pytest.mark.skip(reason="marked no-test")] if skipped else []
            params.append(pytest.param(code, id=f"{page.name}:{line}", marks=marks))
    return params


@pytest.mark.parametrize("code", _examples())
def test_example_runs(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "<docs example>", "exec"), {"__name__": "__docs_example__"})


def test_every_page_has_tested_examples_or_none() -> None:
    """The extraction finds the blocks: a page whose text shows ```python has parameters."""
    pages = [p for p in _pages() if "```python" in p.read_text()]
    assert pages, "no python examples found under docs/"
    for page in pages:
        assert any(lang == "python" for _, lang, _, _ in code_blocks(page.read_text())), page.name


def test_ops_table_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gen_ops", DOCS / "gen_ops.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (DOCS / "ops.md").read_text() == module.render(), (
        "docs/ops.md is stale: run `python docs/gen_ops.py > docs/ops.md`"
    )
