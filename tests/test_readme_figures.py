"""Every figure the README (and the docs) give beside a results file is in that file: a paragraph or table that
names ``benchmarks/results/<name>.json`` may only hold decimal numbers that the JSON holds (at the precision
shown, or as a percentage of a fraction). Numbers in code spans (commands, settings) are not figures."""

import json
import math
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RESULT = re.compile(r"benchmarks/results/([\w.-]+\.json)|`([\w.-]+\.json)`")
DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d+(?![\w.])")


def numbers(tree) -> list[float]:
    if isinstance(tree, dict):
        return [x for value in tree.values() for x in numbers(value)]
    if isinstance(tree, list):
        return [x for value in tree for x in numbers(value)]
    if isinstance(tree, bool) or not isinstance(tree, int | float) or not math.isfinite(tree):
        return []
    return [float(tree)]


def blocks(page: Path) -> list[str]:
    """Paragraphs and tables (separated by blank lines), outside fenced code."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    return [block for block in re.split(r"\n\s*\n", text) if block.strip()]


def figured_blocks() -> list[tuple[str, str, list[str]]]:
    found = []
    for page in PAGES:
        for block in blocks(page):
            files = [a or b for a, b in RESULT.findall(block)]
            files = [name for name in files if (ROOT / "benchmarks" / "results" / name).is_file()]
            if files:
                found.append((page.name, block, files))
    return found


def shown(value: float, text: str) -> bool:
    decimals = len(text.split(".")[1])
    target = float(text)
    return any(round(candidate, decimals) == target for candidate in (value, 100 * value, -value))


@pytest.mark.parametrize(("page", "block", "files"), figured_blocks(),
                         ids=lambda x: x if isinstance(x, str) and len(x) < 40 else None)
def test_figures_beside_a_results_file_are_in_it(page, block, files):
    values = [x for name in files for x in numbers(json.loads((ROOT / "benchmarks" / "results" / name).read_text()))]
    prose = re.sub(r"`[^`]*`", "", block)
    missing = [text for text in DECIMAL.findall(prose) if not any(shown(value, text) for value in values)]
    assert not missing, f"{page}: {missing} are not in {files}:\n{block[:300]}"


def test_the_readme_names_a_results_file_for_its_figures():
    readme = [entry for entry in figured_blocks() if entry[0] == "README.md"]
    assert len(readme) >= 3  # U-Maze, Medium and the posterior oracles at least
