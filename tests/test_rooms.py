"""The rooms of the engine and of the dashboard: every module sits in one, lower rooms never import higher ones,
no part of aecore imports Streamlit and no part of the dashboard imports Keras. The checker reads the import
statements (function-level ones too) and the names given to `importlib.import_module`, so a lazy import inside a
function, or one spelled as a string, counts like one at the top."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: a module may import its own room and any room before it in this list.
ROOMS = ("errors", "base", "data", "models", "analysis", "store", "photo", "training", "cli")
TOP_LEVEL = {"__init__", "__main__", "errors"}  # modules that sit beside the rooms, not in one
LONG_FILE = 300  # lines; longer files say why at their top


def room_of(module: str) -> str:
    """'aecore.data.images' -> 'data'; 'aecore.cli' and 'aecore.__main__' -> 'cli'; 'aecore' -> 'errors'."""
    parts = module.split(".")[1:]
    if not parts or parts[0] in ("__init__", "__version__"):
        return "errors"  # the package root: as low as it gets (it imports nothing of aecore)
    return "cli" if parts[0] == "__main__" else parts[0]


def imported_modules(path: Path) -> list[str]:
    """Every module that a file imports, as dotted names ('from aecore import x' -> 'aecore.x';
    `importlib.import_module("aecore.x")` -> 'aecore.x')."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in ("aecore", "dashboard"):  # a name may be a module: keep both
                found += [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                found.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.append(str(node.args[0].value))
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
        "aecore/data/images.py (room data) imports aecore.photo.tiling (room photo, higher)",
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


def test_an_import_spelled_as_a_string_counts(tmp_path):
    package = tmp_path / "aecore"
    (package / "models").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "models" / "families.py").write_text(
        "import importlib\ndef trainer():\n    return importlib.import_module('aecore.training.trainer')\n")
    assert layering_violations(package) == [
        "aecore/models/families.py (room models) imports aecore.training.trainer (room training, higher)"]


# The dashboard's rooms, lowest first: a module may import its own room and any room before it, except that
# sections never import each other (a page composes them). Pages (views/, app.py) sit above them all.
DASHBOARD_ROOMS = ("server", "text", "plots", "vega_plots", "series_plots", "components", "state", "sections", "views")
DASHBOARD_FOLDERS = ("server", "components", "state", "sections")


def dashboard_room(module: str) -> str | None:
    """'dashboard.components.big_map' -> 'components'; 'dashboard.plots' -> 'plots'; 'dashboard' -> 'server'
    (the package root installs the server's fixes); a page, app.py and server.py -> 'views'; else None."""
    parts = module.split(".")
    if parts[0] in ("views", "app", "server"):
        return "views"
    if parts[0] != "dashboard":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in DASHBOARD_ROOMS else "server"


def dashboard_violations(root: Path) -> list[str]:
    rank = {room: position for position, room in enumerate(DASHBOARD_ROOMS)}
    problems = []
    paths = sorted((root / "dashboard").rglob("*.py")) + sorted((root / "views").glob("*.py"))
    paths += [path for path in (root / "app.py", root / "server.py") if path.exists()]
    for path in paths:
        relative = path.relative_to(root)
        own_module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        own = dashboard_room(own_module)
        for module in imported_modules(path):
            if module.split(".")[0] in ("keras", "tensorflow"):
                problems.append(f"{relative} imports {module}: the dashboard calls aecore, never Keras")
                continue
            other = dashboard_room(module)
            if other is None or module == own_module or module.startswith(own_module + "."):
                continue
            if rank[other] > rank[own]:
                problems.append(f"{relative} (room {own}) imports {module} (room {other}, higher)")
            elif own == other == "sections":
                problems.append(f"{relative} imports {module}: sections do not import each other")
    return problems


def test_no_dashboard_room_imports_a_higher_one_nor_keras():
    assert dashboard_violations(ROOT) == []


def test_the_dashboard_check_fails_when_a_component_reaches_for_state(tmp_path):
    for folder in ("dashboard/components/big_map", "dashboard/state", "dashboard/sections", "views"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "dashboard/__init__.py").write_text("")
    (tmp_path / "dashboard/components/big_map/__init__.py").write_text("from dashboard.state import caches\n")
    (tmp_path / "dashboard/state/caches.py").write_text("def load():\n    import keras\n")
    (tmp_path / "dashboard/sections/one.py").write_text("from dashboard.sections import two\n")
    (tmp_path / "dashboard/sections/two.py").write_text("from dashboard.state import caches\n")
    (tmp_path / "views/page.py").write_text("from dashboard.sections import one, two\n")
    assert dashboard_violations(tmp_path) == [
        "dashboard/components/big_map/__init__.py (room components) imports dashboard.state.caches (room state, higher)",
        "dashboard/sections/one.py imports dashboard.sections.two: sections do not import each other",
        "dashboard/state/caches.py imports keras: the dashboard calls aecore, never Keras",
    ]


def test_every_dashboard_module_sits_in_a_room_that_says_what_it_holds():
    package = ROOT / "dashboard"
    loose = sorted(path.stem for path in package.glob("*.py")
                   if path.stem not in ("__init__", "text", "plots", "vega_plots", "series_plots"))
    assert loose == [], f"dashboard modules outside a room: {loose}"
    for room in DASHBOARD_FOLDERS:
        docstring = ast.get_docstring(ast.parse((package / room / "__init__.py").read_text()))
        assert docstring and len(docstring) > 150, f"dashboard/{room}/__init__.py should say what the room holds"
        for module in (package / room).glob("*.py"):
            assert module.stem == "__init__" or module.stem in docstring, f"dashboard/{room}'s docstring omits {module.stem}"


def test_each_component_is_a_folder_of_real_files():
    folders = sorted(path for path in (ROOT / "dashboard/components").iterdir() if (path / "__init__.py").exists())
    assert len(folders) >= 6
    for folder in folders:
        assert (folder / f"{folder.name}.html").exists() and (folder / f"{folder.name}.css").exists(), folder.name
        assert list(folder.glob("*.js")), f"{folder.name} has no JavaScript file"
        source = (folder / "__init__.py").read_text()
        assert "components.declare(__file__" in source, f"{folder.name} is not declared by components.declare"
        assert '"""<' not in source and "html=" not in source, f"{folder.name} keeps its HTML in a Python string"


def test_user_strings_never_become_markup():
    """Data is text: no script of ours writes markup from a string, and no Python hands Streamlit raw HTML."""
    sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "unsafe_allow_html=True")
    found = [f"{path.relative_to(ROOT)}: {sink}" for folder in ("dashboard", "views")
             for path in sorted((ROOT / folder).rglob("*")) if path.suffix in (".py", ".js", ".html")
             for sink in sinks if sink in path.read_text()]
    assert found == []


def module_cycles(package: Path) -> list[list[str]]:
    """Groups of modules of the package that import each other, directly or round a loop (imports inside functions
    included): each is a strongly connected component of more than one module, found by Tarjan's algorithm."""
    modules = {".".join(path.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__"): path
               for path in package.rglob("*.py")}
    edges = {name: sorted({module for imported in imported_modules(path)
                           for module in (imported, imported.rsplit(".", 1)[0]) if module in modules and module != name})
             for name, path in modules.items()}
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(name):
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for other in edges[name]:
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in on_stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == name:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for name in sorted(modules):
        if name not in index:
            visit(name)
    return sorted(groups)


def test_no_two_engine_modules_import_each_other():
    assert module_cycles(ROOT / "aecore") == []


def test_the_cycle_check_sees_an_import_inside_a_function(tmp_path):
    package = tmp_path / "aecore"
    (package / "data").mkdir(parents=True)
    for name in ("__init__", "data/__init__"):
        (package / f"{name}.py").write_text("")
    (package / "data" / "catalog.py").write_text("def names():\n    from aecore.data import owndata\n")
    (package / "data" / "owndata.py").write_text("from aecore.data import catalog\n")
    assert module_cycles(package) == [["aecore.data.catalog", "aecore.data.owndata"]]
