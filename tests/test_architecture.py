"""The layout is the architecture: which part of loglens may import which.

    bots → agent → loglens          the read side's clients, the read side, the shared core
    collector → loglens             the write side
    loglens.run → collector, agent, bots
    loglens.cli → loglens.run       the command, which only parses and dispatches

Every import statement of the product counts, lazy ones inside functions and those under
``TYPE_CHECKING`` included. The README's architecture section draws the same arrows.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIDES = ("collector", "agent", "bots")
CORE = "loglens"
# part → the parts it may import (a part may always import itself).
ALLOWED: dict[str, set[str]] = {
    CORE: set(),
    "collector": {CORE},
    "agent": {CORE},
    "bots": {"agent", CORE},
    "loglens.run": {"collector", "agent", "bots", CORE},
    "loglens.cli": {"loglens.run", CORE},
}


def part_of_file(path: Path) -> str:
    relative = path.relative_to(ROOT)
    if relative.parts[0] in SIDES:
        return relative.parts[0]
    if relative.parts[:2] in (("loglens", "run.py"), ("loglens", "cli.py")):
        return f"loglens.{relative.stem}"
    return CORE


def part_of_module(module: str) -> str | None:
    """The part a module belongs to, or None when it is not loglens' own."""
    names = module.split(".")
    if names[0] != "loglens":
        return names[0] if names[0] in SIDES else None  # a bare side name: flagged below
    if len(names) > 1 and names[1] in SIDES:
        return names[1]
    if len(names) > 1 and names[1] in ("run", "cli"):
        return f"loglens.{names[1]}"
    return CORE


def product_files() -> list[Path]:
    """The product's Python files, each once (loglens/ reaches the sides through symlinks)."""
    core = [path for path in (ROOT / "loglens").rglob("*.py") if not _through_symlink(path)]
    sides = [path for side in SIDES for path in (ROOT / side).rglob("*.py") if "node_modules" not in path.parts]
    return sorted(core + sides)


def _through_symlink(path: Path) -> bool:
    return any((ROOT / "loglens" / side) in path.parents for side in SIDES)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            modules += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from loglens import run` imports loglens.run
            modules += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return modules


def arrows() -> dict[tuple[str, str], list[str]]:
    """(importing part, imported part) → where, for every import between two parts."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in product_files():
        source = part_of_file(path)
        for line, module in imported_modules(path):
            target = part_of_module(module)
            if target is not None and target != source:
                found[(source, target)].append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


def test_every_import_follows_an_allowed_arrow() -> None:
    forbidden = [
        where for (source, target), places in arrows().items() if target not in ALLOWED[source] for where in places
    ]
    assert forbidden == []


def test_the_sides_are_imported_as_part_of_loglens() -> None:
    """``collector.x`` and ``loglens.collector.x`` would be two modules with two states."""
    bare = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in [*product_files(), *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
        for line, module in imported_modules(path)
        if module.split(".")[0] in SIDES
    ]
    assert bare == []


def test_the_walk_sees_the_composition_root_and_lazy_imports() -> None:
    """The walk is not vacuous: it finds the arrows the composition root needs, and the CLI's
    import of it, which sits inside functions."""
    found = arrows()
    assert {("loglens.run", side) for side in SIDES} <= found.keys()
    assert ("loglens.cli", "loglens.run") in found
    assert ("bots", "agent") in found


def test_the_readme_draws_the_allowed_arrows() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    block = section.split("Allowed imports", 1)[1].split("```", 2)[1]
    drawn: set[tuple[str, str]] = set()
    for line in block.strip().splitlines():
        chain = [part.strip() for part in line.split("→")]
        for source, targets in itertools.pairwise(chain):
            drawn |= {(source, target.strip()) for target in targets.split(",")}
    allowed = {(source, target) for source, targets in ALLOWED.items() for target in targets}
    # bots → loglens holds through agent → loglens: the README draws that chain once.
    assert drawn | {("bots", CORE)} == allowed
