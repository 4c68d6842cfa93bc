"""The engine's rooms: every module sits in one, lower rooms never import higher ones, and no part of
aecore imports Streamlit. The checker reads the import statements (function-level ones too), so a lazy
import inside a function counts like one at the top."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: a module may import its own room and any room before it in this list.
ROOMS = ("errors", "data", "models", "analysis", "store", "training", "photo", "cli")
TOP_LEVEL = {"__init__", "__main__", "errors"}  # modules that sit beside the rooms, not in one
LONG_FILE = 300  # lines; longer files say why at their top


def room_of(module: str) -> str:
    """'aecore.data.images' -> 'data'; 'aecore.cli' and 'aecore.__main__' -> 'cli'; 'aecore' -> 'errors'."""
    parts = module.split(".")[1:]
    if not parts or parts[0] in ("__init__", "__version__"):
        return "errors"  # the package root: as low as it gets (it imports nothing of aecore)
    return "cli" if parts[0] == "__main__" else parts[0]


def imported_modules(path: Path) -> list[str]:
    """Every aecore module that a file imports, as dotted names ('from aecore import x' -> 'aecore.x')."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "aecore":
                found += [f"aecore.{alias.name}" for alias in node.names]
            else:
                found.append(node.module)
    return found


def layering_violations(package: Path) -> list[str]:
    """'aecore/x/y.py (room x) imports aecore.z (room z, higher)' for each upward import; and Streamlit imports."""
    rank = {room: position for position, room in enumerate(ROOMS)}
    problems = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent)
        own = room_of(".".join(relative.with_suffix("").parts))
        for module in imported_modules(path):
            if module.split(".")[0] == "streamlit":
                problems.append(f"{relative} imports {module}: the engine never imports Streamlit")
            elif module.split(".")[0] == package.name:
                other = room_of(module)
                if rank.get(other, len(ROOMS)) > rank.get(own, len(ROOMS)):
                    problems.append(f"{relative} (room {own}) imports {module} (room {other}, higher)")
    return problems


def test_no_room_imports_a_higher_one_and_nothing_imports_streamlit():
    assert layering_violations(ROOT / "aecore") == []


def test_the_check_fails_when_a_lower_room_reaches_up(tmp_path):
    package = tmp_path / "aecore"
    for room in ("data", "photo"):
        (package / room).mkdir(parents=True)
        (package / room / "__init__.py").write_text('"""A room."""\n')
    (package / "__init__.py").write_text("")
    (package / "photo" / "tiling.py").write_text("from aecore.data import images\n")  # upward-safe: photo > data
    (package / "data" / "images.py").write_text("def load():\n    from aecore.photo import tiling\n")
    (package / "data" / "page.py").write_text("import streamlit as st\n")
    assert layering_violations(package) == [
        "aecore/data/images.py (room data) imports aecore.photo (room photo, higher)",
        "aecore/data/page.py imports streamlit: the engine never imports Streamlit",
    ]


def test_every_module_sits_in_a_room_that_says_what_it_holds():
    package = ROOT / "aecore"
    loose = sorted(path.stem for path in package.glob("*.py") if path.stem not in TOP_LEVEL)
    assert loose == [], f"modules outside a room: {loose}"
    rooms = sorted(path.name for path in package.iterdir() if (path / "__init__.py").exists())
    assert rooms == sorted(set(ROOMS) - {"errors"})
    for room in rooms:
        docstring = ast.get_docstring(ast.parse((package / room / "__init__.py").read_text()))
        assert docstring and len(docstring) > 150, f"aecore/{room}/__init__.py should say what the room holds"
        for module in (package / room).glob("*.py"):
            assert module.stem == "__init__" or module.stem in docstring, f"aecore/{room}'s docstring omits {module.stem}"


@pytest.mark.parametrize("folder", ["aecore", "dashboard", "views"])
def test_long_files_say_why_at_their_top(folder):
    for path in sorted((ROOT / folder).rglob("*")):
        if path.suffix not in (".py", ".js") or len(path.read_text().splitlines()) <= LONG_FILE:
            continue
        top = "\n".join(path.read_text().splitlines()[:15])
        assert "Longer than" in top, f"{path.relative_to(ROOT)} is over {LONG_FILE} lines: split it, or say why at its top"
