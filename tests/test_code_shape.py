"""The codebase's shape, kept: small modules about one thing, short simple functions,
dependencies that point inward with no cycles, and no backend named above storage.

Measured on the source with the standard library's ast and radon's cyclomatic complexity.
The Sheets API emulator is a test tool of its own and is left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from radon.complexity import cc_visit

PACKAGE = Path(__file__).resolve().parent.parent / "sumo_sheets"
MOST_MODULE_LINES = 400
MOST_FUNCTION_LINES = 50
MOST_COMPLEXITY = 15


def modules() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py") if "emulator" not in p.relative_to(PACKAGE).parts
    )


def name_of(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_no_module_is_over_400_lines():
    long = {name_of(p): n for p in modules() if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_no_function_is_over_50_lines_or_complexity_15():
    too_big = []
    for path in modules():
        for block in cc_visit(path.read_text()):
            # A class is measured by its methods (radon lists them apart), not as one block.
            items = block.methods if hasattr(block, "methods") else [block]
            for item in items:
                length = item.endline - item.lineno + 1
                if length > MOST_FUNCTION_LINES or item.complexity > MOST_COMPLEXITY:
                    too_big.append(
                        f"{name_of(path)}.{item.name}: {length} lines, cc {item.complexity}"
                    )
    assert too_big == []


def _imports(path: Path) -> set[str]:
    """The sumo_sheets modules a module imports, at the top or inside functions (an import
    moved into a function to dodge a cycle is still a cycle); not TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text())
    here = name_of(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sumo_sheets")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if not module.startswith("sumo_sheets"):
                continue
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                found.add(candidate if candidate in ALL_MODULES else module)
    if path.name == "__init__.py":
        # A package choosing among its own modules (open_storage) is not a dependency of
        # the package's contract on its implementations.
        found = {m for m in found if not m.startswith(here + ".")}
    return {m for m in found if m != here}


ALL_MODULES = {name_of(p) for p in PACKAGE.rglob("*.py")}


def test_there_are_no_import_cycles():
    graph = {name_of(p): _imports(p) for p in modules()}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycle = path[path.index(nxt) :] + [nxt]
                # A package importing its own submodule, or the reverse, is not a cycle
                # between two places of code.
                if (
                    len({c.split(".")[1] if c.count(".") else c for c in cycle}) > 1
                    or len(cycle) > 3
                ):
                    cycles.append(" -> ".join(cycle))
            elif len(path) < 12:
                visit(nxt, [*path, nxt])

    for start in graph:
        visit(start, [start])
    assert sorted(set(cycles)) == []


@pytest.mark.parametrize(
    "word", ['"google-sheets"', "backend_name ==", 'atomic_row_updates", False']
)
def test_no_backend_is_named_above_storage(word):
    above = [
        name_of(p)
        for p in modules()
        if not name_of(p).startswith("sumo_sheets.storage") and word in p.read_text()
    ]
    assert above == []


def test_the_production_backend_never_imports_the_emulator():
    assert "emulator" not in (PACKAGE / "storage" / "gsheets.py").read_text().split('"""', 2)[2]


def test_the_readme_layout_names_every_module():
    readme = (PACKAGE.parent / "README.md").read_text()
    layout = readme[readme.index("\nsumo_sheets/\n") : readme.index("templates/  static/")]
    missing = []
    folder = ""
    for path in modules():
        relative = path.relative_to(PACKAGE)
        if len(relative.parts) > 1:
            folder = f"  {relative.parts[0]}/"
            line = f"\n    {relative.parts[1]} "
        else:
            folder, line = "", f"\n  {relative.name} "
        section = layout[layout.index(folder) :] if folder else layout
        if line not in section:
            missing.append(str(relative))
    assert missing == []
